"""Every firmware target builds with warnings as errors and fits its chip; the Arduino library's sketch
builds and flies; `gnc board` knows the targets, names missing tools and flashes as a dry run
(what they need: tests/firmware_boards.py)."""
import os
import re
import shutil
import subprocess
import sys

import pytest
from firmware_boards import CI, SC, SHORT_DEADLINE_S, TIMEOUT_S, ends_session, need
from scripted import Scripted

from gnc.hil.emulate import FIRMWARE, TARGETS, EmulatedBoard, missing
from gnc.hil.session import run_session

# ---------------------------------------------------------------- builds

# (make variable, its values, the chip's flash and RAM): the smallest chip each build is for;
# the MPS2 has no flash, its image runs from a 4 MB SSRAM and its data in another
BUILDS = {"avr": ("MCU", ["atmega2560"], 256 * 1024, 8 * 1024),
          "stm32f4": ("BOARD", ["netduinoplus2", "nucleo-f446re", "disco-f407"], 512 * 1024, 128 * 1024),
          "mps2-an500": ("REAL", ["double", "float"], 4 << 20, 4 << 20),
          "microbit": ("BAUD", ["115200", "1000000"], 256 * 1024, 16 * 1024),
          "sifive_e": ("BAUD", ["115200", "1000000"], 4 * 1024 * 1024 - 64 * 1024, 16 * 1024)}
SIZE_TOOL = {"avr": "avr-size", "sifive_e": "riscv64-unknown-elf-size"}     # the others: arm-none-eabi-size


