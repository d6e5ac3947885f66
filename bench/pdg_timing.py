"""Solve time of the descent's SOCP (gnc.core.pdg): ours (numba, and its C twins csrc/pdg.c in
double and float, called through cffi) against Clarabel, ECOS and
QOCO through their own Python APIs, on the same random instances and the same matrices (no
modelling-layer construction is timed: each reference solver's setup is outside its clock,
its solve inside; ours is one solve call from Python).  N = 25, 50, 100; median/p99/max wall
time and the median process CPU time.
Also ours on the re-plan 1 s along each optimal plan (tf 1 s shorter, N fixed), started cold
and warm from the plan.

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
from gnc.core.pdg.solver_c import CSolver


def _stats(ms, cpu_ms):
    a = np.sort(np.asarray(ms))
    return {"median": float(np.median(a)), "p99": float(a[min(len(a) - 1, int(np.ceil(0.99 * len(a))) - 1)]),
            "max": float(a[-1]), "n": len(a), "cpu_median": float(np.median(cpu_ms))}


class _Clock:
    """Wall and process CPU time of a block, in ms, appended to two lists (CPU time is the
    steadier figure on a shared, loaded machine: it leaves out time spent waiting for a core)."""

    def __init__(self, wall, cpu):
        self.wall, self.cpu = wall, cpu

    def __enter__(self):
        self.t, self.c = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.wall.append((time.perf_counter() - self.t) * 1e3)
        self.cpu.append((time.process_time() - self.c) * 1e3)


def run(count: int, sizes=(25, 50, 100)) -> dict:
    lim = ref.limits()
    out = {}
    for N in sizes:
        rng = np.random.default_rng(N)
        cases = [ref.random_instance(rng) for _ in range(count)]
        P, W = so.setup(N, cases[0][0], lim, cases[0][1])
        so.solve(P, W, False)                         # compiled before any clock
        C = {k: CSolver(k, N, cases[0][0], lim, cases[0][1]) for k in ("c", "c-float")}
        names = ("ours (numba)", "ours (C double)", "ours (C float)", "clarabel", "ecos", "qoco",
                 "ours re-plan cold", "ours re-plan warm", "C double re-plan warm", "C float re-plan warm")
        times = {k: [] for k in names}
        cpu = {k: [] for k in names}
        iters, gaps, replan_iters = [], [], {"cold": [], "warm": []}
        c_status = {"c": [], "c-float": []}
        for st, tf in cases:
            pr.fill(P, st, lim, tf)
            with _Clock(times["ours (numba)"], cpu["ours (numba)"]):
                status = so.solve(P, W, False)
            iters.append(W.info[so.I_ITER])
            for kind, name in (("c", "ours (C double)"), ("c-float", "ours (C float)")):
                C[kind].fill(st, lim, tf)
                with _Clock(times[name], cpu[name]):
                    C[kind].solve()
                c_status[kind].append(C[kind].info[so.I_STATUS] == status)
            solver = ref.clarabel_solver(P)
            with _Clock(times["clarabel"], cpu["clarabel"]):
                theirs = solver.solve()
            if status == so.OPTIMAL and str(theirs.status) == "Solved":
                gaps.append(abs(W.info[so.I_PCOST] - theirs.obj_val) / abs(theirs.obj_val))
            with _Clock(times["ecos"], cpu["ecos"]):
                ref.ecos_solve(P)                     # ECOS's Python API sets up and solves in one call
            q = ref.qoco_solver(P)
            with _Clock(times["qoco"], cpu["qoco"]):
                q.solve()
            if status == so.OPTIMAL:
                pr.fill(P, st, lim, tf)
                so.solve(P, W, False)
                plan = [a.copy() for a in (W.x, W.y, W.z, W.s)]
                pr.fill(P, ref.along(P, W.x, st, lim, 1.0), lim, tf - 1.0)
                for kind in ("cold", "warm"):
                    for a, b in zip((W.x, W.y, W.z, W.s), plan):
                        a[:] = b
                    with _Clock(times[f"ours re-plan {kind}"], cpu[f"ours re-plan {kind}"]):
                        so.solve(P, W, kind == "warm")
                    replan_iters[kind].append(W.info[so.I_ITER])
                nxt = ref.along(P, plan[0], st, lim, 1.0)
                for kind, name in (("c", "C double re-plan warm"), ("c-float", "C float re-plan warm")):
                    C[kind].fill(st, lim, tf)
                    if C[kind].solve() != so.OPTIMAL:
                        continue
                    C[kind].fill(nxt, lim, tf - 1.0)
                    with _Clock(times[name], cpu[name]):
                        C[kind].solve(True)
        out[N] = {"solvers": {k: _stats(v, cpu[k]) for k, v in times.items()},
                  "our_iterations_median": float(np.median(iters)),
                  "replan_iterations_mean": {k: float(np.mean(v)) for k, v in replan_iters.items()},
                  "max_objective_gap_vs_clarabel": float(max(gaps)), "l_entries": int(W.lp[-1]),
                  "c_status_as_numba": {k: f"{sum(v)}/{len(v)}" for k, v in c_status.items()}}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results", "pdg_timing.json"))
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    res = run(args.count)
    load1 = os.getloadavg()[0]
    print(f"{'N':>4} {'solver':<22} {'median ms':>10} {'p99 ms':>9} {'max ms':>9} {'CPU median ms':>14}")
    for N, r in res.items():
        for name, s in r["solvers"].items():
            print(f"{N:>4} {name:<22} {s['median']:>10.2f} {s['p99']:>9.2f} {s['max']:>9.2f} {s['cpu_median']:>14.2f}")
        print(f"     ours: median {r['our_iterations_median']:.0f} iterations, max objective gap "
              f"{r['max_objective_gap_vs_clarabel']:.1e}; re-plan iterations mean cold "
              f"{r['replan_iterations_mean']['cold']:.1f}, warm {r['replan_iterations_mean']['warm']:.1f}; "
              f"C status as numba's: {r['c_status_as_numba']}")
    print(f"load average {load0:.2f} -> {load1:.2f}")
    with open(args.json, "w") as f:
        json.dump({"machine": platform.platform(), "processor": platform.processor(), "load": [load0, load1],
                   "count": args.count, "results": {str(k): v for k, v in res.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
