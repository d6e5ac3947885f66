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
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gnc.core.terrain_features import EJECTA_REACH, stamp_craters, stamp_rocks

EDGE_TAPER = 0.1        # fraction of the half width over which the relief fades out at the edges


@dataclass(frozen=True)
class Terrain:
    dem: np.ndarray        # (n, n) heights, m
    res: float             # m per cell
    half: float            # m, half width of the square
    craters: np.ndarray    # (m, 4): east, north, diameter, depth/diameter; every crater reaching the map
    rocks: np.ndarray      # (r, 3): east, north, diameter; centres on the map


def rock_q(k: float) -> float:
    """Golombek & Rapp (1997) decay constant of the fractional area, 1/m."""
    return 1.79 + 0.152 / k


def rock_number_density(k: float, d: np.ndarray) -> np.ndarray:
    """Rocks per m^2 per m of diameter at diameter d."""
    q = rock_q(k)
    return k * q * np.exp(-q * d) / (0.25 * np.pi * d * d)


def _draw_craters(p, rng: np.random.Generator, half: float) -> np.ndarray:
    """Craters whose ejecta reach the map, from a square wide enough to hold every such centre."""
    d_lo, d_hi, b = p.crater_d_min_m, p.crater_d_max_m, p.crater_exponent
    ext = half + 0.5 * EJECTA_REACH * d_hi
    per_m2 = p.crater_density * (d_lo ** -b - d_hi ** -b)
    n = rng.poisson(per_m2 * (2.0 * ext) ** 2)
    u = rng.random(n)
    diam = (d_lo ** -b - u * (d_lo ** -b - d_hi ** -b)) ** (-1.0 / b)    # inverse CDF, truncated power law
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
    grid = np.geomspace(p.rock_d_min_m, p.rock_d_max_m, 4096)
    dens = rock_number_density(k, grid)
    # cumulative number per m^2 from d_min upward (trapezoid in d)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    n = rng.poisson(cum[-1] * (2.0 * half) ** 2)
    diam = np.interp(rng.random(n) * cum[-1], cum, grid)
    pos = rng.uniform(-half, half, (n, 2))
    return np.column_stack([pos, diam])


def generate(p, seed: int) -> Terrain:
    """The terrain of scenario section p ([terrain]) for this seed; same seed, same map.

    Craters and rocks draw from independent streams, so changing one population's
    parameters leaves the other where it was."""
    half, res = float(p.half_width_m), float(p.resolution_m)
    n_nodes = int(round(2.0 * half / res)) + 1
    crater_rng, rock_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    craters = _draw_craters(p, crater_rng, half)
    rocks = _draw_rocks(p, rock_rng, half)
    dem = np.zeros((n_nodes, n_nodes))
    stamp_craters(dem, res, half, craters)
    stamp_rocks(dem, res, half, rocks, np.empty(len(rocks)))
    dist = np.linspace(-half, half, n_nodes)
    fade = np.clip((half - np.abs(dist)) / (EDGE_TAPER * half), 0.0, 1.0)
    fade = 0.5 - 0.5 * np.cos(np.pi * fade)          # smooth at both ends of the band
    dem *= fade[:, None] * fade[None, :]
    return Terrain(dem, res, half, craters, rocks)
