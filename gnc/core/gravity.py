"""The gravity the vehicle model flies in (truth): the Moon's field, and Earth's pull.

The Moon: point mass + J2 (gnc.core.moon.gravity) when the world's W_FIELD_DEGREE is 0,
else the spherical-harmonic field of gnc.core.sh_gravity truncated to that degree and
order, evaluated Moon-fixed (the field rotates with the Moon: theta(t)) with the file's
own GM and reference radius.

Earth (W_EARTH_MU > 0): the third-body pull on a Moon-centred frame, the direct term
minus the pull on the Moon's centre,

    a = mu_E ((d - r) / |d - r|^3 - d / |d|^3),

with Earth at a fixed distance on the Moon-fixed +x axis: the Moon turns synchronously,
so its mean sub-Earth point is longitude 0, latitude 0 (the mean-Earth frame's
definition).  Libration (+-8 deg in longitude, +-7 in latitude) and the orbit's
eccentricity (distance +-5.5 %) are left out: the tide they change is a few per cent of
one that is itself ~2e-5 m/s^2 at the surface.
"""
import math
from collections import namedtuple

from gnc.core.jit import inline_kernel, kernel
from gnc.core.moon import (
    W_EARTH_DIST,
    W_EARTH_MU,
    W_FIELD_DEGREE,
    W_FIELD_MU,
    W_FIELD_RREF,
    W_J2,
    W_MU,
    W_RREF,
    fixed_to_inertial,
    gravity,
    inertial_to_fixed,
    theta,
)
from gnc.core.sh_gravity import sh_gravity

# the field a world flies (W_FIELD_DEGREE > 0): gnc.core.sh_gravity's model (shared, read
# only) and work (the evaluator's scratch: one per plant, threads fly plants at once)
Field = namedtuple("Field", ["model", "work"])


@kernel
def earth_position(t, w):
    """Earth's centre, MCI (m)."""
    return fixed_to_inertial((w[W_EARTH_DIST], 0.0, 0.0), theta(t, w))


@kernel
def earth_pull(r, t, w):
    """Earth's perturbing acceleration at MCI position r (m/s^2)."""
    d = earth_position(t, w)
    mu = w[W_EARTH_MU]
    rx, ry, rz = d[0] - r[0], d[1] - r[1], d[2] - r[2]
    rho = math.sqrt(rx * rx + ry * ry + rz * rz)
    kr = mu / (rho * rho * rho)
    dn = w[W_EARTH_DIST]
    kd = mu / (dn * dn * dn)
    return (kr * rx - kd * d[0], kr * ry - kd * d[1], kr * rz - kd * d[2])


@inline_kernel
def acceleration(r, t, w, field):
    """Gravity at MCI position r at time t: the Moon's (field: a Field, unused at degree 0)
    plus Earth's pull when on."""
    n = int(w[W_FIELD_DEGREE])
    if n > 0:
        th = theta(t, w)
        g_fixed = sh_gravity(inertial_to_fixed(r, th), w[W_FIELD_MU], w[W_FIELD_RREF], n, field.model, field.work)
        g = fixed_to_inertial(g_fixed, th)
    else:
        g = gravity(r, w[W_MU], w[W_J2], w[W_RREF])
    if w[W_EARTH_MU] > 0.0:
        e = earth_pull(r, t, w)
        return (g[0] + e[0], g[1] + e[1], g[2] + e[2])
    return g
