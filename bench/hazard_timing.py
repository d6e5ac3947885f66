"""Hazard-detection timing: the safety map at 1 Mcell against a simple scipy version,
the lidar scan, the flight-size map, terrain generation, the touchdown judge.

Measures, in one run and side by side (every kernel warmed up first):
  - safety_map, choose_site and both on a 1001 x 1001 map (1 Mcell, 0.2 m cells,
    2.2 m footprint) of the descent scenario's terrain with 3 cm noise and 1 % holes;
  - the pipeline of performance_notes.md written with scipy.ndimage filters
    (box-filter plane fit, square maximum-filter roughness, distance transform for
    the site), if scipy is present;
  - lidar_scan with the scenario's ray grid from the 100 m hover, and the map and
    site at the scenario's map size, over the descent's and the rough scenario's ground;
  - terrain generation for the descent (mare: fine map and regional map, and the fine map
    alone) and rough scenarios; the touchdown judge.

    python bench/hazard_timing.py [--runs N] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np
from loop_timing import machine, print_table, row, summarise

import gnc.scenario
from gnc import terrain_gen
from gnc.core import hazard as HZ
from gnc.core import hdu
from gnc.core import vehicle as V
from gnc.core.layout import CF_LEG_HEIGHT
from gnc.core.touchdown import judge
from gnc.programs.descent.assemble import approach_heading_deg, assemble, c_lf, landing_to_inertial
from gnc.rotations import quat_from_matrix

SEED = 0
CELL = 0.2                 # m: the 1 Mcell map
FOOT_R = 2.2               # m
YAW = 0.3                  # rad: the lander's heading in the map (the pads' test costs the same at any)
TARGET_MAP_MS = 50.0       # 1 Mcell safety map (the scipy version: ~113 ms in performance_notes.md)
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "hazard_timing.json"


def timed(fn, runs, *args):
    """Wall times (ms) of fn(*args) after one warm-up call."""
    fn(*args)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(*args)
        out.append(1e3 * (time.perf_counter() - t0))
    return out


def mcell_map(sc):
    """A scanned-looking 1 Mcell height map: the terrain, range noise, 1 % holes."""
    rng = np.random.default_rng(SEED)
    dem = terrain_gen.generate(sc.terrain, SEED, approach_heading_deg(sc)).dem
    maps = np.zeros((HZ.M_LEN, *dem.shape))
    maps[HZ.M_Z] = dem - 100.0 + rng.normal(0.0, 0.03, dem.shape)
    maps[HZ.M_COUNT] = (rng.random(dem.shape) >= 0.01).astype(float)
    return maps


def standing(a):
    """Truth state at t = 0 of the vehicle upright on its pads over the target."""
    r_i, v_i = landing_to_inertial(a.world, np.array([0.0, 0.0, a.cfg[CF_LEG_HEIGHT]]), np.zeros(3))
    x = np.zeros(V.X_LEN)
    x[V.X_R:V.X_R + 3], x[V.X_V:V.X_V + 3] = r_i, v_i
    x[V.X_Q:V.X_Q + 4] = quat_from_matrix(c_lf(a.world).T)
    x[V.X_M] = a.vp[V.VP_MASS_DRY]
    return x


def map_and_site(maps, cell, hp):
    HZ.safety_map(maps, cell, hp[hdu.HP_FOOT_R], YAW, hp[hdu.HP_SLOPE_MAX], hp[hdu.HP_ROUGH_MAX],
                  hp[hdu.HP_MIN_COVER])
    c = 0.5 * (maps.shape[1] - 1)
    return HZ.choose_site(maps, cell, hp[hdu.HP_MARGIN], c, c)


def scipy_pipeline(z, cell, foot_r, slope_max, rough_max, margin):
    """The safety criteria with scipy.ndimage: box-filter plane fit, maximum filter of
    |relief| over the footprint's square (separable; a disc footprint costs ~17x the
    compiled map), distance transform of the safe cells, nearest site."""
    from scipy import ndimage
    k = math.ceil(foot_r / cell)
    size = 2 * k + 1
    i, j = np.mgrid[0:z.shape[0], 0:z.shape[1]].astype(float)
    mean = ndimage.uniform_filter(z, size, mode="nearest")
    sxx = (size * size) * (k * (k + 1) / 3.0) * cell
    gx = (ndimage.uniform_filter(z * j, size, mode="nearest") - j * mean) * size * size / sxx
    gy = (ndimage.uniform_filter(z * i, size, mode="nearest") - i * mean) * size * size / sxx
    steep = np.hypot(gx, gy) > math.tan(slope_max)
    rough = ndimage.maximum_filter(np.abs(z - mean), size) > rough_max
    clear = ndimage.distance_transform_edt(~(steep | rough)) * cell > margin
    c = 0.5 * (z.shape[0] - 1)
    d = np.where(clear, (i - c) ** 2 + (j - c) ** 2, np.inf)
    return np.unravel_index(np.argmin(d), d.shape)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15, help="repetitions of every timed item (default 15)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    host = machine()
    load_start = os.getloadavg()[0]
    sc = gnc.scenario.load("descent")
    a = assemble(sc, SEED)
    hp = a.hdu
    slope_max, rough_max, min_cover = hp[hdu.HP_SLOPE_MAX], hp[hdu.HP_ROUGH_MAX], hp[hdu.HP_MIN_COVER]

    big = mcell_map(sc)
    z_big = big[HZ.M_Z].copy()
    n_big = big.shape[1]

    def safety_big():
        HZ.safety_map(big, CELL, FOOT_R, YAW, slope_max, rough_max, min_cover)

    def site_big():
        c = 0.5 * (n_big - 1)
        HZ.choose_site(big, CELL, hp[hdu.HP_MARGIN], c, c)

    def both_big():
        safety_big()
        site_big()

    safety_ms = timed(safety_big, args.runs)
    site_ms = timed(site_big, args.runs)
    both_ms = timed(both_big, args.runs)
    safe_cells, _ = HZ.safety_map(big, CELL, FOOT_R, YAW, slope_max, rough_max, min_cover)
    try:
        scipy_ms = timed(scipy_pipeline, max(3, args.runs // 3), z_big, CELL, FOOT_R, slope_max, rough_max,
                         hp[hdu.HP_MARGIN])
    except ImportError:
        scipy_ms = None

    # the scan and the flight-size map, from the hover over the descent terrain
    q_level = (1.0, 0.0, 0.0, 0.0)
    r_hover = np.array([0.0, 0.0, sc.guidance.hover_alt_m])
    hs, fmap = hdu.allocate(hp)
    rays = int(hp[hdu.HP_RAYS])

    def scan():
        return HZ.lidar_scan(r_hover, q_level, q_level, rays, hp[hdu.HP_FOV], hp[hdu.HP_RANGE_SIG],
                             hp[hdu.HP_DROPOUT], hp[hdu.HP_CELL], a.world, a.dem, fmap)

    np.random.seed(SEED)
    scan_ms = timed(scan, args.runs)
    returns = scan()
    flight_ms = timed(map_and_site, args.runs, fmap, hp[hdu.HP_CELL], hp)

    rough = gnc.scenario.load("rough")
    a_rough = assemble(rough, SEED)
    _, rmap = hdu.allocate(a_rough.hdu)
    HZ.lidar_scan(r_hover, q_level, q_level, rays, hp[hdu.HP_FOV], hp[hdu.HP_RANGE_SIG], hp[hdu.HP_DROPOUT],
                  hp[hdu.HP_CELL], a_rough.world, a_rough.dem, rmap)
    flight_rough_ms = timed(map_and_site, args.runs, rmap, hp[hdu.HP_CELL], a_rough.hdu)
    heading = approach_heading_deg(sc)
    fine_only = sc.with_values({"terrain.regional_enabled": False}).terrain
    w = a.world.copy()

    def terrain_for_a_run(p):
        """What assembly does: draw and stamp the maps, pack them into the core's array."""
        return terrain_gen.generate(p, SEED, heading).core(w)

    gen_ms = timed(terrain_for_a_run, max(3, args.runs // 3), sc.terrain)
    gen_fine_ms = timed(terrain_for_a_run, max(3, args.runs // 3), fine_only)
    gen_rough_ms = timed(terrain_for_a_run, max(3, args.runs // 3), rough.terrain)
    t_mare = terrain_gen.generate(sc.terrain, SEED, heading)
    t_rough = terrain_gen.generate(rough.terrain, SEED, heading)

    judge_us = [1e3 * t for t in timed(judge, args.runs * 20, standing(a), 0.0, a.vp, a.world, a.dem)]
    load_end = os.getloadavg()[0]

    floor = float(np.median(both_ms))
    n_fine = t_mare.dem.shape[0]
    n_u, n_v = t_mare.regional.heights.shape
    n_flight = fmap.shape[1]
    rows = [
        row(f"safety_map, 1 Mcell ({n_big}^2, {CELL} m cells)", "ms", summarise(safety_ms),
            target=f"<= {TARGET_MAP_MS:g} ms"),
        row("choose_site, 1 Mcell", "ms", summarise(site_ms)),
        row("safety_map + choose_site, 1 Mcell (floor)", "ms", summarise(both_ms), floor=floor,
            target=f"<= {TARGET_MAP_MS:g} ms"),
    ]
    if scipy_ms is not None:
        rows.append(row("scipy.ndimage version, 1 Mcell", "ms", summarise(scipy_ms), floor=floor))
    rows += [
        row(f"lidar_scan, {rays}x{rays} rays from {r_hover[2]:g} m", "ms", summarise(scan_ms)),
        row(f"safety_map + choose_site, flight map {n_flight}^2", "ms", summarise(flight_ms)),
        row("the same over the rough scenario's ground", "ms", summarise(flight_rough_ms)),
        row(f"terrain, descent: {n_fine}^2 + regional {n_u}x{n_v}", "ms", summarise(gen_ms)),
        row(f"terrain, descent: {n_fine}^2 fine map alone", "ms", summarise(gen_fine_ms)),
        row(f"terrain, rough: as descent, {len(t_rough.rocks)} rocks", "ms", summarise(gen_rough_ms)),
        row("touchdown judge", "us", summarise(judge_us)),
    ]
    print(f"{host['cpu_model']}, {host['cpu_count']} CPUs, numba {host['numba']}; 1-min load "
          f"{load_start:.2f} -> {load_end:.2f} (other work on the machine inflates every figure)")
    print_table(rows)
    verdict = "meets" if np.median(both_ms) <= TARGET_MAP_MS else "MISSES"
    print(f"1 Mcell map + site: median {np.median(both_ms):.1f} ms {verdict} the {TARGET_MAP_MS:g} ms target "
          f"({safe_cells / n_big ** 2:.0%} of cells safe); scan gridded {returns} returns")
    report = {
        "machine": {**host, "load_avg_1min_start": load_start, "load_avg_1min_end": load_end},
        "runs": args.runs,
        "rows": rows,
        "map_mcell": {"cells": n_big * n_big, "cell_m": CELL, "footprint_radius_m": FOOT_R,
                      "safe_fraction": safe_cells / n_big ** 2, "target_ms": TARGET_MAP_MS},
        "scan": {"rays": rays * rays, "returns": int(returns), "flight_map_cells": n_flight * n_flight},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
