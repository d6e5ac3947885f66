"""Hazard detection and avoidance: terrain populations against their size-frequency
laws, the safety map against hand-made ground and a brute-force reference, the
unit's site never one it measured unsafe, the touchdown judge on synthetic ground,
the unit in the closed loop, and the avoidance on/off Monte Carlo on rough ground."""
import dataclasses
import math
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pngs import blank_png_bytes

from gnc import montecarlo, scenario, terrain_gen
from gnc.core import hazard as HZ
from gnc.core import hdu
from gnc.core import layout as L
from gnc.core import moon as M
from gnc.core import vehicle as V
from gnc.core.loop import seed_noise
from gnc.core.terrain import RAY_TOL_M, dem_height, ray_range
from gnc.core.terrain_features import stamp_craters, stamp_rocks
from gnc.core.touchdown import ground_z, judge, max_rock, pads_plane
from gnc.core.vec import q_from_rotvec, q_rot
from gnc.programs.descent import hazard_plots, hazard_report
from gnc.programs.descent import plant as P
from gnc.programs.descent import run as gnc_run
from gnc.programs.descent.assemble import approach_heading_deg, assemble, c_lf, landing_to_inertial, world_array
from gnc.programs.descent.run import run, touchdown_summary
from gnc.rotations import quat_from_matrix

SC = scenario.load("descent")
ROUGH = scenario.load("rough")
HEADING = approach_heading_deg(SC)
CELL = 0.2
FOOT_R = 2.2


def _terrain_params(**changes):
    """The descent's [terrain] with changes; without the regional map unless asked."""
    p = dict(vars(SC.terrain), regional_enabled=False)
    p.update(changes)
    return SimpleNamespace(**p)


# ---------------------------------------------------------------- terrain ----

# Sampling error, not a measured margin: the maximum-likelihood exponent and the count of n
# craters scatter by ~1/sqrt(n) (0.9 % for n ~ 12,800; 1.6 % for the regional ~4,000), so
# 10 % is some 10 (6) of their sigmas.  Seeds 0-39: worst 2.6 % and 2.4 % (fine), 4.0 % and
# 3.4 % (regional) (python bench/test_bounds.py terrain).
@pytest.mark.parametrize("b", [1.8, 2.5])
def test_crater_diameters_follow_the_power_law(b):
    p = _terrain_params(half_width_m=200.0, resolution_m=1.0, crater_density=0.08, crater_exponent=b,
                        crater_d_min_m=1.0, crater_d_max_m=100.0)
    t = terrain_gen.generate(p, seed=1, heading_deg=HEADING)
    inside = np.all(np.abs(t.craters[:, :2]) < p.half_width_m, axis=1)     # centres on the map: no size bias
    d = t.craters[inside, 2]
    assert len(d) > 3000
    b_fit = len(d) / np.sum(np.log(d / p.crater_d_min_m))                  # maximum likelihood, Pareto
    assert b_fit == pytest.approx(b, rel=0.10)
    expected = p.crater_density * (2 * p.half_width_m) ** 2 * (1.0 - (p.crater_d_max_m / p.crater_d_min_m) ** -b)
    assert len(d) == pytest.approx(expected, rel=0.10)


# The fit of the cumulative area has no closed-form error: tolerances are 1.5 x the worst
# relative error over seeds 0-39, rounded up to 0.01 (q, k: 9.7 %, 18.9 % at k = 0.02;
# 3.4 %, 1.9 % at k = 0.10; python bench/test_bounds.py terrain).  The 10 % both had before
# was read off seed 2: a tenth of the seeds miss it at k = 0.02.
@pytest.mark.parametrize("k, q_tol, k_tol", [(0.02, 0.15, 0.29), (0.10, 0.06, 0.03)])
def test_rock_populations_follow_golombek_rapp(k, q_tol, k_tol):
    p = _terrain_params(half_width_m=150.0, resolution_m=1.0, rock_abundance=k, rock_d_min_m=0.2, rock_d_max_m=3.0)
    t = terrain_gen.generate(p, seed=2, heading_deg=HEADING)
    d = np.sort(t.rocks[:, 2])[::-1]
    area = (2 * p.half_width_m) ** 2
    frac = np.cumsum(0.25 * np.pi * d * d) / area            # fractional area of rocks >= d
    q = terrain_gen.rock_q(k)
    fit = (np.arange(1, len(d) + 1) >= 30) & (d >= p.rock_d_min_m)   # where the tail has enough rocks
    slope, intercept = np.polyfit(d[fit], np.log(frac[fit]), 1)
    assert -slope == pytest.approx(q, rel=q_tol)
    assert math.exp(intercept) == pytest.approx(k, rel=k_tol)


def test_crater_profile_bowl_rim_ejecta():
    n, res = 201, 0.1
    half = 0.5 * (n - 1) * res
    dem = np.zeros((n, n))
    diam, ratio = 4.0, 0.2
    stamp_craters(dem, res, half, np.array([[0.0, 0.0, diam, ratio]]))
    c = n // 2
    depth, rim = ratio * diam, 0.2 * ratio * diam
    assert dem[c, c] == pytest.approx(-depth)
    assert dem[c, c + 20] == pytest.approx(rim)                                 # r = R
    taper = 1.0 / 27.0
    assert dem[c, c + 40] == pytest.approx(rim * (1.0 / 8.0 - taper) / (1.0 - taper))   # r = 2R: ~ r^-3
    assert dem[c, c + 60] == pytest.approx(0.0, abs=1e-12)                      # ejecta end at 3R


def test_rocks_are_hemispheres_on_the_ground():
    n, res = 101, 0.05
    half = 0.5 * (n - 1) * res
    dem = np.full((n, n), 0.3)
    stamp_rocks(dem, res, half, np.array([[0.0, 0.0, 1.0]]), np.empty(1))
    c = n // 2
    assert dem[c, c] == pytest.approx(0.8)
    assert dem[c, c + 6] == pytest.approx(0.3 + math.sqrt(0.25 - 0.3 ** 2))
    assert dem[c, c + 11] == pytest.approx(0.3)


def test_terrain_is_deterministic_per_seed():
    a, b, c = (terrain_gen.generate(SC.terrain, s, HEADING) for s in (4, 4, 5))
    assert np.array_equal(a.dem, b.dem) and np.array_equal(a.regional.heights, b.regional.heights)
    assert not np.array_equal(a.dem, c.dem) and not np.array_equal(a.regional.heights, c.regional.heights)



# -------------------------------------------------------- regional map ----

def _world_and_dem(t):
    w = world_array(SC)
    return w, t.core(w)


@pytest.mark.parametrize("b", [2.5, 3.5])
def test_regional_craters_follow_their_power_law(b):
    # ~4000 craters on a 20 x 10 km strip; no clearing around the target (it removes big craters)
    c = 2e-5 * 100.0 ** b                                       # N(>100 m) = 20 per km^2
    p = _terrain_params(regional_enabled=True, regional_uprange_m=20000.0, regional_downrange_m=0.0,
                        regional_half_width_m=5000.0, regional_resolution_m=50.0, regional_crater_density=c,
                        regional_crater_exponent=b, regional_d_max_m=2000.0, regional_clear_m=0.0)
    reg = terrain_gen.generate(p, seed=3, heading_deg=HEADING).regional
    u, v, d = reg.craters[:, 0], reg.craters[:, 1], reg.craters[:, 2]
    inside = (u >= 0.0) & (u <= p.regional_uprange_m) & (np.abs(v) <= p.regional_half_width_m)
    d = d[inside]
    d_lo = p.crater_d_max_m                                      # the regional map takes over where the fine one ends
    assert len(d) > 3000 and d.min() >= d_lo and d.max() <= p.regional_d_max_m
    b_fit = len(d) / np.sum(np.log(d / d_lo))                   # maximum likelihood, Pareto
    assert b_fit == pytest.approx(b, rel=0.10)
    area = p.regional_uprange_m * 2.0 * p.regional_half_width_m
    assert len(d) == pytest.approx(c * area * (d_lo ** -b - p.regional_d_max_m ** -b), rel=0.10)


def test_regional_map_lies_along_the_approach_and_spares_the_site():
    t = terrain_gen.generate(SC.terrain, 0, HEADING)
    reg, p = t.regional, SC.terrain
    w, dem = _world_and_dem(t)
    nf = t.dem.shape[0]
    # every regional node is where the core looks for it: the uprange axis against the heading
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(0, reg.heights.shape[0], 200), rng.integers(0, reg.heights.shape[1], 200)):
        e, n = reg.to_en(reg.u0 + i * reg.res, reg.v0 + j * reg.res)
        if max(abs(e), abs(n)) > t.half:                         # off the fine map
            assert dem_height(e, n, w, dem) == pytest.approx(reg.heights[i, j], abs=1e-9)
    assert reg.to_en(1.0, 0.0) == pytest.approx((-math.sin(math.radians(HEADING)), -math.cos(math.radians(HEADING))))
    # a crater's centre is its bowl: the stamp and the lookup agree on (u, v)
    big = reg.craters[np.argmax(reg.craters[:, 2])]
    e, n = reg.to_en(big[0], big[1])
    rim = [dem_height(*reg.to_en(big[0] + 0.5 * big[2] * math.cos(a), big[1] + 0.5 * big[2] * math.sin(a)), w, dem)
           for a in np.linspace(0.0, 2.0 * math.pi, 8, endpoint=False)]
    assert dem_height(e, n, w, dem) < np.mean(rim) - 0.5 * big[3] * big[2]
    # site selection: no regional ejecta within regional_clear_m, so the fine map's ground is as it was
    assert np.all(np.hypot(reg.craters[:, 0], reg.craters[:, 1]) - 1.5 * reg.craters[:, 2] > p.regional_clear_m)
    for e, n in rng.uniform(-0.9 * t.half, 0.9 * t.half, (200, 2)):
        assert dem_height(e, n, w, dem) == dem_height(e, n, *_fine_only(w, dem, nf))
    # and the lookup's shortcut there is exact: read anyway, the regional map adds nothing
    quiet, w_read = w[M.W_REG_QUIET], w.copy()
    w_read[M.W_REG_QUIET] = 0.0
    assert quiet > t.half
    for r, a in zip(rng.uniform(0.0, quiet, 500), rng.uniform(0.0, 2.0 * math.pi, 500)):
        e, n = r * math.cos(a), r * math.sin(a)
        assert dem_height(e, n, w_read, dem) == dem_height(e, n, w, dem)


def _fine_only(w, dem, nf):
    w2 = w.copy()
    w2[M.W_REG_ROW] = 0.0
    return w2, np.ascontiguousarray(dem[:nf, :nf])


def test_height_is_continuous_across_the_fine_map_edge_and_the_regional_edge():
    # rocky fine map; regional craters stamped across the seam (the site clearing keeps them off it)
    t = terrain_gen.generate(_terrain_params(regional_enabled=True, rock_abundance=0.10), 1, HEADING)
    reg = t.regional
    seam = np.array([[*reg.to_uv(e, n), 150.0, 0.1]
                     for e, n in ((t.half, 0.0), (-t.half, 30.0), (10.0, t.half), (-40.0, -t.half), (t.half, t.half))])
    heights = reg.heights.copy()
    stamp_craters(heights, reg.res, 0.0, np.column_stack([seam[:, 1] - reg.v0, seam[:, 0] - reg.u0, seam[:, 2:]]))
    t = dataclasses.replace(t, regional=dataclasses.replace(reg, heights=heights,
                                                           craters=np.vstack([reg.craters, seam])))
    w, dem = _world_and_dem(t)
    w_fine, dem_fine = _fine_only(w, dem, t.dem.shape[0])
    step = 1e-3
    x = np.arange(-2.0, 2.0, step)
    seam_regional = 0.0
    for along in np.linspace(-0.95 * t.half, 0.95 * t.half, 15):
        for sign in (-1.0, 1.0):
            for e, n in ((sign * t.half + x, np.full_like(x, along)), (np.full_like(x, along), sign * t.half + x)):
                h = np.array([dem_height(a, b, w, dem) for a, b in zip(e, n)])
                fine = np.array([dem_height(a, b, w_fine, dem_fine) for a, b in zip(e, n)])
                assert np.max(np.abs(np.diff(h))) < 5.0 * step          # no step: slope under 80 deg
                seam_regional = max(seam_regional, np.max(np.abs(h - fine)))
    assert seam_regional > 5.0          # the regional ground is metres off the datum at the seam
    # the regional map's own edges fade into the datum sphere
    reg = t.regional
    u1, v1 = reg.u0 + (reg.heights.shape[0] - 1) * reg.res, -reg.v0
    dx = np.arange(-5.0, 5.0, 0.01)
    for c in np.linspace(0.0, 1.0, 21):
        for u, v, du, dv in ((reg.u0, reg.v0 + c * 2 * v1, -1, 0), (u1, reg.v0 + c * 2 * v1, 1, 0),
                             (reg.u0 + c * (u1 - reg.u0), reg.v0, 0, -1), (reg.u0 + c * (u1 - reg.u0), v1, 0, 1)):
            h = np.array([dem_height(*reg.to_en(u + du * x, v + dv * x), w, dem) for x in dx])
            assert np.max(np.abs(np.diff(h))) < 0.05 and h[-1] == 0.0      # outward, onto the sphere


