"""The C twins of the powered-descent solver (csrc/pdg.c) against the numba one on random
feasible instances (gnc.pdg_reference.random_instance, N 20..80, the tests' generator): the
double build's largest differences (status, iterations, objective, solution) and the float
build's objective error and constraint violation against the double answer, with their
spread; the figures tests/test_pdg_c.py's tolerances come from (docs/guidance_pdg.md).

    python bench/pdg_c_spread.py [--count 200] [--seed 15] [--mixed]
"""
from __future__ import annotations

import argparse

import numpy as np

from gnc import pdg_reference as ref
from gnc.core.pdg import problem as pr
from gnc.core.pdg import solver as so
from gnc.core.pdg.solver_c import CSolver


def spread(count: int, seed: int, mixed: bool = False) -> dict:
    spaces = {}
    out = {"status_differs": 0, "iter_differs": 0, "double_obj": [], "double_x": [], "float_failed": 0,
           "float_obj": [], "float_viol": [], "float_iter_minus_double": [], "optimal": 0, "pairs": {}}
    for N, st, tf, lim in ref.draws(seed, count, mixed):
        if N not in spaces:
            spaces[N] = (so.setup(N, st, lim, tf), CSolver("c", N, st, lim, tf), CSolver("c-float", N, st, lim, tf))
        (P, W), C, F = spaces[N]
        pr.fill(P, st, lim, tf)
        C.fill(st, lim, tf)
        F.fill(st, lim, tf)
        s0, s1, s2 = so.solve(P, W, False), C.solve(), F.solve()
        out["status_differs"] += s0 != s1
        out["iter_differs"] += W.info[so.I_ITER] != C.info[so.I_ITER]
        pair = f"numba {so.STATUS[s0]} / float {so.STATUS[s2]}"
        out["pairs"][pair] = out["pairs"].get(pair, 0) + 1
        if s0 != so.OPTIMAL:
            continue
        out["optimal"] += 1
        obj = W.info[so.I_PCOST]
        out["double_obj"].append(abs(C.info[so.I_PCOST] - obj) / abs(obj))
        out["double_x"].append(float(np.abs(C.x - W.x).max()))
        if s2 != so.OPTIMAL:
            out["float_failed"] += 1
            out.setdefault("float_said", []).append(so.STATUS[s2])
            continue
        xf = F.x.astype(np.float64)
        out["float_obj"].append(abs(float(P.c @ xf) - obj) / abs(obj))
        out["float_viol"].append(ref.violation(P, xf))
        out["float_iter_minus_double"].append(int(F.info[so.I_ITER] - W.info[so.I_ITER]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--mixed", action="store_true", help="random_mixed_instance: half made hard, often infeasible")
    args = ap.parse_args()
    r = spread(args.count, args.seed, args.mixed)
    print(f"{args.count} instances, seed {args.seed}: {r['optimal']} optimal (numba)")
    print(f"C double vs numba: status differs {r['status_differs']}, iterations differ {r['iter_differs']}, "
          f"max objective rel diff {max(r['double_obj']):.1e}, max |x| diff {max(r['double_x']):.1e}")
    print("statuses:", ", ".join(f"{k}: {v}" for k, v in sorted(r["pairs"].items())))
    fo, fv = np.array(r["float_obj"]), np.array(r["float_viol"])
    print(f"C float: not optimal on {r['float_failed']} of {r['optimal']} {r.get('float_said', [])}; "
          f"objective rel error vs double "
          f"median {np.median(fo):.1e}, p99 {np.quantile(fo, 0.99):.1e}, max {fo.max():.1e}; "
          f"violation (double data) median {np.median(fv):.1e}, p99 {np.quantile(fv, 0.99):.1e}, max {fv.max():.1e}; "
          f"iterations float - double mean {np.mean(r['float_iter_minus_double']):+.1f}, "
          f"max {max(r['float_iter_minus_double']):+d}")


if __name__ == "__main__":
    main()
