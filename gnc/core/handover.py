"""Geometry of the far-range hand-over, the kernels the ground's phasing search
(gnc.programs.rendezvous.ground) evaluates thousands of times per plan."""
import math

from gnc.core import orbit, pmath, vec
from gnc.core.jit import kernel


@kernel
def handover_point(rc, vc, ahead, above, mu):
    """The ascender's hand-over state given the orbiter-returner's state then: `ahead`
    metres along its orbit and `above` metres above it, co-circular, in its plane."""
    h = vec.unit(vec.cross(rc, vc))
    rn = vec.norm(rc)
    x = vec.scale(rc, 1.0 / rn)
    ang = ahead / rn
    u = vec.add(vec.scale(x, pmath.cos(ang)), vec.scale(vec.cross(h, x), pmath.sin(ang)))
    r = rn + above
    return vec.scale(u, r), vec.scale(vec.cross(h, u), math.sqrt(mu / r))


@kernel
def phase_error(r3, t_h, rc_ref, vc_ref, t_ref, ahead, above, mu):
    """Angle (about the orbiter-returner's orbit normal) from where a half-revolution
    transfer from r3 arrives to the hand-over point at t_h; the orbiter-returner's
    state at t_h is its reference state carried by two-body from t_ref."""
    rc, vc = orbit.kepler(rc_ref, vc_ref, t_h - t_ref, mu)
    r_h, _ = handover_point(rc, vc, ahead, above, mu)
    h = vec.unit(vec.cross(rc, vc))
    a = vec.scale(r3, -1.0)
    return pmath.atan2(vec.dot(h, vec.cross(a, r_h)), vec.dot(a, r_h))
