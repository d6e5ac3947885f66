"""PNG plots of ascent and rendezvous runs (matplotlib, Agg backend).

    ascent_profile.png        altitude, speed, pitch of the thrust axis, altitude vs
                              downrange
    relative_trajectory.png   the orbiter-returner relative to the ascender in the
                              ascender's LVLH frame (V-bar across, R-bar up), from
                              the hand-over and over the last 300 m; truth and the
                              chaser's own estimate
    range.png                 port-to-port range from the hand-over to capture, log
                              scale, flight phases shaded, the sensors' samples

Each function takes the run's telemetry and summary and returns {name: path}.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gnc.frames import phase_name
from gnc.programs.descent.plots import save_png

ASCENT_PLOTS = ("ascent_profile",)
RENDEZVOUS_PLOTS = ("relative_trajectory", "range")
MAX_POINTS = 4000
CLOSE_M = 300.0          # the close-range panel of the relative trajectory


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _thin(n: int) -> np.ndarray:
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.r_[np.arange(0, n, -(-n // MAX_POINTS)), n - 1]


def _title(summary: dict) -> str:
    return f"{summary['scenario']}, seed {summary['seed']}: {summary['outcome']}"


def plot_ascent(tel: dict, summary: dict, scenario, out_dir) -> dict[str, Path]:
    plt = _pyplot()
    rows = _thin(len(tel["t"]))
    t = tel["t"][rows]
    site = summary["site"]                                    # the pad (a mission's differs from the scenario's)
    r_site = scenario.moon.radius_m + site["elevation_m"]
    r = np.stack([tel["pos_e"][rows], tel["pos_n"][rows], tel["pos_u"][rows] + r_site], axis=1)
    up = r / np.linalg.norm(r, axis=1, keepdims=True)
    v_ground = np.stack([tel["vel_e"][rows], tel["vel_n"][rows], tel["vel_u"][rows]], axis=1)
    lat = math.radians(site["lat_deg"])
    omega = scenario.moon.rotation_rad_s * np.array([0.0, math.cos(lat), math.sin(lat)])   # landing axes
    v_inertial = v_ground + np.cross(omega, r)
    q = np.stack([tel["q_w"][rows], tel["q_x"][rows], tel["q_y"][rows], tel["q_z"][rows]], axis=1)
    w, x, y, z = q.T
    axis = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1)   # body +z
    pitch = np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", axis, up), -1.0, 1.0)))
    downrange = r_site * np.arccos(np.clip(up[:, 2], -1.0, 1.0)) / 1000.0

    fig, ax = plt.subplots(2, 2, figsize=(11, 7.5))
    fig.suptitle(f"{_title(summary)}: ascent profile")
    ax[0, 0].plot(t, tel["alt"][rows] / 1000.0, "k")
    ax[0, 0].set(xlabel="time (s)", ylabel="height above the site's datum (km)", title="altitude")
    ax[0, 1].plot(t, np.linalg.norm(v_inertial, axis=1), "k", label="inertial speed")
    ax[0, 1].plot(t, np.einsum("ij,ij->i", v_inertial, up), "C0", label="vertical speed")
    ax[0, 1].set(xlabel="time (s)", ylabel="m/s", title="speed")
    ax[0, 1].legend(fontsize=8)
    ax[1, 0].plot(t, pitch, "k")
    ax[1, 0].set(xlabel="time (s)", ylabel="deg above the local horizontal", title="thrust axis elevation")
    ax[1, 1].plot(downrange, tel["alt"][rows] / 1000.0, "k")
    ax[1, 1].set(xlabel="downrange (km)", ylabel="altitude (km)", title="trajectory")
    for a in ax.flat:
        a.grid(True, alpha=0.3)
    for p in summary["phases"]:
        for a in (ax[0, 0], ax[0, 1], ax[1, 0]):
            a.axvline(p["start_s"], color="0.6", lw=0.6)
        ax[0, 0].annotate(p["name"].replace("_", " "), (p["start_s"], 0), fontsize=7, rotation=90,
                          va="bottom", color="0.4")
    fig.tight_layout()
    path = Path(out_dir) / "ascent_profile.png"
    save_png(fig, path)
    plt.close(fig)
    return {"ascent_profile": path}


def _from_handover(tel: dict, summary: dict) -> np.ndarray:
    ho = summary["far_range"]["handover"]
    start = ho["t_s"] if ho else tel["t"][0]
    return np.flatnonzero(tel["t"] >= start)


def plot_rendezvous(tel: dict, summary: dict, out_dir) -> dict[str, Path]:
    plt = _pyplot()
    out = Path(out_dir)
    idx = _from_handover(tel, summary)
    written = {}
    if len(idx) == 0:
        return written
    idx = idx[_thin(len(idx))]
    t_h = (tel["t"][idx] - tel["t"][idx[0]]) / 3600.0
    x, y = tel["rel_pos_x"][idx], tel["rel_pos_y"][idx]
    nx, ny = tel["nav_pos_x"][idx], tel["nav_pos_y"][idx]

    fig, ax = plt.subplots(1, 2, figsize=(12, 5))
    fig.suptitle(f"{_title(summary)}: orbiter-returner relative to the ascender, ascender's LVLH frame")
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
    fig.suptitle(f"{_title(summary)}: range to the ascender's docking port")
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
