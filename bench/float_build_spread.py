"""The float C build's one-step errors against the numba reference over many seeds, and
the bounds tests/test_c_build.py derives from them (ONE_STEP, FLOAT_ORBIT): twice the
worst seed, rounded up to 1, 2 or 5 in its decade.

    python bench/float_build_spread.py                       every program, this machine
    python bench/float_build_spread.py --program ascent --seeds 8
    python bench/float_build_spread.py --older-x86-64        the same, also flown as an older
                                                             x86-64 would (tests/test_reproducible.py's
                                                             environment), side by side

Each seed records a reference closed-loop flight (odd seeds dispersed) and replays its
sensor frames through the float build one step at a time from the reference state.
Writes bench/results/float_build_spread.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

PROGRAMS = {"descent": 8, "ascent": 8, "rendezvous": 4}     # default seeds per program


def bound(worst: float) -> float:
    """2 x worst, rounded up to 1, 2 or 5 times a power of ten."""
    if worst <= 0.0:
        return 0.0
    x = 2.0 * worst
    decade = 10.0 ** math.floor(math.log10(x))
    return next(m * decade for m in (1, 2, 5, 10) if m * decade >= x * (1 - 1e-12))


def measure(program: str, seeds: int) -> dict[str, list[dict]]:
    """case -> one metrics dict per seed."""
    import test_c_build as T
    out: dict[str, list[dict]] = {}
    for seed in range(seeds):
        disperse = seed % 2 == 1
        if program == "descent":
            out.setdefault("descent", []).append(T.descent_one_step(seed, disperse))
        elif program == "ascent":
            out.setdefault("ascent", []).append(T.orbit_one_step("ascent", seed, disperse))
        else:
            for kind in ("rendezvous-chaser", "rendezvous-target"):
                out.setdefault(kind, []).append(T.orbit_one_step(kind, seed, disperse))
        print(f"  {program} seed {seed} done", file=sys.stderr, flush=True)
    return out


def current_bounds() -> dict[str, dict]:
    import test_c_build as T
    return {"descent": T.ONE_STEP, **T.FLOAT_ORBIT}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--program", choices=list(PROGRAMS), action="append",
                    help="program to measure (repeatable; default: all)")
    ap.add_argument("--seeds", type=int, help="seeds per program (default: 8 descent and ascent, 4 rendezvous)")
    ap.add_argument("--older-x86-64", action="store_true",
                    help="also measure in a process set up as an older x86-64 (no AVX, no FMA libm, generic BLAS)")
    ap.add_argument("--json", help=argparse.SUPPRESS)       # the child process's output file
    args = ap.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        ap.error("--seeds must be at least 1")
    programs = args.program or list(PROGRAMS)
    results = {}
    for program in programs:
        results.update(measure(program, args.seeds or PROGRAMS[program]))
    if args.json:
        Path(args.json).write_text(json.dumps(results))
        return 0
    older = None
    if args.older_x86_64:
        from test_reproducible import OLDER_X86_64
        child = ROOT / "bench" / "results" / "float_build_spread.older.json"
        cmd = [sys.executable, __file__, "--json", str(child)] + sum((["--program", p] for p in programs), [])
        if args.seeds:
            cmd += ["--seeds", str(args.seeds)]
        subprocess.run(cmd, env={**os.environ, **OLDER_X86_64}, check=True)
        older = json.loads(child.read_text())
        child.unlink()
    bounds = current_bounds()
    table = {}
    print(f"{'case':18s} {'metric':12s} {'worst seed':>11s} {'derived':>9s} {'in test':>9s}"
          + (f" {'older x86-64 worst':>19s}" if older else ""))
    for case, per_seed in results.items():
        for metric in per_seed[0]:
            worst = max(m[metric] for m in per_seed)
            row = {"worst": worst, "bound": bound(worst), "in_test": bounds.get(case, {}).get(metric)}
            line = f"{case:18s} {metric:12s} {worst:11.3g} {row['bound']:9.3g} {str(row['in_test']):>9s}"
            if older:
                row["older_worst"] = max(m[metric] for m in older[case])
                line += f" {row['older_worst']:19.3g}" + ("" if row["older_worst"] == worst else "  DIFFERS")
            table.setdefault(case, {})[metric] = row
            print(line)
    out = ROOT / "bench" / "results" / "float_build_spread.json"
    out.write_text(json.dumps({"seeds": {p: args.seeds or PROGRAMS[p] for p in programs}, "table": table}, indent=1))
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
