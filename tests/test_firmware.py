"""The flight firmware on emulated boards, through real pseudo-terminals and pyserial:
csrc/firmware/<target> built by its Makefile with the cross compiler, run by simavr
(ATmega2560) or QEMU (STM32F405, Cortex-M4F; MPS2 AN500, Cortex-M7; BBC micro:bit, Cortex-M0;
HiFive1 Rev B, RISC-V RV32IMAC), flown by the HIL session.

Needs Debian's gcc-avr avr-libc libsimavr-dev (avr), gcc-arm-none-eabi libnewlib-arm-none-eabi
qemu-system-arm (stm32f4, mps2-an500, microbit), gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
qemu-system-misc (sifive_e), arduino-core-avr and arduino-mk (the Arduino sketch): without them the
tests skip, and fail instead when CI=true.

The two full descents take minutes each: on the ATmega2560 the scenario's 50 Hz, 44,000
lockstep steps (simavr runs the AVR at ~5x its real speed); on the Cortex-M4F 10 Hz, 8,800
steps, since QEMU hands over one received byte per main-loop turn and a step costs it
~10-12 ms on the 2-core machine, idle or busy.  The fault cases fly a few hundred steps and then end
the session by killing the board, which is itself the port-gone case.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from scripted import Scripted

from gnc import telemetry, wire
from gnc.hil.board import Board
from gnc.hil.emulate import FIRMWARE, TARGETS, EmulatedBoard, missing
from gnc.hil.link import round_trip_wire_time
from gnc.hil.session import SILENT_PERIODS, run_session
from gnc.hil.transport import SerialTransport, StubTransport
from gnc.programs.descent.run import run
from gnc.scenario import load

SC = load("descent")
# The boards fly 10 Hz under CI (a few thousand exchanges at QEMU's and simavr's ~100-200 a
# second); the flight rate, 50 Hz, is `-m long` on the AVR, whose soft float and avr-libc stray
# furthest from the float build that test_c_build flies at 50 Hz in process.
M4F_SC = load("descent", ["sim.fsw_rate_hz=10"])
PERIOD = 1.0 / SC.sim.fsw_rate_hz
CI = os.environ.get("CI") == "true"
TIMEOUT_S = 2.0               # lockstep: an emulator sharing 2 cores may answer late, not never
SILENCE_WINDOW_S = 2.0        # lockstep tests of a frozen board: declared silent after this, not the default
DESCENT_DEADLINE_S = 1500     # against hangs, not a speed limit
MISSION_DEADLINE_S = 2400
SHORT_DEADLINE_S = 120
REPLY_WAIT_S = 30.0           # for an answer that never comes, not a speed limit: the board answers in ms


def need(target: str) -> None:
    why = missing(target)
    if why:
        if CI:
            pytest.fail(why + " (CI=true requires it)")
        pytest.skip(why)


@pytest.fixture
def deadline(request):
    """deadline(s): fail a test that hangs instead of hanging the suite."""
    def arm(seconds: int) -> None:
        def expired(signum, frame):
            raise TimeoutError(f"{request.node.name} ran past its {seconds} s deadline")
        signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)

    yield arm
    signal.alarm(0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


@pytest.fixture
def avr():
    need("avr")
    with EmulatedBoard("avr") as board:
        yield board


def _ends_session(board):
    return lambda link: board.kill()


def _landed_like_gnc_run(summary: dict, sc) -> None:
    """Landed within the [touchdown] limits, through every phase `gnc run` flies with sc and seed 0."""
    assert summary["outcome"] == "landed", summary["failures"]
    assert [p["name"] for p in summary["phases"]] == [p["name"] for p in run(sc, 0).summary["phases"]]


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


def test_the_microbit_build_fits_the_nrf51822_and_make_size_says_what_it_needs(tmp_path):
    """16 KB of RAM: the static data and at least the linker script's 2 KB of stack (the
    link fails otherwise); make size states both against the chip's."""
    need("microbit")
    p = subprocess.run(["make", "-s", "-C", str(FIRMWARE / "microbit"), f"BUILD={tmp_path}", "size"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    line = p.stdout.strip().splitlines()[-1]
    print("\n" + line)
    words = line.split()  # "nrf51822 needs F B flash (has 262144) and R B static RAM (has 16384, of which S left ...)"
    flash, ram, stack = int(words[2]), int(words[words.index("static") - 2]), int(words[words.index("left") - 1])
    assert 0 < flash <= 256 * 1024 and ram + stack == 16 * 1024 and stack >= 2048, line


def test_the_sifive_e_build_fits_the_fe310_and_make_size_says_what_it_needs(tmp_path):
    """The FE310's 16 KB of DTIM hold the static data and at least the link script's 2 KB of
    stack (the link fails otherwise); make size states both against the chip's."""
    need("sifive_e")
    p = subprocess.run(["make", "-s", "-C", str(FIRMWARE / "sifive_e"), f"BUILD={tmp_path}", "size"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    line = p.stdout.strip().splitlines()[-1]
    print("\n" + line)
    words = line.split()  # "fe310-g002 needs F B flash (has ...) and R B static RAM (has 16384, of which S left ...)"
    flash, ram, stack = int(words[2]), int(words[words.index("static") - 2]), int(words[words.index("left") - 1])
    assert 0 < flash <= 4 * 1024 * 1024 - 64 * 1024 and ram + stack == 16 * 1024 and stack >= 2048, line


# ---------------------------------------------------------------- full descents

AVR_RATES = [10, pytest.param(50, marks=pytest.mark.long)]


def _fly_on_the_emulated_avr(program: str, out, rate_hz: int):
    """`gnc hil --emulate avr PROGRAM` at rate_hz: (process, summary, link), the exit status
    0 and the board's hello checked."""
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--emulate", "avr", program, "--out", str(out),
                        "--no-plots", "--set", f"sim.fsw_rate_hz={rate_hz}"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    link = json.loads((out / "link.json").read_text())
    assert link["handshakes"][0]["board"].startswith("atmega2560 f32")
    return p, json.loads((out / "summary.json").read_text()), link


@pytest.mark.parametrize("rate_hz", AVR_RATES, ids=["10Hz", "50Hz"])
def test_emulated_avr_flies_the_descent_and_lands(deadline, tmp_path, rate_hz):
    """The one-command path: build, start simavr, lockstep session, teardown.  At 50 Hz, the
    flight rate, the descent is ~41,000 exchanges (~6 min under CI): `-m long`; CI flies
    it at 10 Hz, ~8,800 exchanges, as the Cortex-M4F does."""
    need("avr")
    deadline(DESCENT_DEADLINE_S)
    p, summary, link = _fly_on_the_emulated_avr("descent", tmp_path, rate_hz)
    _landed_like_gnc_run(summary, load("descent", [f"sim.fsw_rate_hz={rate_hz}"]))
    assert abs(link["steps"] - summary["duration_s"] * rate_hz) <= 1, "every step an exchange with the board"
    assert link["frames"]["lost"] == link["frames"]["held_steps"] == 0
    board_step = telemetry.read(tmp_path / "link.arrow").column("board_step").to_numpy()
    cycles = board_step * 16e6                     # the hello says clock_hz = 16 MHz: real AVR cycles
    assert np.all(cycles[np.isfinite(cycles)] > 1000)
    print(f"\nemulated ATmega2560: {link['steps']} steps, board step p50 {np.nanmedian(cycles):,.0f} cycles; "
          + p.stdout.splitlines()[-1])
    # torn down: this emulator, not any simavr of another session sharing the machine
    pid = int(re.search(r"emulated avr board on \S+, process (\d+)", p.stderr).group(1))
    assert not os.path.exists(f"/proc/{pid}")


PACE_SLACK_S = 0.001     # simavr_host sleeps once 0.5 ms ahead and looks every 50 us of simulated time


def test_a_paced_avr_is_never_ahead_of_the_wall_clock_and_says_how_far_behind(deadline):
    """simavr runs the AVR several times faster than 16 MHz; paced (realtime=True, as `gnc hil
    --emulate avr --mode realtime` starts it), its simulated time never runs ahead of the wall
    clock, and the lag it reports covers how far behind it ended.  The firmware spins on its
    UART meanwhile, so the cycles run on."""
    need("avr")
    deadline(SHORT_DEADLINE_S)
    with EmulatedBoard("avr", realtime=True) as board:
        time.sleep(3.0)
        os.killpg(board.proc.pid, signal.SIGTERM)
        text = board.proc.stdout.read().decode()
    m = re.search(r"STOP signal after ([\d.]+) s simulated, ([\d.]+) s wall, paced, at most ([\d.]+) ms behind", text)
    assert m, text
    simulated, wall, lag = float(m.group(1)), float(m.group(2)), float(m.group(3)) * 1e-3
    assert simulated <= wall + PACE_SLACK_S, text
    assert wall - simulated <= lag + PACE_SLACK_S, text
    print(f"\npaced ATmega2560: {simulated:.3f} s simulated in {wall:.3f} s wall, at most {1e3 * lag:.1f} ms behind")


@pytest.mark.long
def test_a_real_time_descent_on_the_paced_avr_at_10_hz_lands_with_no_overrun(deadline, tmp_path):
    """The AVR flies the descent in real time at its own speed (paced simavr) at 10 Hz, the
    rate it sustains (docs/firmware.md: its worst step and the wire fill ~66 ms of the 100):
    lands, and the host kept every deadline.  An answer may still come late when the host
    itself stalls the emulator (a busy machine), so late answers are printed, not judged.
    ~15 minutes of wall clock, mostly asleep: `python -m pytest -m long`."""
    need("avr")
    deadline(2 * DESCENT_DEADLINE_S)
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--emulate", "avr", "--mode", "realtime", "descent",
                        "--out", str(tmp_path), "--no-plots", "--set", "sim.fsw_rate_hz=10"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "paced to the wall clock" in p.stderr
    summary, link = (json.loads((tmp_path / name).read_text()) for name in ("summary.json", "link.json"))
    _landed_like_gnc_run(summary, load("descent", ["sim.fsw_rate_hz=10"]))
    assert link["overruns"] == 0, link
    worst = link["board_step_s"]["max"] + round_trip_wire_time(TARGETS["avr"].baud)
    assert worst < 0.1, f"the board's own worst step and the wire take {1e3 * worst:.1f} ms of the 100"
    print(f"\nreal-time AVR at 10 Hz: late {link['frames']['late']}, board step max "
          f"{1e3 * link['board_step_s']['max']:.1f} ms")


@pytest.mark.parametrize("target", ["avr", "stm32f4"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_an_emulator_dies_with_the_host_that_started_it(deadline, tmp_path, target, sig):
    """`gnc hil --emulate` killed mid-flight once left simavr_host at 100 % CPU under PID 1."""
    need(target)
    deadline(SHORT_DEADLINE_S)
    host = subprocess.Popen([sys.executable, "-m", "gnc.cli", "hil", "--emulate", target, "descent", "--out",
                             str(tmp_path), "--no-plots"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    text = b""
    while not (m := re.search(rb"emulated \S+ board on \S+, process (\d+)", text)):
        chunk = os.read(host.stderr.fileno(), 4096)
        assert chunk, f"the host exited ({host.wait()}) before it started the emulator: {text[-2000:]!r}"
        text += chunk
    pid = int(m.group(1))
    time.sleep(1.0)                                   # flying now
    host.send_signal(sig)
    host.wait()
    host.stderr.close()
    end = time.monotonic() + 10.0
    while os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" and time.monotonic() < end:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}") or _state(pid) == "Z", f"emulator {pid} outlived its host"


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


@pytest.mark.parametrize("rate_hz", AVR_RATES, ids=["10Hz", "50Hz"])
def test_emulated_avr_flies_the_ascent_to_orbit(deadline, tmp_path, rate_hz):
    """The ascent program on the ATmega2560's soft float: inserted within the [target] limits,
    as `gnc run ascent` judges it.  50 Hz, the flight rate, is ~3 min under CI: `-m long`."""
    need("avr")
    deadline(DESCENT_DEADLINE_S)
    _, summary, link = _fly_on_the_emulated_avr("ascent", tmp_path, rate_hz)
    assert summary["outcome"] == "inserted" and summary["failures"] == []
    assert [ph["name"] for ph in link["phases"]] == ["ascent"]
    assert link["frames"]["lost"] == link["frames"]["held_steps"] == 0
    print(f"\nemulated ATmega2560, ascent: {link['steps']} steps, insertion errors {summary['insertion']['errors']}")


@pytest.mark.long
def test_emulated_cortex_m4f_flies_the_whole_mission_over_one_link(deadline, tmp_path):
    """`gnc hil --emulate stm32f4 mission`: the board is the lander-ascender's computer from
    the descent through the surface stay and the ascent to the capture, over one link.
    ~134,000 exchanges at QEMU's ~100-150 lockstep exchanges a second (its USART takes a
    byte per main-loop turn): longer than CI allows, so `python -m pytest -m long`."""
    need("stm32f4")
    deadline(MISSION_DEADLINE_S)
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--emulate", "stm32f4", "mission", "--out",
                        str(tmp_path), "--no-plots"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["outcome"] == "captured" and summary["failures"] == []
    assert summary["descent"]["outcome"] == "landed" and summary["ascent"]["outcome"] == "inserted"
    link = json.loads((tmp_path / "link.json").read_text())
    assert [ph["name"] for ph in link["phases"]] == ["descent", "ascent", "rendezvous"]
    assert [h["board"].split()[0] for h in link["handshakes"]] == ["netduinoplus2", "netduinoplus2"]
    assert any(e["event"] == "uplink" and e["flight"] == "rendezvous" for e in link["events"])
    assert link["frames"]["lost"] == link["frames"]["held_steps"] == 0
    assert {f"telemetry-{phase}.arrow" for phase in ("descent", "ascent", "rendezvous")} <= {
        p.name for p in tmp_path.iterdir()}
    print(f"\nemulated STM32F405, mission: {link['steps']} exchanges, "
          + ", ".join(f"{ph['name']} {ph['steps']}" for ph in link["phases"]))


def test_emulated_cortex_m4f_flies_the_descent_at_10_hz_and_lands(deadline):
    need("stm32f4")
    deadline(DESCENT_DEADLINE_S)
    with EmulatedBoard("stm32f4") as board:
        r = run_session(M4F_SC, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    _landed_like_gnc_run(r.summary, M4F_SC)
    assert len(r.telemetry["t"]) == r.link["steps"] and r.link["frames"]["lost"] == r.link["frames"]["held_steps"] == 0
    hello = r.link["handshakes"][0]["board"]
    assert hello.startswith("netduinoplus2 f32")
    print(f"\nemulated STM32F405: {r.link['steps']} steps, round trip p50 "
          f"{r.link['round_trip_s']['p50'] * 1e3:.2f} ms")


def test_emulated_cortex_m7_flies_the_descent_in_double_step_for_step_as_the_reference(deadline):
    """The M7 flies the double build on its FPU: with the portable math functions
    (csrc/pmath.c) and strict C99's unfused multiply-adds, every number it answers is the
    numba reference's behind the same codec (the stub board), step for step; only the
    board's own step time differs."""
    need("mps2-an500")
    deadline(DESCENT_DEADLINE_S)
    with EmulatedBoard("mps2-an500") as board:
        r = run_session(M4F_SC, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    _landed_like_gnc_run(r.summary, M4F_SC)
    assert len(r.telemetry["t"]) == r.link["steps"] and r.link["frames"]["lost"] == r.link["frames"]["held_steps"] == 0
    assert r.link["board"]["name"].startswith("mps2-an500 f64") and r.link["board"]["real_size"] == 8
    reference = run_session(M4F_SC, StubTransport(Board("numba")), timeout_s=TIMEOUT_S).telemetry
    assert set(r.telemetry) == set(reference)
    for name in sorted(set(reference) - {"af.step_cycles"}):
        np.testing.assert_array_equal(r.telemetry[name], reference[name], err_msg=name)
    print(f"\nemulated Cortex-M7 (double): {r.link['steps']} steps as the reference's, round trip p50 "
          f"{r.link['round_trip_s']['p50'] * 1e3:.2f} ms")


def test_emulated_cortex_m0_flies_the_descent_at_10_hz_and_lands(deadline):
    """The micro:bit's M0 has no FPU: every float operation of the step is a libgcc call,
    and the whole flight software lives in 16 KB of RAM."""
    need("microbit")
    deadline(DESCENT_DEADLINE_S)
    with EmulatedBoard("microbit") as board:
        r = run_session(M4F_SC, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    _landed_like_gnc_run(r.summary, M4F_SC)
    f = r.link["frames"]
    assert len(r.telemetry["t"]) == r.link["steps"] == f["on_time"] and f["lost"] == f["held_steps"] == 0
    assert r.link["board"]["name"] == "microbit f32 reset:power-on" and r.link["board"]["real_size"] == 4
    print(f"\nemulated Cortex-M0: {r.link['steps']} steps, board step p50 "
          f"{r.link['board_step_s']['p50'] * 1e3:.2f} ms")


def test_emulated_risc_v_flies_the_descent_at_5_hz_and_lands(deadline):
    """The HiFive1 Rev B's RV32IMAC has no FPU (soft float) and 16 KB of RAM.  5 Hz: QEMU's
    sifive_e UART takes one byte per main-loop turn, so a step costs the host several ms."""
    need("sifive_e")
    deadline(DESCENT_DEADLINE_S)
    sc = load("descent", ["sim.fsw_rate_hz=5"])
    with EmulatedBoard("sifive_e") as board:
        r = run_session(sc, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    _landed_like_gnc_run(r.summary, sc)
    f = r.link["frames"]
    assert len(r.telemetry["t"]) == r.link["steps"] == f["on_time"] and f["lost"] == f["held_steps"] == 0
    assert r.link["board"]["name"] == "sifive_e f32 reset:power-on" and r.link["board"]["real_size"] == 4
    print(f"\nemulated RV32IMAC: {r.link['steps']} steps, board step p50 "
          f"{r.link['board_step_s']['p50'] * 1e3:.2f} ms")


def test_emulated_risc_v_says_power_on_then_warm_across_a_reset_and_counts_virtual_time(deadline):
    """QEMU 7.2 keeps no reset cause for the FE310: the marker outside .bss tells the first
    start from a reset.  Under -icount its mcycle counts virtual nanoseconds, which the
    firmware measures against the CLINT at every start: the hello says 1 GHz."""
    need("sifive_e")
    deadline(SHORT_DEADLINE_S)
    with EmulatedBoard("sifive_e", icount=3) as board:
        r = run_session(M4F_SC, Scripted(board.port, board.baud, {150: lambda link: board.reset(),
                                                                  300: _ends_session(board)}),
                        on_reset="resume", timeout_s=TIMEOUT_S)
    assert [e["event"] for e in r.link["events"]][:2] == ["board reset", "resumed"]
    assert [h["board"] for h in r.link["handshakes"]] == ["sifive_e f32 reset:power-on", "sifive_e f32 reset:warm"]
    assert r.link["board"]["clock_hz"] == 1_000_000_000            # the hello after the reset
    assert len(r.telemetry["t"]) >= 290


def test_the_risc_v_double_build_answers_with_the_references_numbers(deadline, tmp_path):
    """REAL=double on the FE310 (soft double: libgcc's __muldf3, ... and pmath.c): the first
    200 steps of the 10 Hz descent, every telemetry column but the step time, equal the stub
    board's running the numba reference, as the M7's double build does over a whole descent."""
    need("sifive_e")
    deadline(SHORT_DEADLINE_S)
    p = subprocess.run(["make", "-s", "-C", str(FIRMWARE / "sifive_e"), "REAL=double", f"BUILD={tmp_path}", "all"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    board = EmulatedBoard("sifive_e").start(elf=tmp_path / "firmware.elf")
    try:
        r = run_session(M4F_SC, Scripted(board.port, board.baud, {200: _ends_session(board)}), timeout_s=TIMEOUT_S)
    finally:
        board.close()
    assert r.link["board"]["name"] == "sifive_e f64 reset:power-on" and r.link["board"]["real_size"] == 8
    n = len(r.telemetry["t"])
    assert n >= 190
    reference = run_session(M4F_SC, StubTransport(Board("numba")), timeout_s=TIMEOUT_S).telemetry
    for name in sorted(set(reference) - {"af.step_cycles"}):
        np.testing.assert_array_equal(r.telemetry[name], reference[name][:n], err_msg=name)


def test_emulated_cortex_m7_says_power_on_then_warm_across_a_reset_and_is_resumed(deadline):
    """The M7 and the MPS2 keep no reset cause: a marker outside .bss tells the first start
    from a reset, and the session handshakes again and flies on."""
    need("mps2-an500")
    deadline(SHORT_DEADLINE_S)
    with EmulatedBoard("mps2-an500") as board:
        r = run_session(M4F_SC, Scripted(board.port, board.baud, {150: lambda link: board.reset(),
                                                                  300: _ends_session(board)}),
                        on_reset="resume", timeout_s=TIMEOUT_S)
    assert [e["event"] for e in r.link["events"]][:2] == ["board reset", "resumed"]
    assert [h["board"] for h in r.link["handshakes"]] == ["mps2-an500 f64 reset:power-on",
                                                          "mps2-an500 f64 reset:warm"]
    assert len(r.telemetry["t"]) >= 290


def test_emulated_cortex_m0_says_power_on_then_warm_across_a_reset_and_is_resumed(deadline):
    """The nRF51's reset cause register is not modelled by QEMU: the micro:bit keeps the M7's
    marker outside .bss, and the session handshakes again and flies on."""
    need("microbit")
    deadline(SHORT_DEADLINE_S)
    with EmulatedBoard("microbit") as board:
        r = run_session(M4F_SC, Scripted(board.port, board.baud, {150: lambda link: board.reset(),
                                                                  300: _ends_session(board)}),
                        on_reset="resume", timeout_s=TIMEOUT_S)
    assert [e["event"] for e in r.link["events"]][:2] == ["board reset", "resumed"]
    assert [h["board"] for h in r.link["handshakes"]] == ["microbit f32 reset:power-on", "microbit f32 reset:warm"]
    assert len(r.telemetry["t"]) >= 290


# ---------------------------------------------------------------- protocol details on the firmware

def test_firmware_refuses_a_bad_config_and_answers_an_unconfigured_sensor_frame_with_hello(avr):
    from gnc.core import layout as L
    from gnc.hil.session import Link
    from gnc.programs.descent.assemble import assemble

    cfg = assemble(SC, seed=0).cfg.copy()
    cfg[L.CF_PROGRAM] = 9
    link = Link(SerialTransport(avr.port, avr.baud))
    link.send(b"\x00" + wire.encode_config(7, cfg))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert msg.kind == "log" and msg.seq == 7 and msg.payload == "config bad program 9"
    link.send(wire.encode_sensor(8, np.zeros(L.SF_LEN)))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert msg.kind == "hello" and msg.seq == 8 and msg.payload.real_size == 4
    link.transport.close()


def test_firmware_takes_an_uplink_into_the_running_flight_software_and_refuses_another_program(avr):
    import zlib

    from gnc.core import layout as L
    from gnc.hil.session import Link
    from gnc.programs.descent.assemble import assemble

    cfg = assemble(SC, seed=0).cfg.copy()
    link = Link(SerialTransport(avr.port, avr.baud))
    link.send(b"\x00" + wire.encode_uplink(3, cfg))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert msg.kind == "hello" and msg.seq == 3           # no config yet
    link.send(wire.encode_config(4, cfg))
    assert link.receive(_later(REPLY_WAIT_S)).payload.startswith("config ok")
    sf = np.zeros(L.SF_LEN)
    sf[L.SF_CMD] = 1
    link.send(wire.encode_sensor(5, sf))
    assert link.receive(_later(REPLY_WAIT_S)).kind == "actuator"
    cfg[L.CF_BURN_T] = 1234.5
    link.send(wire.encode_uplink(6, cfg))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert (msg.kind, msg.seq) == ("log", 6)
    assert msg.payload == f"uplink ok {zlib.crc32(wire.LAYOUTS['uplink'].pack(cfg)):08x}"
    cfg[L.CF_PROGRAM] = 3
    link.send(wire.encode_uplink(7, cfg))
    assert link.receive(_later(REPLY_WAIT_S)).payload == "uplink bad program 3"
    sf[L.SF_CMD], sf[L.SF_T] = 0, PERIOD
    link.send(wire.encode_sensor(8, sf))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert (msg.kind, msg.seq) == ("actuator", 8)         # still configured: the flight goes on
    link.transport.close()


def _later(s: float) -> float:
    return time.perf_counter() + s


# ---------------------------------------------------------------- the HIL fault cases, against the emulated AVR

def test_hung_board_in_real_time_is_detected_within_3_periods_and_aborts(avr, deadline):
    """At 10 Hz: a period of 100 ms keeps an emulator on a busy 2-core machine on time
    until it is frozen (at 50 Hz a slow turn of the emulator alone could look silent)."""
    deadline(SHORT_DEADLINE_S)
    sc = load("descent", ["sim.fsw_rate_hz=10"])
    r = run_session(sc, Scripted(avr.port, avr.baud, {150: lambda link: avr.freeze()}), mode="realtime")
    assert r.summary["outcome"] == "aborted" and "silent" in r.summary["failures"][0]
    silent = next(e for e in r.link["events"] if e["event"] == "silent")
    assert 140 <= silent["last_answer_step"] <= 149
    assert silent["step"] - silent["last_answer_step"] <= SILENT_PERIODS


def test_hung_board_hold_keeps_the_last_thrust_for_a_bounded_time(avr, deadline):
    deadline(SHORT_DEADLINE_S)
    hold_s = 0.5
    # every held step waits one timeout for a frozen board: keep it short
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.freeze()}), on_silence="hold",
                    hold_s=hold_s, timeout_s=0.3, silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "aborted" and "hold" in r.summary["failures"][0]
    held = np.flatnonzero(r.link_series["held"])
    assert len(held) == r.link["frames"]["held_steps"] == round(hold_s / PERIOD)
    assert np.all(r.telemetry["af.thrust_cmd"][held] == r.telemetry["af.thrust_cmd"][held[0] - 1])


def test_hung_board_fails_over_to_the_stub_and_lands(avr, deadline):
    deadline(SHORT_DEADLINE_S + 60)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.freeze()}), on_silence="stub",
                    timeout_s=0.5, silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    assert [t["transport"] for t in r.link["transports"]] == ["serial", "stub"]


def test_garbage_on_the_line_is_dropped_by_the_firmware(avr, deadline):
    """Noise ending in a delimiter before every 25th sensor frame: the firmware drops it
    (bad COBS or CRC) and answers the frame that follows; then the board vanishes."""
    deadline(SHORT_DEADLINE_S)
    rng = np.random.default_rng(1)
    noise = {n: (lambda link: link._port.write(rng.integers(1, 256, 40, dtype=np.uint8).tobytes() + b"\x00"))
             for n in range(25, 400, 25)}
    r = run_session(SC, Scripted(avr.port, avr.baud, {**noise, 400: _ends_session(avr)}), timeout_s=TIMEOUT_S)
    f = r.link["frames"]
    # every frame before the kill answered on time; the one in flight at the kill may be lost
    assert f["on_time"] >= 399 and f["held_steps"] == f["corrupted"] == 0 and f["lost"] <= 1


def test_board_vanishing_mid_session_is_one_line_and_keeps_the_telemetry(avr, deadline, tmp_path):
    deadline(SHORT_DEADLINE_S)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: _ends_session(avr)}), timeout_s=TIMEOUT_S)
    assert r.summary["outcome"] == "aborted"
    reason = r.summary["hil"]["abort_reason"]
    assert "\n" not in reason and ("gone" in reason or "silent" in reason), reason
    assert 140 <= len(r.telemetry["t"]) <= 150 and np.isfinite(r.telemetry["alt"]).all()


def test_board_reset_mid_session_is_handshaken_again_and_resumed(avr, deadline):
    deadline(SHORT_DEADLINE_S)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.reset(), 400: _ends_session(avr)}),
                    on_reset="resume", timeout_s=TIMEOUT_S)
    assert [e["event"] for e in r.link["events"]][:2] == ["board reset", "resumed"]
    assert len(r.link["handshakes"]) == 2 and 149 <= r.link["handshakes"][1]["step"] <= 151
    assert len(r.telemetry["t"]) >= 390         # flown on after the reset, until the board vanished


def test_board_reset_mid_session_aborts_by_policy(avr, deadline):
    deadline(SHORT_DEADLINE_S)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.reset()}), on_reset="abort",
                    timeout_s=TIMEOUT_S)
    assert r.summary["outcome"] == "aborted" and "reset" in r.summary["failures"][0]
    assert 149 <= len(r.telemetry["t"]) <= 152


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
        r = run_session(SC, Scripted(board.port, board.baud, {300: _ends_session(board)}), timeout_s=TIMEOUT_S)
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
