"""What spherical-harmonic gravity costs per evaluation: gnc.core.sh_gravity.sh_gravity at
degree and order 2, 10, 50, 100 and 200, side by side with the point mass + J2 of
gnc.core.moon.gravity (the floor), in one run.

Each sample is the mean time of one evaluation in a batch of evaluations in a compiled
loop (per-call clocks do not exist inside numba; a call from Python would add ~300 ns of
dispatch); positions vary along the batch, a ring at 15 to 100 km altitude through both
poles.  The coefficients are random (the cost does not depend on their values).

    python bench/sh_gravity_timing.py [--batches N] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numba
import numpy as np
from loop_timing import machine, print_table, row, summarise

from gnc.core import moon, sh_gravity

MU = 4.9028001224453001e12
R = 1738.0e3
J2 = 2.0321e-4
DEGREES = (2, 10, 50, 100, 200)
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "sh_gravity_timing.json"


# not cached: numba's cache checks only this file, so a cached loop would go on timing old core code
@numba.njit(cache=False)
def loop_sh(pos, nmax, model, work):
    acc = 0.0
    for k in range(pos.shape[0]):
        ax, ay, az = sh_gravity.sh_gravity(pos[k], MU, R, nmax, model, work)
        acc += ax + ay + az
    return acc


@numba.njit(cache=False)
def loop_j2(pos):
    acc = 0.0
    for k in range(pos.shape[0]):
        ax, ay, az = moon.gravity(pos[k], MU, J2, R)
        acc += ax + ay + az
    return acc


def positions(n):
    """A polar ring, 15 to 100 km up: both poles and the equator on the way."""
    th = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    rr = R + 15e3 + 85e3 * (0.5 + 0.5 * np.sin(7.0 * th))
    return np.stack([rr * np.cos(th) * 0.6, rr * np.cos(th) * 0.8, rr * np.sin(th)], axis=1)


def per_eval_ns(fn, args, batch, batches):
    fn(*args)                          # compile, outside the timed region
    out = []
    for _ in range(batches):
        t0 = time.perf_counter_ns()
        fn(*args)
        out.append((time.perf_counter_ns() - t0) / batch)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=200, help="samples of every row (default 200)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = ap.parse_args(argv)
    if args.batches < 1:
        ap.error("--batches must be at least 1")

    host = machine()
    load_start = os.getloadavg()[0]
    rng = np.random.default_rng(0)
    samples = {}
    batch_of = {}
    # batches of roughly a millisecond or more: the clock's resolution stays negligible
    batch = 20000
    pos = positions(batch)
    samples["j2"] = per_eval_ns(loop_j2, (pos,), batch, args.batches)
    batch_of["j2"] = batch
    for n in DEGREES:
        c = np.tril(rng.normal(0.0, 1e-5, (n + 1, n + 1)))
        s = np.tril(rng.normal(0.0, 1e-5, (n + 1, n + 1)))
        c[0, 0] = 1.0
        model, work = sh_gravity.sh_model(c, s), sh_gravity.sh_work(n)
        batch = max(200, 20000 // max(1, (n // 10) ** 2))
        pos = positions(batch)
        samples[n] = per_eval_ns(loop_sh, (pos, n, model, work), batch, args.batches)
        batch_of[n] = batch
    load_end = os.getloadavg()[0]

    floor = float(np.median(samples["j2"]))
    rows = [row("point mass + J2, moon.gravity (floor)", "ns/eval", summarise(samples["j2"]), floor=floor)]
    for n in DEGREES:
        rows.append(row(f"sh_gravity, degree and order {n}", "ns/eval", summarise(samples[n]), floor=floor))
    print(f"{host['cpu_model']}, {host['cpu_count']} CPUs, numba {host['numba']}; 1-min load "
          f"{load_start:.2f} -> {load_end:.2f} (other work on the machine inflates every figure: upper bounds)")
    print_table(rows)
    result = {
        "machine": {**host, "load_avg_1min_start": load_start, "load_avg_1min_end": load_end},
        "config": {"batches": args.batches, "batch_evaluations": {str(k): v for k, v in batch_of.items()},
                   "altitude_km": [15, 100], "sample": "mean ns per evaluation over one batch in a compiled loop"},
        "figures": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
