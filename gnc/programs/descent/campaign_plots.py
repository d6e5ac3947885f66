"""Monte Carlo plots: touchdown dispersion over the target with its 3-sigma
ellipse, touchdown speed histograms against the limits, propellant histogram, every judged
touchdown quantity's distribution against its limit, and each against every dispersed input."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

from matplotlib.ticker import MaxNLocator  # noqa: E402

from gnc.campaign_plotting import bin_edges, by_outcome, distribution, outcome_order  # noqa: E402
from gnc.plotting import layout, save_png  # noqa: E402

# (touchdown key or "propellant", label, unit, limit: a [touchdown] key, "loaded" or None)
JUDGED = [("vertical_speed_mps", "vertical speed", "m/s", "max_vertical_m_s"),
          ("horizontal_speed_mps", "horizontal speed", "m/s", "max_horizontal_m_s"),
          ("tilt_deg", "tilt", "deg", "max_tilt_deg"),
          ("rate_dps", "body rate", "deg/s", "max_rate_deg_s"),
          ("slope_deg", "ground slope", "deg", "max_slope_deg"),
          ("max_rock_m", "tallest rock", "m", "max_rock_m"),
          ("distance_to_target_m", "distance to target", "m", None),
          ("propellant", "propellant used", "kg", "loaded")]
# (key of a run's "dispersed", index in it or None, label): what assemble draws per run
INPUTS = [("thrust_frac", None, "thrust scale - 1"), ("isp_frac", None, "Isp scale - 1"),
          ("mass_kg", None, "mass offset [kg]"), ("inertia_frac", None, "inertia scale - 1"),
          ("misalignment_deg", None, "thrust misalignment [deg]"), ("com_offset_m", None, "CoM offset [m]"),
          ("pdi_pos_m", 0, "PDI east offset [m]"), ("pdi_pos_m", 1, "PDI north offset [m]"),
          ("pdi_pos_m", 2, "PDI up offset [m]"), ("pdi_vel_mps", 0, "PDI east vel. off. [m/s]"),
          ("pdi_vel_mps", 1, "PDI north vel. off. [m/s]"), ("pdi_vel_mps", 2, "PDI up vel. off. [m/s]")]


def _ellipse(cov, n_sigma=3.0, points=200):
    vals, vecs = np.linalg.eigh(cov)
    a = np.linspace(0.0, 2.0 * math.pi, points)
    circle = np.stack([np.cos(a), np.sin(a)])
    return vecs @ (np.sqrt(np.maximum(vals, 0.0))[:, None] * n_sigma * circle)


def dispersion(c, path: Path) -> Path:
    touched = [r for r in c.runs if r["touchdown"] is not None]
    fig, ax = plt.subplots(figsize=(6.5, 6))
    if touched:
        e = np.array([r["touchdown"]["east_m"] for r in touched])
        n = np.array([r["touchdown"]["north_m"] for r in touched])
        outcome = np.array([r["outcome"] for r in touched])
        for kind, style in (("landed", dict(s=12, c="tab:blue")),
                            ("unsafe_ground", dict(s=30, c="tab:orange", marker="s")),
                            ("crashed", dict(s=40, c="tab:red", marker="x"))):
            sel = outcome == kind
            if sel.any():
                ax.scatter(e[sel], n[sel], label=f"{kind.replace('_', ' ')} ({sel.sum()})", **style)
        if len(touched) > 2:
            xy = _ellipse(np.cov(np.stack([e, n])))
            ax.plot(xy[0] + e.mean(), xy[1] + n.mean(), "k--", lw=1, label="3-sigma ellipse")
    ax.plot(0, 0, marker="*", ms=16, c="gold", mec="k", label="target", ls="none")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("east of target [m]")
    ax.set_ylabel("north of target [m]")
    ax.set_title(f"Touchdown dispersion, {len(c.runs)} runs (seed {c.seed})")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def speeds(c, path: Path) -> Path:
    touched = [r["touchdown"] for r in c.runs if r["touchdown"] is not None]
    lim = c.scenario.touchdown
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, limit, label in ((axes[0], "vertical_speed_mps", lim.max_vertical_m_s, "vertical"),
                                  (axes[1], "horizontal_speed_mps", lim.max_horizontal_m_s, "horizontal")):
        vals = np.array([t[key] for t in touched])
        finite = vals[np.isfinite(vals)]
        top = max(limit * 1.2, np.percentile(finite, 99) if finite.size else limit)
        if finite.size:
            clipped = np.clip(finite, 0, top)
            ax.hist(clipped, bins=bin_edges(clipped), color="tab:blue", alpha=0.8)
        ax.axvline(limit, color="tab:red", ls="--", label=f"limit {limit:g} m/s")
        ax.set_xlabel(f"{label} touchdown speed [m/s] (clipped at {top:.2g})")
        ax.set_ylabel("runs")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle("Touchdown speeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def propellant(c, path: Path) -> Path:
    vals = np.array([r["propellant_used_kg"] for r in c.runs])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(vals, bins=bin_edges(vals), color="tab:green", alpha=0.8)
    ax.axvline(c.scenario.vehicle.propellant_kg, color="tab:red", ls="--", label="loaded")
    ax.set_xlabel("main-engine + RCS propellant used [kg]")
    ax.set_ylabel("runs")
    ax.set_title("Propellant used")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _judged_value(run: dict, key: str) -> float:
    """A run's value of a JUDGED quantity; nan where it never touched down."""
    if key == "propellant":
        return run["propellant_used_kg"]
    td = run["touchdown"]
    return float(td[key]) if td is not None and key in td else math.nan


