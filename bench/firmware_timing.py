"""Flight-software step time on the emulated boards, per descent phase, and the highest
control rate each board sustains at 115200 baud and 1 Mbaud.

In one run, a lockstep descent on each emulated board (gnc.hil.emulate), the board timing
every fsw_step itself (the actuator frame's step_cycles):
  - avr: ATmega2560 at 16 MHz in simavr, which is cycle-accurate: exact AVR cycles.
  - stm32f4: STM32F405 in QEMU with -icount shift=S: the firmware's SysTick counts at
    168 MHz of virtual time and every guest instruction takes 2^S ns, so ticks /
    (0.168 * 2^S) are exact guest INSTRUCTION COUNTS, not Cortex-M4 cycles (QEMU models
    no pipeline, flash wait states or FPU latency).
  - mps2-an500: the Cortex-M7 flying the double build, in QEMU with -icount shift=S: the
    same, its SysTick at 25 MHz (one tick is 40 ns: at S=3 a count is good to 5 instructions).
  - microbit: the Cortex-M0 (no FPU, soft float) in QEMU with -icount shift=S: the same, its
    nRF51 TIMER0 at 16 MHz (one tick is 62.5 ns: at S=3 a count is good to 8 instructions).
  - sifive_e: the HiFive1 Rev B's RV32IMAC (no FPU, soft float) in QEMU with -icount shift=S:
    its mcycle, which QEMU counts in nanoseconds of virtual time (the hello says 1 GHz), so
    a count is exact to the instruction.

Highest control rate = 1 / (worst step time + wire time of a sensor and an actuator frame
at the baud rate), the frames back to back as in lockstep.  For the AVR the step time is
max cycles / 16 MHz.  For the M4F and the M7 it is an estimate: max instructions at one
cycle each, at the clock the firmware runs (the M4F's 16 MHz HSI, the AN500's 25 MHz, the
nRF51822's 16 MHz, the FE310's 16 MHz crystal) and at the chip's fastest (168 MHz; a Teensy
4's 600 MHz M7; an RP2040's 133 MHz M0+; the FE310-G002's 320 MHz PLL).

    python bench/firmware_timing.py [--boards avr,stm32f4,mps2-an500,microbit,sifive_e] [--icount S]
                                    [--max-steps N]
                                    [--json PATH]

A full descent is ~44,000 steps: about 5 minutes on simavr and 8 on QEMU with icount on
an idle 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine, percentile  # noqa: E402

from gnc.frames import phase_name  # noqa: E402
from gnc.hil.emulate import EmulatedBoard, icount_insn_seconds, qemu_targets  # noqa: E402
from gnc.hil.link import round_trip_wire_time  # noqa: E402
from gnc.hil.session import run_session  # noqa: E402
from gnc.hil.transport import SerialTransport  # noqa: E402
from gnc.scenario import load  # noqa: E402

BAUDS = (115_200, 1_000_000)
AVR_HZ = 16e6
INSN_HZ = {"stm32f4": {"16 MHz HSI": 16e6, "168 MHz PLL": 168e6},
           "mps2-an500": {"25 MHz AN500": 25e6, "600 MHz Teensy 4": 600e6},
           "microbit": {"16 MHz nRF51822": 16e6, "133 MHz RP2040": 133e6},
           "sifive_e": {"16 MHz HFXOSC": 16e6, "320 MHz FE310 PLL": 320e6}}


class Capped(SerialTransport):
    """Ends the session after max_steps sensor frames by killing the board."""

    def __init__(self, board: EmulatedBoard, max_steps: int | None):
        super().__init__(board.port, board.baud)
        self.board, self.max_steps, self.writes = board, max_steps, 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        if self.max_steps is not None and self.writes > self.max_steps + 2:      # + reset and config
            self.board.kill()
        super().write(data)


def fly(target: str, icount: int | None, max_steps: int | None) -> tuple[dict, np.ndarray, np.ndarray]:
    with EmulatedBoard(target, icount=icount) as board:
        t0 = time.perf_counter()
        r = run_session(load("descent"), Capped(board, max_steps), timeout_s=5.0)
        wall = time.perf_counter() - t0
    hello = r.link["handshakes"][0]
    seconds = r.link_series["board_step"]
    # step_cycles counted the hello's clock; board_step is step_cycles / clock_hz
    counts = seconds * AVR_HZ if target == "avr" else seconds / icount_insn_seconds(icount)
    info = {"board": hello["board"], "steps": r.link["steps"], "outcome": r.summary["outcome"], "wall_s": wall,
            "round_trip_ms_p50": r.link["round_trip_s"]["p50"] * 1e3}
    # a capped session is killed after a sensor frame went out: telemetry holds that step's row,
    # the board's step series has no reply for it
    n = min(len(counts), len(r.telemetry["af.phase"]))
    return info, np.round(counts[:n]), r.telemetry["af.phase"][:n]


def per_phase(counts: np.ndarray, phases: np.ndarray) -> dict:
    ok = np.isfinite(counts)
    rows = {}
    for p in np.unique(phases[ok]).astype(int):
        x = counts[ok & (phases == p)]
        rows[phase_name(p)] = {"n": int(x.size), "p50": percentile(x, 50), "p99": percentile(x, 99),
                                "max": float(x.max())}
    x = counts[ok]
    rows["all"] = {"n": int(x.size), "p50": percentile(x, 50), "p99": percentile(x, 99), "max": float(x.max())}
    return rows


def rates(step_s: float) -> dict:
    return {f"{b}": 1.0 / (step_s + round_trip_wire_time(b)) for b in BAUDS}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", default="avr,stm32f4,mps2-an500,microbit,sifive_e",
                    help="comma-separated: avr, stm32f4, mps2-an500, microbit, sifive_e (default all)")
    ap.add_argument("--icount", type=int, default=3, metavar="S", help="QEMU -icount shift (default 3)")
    ap.add_argument("--max-steps", type=int, metavar="N", help="end each descent after N steps (default: land)")
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "firmware_timing.json")
    args = ap.parse_args()
    out = {"machine": machine(), "max_steps": args.max_steps, "boards": {}}
    for target in args.boards.split(","):
        icount = args.icount if target in qemu_targets() else None
        print(f"flying the descent on the emulated {target} ...", file=sys.stderr, flush=True)
        info, counts, phases = fly(target, icount, args.max_steps)
        unit = "cycles" if target == "avr" else f"instructions (QEMU -icount shift={icount})"
        table = per_phase(counts, phases)
        worst = table["all"]["max"]
        if target == "avr":
            sustain = {"16 MHz": rates(worst / AVR_HZ)}
        else:
            sustain = {clock: rates(worst / hz) for clock, hz in INSN_HZ[target].items()}
        out["boards"][target] = {**info, "unit": unit, "per_phase": table, "highest_rate_hz": sustain}
        print(f"\n{target}: {info['board']}, {info['steps']} steps ({info['outcome']}), {info['wall_s']:.0f} s wall, "
              f"round trip p50 {info['round_trip_ms_p50']:.2f} ms")
        print(f"fsw step, {unit}")
        print(f"  {'phase':<20}{'steps':>7}{'p50':>12}{'p99':>12}{'max':>12}")
        for name, row in table.items():
            print(f"  {name:<20}{row['n']:>7}{row['p50']:>12,.0f}{row['p99']:>12,.0f}{row['max']:>12,.0f}")
        print("highest lockstep control rate (worst step + both frames on the wire):")
        width = max(map(len, sustain))
        for clock, by_baud in sustain.items():
            print(f"  {clock:<{width}}" + "".join(f"{int(b):>9} baud: {hz:6.1f} Hz" for b, hz in by_baud.items()))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2))
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
