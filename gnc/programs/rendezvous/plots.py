"""PNG plots of a rendezvous run (matplotlib, Agg backend).

    relative_trajectory.png   the orbiter-returner relative to the ascender in the
                              ascender's LVLH frame (V-bar across, R-bar up), from
                              the hand-over and over the last 300 m; truth and the
                              chaser's own estimate
    range.png                 port-to-port range from the hand-over to capture, log
                              scale, flight phases shaded, the sensors' samples
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gnc.frames import phase_name
from gnc.plotting import envelope, layout, plain_log_labels, pyplot, save_png, title

NAMES = ("relative_trajectory", "range")
CLOSE_M = 300.0          # the close-range panel of the relative trajectory


def _from_handover(tel: dict, summary: dict) -> np.ndarray:
    ho = summary["far_range"]["handover"]
    start = ho["t_s"] if ho else tel["t"][0]
    return np.flatnonzero(tel["t"] >= start)


def plot_rendezvous(tel: dict, summary: dict, out_dir, only=None) -> dict[str, Path]:
    """relative_trajectory.png and range.png (or those of them in only) into out_dir."""
    plt = pyplot()
    out = Path(out_dir)
    idx = _from_handover(tel, summary)
    written = {}
    if len(idx) == 0:
        return written
    t_h = (tel["t"] - tel["t"][idx[0]]) / 3600.0
    x, y = tel["rel_pos_x"], tel["rel_pos_y"]
    nx, ny = tel["nav_pos_x"], tel["nav_pos_y"]
    far = envelope(idx, x, y, nx, ny)
    near = idx[np.hypot(x[idx], y[idx]) <= CLOSE_M]
    near = envelope(near, x, y, nx, ny)      # its own rows: the last 300 m are a small share of the rows

    if only is None or "relative_trajectory" in only:
        fig, ax = plt.subplots(1, 2, figsize=(12, 5))
        fig.suptitle(f"{title(summary)}: orbiter-returner relative to the ascender, ascender's LVLH frame")
        ax[0].plot(y[far] / 1000.0, x[far] / 1000.0, "k", lw=1.2, label="truth")
        ax[0].plot(ny[far] / 1000.0, nx[far] / 1000.0, "C1--", lw=0.8, label="chaser's estimate")
        ax[0].plot(y[idx[0]] / 1000.0, x[idx[0]] / 1000.0, "o", color="C0", label="go (hand-over)")
        ax[0].plot(0, 0, "*", color="C3", ms=12, label="ascender")
        ax[0].set(xlabel="V-bar, along-track (km)", ylabel="R-bar, radial (km)", title="from the hand-over")
        ax[1].plot(y[near], x[near], "k", lw=1.2, label="truth")
        ax[1].plot(ny[near], nx[near], "C1--", lw=0.8, label="chaser's estimate")
        ax[1].plot(0, 0, "*", color="C3", ms=12)
        ax[1].set(xlabel="V-bar (m)", ylabel="R-bar (m)", title=f"last {CLOSE_M:.0f} m (centres of mass)")
        for a in ax:
            a.grid(True, alpha=0.3)
            a.legend(fontsize=8)
        layout(fig, left=0.8, right=0.2, top=0.75, bottom=0.55, wspace=0.8)
        save_png(fig, out / "relative_trajectory.png")
        plt.close(fig)
        written["relative_trajectory"] = out / "relative_trajectory.png"

    if only is None or "range" in only:
        fig, ax = plt.subplots(figsize=(11, 4.5))
        fig.suptitle(f"{title(summary)}: range to the ascender's docking port")
        rng, measured_rng = tel["range"], tel["rn_range"]
        rows = envelope(idx, rng)
        ax.semilogy(t_h[rows], np.maximum(rng[rows], 1e-3), "k", lw=1.2, label="truth")
        dots = envelope(idx[measured_rng[idx] > 0], measured_rng)
        ax.semilogy(t_h[dots], measured_rng[dots], ".", ms=2, color="C0", label="radar / pose sensor")
        phase = tel["phase_chaser"][idx]
        starts = np.flatnonzero(np.r_[True, phase[1:] != phase[:-1]])
        th = t_h[idx]
        for i, s in enumerate(starts):
            end = th[starts[i + 1]] if i + 1 < len(starts) else th[-1]
            ax.axvspan(th[s], end, color=f"C{i % 10}", alpha=0.08, lw=0)
            # at the foot of the axes whatever the range's scale (a fixed 1 mm sat below its lower limit)
            ax.annotate(phase_name(int(phase[s])).replace("_", " "), (th[s], 0.03), xycoords=("data", "axes fraction"),
                        fontsize=7, rotation=90, va="bottom", color="0.4")
        ax.set(xlabel="time from the go (h)", ylabel="range (m)")
        ax.grid(True, which="both", alpha=0.3)
        plain_log_labels(ax)
        ax.legend(fontsize=8)
        layout(fig, left=0.8, right=0.2, top=0.5, bottom=0.55)
        save_png(fig, out / "range.png")
        plt.close(fig)
        written["range"] = out / "range.png"
    return written


def plot(result, out: Path, only=None) -> dict[str, Path]:
    return plot_rendezvous(result.telemetry, result.summary, out, only)
