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

This module holds what the firmware tests (tests/test_firmware_builds.py, _avr.py, _qemu.py) share:
the scenarios they fly, their deadlines and waits, need() for a missing tool, and the landing check
against `gnc run`; tests/conftest.py their fixtures."""
import os

import pytest

from gnc.hil.emulate import missing
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


def ends_session(board):
    return lambda link: board.kill()


def flight_software_columns(telemetry: dict) -> list[str]:
    """The telemetry a board's flight software computes: all but its step time and its link
    counters (what its decoder dropped at boot, say, is the link's, not the numbers')."""
    return sorted(name for name in telemetry if name != "af.step_cycles" and not name.startswith("af.board_"))


def landed_like_gnc_run(summary: dict, sc) -> None:
    """Landed within the [touchdown] limits, through every phase `gnc run` flies with sc and seed 0."""
    assert summary["outcome"] == "landed", summary["failures"]
    assert [p["name"] for p in summary["phases"]] == [p["name"] for p in run(sc, 0).summary["phases"]]