@pytest.mark.parametrize("target", list(BUILDS))
def test_every_target_builds_with_warnings_as_errors(target, tmp_path):
    need(target)
    var, values, flash, ram = BUILDS[target]
    for value in values:
        build = tmp_path / value
        p = subprocess.run(["make", "-C", str(FIRMWARE / TARGETS[target].folder), f"{var}={value}", f"BUILD={build}",
                            "all"], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr[-2000:]
        assert "-Werror" in p.stdout and "-Wall" in p.stdout
        size = subprocess.run([SIZE_TOOL.get(target, "arm-none-eabi-size"), str(build / "firmware.elf")],
                              capture_output=True, text=True, check=True).stdout.splitlines()[1].split()
        text, data, bss = map(int, size[:3])
        assert 0 < text + data <= flash and data + bss < ram
        print(f"\n{target} {var}={value}: flash {text + data} B, static RAM {data + bss} B")


def test_the_cortex_m7_does_the_double_build_on_its_fpu_without_fused_multiply_adds(tmp_path):
    """-mfpu=fpv5-d16 makes the double build's arithmetic FPU instructions (vmul.f64,
    vsqrt.f64), where the single-precision M4F would call libgcc's soft double
    (__aeabi_dmul); strict C99 fuses no a*b+c into a vfma, which would round once
    where the reference rounds twice.  REAL=float builds the other boards' float."""
    need("mps2-an500")
    folder = FIRMWARE / TARGETS["mps2-an500"].folder
    for real in ("double", "float"):
        build = tmp_path / real
        p = subprocess.run(["make", "-s", "-C", str(folder), f"REAL={real}", f"BUILD={build}", "all"],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr[-2000:]
        asm = subprocess.run(["arm-none-eabi-objdump", "-d", str(build / "firmware.elf")], capture_output=True,
                             text=True, check=True).stdout
        if real == "double":
            assert "vmul.f64" in asm and "vsqrt.f64" in asm and "vfma" not in asm
            assert not re.search(r"bl\s+\S+ <__aeabi_d(add|sub|mul|div)>", asm)
        else:
            assert "vmul.f32" in asm and "vsqrt.f32" in asm


def test_uno_does_not_fit_and_the_makefile_says_by_how_much():
    need("avr")
    p = subprocess.run(["make", "-s", "-C", str(FIRMWARE / "avr"), "uno-size"], capture_output=True, text=True)
    line = p.stdout.strip().splitlines()[-1]
    print("\n" + line)
    words = line.split()        # "atmega328p needs F B flash (...) and R B static RAM (has 2048)"
    flash, ram = int(words[2]), int(words[words.index("static") - 2])
    assert flash > 32768 - 512 or ram > 2048, line


# the boards with 16 KB of RAM, and the flash each has for the image (the FE310: less its bootloader's 64 KB)
FLASH_OF_16_KB_BOARDS = {"microbit": 256 * 1024, "sifive_e": 4 * 1024 * 1024 - 64 * 1024}


@pytest.mark.parametrize("target", list(FLASH_OF_16_KB_BOARDS))
def test_a_16_kb_board_build_fits_and_make_size_says_what_it_needs(target, tmp_path):
    """16 KB of RAM (the nRF51822's, the FE310's DTIM) hold the static data and at least the link
    script's 2 KB of stack (the link fails otherwise); make size states both against the chip's:
    "CHIP needs F B flash (has ...) and R B static RAM (has 16384, of which S left ...)"."""
    need(target)
    p = subprocess.run(["make", "-s", "-C", str(FIRMWARE / TARGETS[target].folder), f"BUILD={tmp_path}", "size"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    line = p.stdout.strip().splitlines()[-1]
    print("\n" + line)
    words = line.split()
    flash, ram, stack = int(words[2]), int(words[words.index("static") - 2]), int(words[words.index("left") - 1])
    assert 0 < flash <= FLASH_OF_16_KB_BOARDS[target] and ram + stack == 16 * 1024 and stack >= 2048, line



# ---------------------------------------------------------------- the Arduino library

ARDUINO_PARTS = {"/usr/share/arduino/Arduino.mk": "arduino-mk",
                 "/usr/share/arduino/hardware/arduino/avr/cores/arduino/Arduino.h": "arduino-core-avr"}


def test_arduino_sketch_builds_with_arduino_mk_and_flies_in_simavr(deadline):
    """The library layout compiled by Debian's arduino-mk for the Mega 2560 (the Arduino
    core's main, Serial and micros()), then run on the emulated ATmega2560 for 300 steps."""
    need("avr")
    absent = [pkg for path, pkg in ARDUINO_PARTS.items() if not os.path.exists(path)]
    if absent:
        (pytest.fail if CI else pytest.skip)(f"needs Debian packages {' '.join(absent)}")
    deadline(SHORT_DEADLINE_S + 60)
    baud = 500_000      # exact at 16 MHz; 320 cycles a byte for loop() to drain the core's 64-byte RX buffer
    p = subprocess.run(["make", "-C", str(FIRMWARE / "arduino"), "sketch", f"LUNAR_GNC_BAUD={baud}"],
                       capture_output=True, text=True)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    lib = FIRMWARE / "arduino" / "build" / "LunarGnc"
    assert (lib / "library.properties").exists() and (lib / "examples" / "HilBoard" / "HilBoard.ino").exists()
    assert (lib / "src" / "fsw_step.c").read_bytes() == (FIRMWARE.parent / "fsw_step.c").read_bytes()
    elf = next((FIRMWARE / "arduino" / "build" / "sketch").glob("build-*/*.elf"))
    board = EmulatedBoard("avr", baud)
    board.start(elf)
    try:
        r = run_session(SC, Scripted(board.port, board.baud, {300: ends_session(board)}), timeout_s=TIMEOUT_S)
    finally:
        board.close()
    assert r.link["handshakes"][0]["board"].startswith("arduino-sketch")
    f = r.link["frames"]
    assert f["on_time"] >= 298 and f["corrupted"] == f["held_steps"] == 0
    print(f"\nArduino sketch on the emulated Mega: step p50 {r.link['board_step_s']['p50'] * 1e6:,.0f} us (micros())")


def test_emulators_are_known_targets():
    assert set(TARGETS) == {"avr", "stm32f4", "mps2-an500", "microbit", "sifive_e"}
    with pytest.raises(ValueError, match="unknown board"):
        EmulatedBoard("esp32")


def test_a_missing_emulator_is_one_line_naming_the_debian_packages(monkeypatch):
    import gnc.hil.emulate

    monkeypatch.setattr(gnc.hil.emulate.shutil, "which", lambda tool: None)
    why = missing("stm32f4")
    assert "\n" not in why and "gcc-arm-none-eabi" in why and "qemu-system-arm" in why
    with pytest.raises(gnc.hil.emulate.EmulatorUnavailable, match="apt-get install"):
        gnc.hil.emulate.build("stm32f4")


def test_board_command_refuses_icount_for_the_avr():
    p = subprocess.run([sys.executable, "-c", "import sys; from gnc.cli import main; sys.exit(main(sys.argv[1:]))",
                        "board", "emulate", "avr", "--icount", "3"], capture_output=True, text=True)
    assert p.returncode == 2 and "stm32f4, mps2-an500" in p.stderr and "Traceback" not in p.stderr


def _board(*argv):
    if not shutil.which("make"):
        (pytest.fail if CI else pytest.skip)("gnc board flash runs the target's make flash: needs make")
    return subprocess.run([sys.executable, "-c", "import sys; from gnc.cli import main; sys.exit(main(sys.argv[1:]))",
                           "board", *argv], capture_output=True, text=True)


def test_flashing_a_mega_as_a_dry_run_prints_avrdude_through_its_bootloader_and_runs_nothing(tmp_path):
    port = tmp_path / "ttyACM9"          # not a port: a dry run must not open it
    p = _board("flash", "avr", "--port", str(port), "--baud", "1000000", "--dry-run")
    assert p.returncode == 0, p.stderr
    flash = [line for line in p.stdout.splitlines() if line.startswith("avrdude ")]
    assert flash == [f"avrdude -p atmega2560 -c wiring -P {port} -b 115200 -D "
                     "-U flash:w:build/atmega2560-1000000/firmware.hex:i"]
    assert not port.exists()


def test_flashing_the_stm32f4_as_a_dry_run_prints_st_flash_or_openocd():
    p = _board("flash", "stm32f4", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "st-flash --reset write build/nucleo-f446re-115200/firmware.bin 0x08000000" in p.stdout
    assert "openocd -f interface/stlink.cfg -f target/stm32f4x.cfg" in p.stdout


def test_flashing_the_microbit_as_a_dry_run_prints_the_copy_onto_its_usb_drive(tmp_path):
    drive = tmp_path / "MICROBIT"        # not mounted: a dry run must not write there
    p = _board("flash", "microbit", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert re.search(r"^cp build/microbit-115200/firmware\.hex /media/\S+/MICROBIT/", p.stdout, re.M), p.stdout
    assert not drive.exists()


def test_flashing_the_hifive1_as_a_dry_run_prints_the_j_link_load_or_openocd():
    p = _board("flash", "sifive_e", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "printf 'loadfile %s\\nrnh\\nexit\\n' build/sifive_e-115200/firmware.hex" in p.stdout, p.stdout
    assert "JLinkExe -device FE310 -if JTAG -speed 4000" in p.stdout
    assert 'openocd -f board/sifive-hifive1-revb.cfg -c "program build/sifive_e-115200/firmware.elf' in p.stdout


@pytest.mark.parametrize("argv, message", [
    (("flash", "avr"), "needs --port"),
    (("flash", "avr", "--port", "/dev/no-such-port-here"), "no such port"),
    (("flash", "stm32f4", "--port", "/dev/ttyACM0"), "ST-Link"),
    (("build", "avr", "--dry-run"), "are for gnc board flash"),
    (("flash", "avr", "--port", "/dev/ttyACM0", "--variant", "disco-f407"), "--variant is for the stm32f4"),
    (("flash", "mps2-an500"), "gnc board emulate mps2-an500"),
    (("flash", "microbit", "--port", "/dev/ttyACM0"), "USB drive"),
    (("flash", "sifive_e", "--port", "/dev/ttyACM0"), "J-Link OB"),
])
def test_flash_refuses_what_it_cannot_do_in_one_line(argv, message):
    p = _board(*argv)
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr
