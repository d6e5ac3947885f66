"""Mission timing: the whole mission run (descent, surface stay, ascent, rendezvous to
capture) after warm-up, each phase beside it, and what the time warp buys.

Measures, in one run and side by side:
  - gnc.programs.mission.run.run on the shipped "mission" scenario, with telemetry on every step
    and with none, wall time; each phase's wall time from the same runs;
  - simulated time / wall time for the whole mission (~100 h of mission time);
  - the rendezvous's loop iterations against the steps of the same timeline at the
    full flight-software rate (the time warp);
  - a cold start: the mission in a new process with a warm numba cache;
  - the ascent + rendezvous Monte Carlo's throughput on the machine's cores.

    python bench/mission_timing.py [--runs N] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine, row, summarise, time_process  # noqa: E402  (the shared bench helpers)

from gnc import montecarlo  # noqa: E402
from gnc.programs.mission.run import run  # noqa: E402
from gnc.scenario import load  # noqa: E402

SEED = 0
MC_RUNS = 20
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "mission_timing.json"
COLD_PY = "import gnc.programs.mission.run, gnc.scenario; gnc.programs.mission.run.run(gnc.scenario.load('mission'))"


def time_mission(sc, runs, tel_every):
    run(sc, SEED, tel_every=tel_every)                 # warm-up: JIT load or compile
    walls, phases, result = [], {"descent": [], "ascent": [], "rendezvous": []}, None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = run(sc, SEED, tel_every=tel_every)
        walls.append(time.perf_counter() - t0)
        for k, v in result.wall_s.items():
            phases[k].append(v)
    return walls, phases, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each item (default 5)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    args = ap.parse_args(argv)
    sc = load("mission")
    load_start = os.getloadavg()[0]
    walls, phases, result = time_mission(sc, args.runs, 1)
    walls_quiet, phases_quiet, _ = time_mission(sc, args.runs, 10 ** 9)
    s = result.summary
    mission_s = s["timeline_h"]["capture"] * 3600.0
    rdv = s["rendezvous"]
    rdv_sim_s = rdv["duration_h"] * 3600.0
    full_rate_steps = rdv_sim_s * load(sc.phases.rendezvous).sim.fsw_rate_hz
    figures = [row("mission run, telemetry every step", "s", summarise(walls))]
    figures += [row(f"  {k}", "s", summarise(v)) for k, v in phases.items()]
    figures.append(row("mission run, no telemetry", "s", summarise(walls_quiet)))
    figures += [row(f"  {k}", "s", summarise(v)) for k, v in phases_quiet.items()]
    rtf = {k: mission_s / v for k, v in summarise(walls).items() if k != "n"}
    figures.append(row("mission time / wall time, telemetry every step", "x",
                       {"median": rtf["median"], "p99": rtf["p99"], "max": rtf["max"], "n": args.runs}))
    figures.append(row("rendezvous loop iterations (time warp)", "iterations",
                       {"median": float(rdv["loop_iterations"]), "p99": float(rdv["loop_iterations"]),
                        "max": float(rdv["loop_iterations"]), "n": 1},
                       target=f"{full_rate_steps:,.0f} steps at the full rate"))
    cold, note = time_process([sys.executable, "-c", COLD_PY], args.runs, (0,))
    figures.append(row("cold start, python -c mission run", "s", summarise(cold) if cold else
                       {"median": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}, target=note))
    mc = montecarlo.campaign(load(sc.phases.rendezvous), MC_RUNS, seed=1, jobs=os.cpu_count() or 1)
    figures.append(row(f"ascent + rendezvous Monte Carlo, {MC_RUNS} runs on {mc.jobs} threads", "runs/s",
                       {"median": mc.stats["runs_per_s"], "p99": mc.stats["runs_per_s"],
                        "max": mc.stats["runs_per_s"], "n": 1},
                       target=f"captured {mc.stats['captured']}/{MC_RUNS}"))
    info = machine()
    info["load_avg_1min_start"], info["load_avg_1min_end"] = load_start, os.getloadavg()[0]
    config = {"scenario": "mission", "seed": SEED, "runs": args.runs, "outcome": s["outcome"],
              "mission_time_h": mission_s / 3600.0, "rendezvous_time_h": rdv["duration_h"],
              "timeline_h": s["timeline_h"]}
    print(f"mission timing: {info['cpu_model']}, {info['cpu_count']} CPUs, load {load_start:.2f}; "
          f"outcome {s['outcome']}, {mission_s / 3600:.1f} h of mission time")
    print(f"{'':<58}{'median':>12}{'p99':>12}{'max':>12}  unit")
    for f in figures:
        cells = "".join(f"{f[k]:>12,.0f}" if abs(f[k]) >= 1000 else f"{f[k]:>12.3f}" for k in ("median", "p99", "max"))
        print(f"{f['name']:<58}{cells}  {f['unit']}" + (f"   ({f['target']})" if f["target"] else ""))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": info, "config": config, "figures": figures}, indent=2,
                                    default=float) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