def _limit(c, limit_key):
    if limit_key is None:
        return None
    return c.scenario.vehicle.propellant_kg if limit_key == "loaded" else getattr(c.scenario.touchdown, limit_key)


def touchdown_limits(c, path: Path) -> Path:
    """Each judged touchdown quantity's distribution over the runs against its limit, a
    small multiple each (histogram, or ECDF when the runs are few)."""
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.4))
    for ax, (key, label, unit, limit_key) in zip(axes.flat, JUDGED):
        limit = _limit(c, limit_key)
        distribution(ax, [_judged_value(r, key) for r in c.runs], label, unit,
                     () if limit is None else ((limit, "loaded" if limit_key == "loaded" else "limit"),),
                     missing="never touched down")
    landed = sum(r["outcome"] == "landed" for r in c.runs)
    fig.suptitle(f"Touchdown against the limits: {len(c.runs)} runs, {landed} landed (campaign seed {c.seed})")
    layout(fig, left=0.7, wspace=0.7, hspace=1.15, top=0.55, bottom=0.95)
    save_png(fig, path)
    plt.close(fig)
    return path


def _input_value(run: dict, key: str, index) -> float:
    d = run.get("dispersed")
    if d is None:
        return math.nan
    return float(d[key] if index is None else d[key][index])


def sensitivity(c, path: Path) -> Path:
    """Each judged touchdown quantity (rows) against each dispersed input (columns), one
    point per run coloured by its outcome: which input drives which quantity toward its limit."""
    rows, cols = len(JUDGED), len(INPUTS)
    fig, axes = plt.subplots(rows, cols, figsize=(1.55 * cols + 1.2, 1.3 * rows + 1.3), sharex="col", sharey="row")
    outcomes = [r["outcome"] for r in c.runs]
    for i, (key, label, unit, limit_key) in enumerate(JUDGED):
        y = np.array([_judged_value(r, key) for r in c.runs])
        limit = _limit(c, limit_key)
        # the limit as a share, not a line: drawn, it would squeeze the points into one row
        worst = f"\nworst {100 * np.nanmax(y) / limit:.0f} % of {'loaded' if limit_key == 'loaded' else 'limit'}" \
            if limit and np.isfinite(y).any() else ""
        for j, (ikey, index, ilabel) in enumerate(INPUTS):
            ax = axes[i, j]
            by_outcome(ax, [_input_value(r, ikey, index) for r in c.runs], y, outcomes, "landed")
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=6)
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            if i == rows - 1:
                ax.set_xlabel(ilabel, fontsize=7)
            if j == 0:
                ax.set_ylabel(f"{label} [{unit}]{worst}", fontsize=7)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8, ncol=len(outcome_order(outcomes, "landed")))
    fig.suptitle(f"Sensitivity: touchdown quantities against the dispersed inputs, {len(c.runs)} runs "
                 f"(campaign seed {c.seed})", fontsize=10)
    layout(fig, left=0.95, right=0.15, top=0.6, bottom=0.55, wspace=0.12, hspace=0.12)
    save_png(fig, path)
    plt.close(fig)
    return path


def write_all(c, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    return [dispersion(c, out_dir / "dispersion.png"), speeds(c, out_dir / "touchdown_speeds.png"),
            propellant(c, out_dir / "propellant.png"), touchdown_limits(c, out_dir / "touchdown_limits.png"),
            sensitivity(c, out_dir / "sensitivity.png")]