def test_the_dem_lookup_refuses_non_finite_points_instead_of_indexing_with_them():
    """int(NaN) as an index read far outside the map: the HIL host died of SIGSEGV when a
    board's NaN thrust turned the state NaN.  Run apart: a crash must fail the test, not the suite."""
    import subprocess
    import sys
    code = """
import math
import numpy as np
from gnc.core.terrain import dem_height, height
from gnc.programs.descent.assemble import assemble
from gnc.scenario import load
a = assemble(load("rough"), 0)
for e, n in ((math.nan, 0.0), (0.0, math.nan), (math.inf, 0.0), (-math.inf, 1e300), (1e300, -1e300)):
    h = dem_height(e, n, a.world, a.dem)
    assert h == 0.0 or math.isnan(h), (e, n, h)
    height(np.array([e, n, 100.0]), a.world, a.dem)
print("ok")
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0 and p.stdout.strip() == "ok", (p.returncode, p.stderr[-2000:])


def test_the_approach_altimeter_ranges_to_the_regional_terrain():
    """The nominal descent's approach: every altimeter hit on the regional map, and the
    measured range follows the terrain where it departs from the datum sphere."""
    res = run(SC, seed=0)
    T, a = res.telemetry, assemble(SC, 0)
    bore = np.array(SC.sensors.altimeter.boresight)
    rows = np.flatnonzero((T["af.phase"] == L.PHASE_APPROACH) & ((T["sf.valid"].astype(int) & L.VALID_ALT) != 0))
    reg = terrain_gen.generate(SC.terrain, 0, HEADING).regional
    u1, v1 = reg.u0 + (reg.heights.shape[0] - 1) * reg.res, -reg.v0
    flat = np.zeros((1, 1))
    terrain, sphere, measured = [], [], T["sf.alt_range"][rows]
    for k in rows:
        p = np.array([T["pos_e"][k], T["pos_n"][k], T["pos_u"][k]])
        q = (T["q_w"][k], T["q_x"][k], T["q_y"][k], T["q_z"][k])
        b = np.array(q_rot(q, bore))
        s = ray_range(p, b, a.world, a.dem)
        u, v = reg.to_uv(p[0] + s * b[0], p[1] + s * b[1])
        assert reg.u0 < u < u1 and abs(v) < v1, "an approach hit off the regional map"
        terrain.append(s)
        sphere.append(ray_range(p, b, a.world, flat))
    terrain, sphere = np.array(terrain), np.array(sphere)
    sig = np.hypot(SC.sensors.altimeter.sigma_frac * terrain, SC.sensors.altimeter.sigma_min_m)
    x, y = (terrain - sphere) / sig, (measured - sphere) / sig       # in units of the altimeter's noise
    assert len(rows) > 500                           # ~80 s of approach at 10 Hz, 1 % dropped: ~780
    # the terrain's signal stands well above the noise over the approach (slope 0 would be
    # > 8 sigma off, twice the tolerance below), and the measured range follows it one for one:
    # the regression's slope has sigma 1/strength, the tolerance is 4 sigma.  Seed 0: strength
    # 13.3; seeds 0-19: 2.4-66, |slope - 1| <= 2.0 sigma (python bench/test_bounds.py altimeter).
    # (A check that the terrain departs over 10 m from the sphere was read off seed 0: 12 of
    # seeds 0-19 depart less; the strength is what makes the test able to fail.)
    strength = math.sqrt(np.sum(x * x))
    assert strength > 8.0
    assert np.sum(x * y) / np.sum(x * x) == pytest.approx(1.0, abs=4.0 / strength)


def test_a_sensor_below_the_datum_ranges_to_the_floor_it_is_above():
    """A lander low in a depression deeper than its height is inside the datum sphere: its
    altimeter, velocimeter and lidar must still range to the floor (#17: they returned -1,
    and a dispersed descent cut off blind at 3.2 m above a crater floor 8.5 m down)."""
    a = assemble(SC, 0)
    pit = np.array(a.dem, copy=True)
    n = int(a.world[M.W_REG_ROW]) or pit.shape[0]
    pit[:n, :n] -= 20.0                               # the fine map's square, 20 m deeper
    floor = dem_height(0.0, 0.0, a.world, pit)
    assert floor < -15.0
    p = np.array([0.0, 0.0, floor + 5.0])             # 5 m above the floor, over 10 m below the datum
    assert ray_range(p, np.array([0.0, 0.0, -1.0]), a.world, pit) == pytest.approx(5.0, abs=RAY_TOL_M)
    slant = np.array([math.sin(math.radians(30.0)), 0.0, -math.cos(math.radians(30.0))])
    s = ray_range(p, slant, a.world, pit)
    hit = p + s * slant
    assert s > 0.0 and abs(hit[2] - dem_height(hit[0], hit[1], a.world, pit)) < 0.01   # on the ground, to 1 cm
    assert ray_range(p, np.array([0.0, 0.0, 1.0]), a.world, pit) == -1.0               # the sky


def test_a_dispersed_descent_into_a_crater_floor_keeps_ranging_and_lands():
    """#17's reproduction: `gnc run descent --seed 1063877161 --disperse` picked a crater floor
    8.5 m below the datum; ranging died for the last seconds and it touched down at 3.1 m/s."""
    res = run(SC, seed=1063877161, disperse=True)
    T = res.telemetry
    assert res.summary["outcome"] == "landed", res.summary["failures"]
    # the premise still holds: the floor it came down on lies deeper below the datum sphere than
    # the vehicle stands (8.4 m), where a search from the datum found no ground
    assert T["pos_u"][-1] - T["alt"][-1] < -5.0
    low = np.flatnonzero(T["alt"] < 20.0)             # the last 20 m above the floor
    ranged = low[(T["sf.valid"][low].astype(int) & L.VALID_ALT) != 0]
    # the altimeter samples at 10 Hz (every 5th step at 50 Hz) and drops 1 % of its samples: a
    # gap of 0.5 s is 4 drops in a row (~1e-8); blind, the gap ran to the touchdown
    gaps = np.diff(np.concatenate([[low[0]], ranged, [low[-1] + 1]]))
    assert gaps.max() / SC.sim.fsw_rate_hz <= 0.5, f"{gaps.max()} steps without a range"


# ------------------------------------------------------------- safety map ----

def _maps(z, count=None):
    n = z.shape[0]
    maps = np.zeros((HZ.M_LEN, n, n))
    maps[HZ.M_Z] = z
    maps[HZ.M_COUNT] = 1.0 if count is None else count
    return maps


def _grid(n):
    i, j = np.mgrid[0:n, 0:n]
    return i, j


def test_flat_plane_with_one_boulder_is_unsafe_exactly_within_the_footprint():
    """A 0.5 m boulder on flat ground: a lander centred within R of it has it under the body,
    but for the four centres that put a foot pad on it (yaw 0: pads R = 11 cells along the
    rows and columns): that pad tilts the lander 6.5 deg, which its slope limit refuses."""
    n = 121
    z = np.full((n, n), -100.0)
    bi, bj = 60, 45
    z[bi, bj] += 0.5
    maps = _maps(z)
    HZ.safety_map(maps, CELL, FOOT_R, 0.0, math.radians(6.0), 0.2, 0.8)
    haz = maps[HZ.M_HAZ].astype(int)
    i, j = _grid(n)
    k = math.ceil(FOOT_R / CELL)
    interior = (i >= k) & (i < n - k) & (j >= k) & (j < n - k)
    near = np.hypot(i - bi, j - bj) <= FOOT_R / CELL + 1e-9
    on_pad = np.zeros((n, n), bool)
    on_pad[[bi - k, bi + k, bi, bi], [bj, bj, bj - k, bj + k]] = True
    assert np.array_equal((haz & HZ.H_ROUGH) != 0, near & ~on_pad)
    assert np.array_equal((haz & HZ.H_SLOPE) != 0, on_pad)
    assert np.allclose(maps[HZ.M_ROCK][on_pad], 0.5 - 0.5 * (1 / 4 + 1 / 2))     # the boulder over the tilted plane
    assert np.all(haz[interior & ~near] == 0)
    assert np.all((haz[~interior] & HZ.H_COVER) != 0)


def _footprint_relief(z, cell, foot_r):
    """Each interior cell's height off the least-squares plane of its own footprint window:
    the relief the unit held to rough_max before #17."""
    n = z.shape[0]
    k = math.ceil(foot_r / cell - 1e-9)
    side = 2 * k + 1
    oi, oj = np.mgrid[-k:k + 1, -k:k + 1]
    design = np.column_stack([np.ones(side * side), oj.ravel(), oi.ravel()])
    wins = np.lib.stride_tricks.sliding_window_view(z, (side, side)).reshape(-1, side * side)
    a0 = np.linalg.lstsq(design, wins.T, rcond=None)[0][0].reshape(n - 2 * k, n - 2 * k)
    return z[k:n - k, k:n - k] - a0


