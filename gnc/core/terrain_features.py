"""Stamping kernels for synthetic terrain: fresh simple craters and rocks on a DEM.

Grid convention of gnc.core.terrain: node (i, j) lies at east = -half + j * res,
north = -half + i * res.  gnc.terrain_gen draws the populations; these kernels only
draw them into the height grid.

Crater profile (radius R, depth d below the pre-impact surface, rim height h above
it, r = distance / R):
    bowl    r <= 1:  z = -d + (d + h) r^2            paraboloid, Pike (1977) fresh
                                                      simple craters: d ~ 0.2 D, h ~ 0.04 D
    ejecta  1 < r < 3:  z = h (r^-3 - 1/27) / (1 - 1/27)
                                                      thickness ~ r^-3 (McGetchin et al.
                                                      1973), tapered to zero at 3 R
Craters add to what is there (younger craters superpose on older ones).

Rocks are hemispheres (height D / 2, the usual rock-height assumption of Golombek &
Rapp 1997) resting on the cratered surface: each node takes the higher of the
ground and the rock.
"""
import math

from gnc.core.jit import kernel

RIM_PER_DEPTH = 0.2     # h / d: Pike (1977) 0.04 D over 0.2 D
EJECTA_REACH = 3.0      # ejecta end this many radii from the centre
_TAPER = 1.0 / EJECTA_REACH ** 3


@kernel
def _node_range(centre, reach, half, res, n):
    """First and last node index within `reach` of `centre` along one axis."""
    lo = max(0, int(math.ceil((centre - reach + half) / res)))
    hi = min(n - 1, int(math.floor((centre + reach + half) / res)))
    return lo, hi


@kernel
def stamp_craters(dem, res, half, craters):
    """Add craters (rows: east, north, diameter, depth/diameter) to dem."""
    nr, nc = dem.shape
    for c in range(craters.shape[0]):
        e0, n0, diam, ratio = craters[c, 0], craters[c, 1], craters[c, 2], craters[c, 3]
        rad = 0.5 * diam
        d = ratio * diam
        h = RIM_PER_DEPTH * d
        reach = EJECTA_REACH * rad
        i0, i1 = _node_range(n0, reach, half, res, nr)
        j0, j1 = _node_range(e0, reach, half, res, nc)
        inv_r2 = 1.0 / (rad * rad)
        reach2 = EJECTA_REACH * EJECTA_REACH
        for i in range(i0, i1 + 1):
            y = -half + i * res - n0
            for j in range(j0, j1 + 1):
                x = -half + j * res - e0
                s2 = (x * x + y * y) * inv_r2
                if s2 <= 1.0:
                    dem[i, j] += -d + (d + h) * s2
                elif s2 < reach2:
                    dem[i, j] += h * (1.0 / (s2 * math.sqrt(s2)) - _TAPER) / (1.0 - _TAPER)


@kernel
def _bilinear(dem, res, half, e, n):
    nr, nc = dem.shape
    fx = min(max((e + half) / res, 0.0), nc - 1.000001)
    fy = min(max((n + half) / res, 0.0), nr - 1.000001)
    i = int(fy)
    j = int(fx)
    ax = fx - j
    ay = fy - i
    return ((1.0 - ay) * ((1.0 - ax) * dem[i, j] + ax * dem[i, j + 1])
            + ay * ((1.0 - ax) * dem[i + 1, j] + ax * dem[i + 1, j + 1]))


@kernel
def stamp_rocks(dem, res, half, rocks, base):
    """Set rocks (rows: east, north, diameter) on dem; base[k] receives the ground
    height under rock k, taken before any rock is placed so that rocks never stack."""
    nr, nc = dem.shape
    for k in range(rocks.shape[0]):
        base[k] = _bilinear(dem, res, half, rocks[k, 0], rocks[k, 1])
    for k in range(rocks.shape[0]):
        e0, n0 = rocks[k, 0], rocks[k, 1]
        rad = 0.5 * rocks[k, 2]
        rad2 = rad * rad
        i0, i1 = _node_range(n0, rad, half, res, nr)
        j0, j1 = _node_range(e0, rad, half, res, nc)
        for i in range(i0, i1 + 1):
            y = -half + i * res - n0
            for j in range(j0, j1 + 1):
                x = -half + j * res - e0
                r2 = x * x + y * y
                if r2 < rad2:
                    top = base[k] + math.sqrt(rad2 - r2)
                    if top > dem[i, j]:
                        dem[i, j] = top
