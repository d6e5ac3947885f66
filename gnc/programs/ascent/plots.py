"""PNG plot of an ascent run (matplotlib, Agg backend).

    ascent_profile.png   altitude, speed, elevation of the thrust axis, altitude vs downrange
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gnc.plotting import pyplot, save_png, thin, title

NAMES = ("ascent_profile",)


def plot(result, out: Path) -> dict[str, Path]:
    return plot_ascent(result.telemetry, result.summary, result.scenario, out)


def plot_ascent(tel: dict, summary: dict, scenario, out_dir) -> dict[str, Path]:
    plt = pyplot()
    rows = thin(np.arange(len(tel["t"])))
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
    fig.suptitle(f"{title(summary)}: ascent profile")
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