def test_a_rock_within_the_footprint_planes_limit_is_refused_where_the_pads_sink():
    """#17: a site passed the footprint's least-squares plane while the pads, resting lower,
    left a rock taller than the limit under the body.  Here a 0.18 m rock at the centre and
    0.08 m dips under the four pads at yaw 0: every cell is within 0.2 m of its footprint's
    plane, but the pads' plane lies 0.08 m down, so the rock stands 0.26 m over it.  At a
    yaw of 45 deg the pads miss the dips and the site is safe."""
    n, c, k = 81, 40, round(FOOT_R / CELL)
    z = np.full((n, n), -100.0)
    z[c, c] += 0.18
    z[[c - k, c + k, c, c], [c, c, c - k, c + k]] -= 0.08
    assert np.abs(_footprint_relief(z, CELL, FOOT_R)).max() < 0.2            # what the unit judged before
    verdict = {}
    for yaw_deg in (0.0, 45.0):
        maps = _maps(z)
        HZ.safety_map(maps, CELL, FOOT_R, math.radians(yaw_deg), math.radians(6.0), 0.2, 0.8)
        verdict[yaw_deg] = (int(maps[HZ.M_HAZ, c, c]), maps[HZ.M_ROCK, c, c])
        if yaw_deg == 0.0:
            assert HZ.choose_site(maps, CELL, 0.0, c, c) != (c, c)
    assert verdict[0.0][0] == HZ.H_ROUGH and verdict[0.0][1] == pytest.approx(0.26)
    assert verdict[45.0][0] == 0 and verdict[45.0][1] == pytest.approx(0.18)


@pytest.mark.parametrize("slope_deg", [2.0, 5.9, 6.1, 10.0])
@pytest.mark.parametrize("azimuth_deg", [0.0, 35.0])
def test_tilted_plane_gives_its_slope_everywhere(slope_deg, azimuth_deg):
    n = 81
    i, j = _grid(n)
    g = math.tan(math.radians(slope_deg))
    a = math.radians(azimuth_deg)
    z = -100.0 + g * CELL * (math.cos(a) * j + math.sin(a) * i)
    maps = _maps(z)
    HZ.safety_map(maps, CELL, FOOT_R, math.radians(30.0), math.radians(6.0), 0.2, 0.8)
    assert np.allclose(maps[HZ.M_SLOPE], slope_deg, atol=1e-6)
    judged = ~np.isnan(maps[HZ.M_ROCK])
    assert np.allclose(maps[HZ.M_ROCK][judged], 0.0, atol=1e-9)       # the pads lie on the plane
    haz = maps[HZ.M_HAZ].astype(int)
    assert np.all(((haz & HZ.H_SLOPE) != 0) == (slope_deg > 6.0))
    assert not np.any(haz & HZ.H_ROUGH)


def test_holes_in_the_scan_are_filled_and_counted():
    n = 81
    i, j = _grid(n)
    z = -100.0 + 0.05 * CELL * j
    count = np.ones((n, n))
    count[40, 30:33] = 0.0                     # three missing cells in a row
    count[:, 60:] = 0.0                        # and a strip with no returns at all
    z_scan = np.where(count > 0, z, 0.0)
    maps = _maps(z_scan, count)
    _, z0 = HZ.safety_map(maps, CELL, FOOT_R, 0.0, math.radians(6.0), 0.2, 0.8)
    assert np.allclose((maps[HZ.M_ZF] + z0)[:, :60], z[:, :60])     # linear in the row: filled exactly
    haz = maps[HZ.M_HAZ].astype(int)
    k = math.ceil(FOOT_R / CELL)
    side = 2 * k + 1
    covered = np.array([[count[max(r - k, 0):r + k + 1, max(c - k, 0):c + k + 1].sum() >= 0.8 * side * side
                         for c in range(n)] for r in range(n)])
    inner = (i >= k) & (i < n - k) & (j >= k) & (j < n - k)
    assert np.array_equal((haz & HZ.H_COVER) != 0, ~(covered & inner))


def _bilinear(z, y, x):
    i0 = np.minimum(np.floor(y).astype(int), z.shape[0] - 2)
    j0 = np.minimum(np.floor(x).astype(int), z.shape[1] - 2)
    fy, fx = y - i0, x - j0
    return ((1 - fy) * ((1 - fx) * z[i0, j0] + fx * z[i0, j0 + 1])
            + fy * ((1 - fx) * z[i0 + 1, j0] + fx * z[i0 + 1, j0 + 1]))


