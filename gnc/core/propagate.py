"""Numerical orbit propagation with the truth model's gravity (gnc.core.gravity: point
mass + J2 or a spherical-harmonic field, Earth's pull when on): what the ground uses to
plan (gnc.programs.rendezvous.ground).  RK4 on position and velocity, steps of at most
h_max seconds: 0.15 m per revolution at 30 s against 1 s (100 km, e = 0.05, J2 on),
far below orbit-determination errors."""
import math

from gnc.core import vec
from gnc.core.gravity import acceleration
from gnc.core.jit import kernel


@kernel
def propagate(r, v, t, span, w, field, h_max):
    """State span seconds after (r, v) at time t (span may be negative)."""
    if span == 0.0:
        return r, v
    n = max(1, int(math.ceil(abs(span) / h_max)))
    h = span / n
    for i in range(n):
        t1 = t + i * h
        a1 = acceleration(r, t1, w, field)
        r2 = vec.axpy(0.5 * h, v, r)
        v2 = vec.axpy(0.5 * h, a1, v)
        a2 = acceleration(r2, t1 + 0.5 * h, w, field)
        r3 = vec.axpy(0.5 * h, v2, r)
        v3 = vec.axpy(0.5 * h, a2, v)
        a3 = acceleration(r3, t1 + 0.5 * h, w, field)
        r4 = vec.axpy(h, v3, r)
        v4 = vec.axpy(h, a3, v)
        a4 = acceleration(r4, t1 + h, w, field)
        r = (r[0] + h / 6.0 * (v[0] + 2.0 * v2[0] + 2.0 * v3[0] + v4[0]),
             r[1] + h / 6.0 * (v[1] + 2.0 * v2[1] + 2.0 * v3[1] + v4[1]),
             r[2] + h / 6.0 * (v[2] + 2.0 * v2[2] + 2.0 * v3[2] + v4[2]))
        v = (v[0] + h / 6.0 * (a1[0] + 2.0 * a2[0] + 2.0 * a3[0] + a4[0]),
             v[1] + h / 6.0 * (a1[1] + 2.0 * a2[1] + 2.0 * a3[1] + a4[1]),
             v[2] + h / 6.0 * (a1[2] + 2.0 * a2[2] + 2.0 * a3[2] + a4[2]))
    return r, v
