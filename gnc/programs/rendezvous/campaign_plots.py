"""Monte Carlo plots of ascent + rendezvous: the state at capture against the capture
envelope, the ascent's insertion errors against their limits with each vehicle's
propellant against what it loaded, and each of those against every dispersed input."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gnc import scenario as scenario_mod
from gnc.campaign_plotting import by_outcome, distribution, sensitivity_grid, worst_share
from gnc.plotting import layout, pyplot, save_png
from gnc.programs.dispersed import VEHICLE_INPUTS

SUCCESS = "captured"


def _title(c, what: str) -> str:
    captured = sum(r["outcome"] == SUCCESS for r in c.runs)
    return f"{what}: {len(c.runs)} runs, {captured} captured (campaign seed {c.seed})"


def capture(c, path: Path) -> Path:
    """Each quantity the capture mechanism judges over the runs that reached contact,
    against the envelope's limits, and the hours from insertion to capture."""
    plt = pyplot()
    env = c.scenario.capture
    panels = [("lateral_m", "lateral offset", "m", ((env.max_lateral_m, "limit"),)),
              ("closing_mps", "closing speed", "m/s", ((env.min_closing_m_s, "min"), (env.max_closing_m_s, "max"))),
              ("lateral_rate_mps", "lateral speed", "m/s", ((env.max_lateral_rate_m_s, "limit"),)),
              ("attitude_deg", "relative attitude", "deg", ((env.max_attitude_deg, "limit"),)),
              ("rate_deg_s", "relative rate", "deg/s", ((env.max_rate_deg_s, "limit"),)),
              ("hours_after_insertion", "time from insertion to capture", "h", ())]
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.4))
    for ax, (key, label, unit, limits) in zip(axes.flat, panels):
        distribution(ax, [r["capture"][key] if r["capture"] else np.nan for r in c.runs], label, unit, limits,
                     missing="never reached contact")
    fig.suptitle(_title(c, "State at capture against the envelope"))
    layout(fig, left=0.7, wspace=0.7, hspace=1.15, top=0.55, bottom=0.95)
    save_png(fig, path)
    plt.close(fig)
    return path


def insertion_and_propellant(c, path: Path) -> Path:
    """The ascent's semi-major-axis and inclination errors at insertion against the ascent
    scenario's limits (each alone and one against the other, by outcome), the ascent burn,
    and each vehicle's propellant used against what it loaded."""
    plt = pyplot()
    ascent = scenario_mod.load(c.scenario.get("ascent"))
    a_lim, i_lim = ascent.target.max_sma_error_m, ascent.target.max_inc_error_deg
    runs = c.runs
    a_err = np.array([r["insertion_errors"]["a_m"] for r in runs])
    i_err = np.array([r["insertion_errors"]["i_deg"] for r in runs])
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.4))
    distribution(axes[0, 0], a_err, "semi-major axis error at insertion", "m", ((-a_lim, "limit"), (a_lim, "limit")))
    distribution(axes[0, 1], i_err, "inclination error at insertion", "deg", ((-i_lim, "limit"), (i_lim, "limit")))
    ax = axes[0, 2]
    by_outcome(ax, a_err, i_err, [r["outcome"] for r in runs], SUCCESS)
    ax.plot([-a_lim, a_lim, a_lim, -a_lim, -a_lim], [-i_lim, -i_lim, i_lim, i_lim, -i_lim], "--", color="tab:red",
            lw=1, label=f"limits ±{a_lim:g} m, ±{i_lim:g} deg")
    ax.set_xlabel("semi-major axis error [m]")
    ax.set_ylabel("inclination error [deg]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    distribution(axes[1, 0], [r["ascent_burn_s"] for r in runs], "ascent burn", "s", colour="tab:green")
    distribution(axes[1, 1], [r["propellant_kg"]["ascender"] for r in runs], "ascender propellant used", "kg",
                 ((ascent.vehicle.propellant_kg, "loaded"),), colour="tab:green")
    distribution(axes[1, 2], [r["propellant_kg"]["orbiter_returner"] for r in runs],
                 "orbiter-returner propellant used", "kg", ((c.scenario.vehicle.propellant_kg, "loaded"),),
                 colour="tab:green")
    fig.suptitle(_title(c, "Ascent insertion and propellant"))
    layout(fig, left=0.7, wspace=0.95, hspace=0.95, top=0.55, bottom=0.75)
    save_png(fig, path)
    plt.close(fig)
    return path


def _capture_value(run: dict, key: str) -> float:
    return run["capture"][key] if run["capture"] else np.nan


def sensitivity(c, path: Path) -> Path:
    """Each judged quantity (the capture envelope's, the insertion errors, each vehicle's
    propellant) against each vehicle's dispersed inputs (montecarlo.json's "dispersed")."""
    runs, env = c.runs, c.scenario.capture
    ascent = scenario_mod.load(c.scenario.get("ascent"))
    judged = [("lateral offset [m]", [_capture_value(r, "lateral_m") for r in runs], env.max_lateral_m, "limit"),
              ("closing speed [m/s]", [_capture_value(r, "closing_mps") for r in runs], env.max_closing_m_s, "max"),
              ("lateral speed [m/s]", [_capture_value(r, "lateral_rate_mps") for r in runs],
               env.max_lateral_rate_m_s, "limit"),
              ("rel. attitude [deg]", [_capture_value(r, "attitude_deg") for r in runs], env.max_attitude_deg, "limit"),
              ("insertion a error [m]", [r["insertion_errors"]["a_m"] for r in runs],
               ascent.target.max_sma_error_m, "limit"),
              ("insertion i error [deg]", [r["insertion_errors"]["i_deg"] for r in runs],
               ascent.target.max_inc_error_deg, "limit"),
              ("ascender prop. [kg]", [r["propellant_kg"]["ascender"] for r in runs], ascent.vehicle.propellant_kg,
               "loaded"),
              ("orbiter prop. [kg]", [r["propellant_kg"]["orbiter_returner"] for r in runs],
               c.scenario.vehicle.propellant_kg, "loaded")]
    rows = [(label, y, worst_share(y, limit, of)) for label, y, limit, of in judged]
    columns = []
    for vehicle, short, extra in (("ascender", "asc.", ("tilt_deg", "lander tilt [deg]")),
                                  ("orbiter_returner", "orb.", ("lead_deg", "phase at insertion off [deg]"))):
        for key, label in (*VEHICLE_INPUTS, extra):
            columns.append((f"{short} {label}", [r["dispersed"][vehicle][key] if "dispersed" in r else np.nan
                                                  for r in runs]))
    return sensitivity_grid(path, [r["outcome"] for r in runs], SUCCESS, rows, columns,
                            _title(c, "Sensitivity: capture, insertion and propellant against the dispersed inputs"))


def write_all(c, out_dir: Path) -> list[Path]:
    """Every rendezvous campaign plot in out_dir."""
    out_dir = Path(out_dir)
    return [capture(c, out_dir / "capture.png"), insertion_and_propellant(c, out_dir / "insertion_propellant.png"),
            sensitivity(c, out_dir / "sensitivity.png")]