def _reference(zf, count, cell, foot_r, yaw, slope_max, rough_max, min_cover):
    """Hazard bits by brute force: a least-squares plane per window; for the cells it leaves
    safe, the plane through the four pads by least squares (numpy's lstsq), its slope and
    the tallest cell of the disc above it."""
    n = zf.shape[0]
    k = math.ceil(foot_r / cell - 1e-9)
    side = 2 * k + 1
    oi, oj = np.mgrid[-k:k + 1, -k:k + 1]
    design = np.column_stack([np.ones(side * side), oj.ravel() * cell, oi.ravel() * cell])
    wins = np.lib.stride_tricks.sliding_window_view(zf, (side, side)).reshape(-1, side * side)
    coef = np.linalg.lstsq(design, wins.T, rcond=None)[0].reshape(3, n - 2 * k, n - 2 * k)
    cover = np.lib.stride_tricks.sliding_window_view(count > 0, (side, side)).sum(axis=(2, 3))
    i, j = np.mgrid[0:n, 0:n]
    ic, jc = np.clip(i, k, n - 1 - k), np.clip(j, k, n - 1 - k)
    _, gx, gy = (c[ic - k, jc - k] for c in coef)
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    haz = np.zeros((n, n), int)
    haz[slope > math.degrees(slope_max)] |= HZ.H_SLOPE
    haz[(i != ic) | (j != jc) | (cover[ic - k, jc - k] < min_cover * side * side)] |= HZ.H_COVER
    rock = np.full((n, n), np.nan)
    pad_slope = np.full((n, n), np.nan)
    rc = foot_r / cell
    arms = rc * np.array([[math.cos(yaw + a), math.sin(yaw + a)] for a in (0.0, math.pi, 0.5 * math.pi, 1.5 * math.pi)])
    disc = [(di, dj) for di in range(-k, k + 1) for dj in range(-k, k + 1) if di * di + dj * dj <= rc * rc]
    ci, cj = np.nonzero(haz == 0)
    if ci.size == 0:
        return haz, slope, pad_slope, rock
    pads = np.column_stack([np.ones(4), arms[:, 0], arms[:, 1]])                 # cells east, north
    heights = _bilinear(zf, ci[None, :] + arms[:, 1:2], cj[None, :] + arms[:, 0:1])
    a0, pe, pn = np.linalg.lstsq(pads, heights, rcond=None)[0]                   # every cell's plane at once
    pad_slope[ci, cj] = np.degrees(np.arctan(np.hypot(pe, pn) / cell))
    rock[ci, cj] = np.max([zf[ci + di, cj + dj] - (a0 + pe * dj + pn * di) for di, dj in disc], axis=0)
    steep = pad_slope[ci, cj] > math.degrees(slope_max)
    tall = rock[ci, cj] > rough_max
    haz[ci[steep], cj[steep]] |= HZ.H_SLOPE
    haz[ci[tall], cj[tall]] |= HZ.H_ROUGH
    return haz, slope, pad_slope, rock


def _reference_site(haz, cell, margin, ti, tj):
    n = haz.shape[0]
    m = math.ceil(margin / cell - 1e-9)
    best, best_d = (-1, -1), math.inf
    for i in range(m, n - m):
        for j in range(m, n - m):
            d = (i - ti) ** 2 + (j - tj) ** 2
            if d < best_d and not haz[i - m:i + m + 1, j - m:j + m + 1].any():
                best, best_d = (i, j), d
    return best


def _scan_terrain(seed, k_rock, craters, slope_deg, rough_m, noise, dropout, margin, yaw):
    """A lidar scan from 60 m over generated terrain (small map), then the map and site."""
    p = _terrain_params(half_width_m=40.0, resolution_m=0.2, rock_abundance=k_rock, crater_density=craters,
                        crater_d_max_m=30.0)
    t = terrain_gen.generate(p, seed, HEADING)
    w = assemble(SC, 0).world.copy()
    dem = t.core(w)
    rng = np.random.default_rng(seed)
    r_l = np.array([*rng.uniform(-5.0, 5.0, 2), 60.0])
    q_lb = q_from_rotvec(tuple(rng.normal(0.0, 0.02, 3)))
    maps = np.zeros((HZ.M_LEN, 101, 101))
    seed_noise(seed)
    HZ.lidar_scan(r_l, q_lb, (1.0, 0.0, 0.0, 0.0), 160, math.radians(28.0), noise, dropout, 0.25, w, dem, maps)
    count = maps[HZ.M_COUNT].copy()
    HZ.safety_map(maps, 0.25, FOOT_R, yaw, math.radians(slope_deg), rough_m, 0.8)
    zf = maps[HZ.M_ZF].copy()
    site = HZ.choose_site(maps, 0.25, margin, 50.0, 50.0)
    return maps, zf, count, site


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k_rock=st.sampled_from([0.0, 0.03, 0.1, 0.2]),
       craters=st.sampled_from([0.0, 0.03, 0.1]), slope_deg=st.floats(3.0, 10.0),
       rough_m=st.floats(0.1, 0.4), noise=st.sampled_from([0.0, 0.03]), dropout=st.sampled_from([0.0, 0.05]),
       margin=st.sampled_from([0.0, 0.5, 1.5]), yaw=st.floats(-math.pi, math.pi))
def test_the_unit_never_reports_a_site_it_measured_unsafe(seed, k_rock, craters, slope_deg, rough_m, noise,
                                                          dropout, margin, yaw):
    maps, zf, count, site = _scan_terrain(seed, k_rock, craters, slope_deg, rough_m, noise, dropout, margin, yaw)
    ref, ref_slope, ref_pad_slope, ref_rock = _reference(zf, count, 0.25, FOOT_R, yaw, math.radians(slope_deg), rough_m, 0.8)
    assert np.allclose(maps[HZ.M_SLOPE], ref_slope, atol=1e-7)
    rock = maps[HZ.M_ROCK]
    assert np.array_equal(np.isnan(rock), np.isnan(ref_rock))          # judged: the same cells
    # the tallest rock where it is within the limit; beyond it the search stops, at no less than the limit
    within = ref_rock <= rough_m
    assert np.allclose(rock[within], ref_rock[within], atol=1e-7)
    assert np.all(rock[ref_rock > rough_m] > rough_m - 1e-7)
    # the compiled map is the reference map (but for values within rounding of a threshold)
    borderline = ((np.abs(ref_slope - slope_deg) < 1e-6) | (np.abs(ref_pad_slope - slope_deg) < 1e-6)
                  | (np.abs(ref_rock - rough_m) < 1e-6))
    if not borderline.any():
        assert np.array_equal(maps[HZ.M_HAZ].astype(int), ref)
    assert site == _reference_site(maps[HZ.M_HAZ] != 0, 0.25, margin, 50.0, 50.0)
    if site[0] >= 0:
        m = math.ceil(margin / 0.25 - 1e-9)
        i, j = site
        assert not ref[i - m:i + m + 1, j - m:j + m + 1].any()


