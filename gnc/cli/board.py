"""`gnc board`: build the firmware for a target, run it on an emulated board, or flash a real one.

gnc.cli hooks this in with add_parser(subparsers).
"""
from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
from pathlib import Path

EPILOG = """\
examples:
  gnc board build avr                 make csrc/firmware/avr (ATmega2560) and show its size
  gnc board emulate avr               simavr with the firmware; prints the pty to give gnc hil --port
  gnc board emulate stm32f4 --icount 3
                                      QEMU netduinoplus2, deterministic: step_cycles are then
                                      instruction counts x 0.168 x 2^3 (SysTick at 168 MHz of
                                      virtual time, 2^3 ns per instruction)
  gnc board emulate avr --realtime    paced to the wall clock, at the board's own speed (not the
                                      several times faster the host allows), for a real-time
                                      gnc hil --mode realtime --port PTY session
  gnc board build mps2-an500          the Cortex-M7 build, flight software in double
  gnc board emulate microbit          QEMU's BBC micro:bit (Cortex-M0, 16 KB RAM, soft float)
  gnc board flash microbit --dry-run  print the copy of the .hex onto the micro:bit's USB drive
                                      (DAPLink), MICROBIT=/media/$USER/MICROBIT by default
  gnc board emulate sifive_e          QEMU's SiFive HiFive1 Rev B (RV32IMAC, 16 KB RAM, soft float)
  gnc board flash sifive_e --dry-run  print the J-Link load (JLinkExe, else openocd through the same probe)
  gnc board flash avr --port /dev/ttyACM0 --dry-run
                                      print what flashing a Mega would run (the target's
                                      `make flash`: avrdude through its bootloader), run nothing
  gnc board flash stm32f4 --variant disco-f407
                                      build and flash through the ST-Link (st-flash, else openocd)

`gnc hil --emulate BOARD SCENARIO` builds, starts, flies and stops in one command.
Flashing real boards: docs/firmware.md.  Flash with the --baud you will give gnc hil.
"""

STM32F4_VARIANTS = ("nucleo-f446re", "disco-f407", "netduinoplus2")     # csrc/firmware/stm32f4/Makefile BOARD
# what `make flash` in each target's folder runs, and the Debian packages that have it
FLASH_TOOLS = {"avr": (("avrdude",), "avrdude"), "stm32f4": (("st-flash", "openocd"), "stlink-tools or openocd"),
               "microbit": (("cp",), "coreutils"),
               "sifive_e": (("JLinkExe", "openocd"), "SEGGER's J-Link software (not in Debian) or openocd")}
# how each board without a serial bootloader is programmed, for --port's refusal
FLASHED_THROUGH = {"stm32f4": "its ST-Link (USB)", "microbit": "its USB drive (DAPLink; make's MICROBIT=DIR)",
                   "sifive_e": "its J-Link OB (USB)"}
SIZE_TOOL = {"avr": "avr-size", "sifive_e": "riscv64-unknown-elf-size"}     # the others: arm-none-eabi-size


def add_parser(sub) -> argparse.ArgumentParser:
    from gnc.hil.emulate import TARGETS, qemu_targets

    p = sub.add_parser("board", help="build the flight firmware, or run it on an emulated board",
                       description="Build the firmware of csrc/firmware/<target> (the unchanged flight "
                                   "kernels, the protocol loop and a board layer), run it on an emulated "
                                   "board with its serial port on a pseudo-terminal, or flash it to a real "
                                   "board with the target's documented tool.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("build", "emulate", "flash"),
                   help="build: make and show the size; emulate: run it; flash: build and write it to a real board")
    p.add_argument("target", metavar="BOARD", choices=tuple(TARGETS),
                   help="; ".join(f"{t.name}: {t.describe}" for t in TARGETS.values()))
    p.add_argument("--baud", type=int, metavar="B",
                   help="UART baud rate of the build (default: avr 1000000, the fastest exact rate at "
                        "16 MHz; stm32f4, mps2-an500, microbit and sifive_e 115200, which QEMU ignores; flash: "
                        "115200, the Makefiles' default; give gnc hil the same)")
    p.add_argument("--icount", type=int, metavar="SHIFT",
                   help=f"{', '.join(qemu_targets())}: run QEMU with -icount shift=SHIFT (0..10), a deterministic "
                        "virtual clock")
    p.add_argument("--realtime", action="store_true",
                   help="emulate: pace the board to the wall clock, at its own speed rather than as fast as "
                        "the host allows (for a real-time gnc hil session; gnc hil --emulate --mode realtime "
                        "does it itself)")
    p.add_argument("--port", metavar="PORT",
                   help="flash avr: the board's serial port (its bootloader listens there), e.g. /dev/ttyACM0")
    p.add_argument("--variant", choices=STM32F4_VARIANTS, metavar="NAME",
                   help="flash stm32f4: the board on the desk, " + ", ".join(STM32F4_VARIANTS)
                        + " (default nucleo-f446re; netduinoplus2 is the one QEMU emulates)")
    p.add_argument("--dry-run", action="store_true",
                   help="flash: print the commands it would run (the build's and the flash tool's), run none")
    p.set_defaults(func=main)
    return p


