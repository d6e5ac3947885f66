"""Fingerprints of flown runs: one sha256 of the summary (wall-clock fields left out) and
one of the telemetry per program, build and seed, and one per small Monte Carlo campaign.

A refactor that moves code without changing what it computes must leave every line
the same.  Runs are the same bytes on any machine (docs/reproducibility.md), so a file
saved on one machine compares on another:

    python tools/fingerprint.py --save before.json            # on the old tree
    python tools/fingerprint.py --compare before.json         # on the new one: exit 1 on a difference

--quick flies fewer cases (numba and C double, one dispersed seed).  --ignore-columns GLOB...
leaves the telemetry columns matching any glob out of the telemetry hashes: a change that
adds columns compares with fingerprints saved before it, the new columns left out
(`--ignore-columns '*af.nav_sigma*' '*af.idle_s'`: the mission's columns carry a program
prefix; quote the globs from the shell).
"""
from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import sys

import numpy as np

WALL_KEYS = {"wall_s", "wall_time_s", "realtime_factor", "runs_per_s"}
PROGRAMS = ("descent", "rough", "ascent", "rendezvous", "mission")


def _strip_wall(node):
    if isinstance(node, dict):
        return {k: _strip_wall(v) for k, v in node.items() if k not in WALL_KEYS}
    if isinstance(node, list):
        return [_strip_wall(v) for v in node]
    return node


def summary_hash(summary: dict) -> str:
    text = json.dumps(_strip_wall(summary), sort_keys=True, default=float)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def telemetry_hash(telemetry: dict, ignore: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256()
    for name in sorted(telemetry):
        if any(fnmatch.fnmatchcase(name, glob) for glob in ignore):
            continue
        a = np.ascontiguousarray(telemetry[name])
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def cases(quick: bool):
    builds = ("numba", "c") if quick else ("numba", "c", "c-float")
    seeds = ((0, False), (3, True)) if quick else ((0, False), (3, True), (7, True))
    for program in PROGRAMS:
        for fsw in builds:
            for seed, disperse in seeds:
                if program == "mission" and (fsw == "c-float" or seed == 7):
                    continue        # the longest run: its phases are each covered above
                yield program, fsw, seed, disperse


def fly_all(quick: bool, ignore: tuple[str, ...] = ()) -> dict[str, str]:
    from gnc import programs
    from gnc.scenario import load

    out = {}
    for program, fsw, seed, disperse in cases(quick):
        sc = load(program)
        r = programs.get(sc.program).run(sc, seed, disperse, fsw=fsw)
        key = f"{program} {fsw} seed={seed}{' dispersed' if disperse else ''}"
        out[key] = f"summary {summary_hash(r.summary)} telemetry {telemetry_hash(r.telemetry, ignore)}"
        print(f"{key:40s} {out[key]}", flush=True)
    from gnc import montecarlo
    for name, n in (("descent", 6), ("rendezvous", 2)):
        c = montecarlo.campaign(load(name), n, seed=1, jobs=1)
        key = f"montecarlo {name} -n {n} --seed 1"
        out[key] = f"statistics {summary_hash(c.stats)}"
        print(f"{key:40s} {out[key]}", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--save", metavar="FILE", help="write the fingerprints to FILE (JSON)")
    g.add_argument("--compare", metavar="FILE", help="compare with fingerprints saved in FILE")
    p.add_argument("--quick", action="store_true", help="fewer cases: numba and C double, seeds 0 and 3")
    p.add_argument("--ignore-columns", nargs="+", default=[], metavar="GLOB",
                   help="leave the telemetry columns matching these globs (fnmatch) out of the hashes")
    args = p.parse_args(argv)
    got = fly_all(args.quick, tuple(args.ignore_columns))
    if args.save:
        with open(args.save, "w") as f:
            json.dump(got, f, indent=1)
        return 0
    if args.compare:
        with open(args.compare) as f:
            want = json.load(f)
        shared = sorted(set(got) & set(want))
        diff = [k for k in shared if got[k] != want[k]]
        for k in diff:
            print(f"DIFFERS {k}: was {want[k]}, now {got[k]}")
        print(f"{len(shared) - len(diff)} of {len(shared)} fingerprints identical")
        return 1 if diff or not shared else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
