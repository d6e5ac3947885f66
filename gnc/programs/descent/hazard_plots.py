"""Hazard-detection pictures: one run's safety map with the target, the chosen site
and the touchdown point; Monte Carlo touchdowns marked safe or unsafe; the regional
terrain map under the approach with the ground track and the fine map."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gnc.core import hdu as H
from gnc.core.hazard import H_COVER, H_ROUGH, H_SLOPE, M_HAZ, M_ZF
from gnc.plotting import layout, pyplot, save_png

SAFE_RGBA = (0.2, 0.75, 0.3, 0.35)
HAZARD_RGBA = ((H_ROUGH, (0.85, 0.1, 0.1, 0.55), "rock over the pads"),   # drawn in this order, later on top
               (H_SLOPE, (1.0, 0.55, 0.0, 0.55), "slope"),
               (H_COVER, (0.45, 0.45, 0.45, 0.7), "no coverage / edge"))


def _hillshade(z: np.ndarray, cell: float) -> np.ndarray:
    gy, gx = np.gradient(z, cell)
    return _lit(gx, gy)


def _lit(ge: np.ndarray, gn: np.ndarray) -> np.ndarray:
    """Brightness of ground with east and north slopes ge, gn, lit from the north-west, 47 deg up."""
    light = np.array([-1.0, 1.0, 1.5]) / math.sqrt(4.25)
    return np.clip((-ge * light[0] - gn * light[1] + light[2]) / np.sqrt(1.0 + ge * ge + gn * gn), 0.0, 1.0)


def safety_map(path: Path, hp: np.ndarray, hs: np.ndarray, maps: np.ndarray, touchdown: dict | None = None,
               title: str = "Hazard-detection safety map") -> Path:
    """The unit's map (landing frame, metres from the target) over a hillshade of what
    it measured: safe cells green, hazards by kind; the target, the point below the
    vehicle at the scan, the chosen site with the footprint and margin, and the
    touchdown point (touchdown: the run summary's touchdown dict)."""
    from matplotlib.patches import Circle, Patch, Rectangle

    plt = pyplot()          # imported here: importing this module (for NAMES) leaves matplotlib out
    cell = hp[H.HP_CELL]
    n = maps.shape[1]
    e0, n0 = hs[H.HS_SCAN_POS], hs[H.HS_SCAN_POS + 1]
    half = 0.5 * n * cell
    extent = (e0 - half, e0 + half, n0 - half, n0 + half)
    haz = maps[M_HAZ].astype(int)
    over = np.zeros((n, n, 4))
    over[haz == 0] = SAFE_RGBA
    for bit, rgba, _ in HAZARD_RGBA:
        over[(haz & bit) != 0] = rgba
    fig, ax = plt.subplots(figsize=(7.5, 7))
    ax.imshow(_hillshade(maps[M_ZF], cell), cmap="gray", origin="lower", extent=extent, vmin=0, vmax=1)
    ax.imshow(over, origin="lower", extent=extent, interpolation="nearest")
    foot, margin = hp[H.HP_FOOT_R], hp[H.HP_MARGIN]
    ax.plot(0, 0, marker="*", ms=18, c="gold", mec="k", ls="none", label="target")
    ax.plot(e0, n0, marker="+", ms=14, mew=2, c="tab:blue", ls="none", label="below the vehicle at the scan")
    if hs[H.HS_STATUS] == H.ST_SITE:
        se, sn = hs[H.HS_SITE], hs[H.HS_SITE + 1]
        ax.plot(se, sn, marker="o", ms=8, c="white", mec="k", ls="none", label="chosen site")
        ax.add_patch(Circle((se, sn), foot, fill=False, ec="white", lw=1.5))
        ax.add_patch(Rectangle((se - margin, sn - margin), 2 * margin, 2 * margin, fill=False, ec="white", ls=":"))
    if touchdown is not None:
        te, tn = touchdown["east_m"], touchdown["north_m"]
        safe = touchdown.get("safe", True)
        colour = "tab:cyan" if safe else "magenta"
        ax.plot(te, tn, marker="X", ms=10, c=colour, mec="k", ls="none",
                label=f"touchdown ({'safe' if safe else 'unsafe'})")
        ax.add_patch(Circle((te, tn), foot, fill=False, ec=colour, lw=1.5, ls="--"))
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=SAFE_RGBA, label="safe")] + [Patch(color=rgba, label=label) for _, rgba, label in HAZARD_RGBA]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.85)
    ax.set_xlim(min(extent[0], -2.0), max(extent[1], 2.0))
    ax.set_ylim(min(extent[2], -2.0), max(extent[3], 2.0))
    ax.set_xlabel("east of target [m]")
    ax.set_ylabel("north of target [m]")
    status = {H.ST_SITE: "site chosen", H.ST_NO_SITE: "no safe site"}.get(int(hs[H.HS_STATUS]), "no map")
    ax.set_title(f"{title}\n{status}, {100.0 * np.mean(haz == 0):.0f} % of cells safe")
    layout(fig, left=0.8, right=0.2, top=0.6, bottom=0.55)
    save_png(fig, Path(path))
    plt.close(fig)
    return Path(path)


