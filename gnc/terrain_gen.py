"""Synthetic far-side terrain around the target: craters and rocks drawn from their
size-frequency distributions, seeded, as a DEM the core flies over.

Craters: cumulative number per m^2 with diameter >= D is N(>D) = c D^-b (D in m)
between crater_d_min_m and crater_d_max_m.  Lunar mare surfaces are near crater
equilibrium at these sizes; Gault (1970) gives the equilibrium as c = 10^-1.1
(~0.08), b = 2.  Each crater's depth/diameter is drawn uniformly between
crater_depth_min (degraded) and crater_depth_max (fresh, Pike 1977: ~0.2).

Rocks: cumulative fractional area covered by rocks of diameter >= D is
F_k(D) = k exp(-q(k) D), q(k) = 1.79 + 0.152 / k (Golombek & Rapp 1997), k the
rock abundance; so the number density is n(D) = -F_k'(D) / (pi D^2 / 4).

The DEM (metres, rows = north, columns = east) is a square of half width
half_width_m at resolution_m centred on the target; node (i, j) lies at
east = -half + j res, north = -half + i res (gnc.core.terrain).  Outside it the
ground is the datum sphere, so the outer EDGE_TAPER of the square blends the
relief down to zero: no cliff for a slant altimeter beam to fall off.  Profiles
and stamping: gnc.core.terrain_features.

Regional map (issue #4): the approach flies kilometres of ground, so the fine map
sits in a coarser one, a strip along the approach ground track (rows along track,
u metres uprange of the target; columns across it, v metres to the right of the
uprange direction) at regional_resolution_m.  It carries the craters the fine map
cannot hold, from crater_d_max_m to regional_d_max_m, drawn from the same law
N(>D) = c D^-b with its own c and b.  Above a few hundred metres a mare is not
saturated: its craters follow the production function, cumulative slope ~3
(Moore et al. 1980: 2.8; Hartmann 1999: 3.8 below 1.4 km).  The default c = 3.0,
b = 3.0 meets the fine map's law (0.03 D^-2) at D = 100 m and gives
N(>1 km) = 3e-3 per km^2, the Neukum (2001) density of a ~3 Ga mare (the
Chang'e-6 basalt is 2.8 Ga).  No rocks: at 10 m posting they are not terrain.
The landing site was picked clear of large craters: no regional crater's ejecta
(3 radii) comes within regional_clear_m of the target, so the fine map's ground,
and the hazard statistics on it, stay as they were.  The heights of the two maps
add; each fades to zero at its own edges, so the ground is continuous across the
fine map's edge and the regional map's, and beyond both it is the datum sphere.

With a DEM file (issue #17, gnc.terrain_file) its map adds under both, and the synthetic
field nests in it: only its features smaller than terrain.dem_feature_cells of the file's
cells are drawn (below()), the larger ones being the file's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from gnc.core import moon as M
from gnc.core import pmath
from gnc.core.terrain_features import EJECTA_REACH, stamp_craters, stamp_rocks
from gnc.terrain_file import FileMap

EDGE_TAPER = 0.1        # fraction of the half width over which the relief fades out at the edges


@dataclass(frozen=True)
class Regional:
    heights: np.ndarray    # (n_u, n_v): rows along track (u), columns across it (v), m
    res: float             # m per cell
    u0: float              # m, u of row 0 (negative: downrange of the target)
    v0: float              # m, v of column 0
    uprange: tuple         # (ae, an): east, north of the unit vector of +u; +v is (an, -ae), right of it
    craters: np.ndarray    # (m, 4): u, v, diameter, depth/diameter; every crater reaching the map

    def to_en(self, u, v):
        """(east, north) of map coordinates (u, v)."""
        ae, an = self.uprange
        return u * ae + v * an, u * an - v * ae

    def to_uv(self, e, n):
        ae, an = self.uprange
        return e * ae + n * an, e * an - n * ae


@dataclass(frozen=True)
class Terrain:
    dem: np.ndarray        # (n, n) heights, m
    res: float             # m per cell
    half: float            # m, half width of the square
    craters: np.ndarray    # (m, 4): east, north, diameter, depth/diameter; every crater reaching the map
    rocks: np.ndarray      # (r, 3): east, north, diameter; centres on the map
    regional: Regional | None = None
    file: FileMap | None = None     # a DEM file's relief along the ground track (gnc.terrain_file)

    def core(self, w: np.ndarray) -> np.ndarray:
        """The one height array the core flies, with its W_DEM_* / W_REG_* / W_FILE_* fields set in w.

        One 2-D array, so every kernel that takes `dem` keeps its signature: rows
        [0, n) the fine map, then (if any) the regional map's rows, then (if any) the
        file map's (gnc.core.terrain)."""
        w[M.W_DEM_RES] = self.res
        w[M.W_DEM_HALF] = self.half
        w[M.W_REG_ROW] = 0.0
        w[M.W_FILE_ROW] = 0.0
        reg, fm = self.regional, self.file
        maps = [self.dem] + [m.heights for m in (reg, fm) if m is not None]
        # the heights add: the sum of the maxima bounds the ground (contact checks start below it)
        w[M.W_GROUND_MAX] = sum(max(float(m.max()), 0.0) for m in maps)
        if len(maps) == 1:
            return self.dem
        out = np.zeros((sum(m.shape[0] for m in maps), max(m.shape[1] for m in maps)))
        row = 0
        for m in maps:
            out[row:row + m.shape[0], :m.shape[1]] = m
            row += m.shape[0]
        n = self.dem.shape[0]
        if fm is not None:
            w[M.W_FILE_ROW] = row - fm.heights.shape[0]
            w[M.W_FILE_COLS] = fm.heights.shape[1]
            w[M.W_FILE_RES] = fm.res
            w[M.W_FILE_U0] = fm.u0
            w[M.W_FILE_V0] = fm.v0
            w[M.W_REG_DIR:M.W_REG_DIR + 2] = fm.uprange
        if reg is not None:
            w[M.W_REG_ROW] = n
            w[M.W_REG_COLS] = reg.heights.shape[1]
            w[M.W_REG_RES] = reg.res
            w[M.W_REG_U0] = reg.u0
            w[M.W_REG_V0] = reg.v0
            w[M.W_REG_DIR:M.W_REG_DIR + 2] = reg.uprange
            # only nodes within a crater's reach are non-zero; a bilinear lookup reads nodes
            # up to res sqrt(2) away
            c = reg.craters
            near = np.min(np.sqrt(c[:, 0] * c[:, 0] + c[:, 1] * c[:, 1]) - 0.5 * EJECTA_REACH * c[:, 2],
                          initial=math.inf)
            w[M.W_REG_QUIET] = max(near - math.sqrt(2.0) * reg.res, 0.0)
        return out


