"""Monte Carlo throughput on a Dask cluster of separate processes against local threads.

    python bench/dask_scaling.py [--runs N] [--rounds R] [--workers 1,2,4] [--json PATH]

For each worker count, a `dask scheduler` and that many single-threaded `dask worker`
processes on loopback (gnc.dask_cluster), warmed with one small campaign (each worker loads
the numba cache once); then R rounds, each timing one N-run dispersed descent campaign on
every cluster and on `--jobs 1` and `--jobs <cpus>` threads, interleaved so that load from
elsewhere falls on all alike.  Reports runs/s (median, and the slowest round), the speed-up
over one local job, and the efficiency = speed-up / processes (or jobs).  Every campaign
must land the same runs as the first one (a run is the same bits wherever it flies).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine  # noqa: E402

from gnc import montecarlo, scenario  # noqa: E402
from gnc.dask_cluster import loopback_cluster  # noqa: E402

HERE = Path(__file__).resolve().parent


def _campaign(sc, runs: int, jobs: int = 1, scheduler: str | None = None):
    t0 = time.perf_counter()
    c = montecarlo.campaign(sc, runs, seed=7, jobs=jobs, scheduler=scheduler)
    return runs / (time.perf_counter() - t0), [r["outcome"] for r in c.runs]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=60, help="runs per campaign (default 60)")
    ap.add_argument("--rounds", type=int, default=3, help="timed campaigns per configuration (default 3)")
    ap.add_argument("--workers", default="1,2,4", help="Dask worker counts, comma-separated (default 1,2,4)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "dask_scaling.json")
    args = ap.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    cores = os.cpu_count() or 1
    sc = scenario.load("descent")
    load0 = os.getloadavg()[0]
    configs = {f"--jobs {j}": {"jobs": j, "processes": j} for j in sorted({1, cores})}
    with ExitStack() as stack:
        for w in counts:
            address = stack.enter_context(loopback_cluster(w))
            _campaign(sc, 2 * w, scheduler=address)                  # each worker loads the cache
            configs[f"dask, {w} worker{'s' if w > 1 else ''}"] = {"scheduler": address, "processes": w}
        _campaign(sc, 2, jobs=1)
        samples = {name: [] for name in configs}
        reference = None
        for rnd in range(args.rounds):
            for name, cfg in configs.items():
                rate, outcomes = _campaign(sc, args.runs, jobs=cfg.get("jobs", 1), scheduler=cfg.get("scheduler"))
                reference = reference or outcomes
                if outcomes != reference:
                    raise SystemExit(f"{name}: the campaign landed other outcomes than the first one")
                samples[name].append(rate)
                print(f"round {rnd + 1}/{args.rounds}  {name:<16} {rate:6.2f} runs/s", flush=True)
    base = float(np.median(samples["--jobs 1"]))
    rows = []
    for name, cfg in configs.items():
        med = float(np.median(samples[name]))
        rows.append({"config": name, "processes": cfg["processes"], "runs": args.runs, "runs_per_s": samples[name],
                     "median_runs_per_s": med, "slowest_runs_per_s": min(samples[name]),
                     "speedup": med / base, "efficiency": med / base / cfg["processes"]})
    load1 = os.getloadavg()[0]
    print(f"\nDask vs local threads, descent, {args.runs} dispersed runs per campaign, {args.rounds} rounds; "
          f"{platform.processor() or platform.machine()}, {cores} CPUs")
    print(f"{'configuration':<18}{'runs/s median':>15}{'slowest':>10}{'speed-up':>10}{'efficiency':>12}")
    for r in rows:
        print(f"{r['config']:<18}{r['median_runs_per_s']:>15.2f}{r['slowest_runs_per_s']:>10.2f}"
              f"{r['speedup']:>10.2f}{r['efficiency']:>12.2f}")
    print(f"1-min load average {load0:.2f} at start, {load1:.2f} at end")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": {**machine(), "load_avg_start": load0, "load_avg_end": load1},
                                     "rows": rows}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
