"""PNG plot of an ascent run (matplotlib, Agg backend).

    ascent_profile.png   altitude, speed, elevation of the thrust axis, altitude vs downrange
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gnc.plotting import envelope, layout, pyplot, save_png, title

NAMES = ("ascent_profile",)


def plot(result, out: Path, only=None) -> dict[str, Path]:
    if only is not None and "ascent_profile" not in only:
        return {}
    return plot_ascent(result.telemetry, result.summary, result.scenario, out)


def plot_ascent(tel: dict, summary: dict, scenario, out_dir) -> dict[str, Path]:
    plt = pyplot()
    t = tel["t"]
    site = summary["site"]                                    # the pad (a mission's differs from the scenario's)
    r_site = scenario.moon.radius_m + site["elevation_m"]
    r = np.stack([tel["pos_e"], tel["pos_n"], tel["pos_u"] + r_site], axis=1)
    up = r / np.linalg.norm(r, axis=1, keepdims=True)
    v_ground = np.stack([tel["vel_e"], tel["vel_n"], tel["vel_u"]], axis=1)
    lat = math.radians(site["lat_deg"])
    omega = scenario.moon.rotation_rad_s * np.array([0.0, math.cos(lat), math.sin(lat)])   # landing axes
    v_inertial = v_ground + np.cross(omega, r)
    w, x, y, z = (tel[k] for k in ("q_w", "q_x", "q_y", "q_z"))
    axis = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1)   # body +z
    pitch = np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", axis, up), -1.0, 1.0)))
    downrange = r_site * np.arccos(np.clip(up[:, 2], -1.0, 1.0)) / 1000.0
    alt = tel["alt"] / 1000.0
    speed, climb = np.linalg.norm(v_inertial, axis=1), np.einsum("ij,ij->i", v_inertial, up)
    rows = envelope(np.arange(len(t)), alt, speed, climb, pitch, downrange)

    fig, ax = plt.subplots(2, 2, figsize=(11, 7.5))
    fig.suptitle(f"{title(summary)}: ascent profile")
    ax[0, 0].plot(t[rows], alt[rows], "k", zorder=4)          # above the phase names' boxes
    ax[0, 0].set(xlabel="time (s)", ylabel="height above the site's datum (km)", title="altitude")
    ax[0, 1].plot(t[rows], speed[rows], "k", label="inertial speed")
    ax[0, 1].plot(t[rows], climb[rows], "C0", label="vertical speed")
    ax[0, 1].set(xlabel="time (s)", ylabel="m/s", title="speed")
    ax[0, 1].legend(fontsize=8)
    ax[1, 0].plot(t[rows], pitch[rows], "k")
    ax[1, 0].set(xlabel="time (s)", ylabel="deg above the local horizontal", title="thrust axis elevation")
    ax[1, 1].plot(downrange[rows], alt[rows], "k")
    ax[1, 1].set(xlabel="downrange (km)", ylabel="altitude (km)", title="trajectory")
    for a in ax.flat:
        a.grid(True, alpha=0.3)
    # the first phases start seconds apart: each name moves right of the one before it by
    # at least a text height, on a light box where another phase's line crosses it, at the top
    # of the panel (the climb is low while they start)
    gap = 0.028 * (t[-1] - t[0])
    label_at = -math.inf
    for p in summary["phases"]:
        for a in (ax[0, 0], ax[0, 1], ax[1, 0]):
            a.axvline(p["start_s"], color="0.6", lw=0.6)
        label_at = max(p["start_s"], label_at + gap)
        ax[0, 0].annotate(p["name"].replace("_", " "), (label_at, 0.97), xycoords=("data", "axes fraction"),
                          fontsize=7, rotation=90, va="top", color="0.3",
                          bbox=dict(fc="white", ec="none", alpha=0.8, pad=0.5))
    layout(fig, left=0.75, right=0.2, top=0.75, bottom=0.55, wspace=0.8, hspace=0.9)
    path = Path(out_dir) / "ascent_profile.png"
    save_png(fig, path)
    plt.close(fig)
    return {"ascent_profile": path}