def test_no_site_is_reported_when_nothing_is_safe():
    n = 81
    _, j = _grid(n)
    maps = _maps(-100.0 + math.tan(math.radians(12.0)) * CELL * j)
    safe, _ = HZ.safety_map(maps, CELL, FOOT_R, 0.0, math.radians(6.0), 0.2, 0.8)
    assert safe == 0
    assert HZ.choose_site(maps, CELL, 1.0, 40.0, 40.0) == (-1, -1)


# --------------------------------------------------------- touchdown judge ----

def _ground(dem_fn, res=0.05, half=6.0):
    """World and DEM of the descent scenario with the ground dem_fn(east, north) near the target."""
    w = assemble(SC, 0).world.copy()
    n = int(round(2 * half / res)) + 1
    i, j = _grid(n)
    dem = dem_fn(-half + j * res, -half + i * res)
    w[M.W_DEM_RES], w[M.W_DEM_HALF], w[M.W_REG_ROW] = res, half, 0.0
    return w, dem


def _landed(w, vp, r_l, v_l=(0.0, 0.0, 0.0), t=0.0):
    """Truth state at time t, body vertical (landing axes), at landing-frame r_l moving at v_l."""
    r_i, v_i = landing_to_inertial(w, np.asarray(r_l, float), np.asarray(v_l, float))    # at t = 0
    th = M.theta(t, w)
    rz = np.array([[math.cos(th), -math.sin(th), 0.0], [math.sin(th), math.cos(th), 0.0], [0.0, 0.0, 1.0]])
    x = np.zeros(V.X_LEN)
    x[V.X_R:V.X_R + 3] = rz @ r_i
    x[V.X_V:V.X_V + 3] = rz @ v_i
    x[V.X_Q:V.X_Q + 4] = quat_from_matrix(rz @ c_lf(w).T)
    x[V.X_M] = 1500.0
    return x


VP = assemble(SC, 0).vp
LEG_H = SC.vehicle.leg_height_m


def test_judge_on_flat_ground():
    w, dem = _ground(lambda e, n: np.zeros_like(e))
    slope, rock, tipped = judge(_landed(w, VP, (0.3, -0.2, LEG_H)), 0.0, VP, w, dem)
    assert slope == pytest.approx(0.0, abs=0.01)
    assert rock == pytest.approx(0.0, abs=1e-3)
    assert not tipped


@pytest.mark.parametrize("slope_deg, azimuth_deg", [(10.0, 0.0), (10.0, 30.0), (4.0, 90.0)])
def test_judge_on_a_tilted_plane(slope_deg, azimuth_deg):
    g, a = math.tan(math.radians(slope_deg)), math.radians(azimuth_deg)
    w, dem = _ground(lambda e, n: g * (math.cos(a) * e + math.sin(a) * n))
    slope, rock, tipped = judge(_landed(w, VP, (0.0, 0.0, LEG_H + 1.0)), 0.0, VP, w, dem)
    assert slope == pytest.approx(slope_deg, abs=0.05)
    assert rock == pytest.approx(0.0, abs=1e-3)
    assert not tipped


def test_judge_finds_the_boulder_under_the_body():
    def ground(e, n):
        dem = np.zeros_like(e)
        stamp_rocks(dem, 0.05, 6.0, np.array([[0.6, -0.4, 0.7]]), np.empty(1))
        return dem
    w, dem = _ground(ground)
    slope, rock, tipped = judge(_landed(w, VP, (0.0, 0.0, LEG_H + 0.5)), 0.0, VP, w, dem)
    assert rock == pytest.approx(0.35, abs=0.01)
    assert slope == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("slope_deg, v_l, expected", [
    (0.0, (0.0, 0.0, -3.0), False),       # hard vertical landing: the legs take it
    (0.0, (0.5, 0.0, -2.0), False),       # a little sideways drift
    (0.0, (3.0, 0.0, -2.0), True),        # 3 m/s sideways: over the edge
    (20.0, (0.0, 0.0, -2.0), False),      # a steep slope, statically stable, slides little
    (35.0, (0.0, 0.0, -2.0), True),       # near the static limit (44 deg): the slide downhill tips it
    (55.0, (0.0, 0.0, 0.0), True),        # centre of mass outside the support polygon
])
def test_judge_tip_over(slope_deg, v_l, expected):
    g = math.tan(math.radians(slope_deg))
    w, dem = _ground(lambda e, n: g * (e + n) / math.sqrt(2.0))          # downhill toward a support edge
    _, _, tipped = judge(_landed(w, VP, (0.0, 0.0, LEG_H + 2.0), v_l), 0.0, VP, w, dem)
    assert tipped == expected


# --------------------------------------------------------- the unit in flight ----

