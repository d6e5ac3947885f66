"""Terrain: height of the ground in the landing frame and laser ray casts onto it.

The ground is the site's datum sphere (radius W_SITE_R about the Moon's centre)
plus a digital elevation model `dem` (metres, rows = north, columns = east) on a
square of half width W_DEM_HALF centred on the target; outside it, the sphere.
"""
import math

from gnc.core.jit import kernel
from gnc.core.moon import W_DEM_HALF, W_DEM_RES, W_SITE_R


@kernel
def dem_height(e, n, w, dem):
    """Bilinear DEM height at (east, north); 0 off the map or with a 1x1 map."""
    half = w[W_DEM_HALF]
    nr, nc = dem.shape
    if nr < 2 or e <= -half or n <= -half:
        return 0.0
    res = w[W_DEM_RES]
    fx = (e + half) / res
    fy = (n + half) / res
    i = int(fy)
    j = int(fx)
    if i >= nr - 1 or j >= nc - 1:
        return 0.0
    ax = fx - j
    ay = fy - i
    return ((1.0 - ay) * ((1.0 - ax) * dem[i, j] + ax * dem[i, j + 1])
            + ay * ((1.0 - ax) * dem[i + 1, j] + ax * dem[i + 1, j + 1]))


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

    Sphere intersection, then a few fixed-point passes with the DEM height at the
    hit point (exact on the sphere; converges for slopes well under 45 degrees).
    """
    rs = w[W_SITE_R]
    s = _sphere_hit(p, d, rs, rs)
    if s < 0.0 or dem.shape[0] < 2:
        return s
    half = w[W_DEM_HALF]
    if abs(p[0] + s * d[0]) > half + 50.0 or abs(p[1] + s * d[1]) > half + 50.0:
        return s                     # lands far off the map: the DEM cannot change the answer
    for _ in range(4):
        h = dem_height(p[0] + s * d[0], p[1] + s * d[1], w, dem)
        s2 = _sphere_hit(p, d, rs + h, rs)
        if s2 < 0.0:
            return s
        s = s2
    return s
