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
from gnc.plotting import pyplot, save_png, thin, title

NAMES = ("relative_trajectory", "range")
CLOSE_M = 300.0          # the close-range panel of the relative trajectory


def _from_handover(tel: dict, summary: dict) -> np.ndarray:
    ho = summary["far_range"]["handover"]
    start = ho["t_s"] if ho else tel["t"][0]
    return np.flatnonzero(tel["t"] >= start)


def plot_rendezvous(tel: dict, summary: dict, out_dir) -> dict[str, Path]:
    plt = pyplot()
    out = Path(out_dir)
    idx = _from_handover(tel, summary)
    written = {}
    if len(idx) == 0:
        return written
    idx = idx[thin(np.arange(len(idx)))]
    t_h = (tel["t"][idx] - tel["t"][idx[0]]) / 3600.0
    x, y = tel["rel_pos_x"][idx], tel["rel_pos_y"][idx]
    nx, ny = tel["nav_pos_x"][idx], tel["nav_pos_y"][idx]

    fig, ax = plt.subplots(1, 2, figsize=(12, 5))
    fig.suptitle(f"{title(summary)}: orbiter-returner relative to the ascender, ascender's LVLH frame")
    ax[0].plot(y / 1000.0, x / 1000.0, "k", lw=1.2, label="truth")
    ax[0].plot(ny / 1000.0, nx / 1000.0, "C1--", lw=0.8, label="chaser's estimate")
    ax[0].plot(y[0] / 1000.0, x[0] / 1000.0, "o", color="C0", label="go (hand-over)")
    ax[0].plot(0, 0, "*", color="C3", ms=12, label="ascender")
    ax[0].set(xlabel="V-bar, along-track (km)", ylabel="R-bar, radial (km)", title="from the hand-over")
    close = np.hypot(x, y) <= CLOSE_M
    ax[1].plot(y[close], x[close], "k", lw=1.2, label="truth")
    ax[1].plot(ny[close], nx[close], "C1--", lw=0.8, label="chaser's estimate")
    ax[1].plot(0, 0, "*", color="C3", ms=12)
    ax[1].set(xlabel="V-bar (m)", ylabel="R-bar (m)", title=f"last {CLOSE_M:.0f} m (centres of mass)")
    for a in ax:
        a.grid(True, alpha=0.3)
        a.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, out / "relative_trajectory.png")
    plt.close(fig)
    written["relative_trajectory"] = out / "relative_trajectory.png"

    fig, ax = plt.subplots(figsize=(11, 4.5))
    fig.suptitle(f"{title(summary)}: range to the ascender's docking port")
    ax.semilogy(t_h, np.maximum(tel["range"][idx], 1e-3), "k", lw=1.2, label="truth")
    measured = tel["rn_range"][idx] > 0
    ax.semilogy(t_h[measured], tel["rn_range"][idx][measured], ".", ms=2, color="C0", label="radar / pose sensor")
    phase = tel["phase_chaser"][idx]
    starts = np.flatnonzero(np.r_[True, phase[1:] != phase[:-1]])
    for i, s in enumerate(starts):
        end = t_h[starts[i + 1]] if i + 1 < len(starts) else t_h[-1]
        ax.axvspan(t_h[s], end, color=f"C{i % 10}", alpha=0.08, lw=0)
        ax.annotate(phase_name(int(phase[s])).replace("_", " "), (t_h[s], 1e-3), fontsize=7, rotation=90,
                    va="bottom", color="0.4")
    ax.set(xlabel="time from the go (h)", ylabel="range (m)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, out / "range.png")
    plt.close(fig)
    written["range"] = out / "range.png"
    return written


def plot(result, out: Path) -> dict[str, Path]:
    return plot_rendezvous(result.telemetry, result.summary, out)
