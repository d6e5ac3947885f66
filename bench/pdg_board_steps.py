"""The fuel-optimal law on the emulated STM32F405: instructions a flight-software step takes,
by the law's planning budget (guidance.pdg_step_iters), side by side in one run.

Each budget flies seed 0's descent in lockstep at 10 Hz with N = 21 nodes (the F405's room)
on QEMU's netduinoplus2 under `-icount shift=0`: one guest instruction is 1 ns of virtual time
and the firmware's SysTick counts that time at 168 MHz, so a step's `step_cycles` / 0.168 is
its instruction count (docs/guidance_pdg.md).  SysTick wraps at 2^24 ticks (99.9 M
instructions): a step longer than that is miscounted, and budget 0 (a whole final-time search
in one step, ~0.45 G instructions) is, so its maximum is not reported.

    python bench/pdg_board_steps.py                     # budgets 0, 4, 6, 10 (~2 min each)
    python bench/pdg_board_steps.py --budgets 6 8

Prints per budget: outcome, propellant, the steps' instructions (median, p99, max) and the
worst step's time at 168 MHz and 1 cycle an instruction (a lower bound: the M4F's divides,
square roots, loads and flash wait states take more), against the 10 Hz step's 100 ms.
JSON: bench/results/pdg_board_steps.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from gnc.hil.emulate import EmulatedBoard, icount_insn_seconds
from gnc.hil.session import run_session
from gnc.hil.transport import SerialTransport
from gnc.scenario import load

NODES = 21
RATE_HZ = 10
CLOCK_HZ = 168e6
WRAP_INSN = 2 ** 24 / CLOCK_HZ / icount_insn_seconds(0)    # SysTick's 24 bits at 168 MHz, in instructions


def fly(budget: int) -> dict:
    sc = load("descent", [f"sim.fsw_rate_hz={RATE_HZ}", "guidance.law=pdg", f"guidance.pdg_nodes={NODES}",
                          f"guidance.pdg_step_iters={budget}"])
    t0 = time.perf_counter()
    with EmulatedBoard("stm32f4", icount=0) as board:
        r = run_session(sc, SerialTransport(board.port, board.baud), timeout_s=3600.0)
    wall = time.perf_counter() - t0
    # step_cycles counts SysTick at the hello's 168 MHz; under shift 0 a tick is 1/0.168 instructions
    insn = np.asarray(r.telemetry["af.step_cycles"], float) / CLOCK_HZ / icount_insn_seconds(0)
    s = r.summary
    return {"budget": budget, "outcome": s["outcome"], "propellant_kg": s["propellant_used_kg"],
            "vertical_mps": s["touchdown"]["vertical_speed_mps"] if s.get("touchdown") else None,
            "steps": int(len(insn)), "insn_median": float(np.median(insn)),
            "insn_p99": float(np.percentile(insn, 99)), "insn_max": float(insn.max()),
            "steps_over_1M": int((insn > 1e6).sum()), "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budgets", type=int, nargs="+", default=[0, 4, 6, 10],
                    help="guidance.pdg_step_iters values to fly (default 0 4 6 10)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "pdg_board_steps.json")
    args = ap.parse_args()
    rows = []
    for b in args.budgets:
        row = fly(b)
        rows.append(row)
        worst = "wraps" if b == 0 else f"{row['insn_max'] / CLOCK_HZ * 1e3:6.1f} ms"
        print(f"budget {b:3d}: {row['outcome']}, {row['propellant_kg']:.1f} kg, {row['steps']} steps; "
              f"instructions median {row['insn_median'] / 1e3:.1f} k, p99 {row['insn_p99'] / 1e6:.2f} M, "
              f"max {row['insn_max'] / 1e6:.2f} M ({worst} at 168 MHz, of a {1e3 / RATE_HZ:.0f} ms step); "
              f"{row['steps_over_1M']} steps over 1 M; {row['wall_s']:.0f} s wall", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"nodes": NODES, "rate_hz": RATE_HZ, "wrap_insn": WRAP_INSN, "rows": rows},
                                   indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
