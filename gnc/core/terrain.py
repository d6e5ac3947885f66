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

from gnc.core.jit import inline_kernel, kernel
from gnc.core.moon import (W_DEM_HALF, W_DEM_RES, W_FILE_COLS, W_FILE_RES, W_FILE_ROW, W_FILE_U0, W_FILE_V0,
                           W_REG_COLS, W_REG_DIR, W_REG_QUIET, W_REG_RES, W_REG_ROW, W_REG_U0, W_REG_V0, W_SITE_R)

RAY_PASSES = 8        # most fixed-point passes of a ray cast
RAY_TOL_M = 1e-3      # a pass moving the hit less than this ends the cast


# _bilinear, dem_height, _sphere_hit and the ray cast's steps are inlined into their callers: as
# calls, each passed a dozen stacked arguments and took the arrays' reference counts (atomic, in
# and out): ~7 % of a lidar scan, and as calls ray_range4's four casts ran slower than one at a time
@inline_kernel
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


@inline_kernel
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


@inline_kernel
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


@inline_kernel
def _cast_start(p, d, w, dem, h_under):
    """A ray cast's first guess, the range to the sphere through the ground beneath p
    (h_under = dem_height there), and whether passes are to refine it."""
    rs = w[W_SITE_R]
    if dem.shape[0] < 2:
        return _sphere_hit(p, d, rs, rs), False      # no maps: the sphere is the ground
    s = _sphere_hit(p, d, rs + h_under, rs)
    return s, not (s < 0.0)


@inline_kernel
def _cast_pass(p, d, w, dem, s, live):
    """One fixed-point pass of a cast still live: the range to the sphere through the ground
    at the last hit; live while a pass moves the hit RAY_TOL_M or more, and it finds one."""
    if not live:
        return s, False
    rs = w[W_SITE_R]
    s2 = _sphere_hit(p, d, rs + dem_height(p[0] + s * d[0], p[1] + s * d[1], w, dem), rs)
    if s2 < 0.0:
        return s, False
    return s2, not (abs(s2 - s) < RAY_TOL_M)


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
    s, live = _cast_start(p, d, w, dem, dem_height(p[0], p[1], w, dem))
    for _ in range(RAY_PASSES):
        if not live:
            break
        s, live = _cast_pass(p, d, w, dem, s, live)
    return s


# a call, not inlined into the lidar scan: inlined (numba copies a callee's IR into each caller),
# the scan took 5 s more of CPU to compile, on a first run's longest path, and ran no faster
# (docs/benchmarks.md, "Two even compile groups")
@kernel
def ray_range4(p, ds, w, dem, h_under):
    """ray_range of the four unit vectors ds from p, given h_under = dem_height beneath p
    (the rays of a scan share it).  Each ray takes the same passes and gets the same bits
    as alone; their passes interleave, because one cast's passes are a chain of dependent
    divisions and square roots that leaves the core idle, and four chains fill it."""
    d0, d1, d2, d3 = ds
    s0, l0 = _cast_start(p, d0, w, dem, h_under)
    s1, l1 = _cast_start(p, d1, w, dem, h_under)
    s2, l2 = _cast_start(p, d2, w, dem, h_under)
    s3, l3 = _cast_start(p, d3, w, dem, h_under)
    for _ in range(RAY_PASSES):
        if not (l0 or l1 or l2 or l3):
            break
        s0, l0 = _cast_pass(p, d0, w, dem, s0, l0)
        s1, l1 = _cast_pass(p, d1, w, dem, s1, l1)
        s2, l2 = _cast_pass(p, d2, w, dem, s2, l2)
        s3, l3 = _cast_pass(p, d3, w, dem, s3, l3)
    return s0, s1, s2, s3
