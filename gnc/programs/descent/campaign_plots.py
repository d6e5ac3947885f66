"""Monte Carlo plots: touchdown dispersion over the target with its 3-sigma ellipse, every
judged touchdown quantity's distribution (propellant included) against its limit, and each
against every dispersed input."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

from gnc.campaign_plotting import distribution, sensitivity_grid, worst_share  # noqa: E402
from gnc.plotting import layout, save_png  # noqa: E402
from gnc.programs.dispersed import VEHICLE_INPUTS  # noqa: E402

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
INPUTS = [(key, None, label) for key, label in VEHICLE_INPUTS] + \
    [("pdi_pos_m", 0, "PDI east offset [m]"), ("pdi_pos_m", 1, "PDI north offset [m]"),
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
    """Each judged touchdown quantity against each dispersed input (campaign_plotting.sensitivity_grid)."""
    rows = []
    for key, label, unit, limit_key in JUDGED:
        y = [_judged_value(r, key) for r in c.runs]
        rows.append((f"{label} [{unit}]", y, worst_share(y, _limit(c, limit_key),
                                                         "loaded" if limit_key == "loaded" else "limit")))
    columns = [(label, [_input_value(r, key, index) for r in c.runs]) for key, index, label in INPUTS]
    return sensitivity_grid(path, [r["outcome"] for r in c.runs], "landed", rows, columns,
                f"Sensitivity: touchdown quantities against the dispersed inputs, {len(c.runs)} runs "
                f"(campaign seed {c.seed})")


def write_all(c, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    return [dispersion(c, out_dir / "dispersion.png"), touchdown_limits(c, out_dir / "touchdown_limits.png"),
            sensitivity(c, out_dir / "sensitivity.png")]
