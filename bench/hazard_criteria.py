"""The unit's safety criterion against the touchdown verdict, map by map (#17).

For each seed: the rough scenario's ground, one lidar scan from 100 m above a point
drawn within 10 m of the target (level within 1 deg, heading as the descent flies), the
unit's safety map; then at every cell the verdict the vehicle model would give a lander
set down there at that heading (gnc.core.touchdown: the plane through the ground under
the pads, the tallest DEM node above it, on the true terrain).  Two criteria:

  footprint plane   the unit before #17: relief of every cell within R off the
                    least-squares plane of its own footprint over max_roughness_m
                    either way (numpy; slope and coverage as the unit's)
  pads' plane       the unit now (gnc.core.hazard.safety_map)

and for each: safe cells, sites (cells whose margin square is all safe), and the
fraction of ground the verdict finds unsafe within 1 m of a site (the landing error),
over all sites and at the site the unit picks (nearest its nadir).

    python bench/hazard_criteria.py [--scenario rough] [--seeds 30]
"""
from __future__ import annotations

import argparse
import math

import numpy as np
from numba import njit
from scipy import ndimage

import gnc.scenario
from gnc.core import hazard as HZ
from gnc.core import hdu, vec
from gnc.core.loop import seed_noise
from gnc.core.touchdown import ground_z, max_rock, pads_plane
from gnc.programs.descent.assemble import approach_heading_deg, assemble

LANDING_ERROR_M = 1.0      # radius of the ground around a site a touchdown may come down on


@njit(cache=True)
def verdict_map(e0, n0, cell, n, yaw, radius, w, dem, rock, slope):
    """The touchdown verdict's rock and slope for a lander centred on every cell, pads at
    radius along the body axes at yaw."""
    c = 0.5 * (n - 1)
    pts = np.empty((4, 3))
    for i in range(n):
        for j in range(n):
            e = e0 + (j - c) * cell
            nn = n0 + (i - c) * cell
            for q in range(4):
                a = yaw + 0.5 * math.pi * (0.0, 2.0, 1.0, 3.0)[q]
                x, y = e + radius * math.cos(a), nn + radius * math.sin(a)
                pts[q, 0], pts[q, 1], pts[q, 2] = x, y, ground_z(x, y, w, dem)
            xm, ym, zm, gx, gy = pads_plane(pts)
            rock[i, j] = max_rock(xm, ym, zm, gx, gy, radius, w, dem)
            slope[i, j] = math.degrees(math.atan(math.hypot(gx, gy)))


def footprint_plane_rough(zf, cell, foot_r, rough_max):
    """The roughness test before #17: cells within foot_r of a cell more than rough_max off
    the least-squares plane of its own footprint (interior cells)."""
    k = math.ceil(foot_r / cell - 1e-9)
    side = 2 * k + 1
    mean = ndimage.uniform_filter(zf, side, mode="nearest")      # a full window's plane passes its mean
    disc = np.hypot(*np.mgrid[-k:k + 1, -k:k + 1]) <= foot_r / cell + 1e-9
    return ndimage.maximum_filter((np.abs(zf - mean) > rough_max).astype(np.uint8), footprint=disc) > 0


def sites(safe, margin_cells):
    return ndimage.minimum_filter(safe.astype(np.uint8), size=2 * margin_cells + 1, mode="constant", cval=0) > 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="rough")
    ap.add_argument("--seeds", type=int, default=30, help="maps, seeds 0 .. N-1 (default 30)")
    args = ap.parse_args(argv)
    sc = gnc.scenario.load(args.scenario)
    lim = sc.touchdown
    yaw = math.radians(90.0 - approach_heading_deg(sc) + 180.0)     # body +x opposite the approach heading
    stats = {"footprint plane": [], "pads' plane": []}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        a = assemble(sc, seed, True)
        hp = a.hdu
        cell, foot_r = hp[hdu.HP_CELL], hp[hdu.HP_FOOT_R]
        hs, maps = hdu.allocate(hp)
        e0, n0 = rng.uniform(-10.0, 10.0, 2)
        r_l = np.array([e0, n0, ground_z(e0, n0, a.world, a.dem) + 100.0])
        tilt = rng.normal(0.0, math.radians(1.0), 2)
        q_lb = vec.q_mul(vec.q_from_rotvec((0.0, 0.0, yaw)), vec.q_from_rotvec((tilt[0], tilt[1], 0.0)))
        seed_noise(seed)
        hdu.scan(0.0, r_l, q_lb, hp, hs, maps, a.world, a.dem)
        n = maps.shape[1]
        c = 0.5 * (n - 1)
        rock, slope = np.empty((n, n)), np.empty((n, n))
        verdict_map(r_l[0], r_l[1], cell, n, yaw, foot_r, a.world, a.dem, rock, slope)
        unsafe = (rock > lim.max_rock_m) | (slope > lim.max_slope_deg)
        k = int(LANDING_ERROR_M / cell)
        near = np.hypot(*np.mgrid[-k:k + 1, -k:k + 1]) <= k
        unsafe_near = ndimage.convolve(unsafe.astype(float), near / near.sum(), mode="constant", cval=1.0)
        haz = maps[HZ.M_HAZ].astype(int)
        slope_cover = ((haz & (HZ.H_SLOPE | HZ.H_COVER)) != 0) & np.isnan(maps[HZ.M_ROCK])  # from the box sums
        before = ~slope_cover & ~footprint_plane_rough(maps[HZ.M_ZF], cell, foot_r, hp[hdu.HP_ROUGH_MAX])
        m = math.ceil(hp[hdu.HP_MARGIN] / cell - 1e-9)
        for name, safe in (("footprint plane", before), ("pads' plane", haz == 0)):
            s = sites(safe, m)
            pick = np.where(s, np.hypot(*np.mgrid[0:n, 0:n] - c), np.inf)
            pi, pj = np.unravel_index(np.argmin(pick), pick.shape)
            stats[name].append((safe.mean(), s.sum(), unsafe_near[s].mean() if s.any() else np.nan,
                                unsafe_near[pi, pj] if s.any() else np.nan))
    print(f"{args.scenario}, {args.seeds} maps; verdict limits: rock {lim.max_rock_m} m, slope {lim.max_slope_deg} deg; "
          f"unsafe ground within {LANDING_ERROR_M:g} m of a site")
    print(f"{'criterion':16s} {'safe cells':>10s} {'sites median':>12s} {'min':>5s} {'unsafe near sites':>18s} "
          f"{'near the picked site: mean':>27s} {'worst':>6s}")
    for name, rows in stats.items():
        r = np.array(rows, dtype=float)
        print(f"{name:16s} {100 * r[:, 0].mean():9.1f}% {np.median(r[:, 1]):12.0f} {r[:, 1].min():5.0f} "
              f"{1e3 * np.nanmean(r[:, 2]):16.2f} ‰ {1e3 * np.nanmean(r[:, 3]):25.2f} ‰ {np.nanmax(r[:, 3]):6.3f}")


if __name__ == "__main__":
    main()
