"""A rendezvous campaign (ascent + rendezvous): capture rate and the capture envelope's margins
(gnc.montecarlo flies it).

Run i flies the ascent and the rendezvous with its own seed (drawn from the campaign
seed by gnc.montecarlo) and every dispersion of both scenarios: ascender
(thrust, Isp, mass, inertia, misalignment, centre of mass, lander tilt) and
orbiter-returner (the same, and its phase at insertion); in every run the knowledge
errors (pad position, attitude, IMU biases, ground tracking at each pass) and sensor
noise.  `gnc run rendezvous --seed <run seed> --disperse` replays run i.

Margins are gnc.core.capture.margins: 1 at the ideal, 0 at the limit, negative
outside; the campaign reports each one's worst and 1st percentile.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gnc.programs.rendezvous import campaign_plots
from gnc.programs.rendezvous.assemble import dispersed_inputs
from gnc.programs.rendezvous.run import run
from gnc.scenario import Scenario

MARGINS = ("lateral", "closing", "lateral_rate", "attitude", "rate")
CAPTURE_STATE = [("lateral_m", "lateral offset", "m"), ("closing_mps", "closing speed", "m/s"),
                 ("lateral_rate_mps", "lateral speed", "m/s"), ("attitude_deg", "relative attitude", "deg"),
                 ("rate_deg_s", "relative rate", "deg/s")]


def fly_one(sc: Scenario, seed: int, fsw: str = "numba") -> dict:
    """One dispersed ascent + rendezvous on the flight-software build fsw, reduced to what
    the campaign keeps."""
    r = run(sc, seed, disperse=True, tel_every=10 ** 9, fsw=fsw)
    s, a = r.summary, r.ascent.summary
    return {"seed": seed, "outcome": s["outcome"], "failures": s["failures"], "capture": s["capture"],
            "insertion_errors": a["insertion"]["errors"], "ascent_burn_s": a["burn_duration_s"],
            "hours_to_capture": s["capture"]["hours_after_insertion"] if s["capture"] else None,
            "propellant_kg": {"ascender": a["propellant_used_kg"] + s["target"]["propellant_used_kg"],
                              "orbiter_returner": s["chaser"]["propellant_used_kg"]},
            "dispersed": dispersed_inputs(sc, seed)}


def _describe(values) -> dict:
    v = np.asarray(values, float)
    if v.size == 0:
        return {"n": 0}
    return {"n": int(v.size), "mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "min": float(v.min()), "p1": float(np.percentile(v, 1)), "p99": float(np.percentile(v, 99)),
            "max": float(v.max())}


def statistics(c) -> dict:
    runs = c.runs
    contact = [r for r in runs if r["capture"] is not None]
    captured = [r for r in runs if r["outcome"] == "captured"]
    return {
        "runs": len(runs),
        "captured": len(captured),
        "capture_rate": len(captured) / len(runs),
        "failed_seeds": [r["seed"] for r in runs if r["outcome"] != "captured"],
        "wall_s": c.wall_s,
        "runs_per_s": len(runs) / c.wall_s if c.wall_s > 0 else math.inf,
        "jobs": c.jobs,
        "margins": {m: _describe([r["capture"]["margins"][m] for r in contact]) for m in MARGINS},
        "capture_state": {k: _describe([r["capture"][k] for r in contact]) for k, _, _ in CAPTURE_STATE},
        "insertion_errors": {k: _describe([r["insertion_errors"][k] for r in runs]) for k in ("a_m", "i_deg")},
        "ascent_burn_s": _describe([r["ascent_burn_s"] for r in runs]),
        "hours_to_capture": _describe([r["hours_to_capture"] for r in contact]),
        "propellant_kg": {v: _describe([r["propellant_kg"][v] for r in runs]) for v in ("ascender", "orbiter_returner")},
    }


def report(c) -> str:
    s = c.stats
    env = c.scenario.capture
    limits = {"lateral_m": f"<= {env.max_lateral_m:g}", "closing_mps": f"{env.min_closing_m_s:g}..{env.max_closing_m_s:g}",
              "lateral_rate_mps": f"<= {env.max_lateral_rate_m_s:g}", "attitude_deg": f"<= {env.max_attitude_deg:g}",
              "rate_deg_s": f"<= {env.max_rate_deg_s:g}"}
    lines = [f"Monte Carlo ascent + rendezvous: {c.scenario.name}, {s['runs']} runs, campaign seed {c.seed}",
             f"  captured      {s['captured']}/{s['runs']} = {100 * s['capture_rate']:.1f} %",
             f"  wall time     {s['wall_s']:.1f} s on {s['jobs']} job(s), {s['runs_per_s']:.2f} runs/s", "",
             f"  {'at capture':<24}{'mean':>10}{'max':>10}{'limit':>12}{'worst margin':>14}"]
    for (key, label, unit), m in zip(CAPTURE_STATE, MARGINS):
        d, mg = s["capture_state"][key], s["margins"][m]
        if d["n"]:
            lines.append(f"  {label + ' [' + unit + ']':<24}{d['mean']:>10.3f}{d['max']:>10.3f}{limits[key]:>12}"
                         f"{mg['min']:>14.2f}")
    ie = s["insertion_errors"]
    lines.append(f"  insertion: |a error| max {max(abs(ie['a_m']['min']), abs(ie['a_m']['max'])):.0f} m, "
                 f"|i error| max {max(abs(ie['i_deg']['min']), abs(ie['i_deg']['max'])):.4f} deg")
    if s["failed_seeds"]:
        lines.append(f"  failed run seeds: {', '.join(map(str, s['failed_seeds'][:20]))}  "
                     f"(replay: gnc run rendezvous --seed SEED --disperse)")
    return "\n".join(lines)


def plots(c, out_dir: Path) -> list[Path]:
    return campaign_plots.write_all(c, out_dir)
