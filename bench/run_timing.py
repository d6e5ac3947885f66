"""Run timing: `gnc run` as users type it, plots and all, beside the same run without plots.

Measures, in one run and side by side, each command in a new process with a warm numba
cache (one untimed run of each first), the commands taking turns so that whatever else
loads the machine weighs on all of them alike:
  - `gnc run PROGRAM --out <tmp>`: the default command, which draws the PNGs in worker
    processes that get ready during the flight, one per idle core, or in its own process
    after the flight when no core idles (gnc.plotworkers);
  - `gnc run PROGRAM --out <tmp> --no-plots`;
  - the default command with GNC_PLOT_PROCESSES=2 (two drawing processes, whatever the
    load) and with GNC_PLOT_PROCESSES=1 (drawn in the run's own process), the two ways the
    default chooses between;
for the descent and the whole mission.  Wall time per command (median, p99, max), the CPU
time of the command's processes (all of them: user + system), and the plots' share of the
default command's wall time.

With --checkout LABEL=DIR (repeatable) each command is run from each checkout in turn
(`python -P -m gnc.cli` with PYTHONPATH=DIR: before and after a change, side by side, in one
run); without, from the `gnc` console script on PATH.  --variants picks the commands
(default, no-plots, workers, in-process).

    python bench/run_timing.py [--runs N] [--programs descent mission] [--json PATH]
    cd /tmp && python /work/main/bench/run_timing.py --runs 10 --variants default no-plots \
        --checkout before=/tmp/base --checkout after=/work/main     # outside both checkouts
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from loop_timing import machine, summarise


def _matplotlib_version() -> str:
    import matplotlib
    return matplotlib.__version__


TARGETS_S = {"descent": 1.5, "mission": 3.0}      # issue #16: warm `gnc run PROGRAM` with plots
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "run_timing.json"
VARIANTS = {"default": ("", [], {}),
            "no-plots": (" --no-plots", ["--no-plots"], {}),
            "workers": (", plots in 2 workers", [], {"GNC_PLOT_PROCESSES": "2"}),
            "in-process": (", plots in process", [], {"GNC_PLOT_PROCESSES": "1"})}


def running_tasks():
    """Tasks running now, machine-wide (/proc/loadavg, this one among them), or None."""
    try:
        with open("/proc/loadavg") as f:
            return int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None


def run_once(cmd, env):
    """(wall s, CPU s of the command and every process it waited for); exit 1 (a run that
    completed without landing) counts as a full run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def gnc_checkouts(specs: list[str]) -> list[tuple]:
    """Where each timed command's gnc comes from: (label prefix, command start, environment,
    where gnc comes from, its commit) per --checkout LABEL=DIR, else the installed `gnc`."""
    checkouts = []
    for spec in specs:
        label, _, folder = spec.partition("=")
        folder = Path(folder or label).resolve()
        commit = subprocess.run(["git", "-C", str(folder), "describe", "--always", "--dirty"], capture_output=True,
                                text=True).stdout.strip() or "not a git checkout"
        # -P: `python -m` would put the working directory first on sys.path, ahead of PYTHONPATH, and
        # run the working tree's gnc for every checkout when started from one
        checkouts.append((f"{label}: ", [sys.executable, "-P", "-m", "gnc.cli"], {"PYTHONPATH": str(folder)},
                          str(folder), commit))
    if not checkouts:
        exe = shutil.which("gnc")
        if exe is None:
            sys.exit("no `gnc` console script on PATH: pip install -e . first")
        which = subprocess.run([sys.executable, "-c", "import gnc; print(gnc.__file__)"], capture_output=True,
                               text=True).stdout.strip()
        commit = subprocess.run(["git", "-C", str(Path(which).parent.parent), "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip()
        checkouts.append(("", [exe], {}, which, commit))
    return checkouts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs of every command (default 5)")
    ap.add_argument("--programs", nargs="+", default=["descent", "mission"], choices=sorted(TARGETS_S))
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--checkout", action="append", default=[], metavar="LABEL=DIR",
                    help="run gnc from this checkout (python -P -m gnc.cli, PYTHONPATH=DIR); repeatable")
    args = ap.parse_args(argv)

    checkouts = gnc_checkouts(args.checkout)
    load_start = os.getloadavg()
    commands = []                                   # (label, program, variant, argv, env)
    with tempfile.TemporaryDirectory() as tmp:
        for program in args.programs:
            for variant in args.variants:
                suffix, extra, env = VARIANTS[variant]
                for prefix, start, where, _, _ in checkouts:
                    out = str(Path(tmp) / f"{program}{len(commands)}")
                    commands.append((f"{prefix}gnc run {program}{suffix}", program, suffix,
                                     [*start, "run", program, "--out", out, *extra], {**os.environ, **where, **env}))
        for label, _, _, cmd, env in commands:      # warm: numba cache, page cache, font cache
            run_once(cmd, env)
        walls = {c[0]: [] for c in commands}
        cpus = {c[0]: [] for c in commands}
        running = {c[0]: [] for c in commands}          # others' tasks at each start: the default's choice
        for _ in range(args.runs):
            for label, _, _, cmd, env in commands:
                running[label].append(running_tasks())
                wall, cpu = run_once(cmd, env)
                walls[label].append(wall)
                cpus[label].append(cpu)
    load_end = os.getloadavg()

    rows = []
    for label, program, suffix, _, _ in commands:
        stats = summarise(walls[label])
        target = ""
        if suffix == "":
            limit = TARGETS_S[program]
            target = f"<= {limit:g} s ({'met' if stats['median'] <= limit else 'MISSED'})"
        rows.append({"name": label, "unit": "s", **stats, "cpu_s_median": float(np.median(cpus[label])),
                     "target": target})
    shares = {}
    for program in args.programs:
        for prefix, *_ in checkouts:
            med = {v: float(np.median(walls[f"{prefix}gnc run {program}{VARIANTS[v][0]}"])) for v in args.variants}
            if "default" not in med or "no-plots" not in med:
                continue
            bare = med["no-plots"]
            share = {"plots_s": med["default"] - bare, "plots_share": (med["default"] - bare) / med["default"]}
            if "in-process" in med and "workers" in med:
                share.update({"plots_in_process_s": med["in-process"] - bare,
                              "plots_in_workers_s": med["workers"] - bare,
                              "workers_speedup": med["in-process"] / med["workers"]})
            shares[f"{prefix}{program}"] = share

    head = f"{'':50} {'median':>8} {'p99':>8} {'max':>8}  {'unit':<4} {'CPU s':>7}  target"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['name']:50} {r['median']:8.3f} {r['p99']:8.3f} {r['max']:8.3f}  {r['unit']:<4} "
              f"{r['cpu_s_median']:7.2f}  {r['target']}")
    print()
    for program, s in shares.items():
        print(f"{program}: plots add {s['plots_s']:.2f} s ({100 * s['plots_share']:.0f} % of the default command)"
              + (f"; in process {s['plots_in_process_s']:.2f} s, in 2 workers {s['plots_in_workers_s']:.2f} s "
                 f"(workers x{s['workers_speedup']:.2f})" if "workers_speedup" in s else ""))
    if "default" in args.variants:
        print(f"tasks running machine-wide as each default command started (the bench's own included): "
              f"{ {c[0]: running[c[0]] for c in commands if c[2] == ''} }")
    print(f"load average (1, 5, 15 min) at start {load_start}, at end {load_end}; "
          f"{os.cpu_count()} CPUs: anything else running inflates every figure")
    for prefix, _, _, which, commit in checkouts:
        print(f"{prefix}gnc from {which} ({commit})")
    print(f"p99 is nearest-rank: with fewer than 100 runs ({args.runs}) it is the max")

    report = {"machine": {**machine(), "matplotlib": _matplotlib_version(), "load_avg_start": load_start,
                          "load_avg_end": load_end},
              "config": {"runs": args.runs, "programs": args.programs, "variants": args.variants, "seed": 0,
                         "checkouts": [{"label": p.rstrip(": "), "gnc": w, "commit": c}
                                       for p, _, _, w, c in checkouts]},
              "figures": rows, "plots": shares,
              "samples_s": walls, "cpu_samples_s": cpus, "running_tasks_at_start": running, "targets_s": TARGETS_S}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
