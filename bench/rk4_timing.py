"""What one step of the vehicle model costs: ns per gnc.core.vehicle.rk4_step as shipped
(derivatives and the gravity inlined, gnc.core.jit.inline_kernel) against the same code
with them called as separate functions (how it was built before: each call passed the
gravity field's arrays across a call boundary, and the step cost twice as much).

    python bench/rk4_timing.py [--steps N] [--batches B] [--json PATH]

Both kernels step a descent's PDI state with the engine on, in one compiled loop of N
steps per batch; the batches alternate between the two, so machine load hits both alike.
Prints median, p99 and max ns per step over the batches and their ratio; writes JSON
(default bench/results/rk4_timing.json).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import FunctionType

import numba

from gnc import scenario
from gnc.core import gravity as G
from gnc.core import vehicle as V
from gnc.programs.descent.assemble import assemble

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine, summarise  # noqa: E402  (a sibling script, not a package)

HERE = Path(__file__).resolve().parent


def called_rk4_step():
    """rk4_step compiled from the shipped source with derivatives and acceleration as
    ordinary (called, not inlined) kernels."""
    njit = numba.njit(nogil=True, error_model="numpy")
    glob = dict(vars(V))
    glob["acceleration"] = njit(G.acceleration.py_func)
    glob["derivatives"] = njit(FunctionType(V.derivatives.py_func.__code__, glob))
    return njit(FunctionType(V.rk4_step.py_func.__code__, glob))


def stepping_loop(step):
    @numba.njit(nogil=True)
    def loop(n, x, vp, w, field, duty, work):
        s = 0.0
        for i in range(n):
            s += step(x, 0.005 * i, vp, w, field, 5000.0, duty, 0.005, work)[2]
        return s
    return loop


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=100_000, help="steps per batch (default 100000)")
    ap.add_argument("--batches", type=int, default=30, help="batches per kernel (default 30)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "rk4_timing.json")
    args = ap.parse_args(argv)
    p = assemble(scenario.load("descent"), 1).plant()
    loops = {"inlined (shipped)": stepping_loop(V.rk4_step), "called": stepping_loop(called_rk4_step())}
    samples = {name: [] for name in loops}
    for batch in range(args.batches + 1):
        for name, loop in loops.items():
            x = p.x.copy()
            t0 = time.perf_counter()
            loop(args.steps, x, p.vp, p.w, p.field, p.duty, p.work)
            if batch:                          # the first batch compiles
                samples[name].append((time.perf_counter() - t0) / args.steps * 1e9)
    rows = {name: summarise(s) for name, s in samples.items()}
    floor = rows["inlined (shipped)"]["median"]
    print(f"rk4_step, ns per step: {args.batches} batches of {args.steps} steps, alternating")
    print(f"{'kernel':<20}{'median':>9}{'p99':>9}{'max':>9}{'ratio':>8}")
    for name, r in rows.items():
        print(f"{name:<20}{r['median']:>9.0f}{r['p99']:>9.0f}{r['max']:>9.0f}{r['median'] / floor:>8.2f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "steps": args.steps, "rows": rows}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
