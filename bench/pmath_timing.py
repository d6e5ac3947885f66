"""What the portable math costs: ns per call of gnc.core.pmath against libm (math.*, as
numba compiles it) inside a compiled loop, and of pmath.normal against numba's
np.random.standard_normal; side by side in one run, best of 5 passes over 2 million
arguments.

    python bench/pmath_timing.py [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numba
import numpy as np

from gnc.core import pmath

N = 2_000_000
PASSES = 5


def _summing_loop(f):
    @numba.njit
    def loop(x):
        s = 0.0
        for v in x:
            s += f(v)
        return s
    return loop


@numba.njit
def _libm_atan2(v):
    return math.atan2(v, 1.3)


@numba.njit
def _pmath_atan2(v):
    return pmath.atan2(v, 1.3)


@numba.njit
def _numba_normals(n):
    np.random.seed(1)
    s = 0.0
    for _ in range(n):
        s += np.random.standard_normal()
    return s


@numba.njit
def _pmath_normals(n):
    np.random.seed(1)
    s = 0.0
    for _ in range(n):
        s += pmath.normal()
    return s


def best_ns(f, arg) -> float:
    f(arg if not isinstance(arg, np.ndarray) else arg[:10])     # compile
    best = math.inf
    for _ in range(PASSES):
        t0 = time.perf_counter()
        f(arg)
        best = min(best, time.perf_counter() - t0)
    return best / N * 1e9


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="also write the table here")
    args = ap.parse_args(argv)
    x = np.random.default_rng(0).uniform(0.1, 3.0, N)
    rows = {}
    for name in ("sin", "cos", "exp", "log"):
        rows[name] = (best_ns(_summing_loop(getattr(math, name)), x), best_ns(_summing_loop(getattr(pmath, name)), x))
    rows["atan2"] = (best_ns(_summing_loop(_libm_atan2), x), best_ns(_summing_loop(_pmath_atan2), x))
    rows["normal draw"] = (best_ns(_numba_normals, N), best_ns(_pmath_normals, N))
    print(f"{'function':12s} {'libm/numba ns':>14s} {'pmath ns':>9s} {'ratio':>6s}")
    for name, (ref, ours) in rows.items():
        print(f"{name:12s} {ref:14.1f} {ours:9.1f} {ours / ref:6.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({k: {"reference_ns": a, "pmath_ns": b} for k, (a, b) in rows.items()}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
