"""Solve time of the descent's SOCP (gnc.core.pdg): ours (numba) against Clarabel, ECOS and
QOCO through their own Python APIs, on the same random instances and the same matrices (no
modelling-layer construction is timed: each reference solver's setup is outside its clock,
its solve inside; ours is one solve call from Python).  N = 25, 50, 100; median/p99/max.

    python bench/pdg_timing.py [--count 50] [--json bench/results/pdg_timing.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from gnc import pdg_reference as ref
from gnc.core.pdg import problem as pr
from gnc.core.pdg import solver as so


def _stats(ms):
    a = np.sort(np.asarray(ms))
    return {"median": float(np.median(a)), "p99": float(a[min(len(a) - 1, int(np.ceil(0.99 * len(a))) - 1)]),
            "max": float(a[-1]), "n": len(a)}


def run(count: int, sizes=(25, 50, 100)) -> dict:
    lim = ref.limits()
    out = {}
    for N in sizes:
        rng = np.random.default_rng(N)
        cases = [ref.random_instance(rng) for _ in range(count)]
        P, W = so.setup(N, cases[0][0], lim, cases[0][1])
        so.solve(P, W, False)                         # compiled before any clock
        times = {"ours (numba)": [], "clarabel": [], "ecos": [], "qoco": []}
        iters, gaps = [], []
        for st, tf in cases:
            pr.fill(P, st, lim, tf)
            t = time.perf_counter()
            status = so.solve(P, W, False)
            times["ours (numba)"].append((time.perf_counter() - t) * 1e3)
            iters.append(W.info[so.I_ITER])
            solver = ref.clarabel_solver(P)
            t = time.perf_counter()
            theirs = solver.solve()
            times["clarabel"].append((time.perf_counter() - t) * 1e3)
            if status == so.OPTIMAL and str(theirs.status) == "Solved":
                gaps.append(abs(W.info[so.I_PCOST] - theirs.obj_val) / abs(theirs.obj_val))
            t = time.perf_counter()
            ref.ecos_solve(P)                         # ECOS's Python API sets up and solves in one call
            times["ecos"].append((time.perf_counter() - t) * 1e3)
            q = ref.qoco_solver(P)
            t = time.perf_counter()
            q.solve()
            times["qoco"].append((time.perf_counter() - t) * 1e3)
        out[N] = {"solvers": {k: _stats(v) for k, v in times.items()}, "our_iterations_median": float(np.median(iters)),
                  "max_objective_gap_vs_clarabel": float(max(gaps)), "band": list(W.band.shape)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results", "pdg_timing.json"))
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    res = run(args.count)
    load1 = os.getloadavg()[0]
    print(f"{'N':>4} {'solver':<14} {'median ms':>10} {'p99 ms':>9} {'max ms':>9}")
    for N, r in res.items():
        for name, s in r["solvers"].items():
            print(f"{N:>4} {name:<14} {s['median']:>10.2f} {s['p99']:>9.2f} {s['max']:>9.2f}")
        print(f"     ours: median {r['our_iterations_median']:.0f} iterations, max objective gap "
              f"{r['max_objective_gap_vs_clarabel']:.1e}")
    print(f"load average {load0:.2f} -> {load1:.2f}")
    with open(args.json, "w") as f:
        json.dump({"machine": platform.platform(), "processor": platform.processor(), "load": [load0, load1],
                   "count": args.count, "results": {str(k): v for k, v in res.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