def test_the_unit_scans_at_hover_and_reports_the_nearest_safe_site():
    """Flat ground with a 1 m boulder right below the hovering vehicle: nothing until the
    flight software's command (hdu_cmd), then after the scan the site just clear of the boulder, tracked as the
    vehicle moves."""
    a = assemble(SC, 0)
    boulder = np.array([[0.4, -0.3, 1.0]])
    w, dem = _ground(lambda e, n: np.zeros_like(e), res=0.1, half=60.0)
    stamp_rocks(dem, 0.1, 60.0, boulder, np.empty(1))
    hp = a.hdu.copy()
    hp[hdu.HP_ATT_SIG] = 0.0
    hs, hmap = hdu.allocate(hp)
    sf2, af2 = np.zeros((1, L.SF_LEN)), np.zeros((1, L.AF_LEN))
    sf, af = sf2[0], af2[0]
    dt = 0.02
    p = a.plant()._replace(w=w, dem=dem, hp=hp, hs=hs, hmap=hmap, dt=dt)

    def sense(k, r_l):
        P.sense(k, p._replace(x=_landed(w, a.vp, r_l, t=k * dt)), sf2, af2)

    seed_noise(0)
    sense(10, (0.0, 0.0, 100.0))
    assert hs[hdu.HS_STATUS] == hdu.ST_IDLE and not int(sf[L.SF_VALID]) & L.VALID_HDU
    af[L.AF_HDU_CMD] = 1.0
    sense(11, (0.0, 0.0, 100.0))
    assert hs[hdu.HS_STATUS] == hdu.ST_SCANNING and not int(sf[L.SF_VALID]) & L.VALID_HDU
    k_map = 11 + int(math.ceil(hp[hdu.HP_DURATION] / dt))
    sense(k_map, (0.0, 0.0, 100.0))
    assert hs[hdu.HS_STATUS] == hdu.ST_SITE and int(sf[L.SF_VALID]) & L.VALID_HDU
    site = hs[hdu.HS_SITE:hdu.HS_SITE + 3]
    # the nearest site keeps the footprint plus the margin off the boulder's rim
    clear = 0.5 + hp[hdu.HP_FOOT_R] + hp[hdu.HP_MARGIN]
    gap = np.hypot(*(site[:2] - boulder[0, :2]))
    assert clear <= gap + 0.5 * hp[hdu.HP_CELL] * math.sqrt(2)
    assert np.hypot(*site[:2]) <= clear + 3 * hp[hdu.HP_CELL] + np.hypot(*boulder[0, :2])
    assert site[2] == pytest.approx(0.0, abs=0.1)
    rel = sf[L.SF_HDU_REL:L.SF_HDU_REL + 3]                          # body = landing axes here
    assert rel == pytest.approx(site - np.array([0.0, 0.0, 100.0]), abs=5 * hp[hdu.HP_SITE_SIG])
    sense(k_map + 50, (3.0, -2.0, 90.0))
    assert sf[L.SF_HDU_REL:L.SF_HDU_REL + 3] == pytest.approx(site - np.array([3.0, -2.0, 90.0]),
                                                              abs=5 * hp[hdu.HP_SITE_SIG])


def test_the_unit_stays_silent_when_not_fitted():
    a = assemble(SC.with_values({"hdu.enabled": False}), 0)
    hs, hmap = hdu.allocate(a.hdu)
    assert hmap.shape == (HZ.M_LEN, 1, 1)
    sf, af = np.zeros((1, L.SF_LEN)), np.zeros((1, L.AF_LEN))
    af[0, L.AF_HDU_CMD] = 1.0
    x = _landed(a.world, a.vp, (0.0, 0.0, 100.0), t=500 * a.dt)
    P.sense(500, a.plant()._replace(x=x, hs=hs, hmap=hmap), sf, af)
    assert hs[hdu.HS_STATUS] == hdu.ST_IDLE and not int(sf[0, L.SF_VALID]) & L.VALID_HDU
    assert hazard_report.hdu_summary(a.hdu, hs, hmap) == {"status": "off"}


# ------------------------------------------------------- closed-loop flights ----
def fly(sc, seed, disperse=True):
    """One run: its touchdown summary (with the verdict), the unit's summary, state and map."""
    a = assemble(sc, seed, disperse)
    p = gnc_run.fly(a, tel_every=10 ** 9).plant
    td = None
    if p.touch[V.X_LEN] > 0.0:
        td = touchdown_summary(a, p.touch)
        td.update(hazard_report.touchdown_verdict(sc, a.vp, a.world, a.dem, p.touch))
    return {"seed": seed, "touchdown": td, "hdu": hazard_report.hdu_summary(a.hdu, p.hs, p.hmap)}, a.hdu, p.hs, p.hmap


@pytest.mark.parametrize("seed", [449409941, 540295752])
def test_rough_runs_that_set_down_by_a_rock_land(seed):
    """#17's reproduction: runs 316 and 848 of `gnc montecarlo rough -n 1000 --seed 24680`
    (`gnc run rough --seed S --disperse`) touched down 0.2-0.6 m from the unit's site on
    rocks of 0.300 and 0.312 m over the pads' plane, a site the unit had judged against its
    footprint's least-squares plane."""
    res = run(ROUGH, seed=seed, disperse=True)
    td = res.summary["touchdown"]
    assert res.summary["outcome"] == "landed", res.summary["failures"]
    assert res.summary["hdu"]["status"] == "site"
    assert td["max_rock_m"] <= ROUGH.touchdown.max_rock_m and td["safe"]


def test_the_flight_software_commands_the_scan_while_it_hovers():
    """hdu_cmd is 1 on exactly the steps the flight software reports the hover; the unit
    starts its scan at the next sensor frame, the first after the command."""
    a = assemble(SC, 0)
    f = gnc_run.fly(a)
    tel = f.telemetry()
    cols = gnc_run.telemetry_columns()
    cmd, phase = tel[:, cols.index("af.hdu_cmd")], tel[:, cols.index("af.phase")]
    hover = phase == L.PHASE_HOVER
    assert hover.any() and np.array_equal(cmd == 1.0, hover) and np.all((cmd == 0.0) | hover)
    first = np.flatnonzero(hover)[0]
    assert f.plant.hs[hdu.HS_T_CMD] == (first + 1) * a.dt


def test_a_descent_diverts_to_the_units_site_and_draws_its_map(tmp_path):
    run, hp, hs, hmap = fly(ROUGH, seed=3)
    td, unit = run["touchdown"], run["hdu"]
    assert unit["status"] == "site" and td is not None
    i, j = hs[hdu.HS_SITE_CELL:hdu.HS_SITE_CELL + 2].astype(int)
    m = math.ceil(hp[hdu.HP_MARGIN] / hp[hdu.HP_CELL])
    assert not hmap[HZ.M_HAZ, i - m:i + m + 1, j - m:j + m + 1].any()          # measured safe, margin too
    # the margin is the landing error the site allows for (hdu.margin_m); seeds 0-99: every run
    # found a site and landed safe, 1.0 m at worst from it (python bench/test_bounds.py divert)
    assert math.hypot(td["east_m"] - unit["site_east_m"], td["north_m"] - unit["site_north_m"]) < hp[hdu.HP_MARGIN]
    assert td["safe"]
    png = hazard_plots.safety_map(tmp_path / "safety_map.png", hp, hs, hmap, td)
    assert png.stat().st_size > 2 * blank_png_bytes(png.read_bytes())           # a map drawn, not empty axes


def test_a_gentle_touchdown_on_unsafe_ground_is_not_landed():
    """The [touchdown] limits on the ground (slope under the pads, rock under the body) are
    limits like the speeds: beyond them the outcome is unsafe_ground, not landed."""
    td = {"vertical_speed_mps": 1.5, "horizontal_speed_mps": 0.1, "tilt_deg": 1.0, "rate_dps": 0.2,
          "tipped": False, "slope_deg": 2.0, "max_rock_m": 0.1}
    lim = SC.touchdown
    assert gnc_run.judge(SC, td) == ("landed", [])
    rock = {**td, "max_rock_m": lim.max_rock_m + 0.01}
    assert gnc_run.judge(SC, rock) == ("unsafe_ground", [f"rock {lim.max_rock_m + 0.01:.3f} m > {lim.max_rock_m:g} "
                                                         "under the body"])
    assert gnc_run.judge(SC, {**td, "slope_deg": lim.max_slope_deg + 1.0})[0] == "unsafe_ground"
    outcome, failures = gnc_run.judge(SC, {**rock, "vertical_speed_mps": lim.max_vertical_m_s + 0.5})
    assert outcome == "crashed" and len(failures) == 2


