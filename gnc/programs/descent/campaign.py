"""A descent campaign: landing rate, touchdown statistics against the limits, the landing
error ellipse, failure seeds (gnc.montecarlo flies it).

Dispersions (1-sigma, the scenario's [dispersions] section): main engine thrust
and Isp, mass, inertia, thrust misalignment, centre-of-mass offset, PDI truth
state; and in every run the knowledge errors (orbit determination, initial
attitude, IMU biases) and sensor noise and dropouts.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gnc.programs.descent import campaign_plots
from gnc.programs.descent.assemble import dispersed_inputs
from gnc.programs.descent.run import run
from gnc.scenario import Scenario

METRICS = [  # (touchdown key, label, unit, scenario limit key or None)
    ("vertical_speed_mps", "vertical speed", "m/s", "max_vertical_m_s"),
    ("horizontal_speed_mps", "horizontal speed", "m/s", "max_horizontal_m_s"),
    ("tilt_deg", "tilt", "deg", "max_tilt_deg"),
    ("rate_dps", "body rate", "deg/s", "max_rate_deg_s"),
    ("distance_to_target_m", "distance to target", "m", None),
    ("slope_deg", "ground slope", "deg", "max_slope_deg"),
    ("max_rock_m", "tallest rock", "m", "max_rock_m"),
]


def fly_one(sc: Scenario, seed: int, fsw: str = "numba") -> dict:
    """One dispersed run, reduced to what the campaign keeps."""
    r = run(sc, seed, disperse=True, tel_every=10 ** 9, fsw=fsw)
    s = r.summary
    return {"seed": seed, "outcome": s["outcome"], "failures": s["failures"],
            "duration_s": s["duration_s"], "propellant_used_kg": s["propellant_used_kg"],
            "touchdown": s["touchdown"], "fault": s["fault"], "dispersed": dispersed_inputs(sc, seed),
            **{k: s[k] for k in ("nav", "guidance", "site_shift_m") if k in s}}


def _describe(values: np.ndarray) -> dict:
    if values.size == 0:
        return {"n": 0}
    return {"n": int(values.size), "mean": float(values.mean()), "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "three_sigma": float(3.0 * values.std(ddof=1)) if values.size > 1 else 0.0,
            "p99": float(np.percentile(values, 99)), "worst": float(values.max()), "best": float(values.min())}


def statistics(c) -> dict:
    runs = c.runs
    n = len(runs)
    landed = [r for r in runs if r["outcome"] == "landed"]
    touched = [r for r in runs if r["touchdown"] is not None]
    stats = {
        "runs": n,
        "landed": len(landed),
        "success_rate": len(landed) / n,
        "failed_seeds": [r["seed"] for r in runs if r["outcome"] != "landed"],
        "unsafe_touchdowns": sum(1 for r in touched if r["touchdown"].get("safe") is False),
        "unsafe_seeds": [r["seed"] for r in touched if r["touchdown"].get("safe") is False],
        "wall_s": c.wall_s,
        "runs_per_s": n / c.wall_s if c.wall_s > 0 else math.inf,
        "jobs": c.jobs,
        "touchdown": {},
        "duration_s": _describe(np.array([r["duration_s"] for r in runs])),
        "propellant_used_kg": _describe(np.array([r["propellant_used_kg"] for r in runs])),
    }
    faulted = [r for r in runs if r.get("fault")]
    if faulted:
        stats["fault"] = {"kind": faulted[0]["fault"]["kind"], "runs": len(faulted),
                          "flagged": sum(1 for r in faulted if r["fault"]["flagged_steps"] > 0),
                          "flown_through": sum(1 for r in faulted if r["outcome"] == "landed"),
                          "lost": sum(1 for r in faulted if r["outcome"] != "landed")}
    shifted = [r for r in runs if r.get("site_shift_m")]
    if shifted:
        stats["site_shifted"] = {"runs": len(shifted), "seeds": [r["seed"] for r in shifted],
                                 "shift_m": _describe(np.array([r["site_shift_m"] for r in shifted]))}
    with_nav = [r for r in runs if "nav" in r]
    if with_nav:
        reopened = [r for r in with_nav if any(r["nav"]["reopens"].values())]
        stats["nav_reopened"] = {"runs": len(reopened), "of": len(with_nav),
                                 "seeds": [r["seed"] for r in reopened],
                                 **{k: sum(r["nav"]["reopens"][k] for r in with_nav)
                                    for k in ("position", "velocity", "bias", "beam_bias")}}
    for key, _, _, _ in METRICS:
        stats["touchdown"][key] = _describe(np.array([r["touchdown"][key] for r in touched if key in r["touchdown"]]))
    if len(touched) > 2:
        en = np.array([[r["touchdown"]["east_m"], r["touchdown"]["north_m"]] for r in touched])
        cov = np.cov(en.T)
        eig = np.linalg.eigvalsh(cov)
        stats["landing_error"] = {
            "mean_east_m": float(en[:, 0].mean()), "mean_north_m": float(en[:, 1].mean()),
            "three_sigma_major_m": float(3.0 * math.sqrt(max(eig[-1], 0.0))),
            "three_sigma_minor_m": float(3.0 * math.sqrt(max(eig[0], 0.0))),
            "covariance_m2": cov.tolist(),
        }
    return stats


def report(c) -> str:
    s = c.stats
    lim = c.scenario.touchdown
    lines = [f"Monte Carlo: {c.scenario.name}, {s['runs']} runs, campaign seed {c.seed}",
             f"  landed        {s['landed']}/{s['runs']} = {100 * s['success_rate']:.1f} %",
             f"  unsafe ground {s['unsafe_touchdowns']}/{s['runs']} touchdowns (slope or rock beyond the limits)",
             f"  wall time     {s['wall_s']:.1f} s on {s['jobs']} job(s), {s['runs_per_s']:.2f} runs/s",
             *([f"  nav reopened  in {o['runs']}/{o['of']} runs: {o['position']} position, {o['velocity']} velocity, "
                f"{o['bias']} accelerometer-bias, {o['beam_bias']} beam-bias reopenings (gnc/core/fsw/nav.py)"]
               if (o := s.get("nav_reopened")) else []),
             *([f"  site moved    in {m['runs']} runs, {m['shift_m']['best'] / 1e3:.1f}-"
                f"{m['shift_m']['worst'] / 1e3:.1f} km downrange: main braking on a short engine "
                "(gnc/core/fsw/descent.py)"] if (m := s.get("site_shifted")) else []),
             *([f"  fault         {f['kind']} in every run: flagged by the flight software in {f['flagged']}, "
                f"flown through {f['flown_through']}, lost {f['lost']} (docs/faults.md)"] if (f := s.get("fault")) else []),
             "",
             f"  {'touchdown':<22}{'mean':>10}{'3-sigma':>10}{'worst':>10}{'limit':>10}"]
    for key, label, unit, limit in METRICS:
        d = s["touchdown"][key]
        if d["n"] == 0:
            continue
        lim_s = f"{getattr(lim, limit):g}" if limit else "-"
        lines.append(f"  {label + ' [' + unit + ']':<22}{d['mean']:>10.3f}{d['three_sigma']:>10.3f}{d['worst']:>10.3f}{lim_s:>10}")
    for key, label in (("propellant_used_kg", "propellant [kg]"), ("duration_s", "duration [s]")):
        d = s[key]
        lines.append(f"  {label:<22}{d['mean']:>10.1f}{d['three_sigma']:>10.1f}{d['worst']:>10.1f}{'-':>10}")
    if "landing_error" in s:
        le = s["landing_error"]
        lines.append(f"  landing error 3-sigma ellipse: {le['three_sigma_major_m']:.2f} x {le['three_sigma_minor_m']:.2f} m "
                     f"(mean offset {le['mean_east_m']:+.2f} E, {le['mean_north_m']:+.2f} N)")
    if s["failed_seeds"]:
        shown = ", ".join(str(x) for x in s["failed_seeds"][:20])
        more = f" (+{len(s['failed_seeds']) - 20} more)" if len(s["failed_seeds"]) > 20 else ""
        lines.append(f"  failed run seeds: {shown}{more}  (replay: gnc run {c.scenario.name} --seed SEED --disperse)")
    return "\n".join(lines)


def plots(c, out_dir: Path) -> list[Path]:
    return campaign_plots.write_all(c, out_dir)