def touchdowns(path: Path, campaigns: dict[str, list[dict]], max_slope_deg: float, max_rock_m: float) -> Path:
    """Monte Carlo touchdowns, one column per campaign (label -> its runs, each with
    the summary's touchdown dict): positions over the target, and slope against the
    tallest rock with the limits, safe and unsafe marked."""
    plt = pyplot()
    fig, axes = plt.subplots(2, len(campaigns), figsize=(5.5 * len(campaigns), 10), squeeze=False)
    for col, (label, runs) in enumerate(campaigns.items()):
        tds = [r["touchdown"] for r in runs if r["touchdown"] is not None]
        safe = np.array([t["safe"] for t in tds], bool)
        pos = np.array([[t["east_m"], t["north_m"]] for t in tds]).reshape(-1, 2)
        sr = np.array([[t["slope_deg"], t["max_rock_m"]] for t in tds]).reshape(-1, 2)
        n_unsafe = int((~safe).sum())
        for ax, xy in ((axes[0, col], pos), (axes[1, col], sr)):
            ax.scatter(xy[safe, 0], xy[safe, 1], s=10, c="tab:blue", label=f"safe ({safe.sum()})")
            ax.scatter(xy[~safe, 0], xy[~safe, 1], s=28, c="tab:red", marker="x", label=f"unsafe ({n_unsafe})")
            ax.grid(alpha=0.3)
        top = axes[0, col]
        top.plot(0, 0, marker="*", ms=14, c="gold", mec="k", ls="none", label="target")
        top.set_aspect("equal", adjustable="datalim")
        top.set_xlabel("east of target [m]")
        top.set_ylabel("north of target [m]")
        top.set_title(f"{label}: {n_unsafe}/{len(runs)} unsafe ({100.0 * n_unsafe / max(len(runs), 1):.1f} %)")
        top.legend(fontsize=8, loc="best")
        bottom = axes[1, col]
        bottom.axvline(max_slope_deg, color="tab:red", ls="--", lw=1, label=f"slope limit {max_slope_deg:g} deg")
        bottom.axhline(max_rock_m, color="tab:purple", ls="--", lw=1, label=f"rock limit {max_rock_m:g} m")
        bottom.set_xlabel("slope under the foot pads [deg]")
        bottom.set_ylabel("tallest rock under the body [m]")
        bottom.legend(fontsize=8, loc="best")
    fig.suptitle("Touchdowns on the terrain")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def regional_map(path: Path, terrain, tel: dict, phases: list[dict], boresight,
                 title: str = "Regional terrain") -> Path:
    """Hillshade of the regional map (gnc.terrain_gen.Terrain.regional) in landing axes, km
    from the target, with the ground track over it, the altimeter's hits from the quick
    adjustment on (tel: one run's telemetry; boresight: the altimeter's, body axes), and the
    fine map's square."""
    from matplotlib.patches import Rectangle

    plt = pyplot()
    reg = terrain.regional
    z = reg.heights
    n_u, n_v = z.shape
    # the strip is turned to the ground track: draw its cells as a mesh at their true positions
    uu, vv = np.meshgrid(reg.u0 + reg.res * np.arange(n_u), reg.v0 + reg.res * np.arange(n_v), indexing="ij")
    e, n = reg.to_en(uu, vv)
    gu, gv = np.gradient(z, reg.res)
    ae, an = reg.uprange
    shade = _lit(ae * gu + an * gv, an * gu - ae * gv)       # d/de, d/dn from d/du, d/dv
    step = max(1, round(max(n_u, n_v) / 700))               # ~700 cells a side is all a figure shows
    fig, ax = plt.subplots(figsize=(6.5, 9))
    ax.pcolormesh(e[::step, ::step] / 1e3, n[::step, ::step] / 1e3, shade[::step, ::step], cmap="gray",
                  vmin=0, vmax=1, shading="nearest", rasterized=True)
    ax.plot(tel["pos_e"][::10] / 1e3, tel["pos_n"][::10] / 1e3, color="tab:blue", lw=1.2, label="ground track")
    t0 = next((p["start_s"] for p in phases if p["name"] == "quick_adjustment"), tel["t"][0])
    rows = np.flatnonzero((tel["t"] >= t0) & (tel["sf.alt_range"] > 0))
    he, hn = _altimeter_hits(tel, rows, boresight)
    ax.scatter(he / 1e3, hn / 1e3, s=2, c="tab:orange", label="altimeter hits from the quick adjustment",
               rasterized=True)
    h = terrain.half / 1e3
    ax.add_patch(Rectangle((-h, -h), 2 * h, 2 * h, fill=False, ec="red", lw=1.2, label="fine map"))
    ax.plot(0, 0, marker="*", ms=12, c="gold", mec="k", ls="none", label="target")
    ax.set_xlim(e.min() / 1e3, e.max() / 1e3)
    ax.set_ylim(n.min() / 1e3, n.max() / 1e3)
    ax.set_aspect("equal")
    ax.set_xlabel("east of target [km]")
    ax.set_ylabel("north of target [km]")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.85)
    d = reg.craters[:, 2]
    sizes = f"{d.min():.0f}-{d.max():.0f} m" if len(d) else "none"
    ax.set_title(f"{title}\n{len(d)} craters ({sizes}), relief {z.min():.0f} .. {z.max():+.0f} m, "
                 f"{reg.res:g} m cells", fontsize=10)
    layout(fig, left=0.8, right=0.2, top=0.6, bottom=0.55)
    save_png(fig, Path(path))
    plt.close(fig)
    return Path(path)


def _altimeter_hits(tel: dict, rows: np.ndarray, boresight) -> tuple[np.ndarray, np.ndarray]:
    """East, north of the ground points the altimeter ranged: truth position plus the measured
    range along the boresight turned by the truth attitude (body -> landing)."""
    w, x, y, z = (tel[k][rows] for k in ("q_w", "q_x", "q_y", "q_z"))
    bx, by, bz = boresight
    de = (1 - 2 * (y * y + z * z)) * bx + 2 * (x * y - w * z) * by + 2 * (x * z + w * y) * bz
    dn = 2 * (x * y + w * z) * bx + (1 - 2 * (x * x + z * z)) * by + 2 * (y * z - w * x) * bz
    s = tel["sf.alt_range"][rows]
    return tel["pos_e"][rows] + s * de, tel["pos_n"][rows] + s * dn
