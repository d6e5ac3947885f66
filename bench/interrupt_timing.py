"""How long `gnc montecarlo` takes to exit after Ctrl-C, and what it kept.

    python bench/interrupt_timing.py [--after S] [--repeats K] [--json PATH]

For the descent and the rendezvous, with and without plots: a real `gnc montecarlo -n 5000
--jobs 2` process, SIGINT (as a terminal's Ctrl-C) once it has flown for --after seconds,
and the seconds from the signal to its exit; the queued runs are cancelled at once, the
runs in flight end (compiled code is not interrupted), then montecarlo.json, the plots of
the finished runs and report.html are written.  Median and max over --repeats; prints a
table and writes JSON (default bench/results/interrupt_timing.json).
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine  # noqa: E402

HERE = Path(__file__).resolve().parent
# a suite or a shell started in the background may leave SIGINT ignored: Ctrl-C as in a terminal
CTRL_C_AS_IN_A_TERMINAL = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                           "from gnc.cli import main; sys.exit(main(sys.argv[1:]))")


def interrupted(scenario: str, plots: bool, after_s: float, out: Path) -> tuple[float, int]:
    """(seconds from SIGINT to exit, runs written) of one campaign."""
    p = subprocess.Popen([sys.executable, "-c", CTRL_C_AS_IN_A_TERMINAL, "montecarlo", scenario, "-n", "5000",
                          "--jobs", "2", "--out", str(out), "-q", *([] if plots else ["--no-plots"])],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(after_s)
    t0 = time.perf_counter()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 130:
        raise RuntimeError(f"{scenario}: exit {p.returncode}, not 130: {err.strip()}")
    return wall, len(json.loads((out / "montecarlo.json").read_text())["runs"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--after", type=float, default=20.0, help="seconds flown before the SIGINT (default 20)")
    ap.add_argument("--repeats", type=int, default=3, help="campaigns per row (default 3)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "interrupt_timing.json")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in ("descent", "rendezvous"):
            for plots in (True, False):
                got = [interrupted(scenario, plots, args.after, Path(tmp) / f"mc{k}") for k in range(args.repeats)]
                walls = np.array([w for w, _ in got])
                rows.append({"scenario": scenario, "plots": plots, "median_s": float(np.median(walls)),
                             "max_s": float(walls.max()), "runs_kept": [n for _, n in got]})
    print(f"seconds from SIGINT to exit, {args.repeats} campaigns each, SIGINT after {args.after:g} s")
    print(f"{'scenario':12s}{'plots':>7s}{'median':>9s}{'max':>8s}  runs kept")
    for r in rows:
        print(f"{r['scenario']:12s}{'yes' if r['plots'] else 'no':>7s}{r['median_s']:9.2f}{r['max_s']:8.2f}  "
              f"{r['runs_kept']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "after_s": args.after, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