def rock_q(k: float) -> float:
    """Golombek & Rapp (1997) decay constant of the fractional area, 1/m."""
    return 1.79 + 0.152 / k


def rock_number_density(k: float, d: np.ndarray) -> np.ndarray:
    """Rocks per m^2 per m of diameter at diameter d."""
    q = rock_q(k)
    return k * q * pmath.exp_each(-q * d) / (0.25 * np.pi * d * d)


def _draw_craters(p, rng: np.random.Generator, half: float) -> np.ndarray:
    """Craters whose ejecta reach the map, from a square wide enough to hold every such centre."""
    d_lo, d_hi, b = p.crater_d_min_m, p.crater_d_max_m, p.crater_exponent
    ext = half + 0.5 * EJECTA_REACH * d_hi
    lo_b, hi_b = pmath.pow(d_lo, -b), pmath.pow(d_hi, -b)
    per_m2 = p.crater_density * (lo_b - hi_b)
    n = rng.poisson(per_m2 * (2.0 * ext) * (2.0 * ext))
    u = rng.random(n)
    diam = pmath.pow_each(lo_b - u * (lo_b - hi_b), -1.0 / b)    # inverse CDF, truncated power law
    pos = rng.uniform(-ext, ext, (n, 2))
    ratio = rng.uniform(p.crater_depth_min, p.crater_depth_max, n)
    reach = 0.5 * EJECTA_REACH * diam
    keep = (np.abs(pos[:, 0]) - reach < half) & (np.abs(pos[:, 1]) - reach < half)
    # larger craters first, so smaller, younger ones superpose on them
    out = np.column_stack([pos, diam, ratio])[keep]
    return out[np.argsort(-out[:, 2], kind="stable")]


def _draw_rocks(p, rng: np.random.Generator, half: float) -> np.ndarray:
    k = p.rock_abundance
    if k <= 0.0:
        return np.zeros((0, 3))
    grid = pmath.exp_each(np.linspace(pmath.log(p.rock_d_min_m), pmath.log(p.rock_d_max_m), 4096))
    dens = rock_number_density(k, grid)
    # cumulative number per m^2 from d_min upward (trapezoid in d)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    n = rng.poisson(cum[-1] * (2.0 * half) * (2.0 * half))
    diam = np.interp(rng.random(n) * cum[-1], cum, grid)
    pos = rng.uniform(-half, half, (n, 2))
    return np.column_stack([pos, diam])


def _draw_regional_craters(p, rng: np.random.Generator, u_lo, u_hi, v_half) -> np.ndarray:
    """Craters of diameter crater_d_max_m..regional_d_max_m whose ejecta reach the strip,
    less those reaching within regional_clear_m of the target (the site was chosen clear)."""
    d_lo, d_hi, b = p.crater_d_max_m, p.regional_d_max_m, p.regional_crater_exponent
    pad = 0.5 * EJECTA_REACH * d_hi
    lo = np.array([u_lo - pad, -v_half - pad])
    hi = np.array([u_hi + pad, v_half + pad])
    lo_b, hi_b = pmath.pow(d_lo, -b), pmath.pow(d_hi, -b)
    per_m2 = p.regional_crater_density * (lo_b - hi_b)
    n = rng.poisson(per_m2 * np.prod(hi - lo))
    u = rng.random(n)
    diam = pmath.pow_each(lo_b - u * (lo_b - hi_b), -1.0 / b)
    pos = lo + (hi - lo) * rng.random((n, 2))
    ratio = rng.uniform(p.crater_depth_min, p.crater_depth_max, n)
    reach = 0.5 * EJECTA_REACH * diam
    keep = ((pos[:, 0] + reach > u_lo) & (pos[:, 0] - reach < u_hi) & (np.abs(pos[:, 1]) - reach < v_half)
            & (np.sqrt(pos[:, 0] * pos[:, 0] + pos[:, 1] * pos[:, 1]) - reach > p.regional_clear_m))
    out = np.column_stack([pos, diam, ratio])[keep]
    return out[np.argsort(-out[:, 2], kind="stable")]