def flash(args) -> int:
    """The target's own `make flash` (the one place the flash command is written), or with
    --dry-run what make would run, without running it."""
    from gnc.cli.common import UsageError
    from gnc.hil.emulate import FIRMWARE, TARGETS

    folder = FIRMWARE / TARGETS[args.target].folder
    if args.target not in FLASH_TOOLS:
        raise UsageError(f"gnc board flash does not program the {args.target}: an MPS2 loads its image from "
                         f"its configuration USB drive (Arm's AN500 manual); gnc board emulate {args.target} runs it")
    if args.target == "avr" and not args.port:
        raise UsageError("gnc board flash avr needs --port, the board's serial port (e.g. --port /dev/ttyACM0)")
    if args.target != "avr" and args.port:
        raise UsageError(f"--port is for the avr board: the {args.target} is flashed through "
                         f"{FLASHED_THROUGH[args.target]}")
    if args.variant and args.target != "stm32f4":
        raise UsageError("--variant is for the stm32f4 board")
    goals = ["flash"] + ([f"PORT={args.port}"] if args.port else []) + ([f"BAUD={args.baud}"] if args.baud else [])
    if args.target == "stm32f4":
        goals.append(f"BOARD={args.variant or STM32F4_VARIANTS[0]}")
    if not shutil.which("make"):
        raise UsageError("gnc board flash needs make (apt-get install make)")
    if args.dry_run:
        p = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(folder), *goals],
                           capture_output=True, text=True)
        if p.returncode:
            raise UsageError(f"make -n flash in {folder} failed: {(p.stderr or p.stdout).strip()}")
        print(f"# in {folder}, `make {' '.join(goals)}` would run:")
        print(p.stdout.rstrip())
        return 0
    if args.port and not Path(args.port).exists():
        raise UsageError(f"--port {args.port}: no such port (is the board plugged in? ls /dev/ttyACM* /dev/ttyUSB*)")
    tools, packages = FLASH_TOOLS[args.target]
    if not any(shutil.which(t) for t in tools):
        raise UsageError(f"flashing the {args.target} board needs {' or '.join(tools)} "
                         f"(Debian: {packages}); --dry-run prints the commands")
    return subprocess.run(["make", "--no-print-directory", "-C", str(folder), *goals]).returncode


def main(args) -> int:
    from gnc.cli.common import UsageError
    from gnc.hil.emulate import TARGETS, EmulatedBoard, EmulatorUnavailable, build, qemu_targets

    if args.baud is not None and args.baud <= 0:
        raise UsageError(f"--baud must be positive, not {args.baud}")
    if args.icount is not None and (args.target not in qemu_targets() or not 0 <= args.icount <= 10):
        raise UsageError(f"--icount SHIFT is for the QEMU boards ({', '.join(qemu_targets())}), SHIFT 0 .. 10")
    if args.realtime and args.action != "emulate":
        raise UsageError("--realtime is for gnc board emulate")
    if args.action != "flash" and (args.port or args.dry_run or args.variant):
        raise UsageError("--port, --variant and --dry-run are for gnc board flash")
    if args.action == "flash":
        return flash(args)
    try:
        if args.action == "build":
            elf = build(args.target, args.baud)
            tool = SIZE_TOOL.get(args.target, "arm-none-eabi-size")
            print(subprocess.run([tool, str(elf)], capture_output=True, text=True).stdout.rstrip())
            return 0
        board = EmulatedBoard(args.target, args.baud, args.icount, args.realtime)
        # the emulator runs in its own session: stop it on SIGTERM too, not only on Ctrl-C
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        board.start()
    except EmulatorUnavailable as e:
        raise UsageError(str(e)) from None
    try:
        print(f"{TARGETS[args.target].describe}, {board.baud} baud, firmware "
              f"{TARGETS[args.target].firmware(board.baud)}")
        print(f"PORT {board.port}")
        print(f"fly it:  gnc hil --port {board.port} --baud {board.baud} --timeout-ms 2000 descent", flush=True)
        print("Ctrl-C stops the board", file=sys.stderr)
        code = board.proc.wait()
        print(f"the emulator exited ({code})", file=sys.stderr)
        return 1
    finally:
        board.close()