def test_monte_carlo_hazard_avoidance_on_and_off_on_rough_ground(tmp_path, capsys):
    """200 seeded dispersed runs each way on the rough scenario: with avoidance no more
    unsafe touchdowns than the aim of 1 % allows; without it, reported beside it."""
    seeds = montecarlo.run_seeds(2024, 200)
    campaigns = {}
    for label, on in (("avoidance on", True), ("avoidance off", False)):
        sc = ROUGH.with_values({"hdu.enabled": on})
        with ThreadPoolExecutor(max_workers=2) as pool:
            campaigns[label] = [r for r, *_ in pool.map(lambda s: fly(sc, s), seeds)]
    unsafe = {label: sum(1 for r in runs if r["touchdown"] is None or not r["touchdown"]["safe"])
              for label, runs in campaigns.items()}
    with capsys.disabled():
        print(f"\nrough ground, 200 runs each: unsafe touchdowns {unsafe['avoidance on']} with avoidance "
              f"({unsafe['avoidance on'] / 2:.1f} %), {unsafe['avoidance off']} without "
              f"({unsafe['avoidance off'] / 2:.1f} %)")
    # Binomial bounds on 200 runs, false alarm under 1e-3 (python bench/test_bounds.py hazard-mc).
    # With avoidance, the aim is at most 1 % unsafe: 9 or more of 200 reject it (P = 2e-4 at
    # 1 %).  "At most 2" read the aim off one campaign: campaigns 2024, 7, 11 give 0, 3, 0
    # (3/600 = 0.5 %; P(3 or more of 200) = 8 % at 0.5 %).  The three: a 0.32 m and a 0.30007 m
    # rock under the body 0.6 m from a site the unit measured safe (it then held relief to
    # 0.2 m off the footprint's plane, the verdict rocks to 0.3 m above the pads'; #17 has it
    # judge the pads' plane), and a map 1.2 % safe with no site, landed at the target.
    # Without avoidance: 294/600 unsafe, p >= 0.426 at 99.9 %; P(fewer than 53 of 200) < 1e-6.
    assert unsafe["avoidance on"] <= 8
    assert unsafe["avoidance off"] >= 53                 # the ground is rough enough to matter
    # and the judge counts no touchdown on unsafe ground as landed (#17: 4 of 1000 rough runs were)
    verdicts = [(gnc_run.judge(ROUGH, r["touchdown"])[0], r["touchdown"]["safe"])
                for runs in campaigns.values() for r in runs if r["touchdown"] is not None]
    assert all(safe for outcome, safe in verdicts if outcome == "landed")
    lim = ROUGH.touchdown
    png = hazard_plots.touchdowns(tmp_path / "touchdowns.png", campaigns, lim.max_slope_deg, lim.max_rock_m)
    assert png.stat().st_size > 2 * blank_png_bytes(png.read_bytes())           # points drawn, not empty axes


def _verdict_at(e, n, yaw, radius, w, dem):
    """The touchdown verdict's slope (deg) and rock (m) for a lander centred at (e, n), pads at radius along yaw."""
    pts = np.empty((4, 3))
    for q, turn in enumerate((0.0, 2.0, 1.0, 3.0)):
        a = yaw + 0.5 * math.pi * turn
        x, y = e + radius * math.cos(a), n + radius * math.sin(a)
        pts[q] = x, y, ground_z(x, y, w, dem)
    xm, ym, zm, gx, gy = pads_plane(pts)
    return math.degrees(math.atan(math.hypot(gx, gy))), max_rock(xm, ym, zm, gx, gy, radius, w, dem)


# (seed, truth position and attitude (body -> landing) at the scan in `gnc run rough --seed S --disperse`, the
# unit's noise seed): with the flight's own draws neither scan held a site at the unit's limits; these draws don't
# either (over noise seeds 0-11: 4 of 12 and 1 of 12 such scans; the rest hold one, the ground is that marginal)
NO_SITE_SCANS = [(960755743, (0.499, -9.585, 97.304), (-0.9894812, 0.0224427, -0.0884163, -0.1122756), 0),
                 (960755743, (0.499, -9.585, 97.304), (-0.9894812, 0.0224427, -0.0884163, -0.1122756), 3),
                 (1604997637, (7.018, -15.391, 92.973), (-0.9924421, -0.0110798, -0.0858398, -0.0869911), 5)]


@pytest.mark.parametrize("seed, r_scan, q_scan, noise", NO_SITE_SCANS)
def test_a_scan_with_no_site_at_the_units_limits_reports_safe_ground(seed, r_scan, q_scan, noise):
    """#17: two of the 14 failures of `gnc montecarlo rough -n 10000 --seed 24680`: the hover sat over a
    crater's bowl, no site at 6 deg / 0.2 m in the 90 m map, no report, and the flight software came
    down blind at its target on 28.0 and 9.4 deg.  The scan from that flight's hover pose relaxes its
    limits and reports a site the verdict finds safe within 1 m of it (the landing error)."""
    sc = scenario.load("rough")
    a = assemble(sc, seed, True)
    hs, maps = hdu.allocate(a.hdu)
    q_lb = np.array(q_scan) / np.linalg.norm(q_scan)
    seed_noise(noise)
    hdu.scan(0.0, np.array(r_scan), q_lb, a.hdu, hs, maps, a.world, a.dem)
    assert hs[hdu.HS_STATUS] == hdu.ST_SITE
    assert 1 <= hs[hdu.HS_STEP] <= a.hdu[hdu.HP_FB_STEPS]          # the unit's own limits left no site
    x_b = q_rot(q_lb, (1.0, 0.0, 0.0))
    yaw = math.atan2(x_b[1], x_b[0])
    site = hs[hdu.HS_SITE:hdu.HS_SITE + 2]
    lim = sc.touchdown
    for ang in np.arange(9) * math.pi / 4:                          # the site, and 1 m around it
        d = 0.0 if ang == 0.0 else 1.0
        slope, rock = _verdict_at(site[0] + d * math.cos(ang), site[1] + d * math.sin(ang), yaw,
                                  a.hdu[hdu.HP_FOOT_R], a.world, a.dem)
        assert slope <= lim.max_slope_deg and rock <= lim.max_rock_m, (ang, slope, rock)
