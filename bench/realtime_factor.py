"""Real-time factor of the shipped descent at several vehicle-model rates, beside Basilisk's.

    python bench/realtime_factor.py [--runs N] [--basilisk-python PATH] [--json PATH]

Ours: `gnc.programs.descent.run.run` of the shipped descent, seed 0, the flight software at
its 50 Hz and the vehicle model at 100 Hz (`sim.substeps = 2`), 200 Hz (the default, 4) and
1 kHz (20), after one warm-up run each; the whole API call is timed (assembly, the closed
loop, telemetry every step, the summary), and the real-time factor is the flight's duration
over that wall time.  It is the ratio issue #16 sets targets on (100 Hz: >= 8,500x; 1 kHz:
>= 3,000x).

Basilisk: bench/basilisk_braking.py run by --basilisk-python (a scratch venv with
`pip install bsk`), a 720 s braking burn at the same two rates (dt = 10 ms and 1 ms), its
real-time factor = 720 s over ExecuteSimulation's wall time.  Rounds alternate ours and
Basilisk's so that load from elsewhere falls on both alike; the table gives the median,
p99 and max of the wall time (as real-time factors: the p99 and max columns are the slow end)
and the ratio of the medians.  Without a Basilisk Python the anchor's columns are left out.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine, percentile  # noqa: E402

import gnc.programs.descent.run  # noqa: E402
import gnc.scenario  # noqa: E402

HERE = Path(__file__).resolve().parent
RATES = {100: 2, 200: 4, 1000: 20}             # vehicle-model Hz: RK4 substeps per 50 Hz flight-software step
BASILISK_DT = {100: 0.01, 1000: 0.001}


def ours(substeps: int) -> tuple[float, float]:
    """(flight seconds, wall seconds) of one shipped descent at that many substeps."""
    sc = gnc.scenario.load("descent", [f"sim.substeps={substeps}"])
    t0 = time.perf_counter()
    r = gnc.programs.descent.run.run(sc, 0)
    return r.summary["duration_s"], time.perf_counter() - t0


def basilisk(python: str, dt: float) -> tuple[float, float]:
    """(simulated seconds, wall seconds) of one Basilisk braking burn."""
    p = subprocess.run([python, str(HERE / "basilisk_braking.py"), "--dt", str(dt), "--runs", "1"],
                       capture_output=True, text=True, check=True)
    row = json.loads(p.stdout.strip().splitlines()[-1])
    return row["sim_s"], row["wall_s"][0]


def rtf_columns(sim_s: float, walls: list[float]) -> dict:
    return {"median": sim_s / float(np.median(walls)), "p99": sim_s / percentile(walls, 99),
            "max": sim_s / max(walls), "walls_s": walls}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs per row (default 5)")
    ap.add_argument("--basilisk-python", metavar="PATH", help="a Python with Basilisk (pip install bsk)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "realtime_factor.json")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    for substeps in RATES.values():
        ours(substeps)                                  # compile or load the cache
    walls = {hz: [] for hz in RATES}
    bsk_walls = {hz: [] for hz in BASILISK_DT} if args.basilisk_python else {}
    flight_s = bsk_s = 0.0
    for rnd in range(args.runs):
        for hz, substeps in RATES.items():
            flight_s, wall = ours(substeps)
            walls[hz].append(wall)
            if hz in bsk_walls:
                bsk_s, bwall = basilisk(args.basilisk_python, BASILISK_DT[hz])
                bsk_walls[hz].append(bwall)
        print(f"round {rnd + 1}/{args.runs} done", flush=True)
    rows = []
    for hz in RATES:
        row = {"model_rate_hz": hz, "ours": rtf_columns(flight_s, walls[hz])}
        if hz in bsk_walls:
            row["basilisk"] = rtf_columns(bsk_s, bsk_walls[hz])
            row["ratio_of_medians"] = row["ours"]["median"] / row["basilisk"]["median"]
        rows.append(row)
    load1 = os.getloadavg()[0]
    print(f"\nReal-time factor (simulated time / wall time), {args.runs} runs each, interleaved; "
          f"descent {flight_s:.0f} s of flight, Basilisk braking burn {bsk_s:.0f} s")
    head = f"{'model rate':>10} | {'ours median':>11} {'p99':>7} {'max':>7}"
    print(head + (f" | {'Basilisk median':>15} {'p99':>6} {'max':>6} | {'ratio':>6}" if bsk_walls else ""))
    for r in rows:
        o = r["ours"]
        line = f"{r['model_rate_hz']:>7} Hz | {o['median']:>10,.0f}x {o['p99']:>6,.0f}x {o['max']:>6,.0f}x"
        if "basilisk" in r:
            b = r["basilisk"]
            line += (f" | {b['median']:>14,.0f}x {b['p99']:>5,.0f}x {b['max']:>5,.0f}x"
                     f" | {r['ratio_of_medians']:>5.1f}x")
        print(line)
    print("p99 and max are the slow end (flight time over the p99 and max wall time).")
    print(f"1-min load average {load0:.2f} at start, {load1:.2f} at end")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": {**machine(), "load_avg_start": load0, "load_avg_end": load1},
                                     "runs": args.runs, "flight_s": flight_s, "basilisk_sim_s": bsk_s,
                                     "rows": rows}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