def _fade(x: np.ndarray, lo: float, hi: float, band: float) -> np.ndarray:
    """1 inside [lo, hi], falling to 0 at its ends over `band`, smooth at both ends of the band."""
    f = np.clip(np.minimum(x - lo, hi - x) / band, 0.0, 1.0)
    return 0.5 - 0.5 * pmath.cos_each(np.pi * f)


def _regional(p, rng: np.random.Generator, heading_deg: float) -> Regional:
    res = float(p.regional_resolution_m)
    n_u = int(round((p.regional_uprange_m + p.regional_downrange_m) / res)) + 1
    n_v = int(round(2.0 * p.regional_half_width_m / res)) + 1
    u0, v0 = -float(p.regional_downrange_m), -0.5 * (n_v - 1) * res
    u1, v1 = u0 + (n_u - 1) * res, -v0
    h = math.radians(heading_deg)
    uprange = (-pmath.sin(h), -pmath.cos(h))         # against the ground track's heading
    craters = _draw_regional_craters(p, rng, u0, u1, v1)
    heights = np.zeros((n_u, n_v))
    # stamp in map-corner coordinates: column = v - v0 (the kernel's "east"), row = u - u0
    stamp_craters(heights, res, 0.0, np.column_stack([craters[:, 1] - v0, craters[:, 0] - u0, craters[:, 2:]]))
    band = EDGE_TAPER * p.regional_half_width_m
    heights *= _fade(np.linspace(u0, u1, n_u), u0, u1, band)[:, None]
    heights *= _fade(np.linspace(v0, v1, n_v), v0, v1, band)[None, :]
    return Regional(heights, res, u0, v0, uprange, craters)


def below(p, resolved_m: float):
    """Section p with every synthetic population cut to diameters below resolved_m (the
    smallest feature a DEM file carries, gnc.programs.descent.assemble.terrain_of): fine
    craters and rocks end there, regional craters run from crater_d_max_m to there (none
    when that is no wider).  p itself when nothing is cut."""
    if not math.isfinite(resolved_m):
        return p
    keys = dict(vars(p))
    keys["crater_d_max_m"] = min(p.crater_d_max_m, resolved_m)
    keys["rock_d_max_m"] = min(p.rock_d_max_m, resolved_m)
    keys["regional_d_max_m"] = min(p.regional_d_max_m, resolved_m)
    if keys["crater_d_max_m"] <= p.crater_d_min_m:
        keys["crater_density"] = 0.0
    if keys["rock_d_max_m"] <= p.rock_d_min_m:
        keys["rock_abundance"] = 0.0
    if keys["regional_d_max_m"] <= p.crater_d_max_m:
        keys["regional_enabled"] = False
    return SimpleNamespace(**keys)


def generate(p, seed: int, heading_deg: float, file: FileMap | None = None) -> Terrain:
    """The terrain of scenario section p ([terrain]) for this seed; same seed, same map.
    heading_deg: the ground track's heading over the target (gnc.programs.descent.assemble.approach_heading_deg),
    which the regional strip follows uprange.  file: a DEM file's map, which the
    synthetic ground nests in: only its features below terrain.dem_feature_cells of the
    file's resolution are drawn (below()).

    Fine craters, rocks and regional craters draw from independent streams, so changing
    one population's parameters leaves the others where they were."""
    if file is not None:
        p = below(p, p.dem_feature_cells * file.resolution)
    half, res = float(p.half_width_m), float(p.resolution_m)
    n_nodes = int(round(2.0 * half / res)) + 1
    crater_rng, rock_rng, regional_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    craters = _draw_craters(p, crater_rng, half) if p.crater_density > 0.0 else np.zeros((0, 4))
    rocks = _draw_rocks(p, rock_rng, half)
    dem = np.zeros((n_nodes, n_nodes))
    stamp_craters(dem, res, half, craters)
    stamp_rocks(dem, res, half, rocks, np.empty(len(rocks)))
    dist = np.linspace(-half, half, n_nodes)
    fade = _fade(dist, -half, half, EDGE_TAPER * half)
    dem *= fade[:, None] * fade[None, :]
    regional = _regional(p, regional_rng, heading_deg) if p.regional_enabled else None
    return Terrain(dem, res, half, craters, rocks, regional, file)
