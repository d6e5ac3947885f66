"""Monte Carlo plots: touchdown dispersion over the target with its 3-sigma
ellipse, touchdown speed histograms against the limits, propellant histogram."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402


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
        ax.hist(np.clip(finite, 0, top), bins=30, color="tab:blue", alpha=0.8)
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
    ax.hist(vals, bins=30, color="tab:green", alpha=0.8)
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


def write_all(c, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    return [dispersion(c, out_dir / "dispersion.png"), speeds(c, out_dir / "touchdown_speeds.png"),
            propellant(c, out_dir / "propellant.png")]
