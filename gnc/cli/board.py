"""`gnc board`: build the firmware for a target, or run it on an emulated board.

gnc.cli hooks this in with add_parser(subparsers).
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys

EPILOG = """\
examples:
  gnc board build avr                 make csrc/firmware/avr (ATmega2560) and show its size
  gnc board emulate avr               simavr with the firmware; prints the pty to give gnc hil --port
  gnc board emulate stm32f4 --icount 3
                                      QEMU netduinoplus2, deterministic: step_cycles are then
                                      instruction counts x 0.168 x 2^3 (SysTick at 168 MHz of
                                      virtual time, 2^3 ns per instruction)

`gnc hil --emulate BOARD SCENARIO` builds, starts, flies and stops in one command.
Flashing real boards: docs/firmware.md (make flash PORT=... in the target's folder).
"""


def add_parser(sub) -> argparse.ArgumentParser:
    from gnc.hil.emulate import TARGETS

    p = sub.add_parser("board", help="build the flight firmware, or run it on an emulated board",
                       description="Build the firmware of csrc/firmware/<target> (the unchanged flight "
                                   "kernels, the protocol loop and a board layer), or run it on an emulated "
                                   "board with its serial port on a pseudo-terminal.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("build", "emulate"), help="build: make and show the size; emulate: run it")
    p.add_argument("target", metavar="BOARD", choices=tuple(TARGETS),
                   help="; ".join(f"{t.name}: {t.describe}" for t in TARGETS.values()))
    p.add_argument("--baud", type=int, metavar="B",
                   help="UART baud rate of the build (default: avr 1000000, the fastest exact rate at "
                        "16 MHz; stm32f4 115200, which QEMU ignores)")
    p.add_argument("--icount", type=int, metavar="SHIFT",
                   help="stm32f4: run QEMU with -icount shift=SHIFT (0..10), a deterministic virtual clock")
    p.set_defaults(func=main)
    return p


def main(args) -> int:
    from gnc.cli.common import UsageError
    from gnc.hil.emulate import TARGETS, EmulatedBoard, EmulatorUnavailable, build

    if args.baud is not None and args.baud <= 0:
        raise UsageError(f"--baud must be positive, not {args.baud}")
    if args.icount is not None and (args.target != "stm32f4" or not 0 <= args.icount <= 10):
        raise UsageError("--icount SHIFT is for the stm32f4 board, SHIFT 0 .. 10")
    try:
        if args.action == "build":
            elf = build(args.target, args.baud)
            tool = "avr-size" if args.target == "avr" else "arm-none-eabi-size"
            print(subprocess.run([tool, str(elf)], capture_output=True, text=True).stdout.rstrip())
            return 0
        board = EmulatedBoard(args.target, args.baud, args.icount)
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
