"""First run: `gnc run PROGRAM` as a user types it after a fresh install, the numba cache empty.

Each command runs in a new process with a new, empty NUMBA_CACHE_DIR (nothing compiled,
as after `pip install -e .`), the commands taking turns so that whatever else loads the
machine weighs on all of them alike.  Per command: the wall time (median, p99, max), the
CPU time of its processes (its compile workers and plot workers included) and the time
to its first line on standard error (the "compiling" line, issue #16: within 1 s).

With --checkout LABEL=DIR (repeatable) each command is run from each checkout in turn
(`python -P -m gnc.cli` with PYTHONPATH=DIR: before and after a change, side by side, in one
run); without, from the `gnc` console script on PATH.  --env LABEL=NAME=VALUE adds a
variant of every command under that environment (GNC_COMPILE_PROCESSES=1: compiled in
one process).

    python bench/first_run.py [--runs N] [--programs descent mission] [--no-plots]
    cd /tmp && python /work/main/bench/first_run.py --runs 2 --checkout before=/tmp/base --checkout after=/work/main
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from loop_timing import machine, summarise
from run_timing import gnc_checkouts

TARGETS_S = {"descent": 20.0, "mission": 30.0}      # issue #16: first `gnc run PROGRAM` after a fresh install
FIRST_LINE_S = 1.0
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "first_run.json"


def run_cold(cmd, env):
    """(wall s, CPU s of the command and every process it waited for, s to its first stderr
    line) in a fresh NUMBA_CACHE_DIR; exit 1 (flown, not landed) counts as a full run."""
    with tempfile.TemporaryDirectory(prefix="numba-first-run-") as cache:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env={**env, "NUMBA_CACHE_DIR": cache}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        first = p.stderr.readline()
        t_first = time.perf_counter() - t0
        rest = p.stderr.read()
        code = p.wait()
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: exit {code}\n{first}{rest}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), t_first, first.strip()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=2, help="cold runs of every command (default 2)")
    ap.add_argument("--programs", nargs="+", default=["descent", "mission"], choices=sorted(TARGETS_S))
    ap.add_argument("--no-plots", action="store_true", help="time `gnc run PROGRAM --no-plots` instead")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    ap.add_argument("--checkout", action="append", default=[], metavar="LABEL=DIR",
                    help="run gnc from this checkout (python -P -m gnc.cli, PYTHONPATH=DIR); repeatable")
    ap.add_argument("--env", action="append", default=[], metavar="LABEL=NAME=VALUE",
                    help="also every command with NAME=VALUE in its environment, labelled LABEL; repeatable")
    args = ap.parse_args(argv)

    checkouts = gnc_checkouts(args.checkout)
    variants = [("", {})]
    for spec in args.env:
        label, _, assignment = spec.partition("=")
        name, _, value = assignment.partition("=")
        variants.append((f" [{label}]", {name: value}))
    extra = ["--no-plots"] if args.no_plots else []
    load_start = os.getloadavg()
    commands = []                                   # (label, program, argv, env)
    with tempfile.TemporaryDirectory() as tmp:
        for program in args.programs:
            for suffix, venv in variants:
                for prefix, start, where, _, _ in checkouts:
                    out = str(Path(tmp) / f"{program}{len(commands)}")
                    label = f"{prefix}gnc run {program}{' --no-plots' if extra else ''}{suffix}"
                    commands.append((label, program, [*start, "run", program, "--out", out, *extra],
                                     {**os.environ, **where, **venv}))
        samples = {c[0]: {"wall": [], "cpu": [], "first": [], "line": ""} for c in commands}
        for _ in range(args.runs):
            for label, _, cmd, env in commands:
                wall, cpu, first, line = run_cold(cmd, env)
                s = samples[label]
                s["wall"].append(wall)
                s["cpu"].append(cpu)
                s["first"].append(first)
                s["line"] = line
                print(f"  {label}: {wall:.1f} s (CPU {cpu:.1f} s, first line after {first:.2f} s)", flush=True)
    load_end = os.getloadavg()

    rows = []
    for label, program, _, _ in commands:
        s = samples[label]
        stats = summarise(s["wall"])
        limit = TARGETS_S[program]
        rows.append({"name": label, "unit": "s", **stats, "cpu_s_median": float(np.median(s["cpu"])),
                     "first_line_s_max": float(np.max(s["first"])), "first_line": s["line"],
                     "target": f"<= {limit:g} s ({'met' if stats['median'] <= limit else 'MISSED'})"})
    head = f"{'':55} {'median':>8} {'p99':>8} {'max':>8}  {'CPU s':>7} {'1st line':>8}  target"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['name']:55} {r['median']:8.1f} {r['p99']:8.1f} {r['max']:8.1f}  {r['cpu_s_median']:7.1f} "
              f"{r['first_line_s_max']:8.2f}  {r['target']}")
    print(f"\nfirst line (target within {FIRST_LINE_S:g} s): {rows[0]['first_line']!r}")
    print(f"load average (1, 5, 15 min) at start {load_start}, at end {load_end}; "
          f"{os.cpu_count()} CPUs: anything else running inflates every figure")
    for prefix, _, _, which, commit in checkouts:
        print(f"{prefix}gnc from {which} ({commit})")
    print(f"p99 is nearest-rank: with fewer than 100 runs ({args.runs}) it is the max")

    report = {"machine": {**machine(), "load_avg_start": load_start, "load_avg_end": load_end},
              "config": {"runs": args.runs, "programs": args.programs, "no_plots": args.no_plots,
                         "env": args.env, "checkouts": [{"label": p.rstrip(": "), "gnc": w, "commit": c}
                                                        for p, _, _, w, c in checkouts]},
              "figures": rows, "samples": samples, "targets_s": TARGETS_S}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
