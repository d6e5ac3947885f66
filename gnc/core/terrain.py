"""Terrain: height of the ground in the landing frame and laser ray casts onto it.

The ground is the site's datum sphere (radius W_SITE_R about the Moon's centre)
plus two height maps in one array `dem` (metres):
  - rows [0, n) (n = W_REG_ROW, or all rows without a regional map): the fine map,
    a square of n x n nodes, half width W_DEM_HALF, centred on the target, rows =
    north, columns = east;
  - rows [W_REG_ROW, end), columns [0, W_REG_COLS): the regional map, a strip along
    the approach ground track: row i at u = W_REG_U0 + i res metres uprange (along
    the unit vector W_REG_DIR), column j at v = W_REG_V0 + j res across it.
  - rows [W_FILE_ROW, end), columns [0, W_FILE_COLS) (with a DEM file, gnc.terrain_file):
    the file map, a DEM file's heights resampled onto a strip in the regional map's axes
    (row i at u = W_FILE_U0 + i res, column j at v = W_FILE_V0 + j res), reaching from
    beyond the target to powered descent initiation.
The heights add, each map counting 0 off its extent (gnc.terrain_gen and
gnc.terrain_file fade each to zero at its edges, so the sum is continuous); beyond
them, the sphere.  Within W_REG_QUIET of the target the regional map is all zeros and
is not read.
"""
import math

from gnc.core.jit import kernel
from gnc.core.moon import (W_DEM_HALF, W_DEM_RES, W_FILE_COLS, W_FILE_RES, W_FILE_ROW, W_FILE_U0, W_FILE_V0,
                           W_REG_COLS, W_REG_DIR, W_REG_QUIET, W_REG_RES, W_REG_ROW, W_REG_U0, W_REG_V0, W_SITE_R)

RAY_PASSES = 8        # most fixed-point passes of a ray cast
RAY_TOL_M = 1e-3      # a pass moving the hit less than this ends the cast


@kernel
def _bilinear(dem, r0, nr, nc, fx, fy):
    """Bilinear height at fractional (column fx, row fy) of the nr x nc block from row r0; 0 off it
    (and for NaN: the test is written so that NaN fails it before int() would index with it)."""
    if not (0.0 < fx < nc - 1 and 0.0 < fy < nr - 1):
        return 0.0
    i = int(fy)
    j = int(fx)
    ax = fx - j
    ay = fy - i
    i += r0
    return ((1.0 - ay) * ((1.0 - ax) * dem[i, j] + ax * dem[i, j + 1])
            + ay * ((1.0 - ax) * dem[i + 1, j] + ax * dem[i + 1, j + 1]))


@kernel
def _strip_height(e, n, w, dem, r0, nr, nc, res, u0, v0):
    """Height at (east, north) of the nr x nc map from row r0 laid along the ground track
    (rows along u, uprange; columns along v, across); 0 off it."""
    ae, an = w[W_REG_DIR], w[W_REG_DIR + 1]
    u = e * ae + n * an
    v = e * an - n * ae
    return _bilinear(dem, r0, nr, nc, (v - v0) / res, (u - u0) / res)


@kernel
def _regional_height(e, n, w, dem):
    """The regional map's height at (east, north); 0 off it."""
    r0 = int(w[W_REG_ROW])
    r1 = int(w[W_FILE_ROW])
    end = r1 if r1 > r0 else dem.shape[0]
    return _strip_height(e, n, w, dem, r0, end - r0, int(w[W_REG_COLS]), w[W_REG_RES], w[W_REG_U0], w[W_REG_V0])


@kernel
def _file_height(e, n, w, dem):
    """The file map's height at (east, north); 0 off it."""
    r0 = int(w[W_FILE_ROW])
    return _strip_height(e, n, w, dem, r0, dem.shape[0] - r0, int(w[W_FILE_COLS]), w[W_FILE_RES],
                         w[W_FILE_U0], w[W_FILE_V0])


@kernel
def dem_height(e, n, w, dem):
    """Height of the ground above the datum at (east, north): fine map plus regional map plus file map."""
    r0 = int(w[W_REG_ROW])
    rf = int(w[W_FILE_ROW])
    nf = r0 if r0 > 0 else (rf if rf > 0 else dem.shape[0])
    half = w[W_DEM_HALF]
    res = w[W_DEM_RES]
    h = _bilinear(dem, 0, nf, nf, (e + half) / res, (n + half) / res)
    if rf > 0:
        h = h + _file_height(e, n, w, dem)
    quiet = w[W_REG_QUIET]
    if r0 == 0 or e * e + n * n < quiet * quiet:       # an early return: `h +=` under an if ran 2x slower
        return h
    return h + _regional_height(e, n, w, dem)


@kernel
def height(p, w, dem):
    """Height of landing-frame point p above the ground beneath it."""
    rs = w[W_SITE_R]
    zc = p[2] + rs
    radial = math.sqrt(p[0] * p[0] + p[1] * p[1] + zc * zc)
    return radial - rs - dem_height(p[0], p[1], w, dem)


@kernel
def _sphere_hit(p, d, radius, rs):
    """Distance along unit d from p to the sphere of this radius about (0,0,-rs); -1 if none."""
    ox, oy, oz = p[0], p[1], p[2] + rs
    b = ox * d[0] + oy * d[1] + oz * d[2]
    c = ox * ox + oy * oy + oz * oz - radius * radius
    disc = b * b - c
    if disc < 0.0:
        return -1.0
    s = -b - math.sqrt(disc)
    return s if s > 0.0 else -1.0


@kernel
def ray_range(p, d, w, dem):
    """Range along unit vector d from p to the ground, or -1 if the ray misses.

    Intersection with the sphere through the ground beneath p, then fixed-point
    passes with the map height at the hit point until the hit moves less than
    RAY_TOL_M (exact on flat ground; converges for slopes well under 45 degrees).
    Not the datum sphere as the first guess: a sensor low in a depression deeper
    than its height is inside that sphere, and its rays found no ground.  Off the
    maps the height is 0 and the datum is the ground.
    """
    return ray_range_over(p, d, w, dem, dem_height(p[0], p[1], w, dem))


@kernel
def ray_range_over(p, d, w, dem, h_under):
    """ray_range given h_under = dem_height beneath p: the rays of a scan share it (a
    quarter of a lidar scan's map reads)."""
    rs = w[W_SITE_R]
    if dem.shape[0] < 2:
        return _sphere_hit(p, d, rs, rs)      # no maps: the sphere is the ground
    s = _sphere_hit(p, d, rs + h_under, rs)
    if s < 0.0:
        return s
    for _ in range(RAY_PASSES):
        h = dem_height(p[0] + s * d[0], p[1] + s * d[1], w, dem)
        s2 = _sphere_hit(p, d, rs + h, rs)
        if s2 < 0.0:
            return s
        moved = abs(s2 - s)
        s = s2
        if moved < RAY_TOL_M:
            break
    return s
