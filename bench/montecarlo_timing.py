"""Monte Carlo throughput: dispersed descent runs per second on 1 job and on all cores.

    python bench/montecarlo_timing.py [--runs N] [--json PATH]

Times gnc.montecarlo.campaign (threads; the compiled loop releases the GIL) after a
warm-up, and reports runs per second, the speed-up over one job and the parallel
efficiency.  Prints a table and writes JSON (default bench/results/montecarlo_timing.json).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numba

from gnc import montecarlo, scenario

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=60, help="runs per campaign (default 60)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "montecarlo_timing.json")
    args = ap.parse_args(argv)
    sc = scenario.load("descent")
    montecarlo.campaign(sc, 2, seed=1, jobs=1)                 # JIT / cache warm-up
    cores = os.cpu_count() or 1
    load0 = os.getloadavg()[0]
    rows = {}
    for jobs in sorted({1, cores}):
        t0 = time.perf_counter()
        c = montecarlo.campaign(sc, args.runs, seed=7, jobs=jobs)
        wall = time.perf_counter() - t0
        rows[jobs] = {"jobs": jobs, "runs": args.runs, "wall_s": wall, "runs_per_s": args.runs / wall,
                      "landed": c.stats["landed"]}
    base = rows[1]["runs_per_s"]
    for r in rows.values():
        r["speedup"] = r["runs_per_s"] / base
        r["efficiency"] = r["speedup"] / r["jobs"]
    print(f"Monte Carlo throughput, descent, {args.runs} dispersed runs per campaign; "
          f"{platform.processor() or platform.machine()}, {cores} CPUs, numba {numba.__version__}")
    print(f"{'jobs':>5}{'wall s':>10}{'runs/s':>10}{'speed-up':>10}{'efficiency':>12}{'landed':>9}")
    for r in rows.values():
        print(f"{r['jobs']:>5}{r['wall_s']:>10.2f}{r['runs_per_s']:>10.2f}{r['speedup']:>10.2f}"
              f"{r['efficiency']:>12.2f}{r['landed']:>6}/{r['runs']}")
    load1 = os.getloadavg()[0]
    print(f"1-min load average {load0:.2f} at start, {load1:.2f} at end (wall time includes each campaign's "
          "first-run warm-up inside campaign())")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": {"platform": platform.platform(), "cpus": cores,
                                                 "numba": numba.__version__, "load_avg_start": load0,
                                                 "load_avg_end": load1},
                                     "campaigns": list(rows.values())}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
