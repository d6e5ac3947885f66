"""Guidance laws (closed form, re-solved every step).

E-guidance / ZEM-ZEV (Cherry 1964; Ebrahimi, Bahrami & Roshanian 2008; Guo, Hawkins
& Wie 2013): the energy-optimal control acceleration to reach (r_f, v_f) in t_go
under constant gravity g is

    a = 6 ZEM / t_go^2 - 2 ZEV / t_go,
    ZEM = r_f - (r + v t_go + g t_go^2 / 2),   ZEV = v_f - (v + g t_go).

Over main braking's ~500 km arc a flat frame is wrong (gravity turns with the
arc, and at orbital speed the centrifugal term cancels most of it), so braking is
solved in the vehicle's local-level frame with the target's arc distance as the
downrange coordinate and effective gravity g - v_h^2 / r along the vertical
(`local_level`); near the target the two frames agree.

Main braking takes t_go from the velocity still to remove at a nominal fraction
of full thrust (near-full-thrust braking, as Chang'e-3/4/5/6 flew it); the other
arcs count t_go down from a set duration.  Hover and slow descent use a
second-order position/velocity hold.
"""
import math

from gnc.core import pmath, vec
from gnc.core.jit import kernel


@kernel
def zem_zev(r, v, rf, vf, g, tgo):
    """Control acceleration (not including gravity) of E-guidance."""
    t2 = tgo * tgo
    ax = 6.0 * (rf[0] - (r[0] + v[0] * tgo + 0.5 * g[0] * t2)) / t2 - 2.0 * (vf[0] - (v[0] + g[0] * tgo)) / tgo
    ay = 6.0 * (rf[1] - (r[1] + v[1] * tgo + 0.5 * g[1] * t2)) / t2 - 2.0 * (vf[1] - (v[1] + g[1] * tgo)) / tgo
    az = 6.0 * (rf[2] - (r[2] + v[2] * tgo + 0.5 * g[2] * t2)) / t2 - 2.0 * (vf[2] - (v[2] + g[2] * tgo)) / tgo
    return (ax, ay, az)


@kernel
def tgo_braking(v_h, vf_h, g_eff, a_thrust):
    """Time-to-go of a braking arc: the horizontal velocity still to remove, at the
    horizontal share of thrust acceleration a_thrust left after supporting g_eff.
    With this t_go, E-guidance throttles down when short of range and up when long
    (range control by throttle, as Apollo's braking phase)."""
    a_h = math.sqrt(max(a_thrust * a_thrust - g_eff * g_eff, 0.25 * a_thrust * a_thrust))
    return max(abs(vf_h - v_h) / a_h, 5.0)


@kernel
def braking_rule(x, k, c):
    """Command of a loop whose command can be taken back at no more than rate c: k x near
    zero, sqrt(c x) further out (what rate c can still undo in time, with a factor 2 of
    margin), as the attitude loop limits its rate commands (gnc.core.fsw.control)."""
    return min(k * x, math.sqrt(c * x))


@kernel
def hold(r, v, rf, vf, g, up, bw, v_max, tilt_rate):
    """Position hold: a velocity command toward rf (at most v_max, plus vf) tracked with
    gravity compensation.  The horizontal channel works through tilt, which the attitude
    loop turns at no more than tilt_rate: the horizontal acceleration it can take back per
    second is |g| tilt_rate.  So both horizontal commands follow the attitude loop's
    braking rule (proportional near zero, square root beyond): the acceleration asked for
    is one the tilt can return from before the velocity error closes, and the velocity
    asked for is one that acceleration can stop before the position error closes.  A linear
    law asks for tilts the slews cannot follow, and the lag grows a limit cycle (#17).  The
    vertical channel works through throttle and runs three times faster."""
    e = vec.sub(rf, r)
    ev = vec.dot(e, up)
    eh = vec.axpy(-ev, up, e)
    j_max = vec.norm(g) * tilt_rate                 # m/s^3 the tilt can deliver
    a_stop = math.sqrt(j_max * v_max)               # m/s^2 reached while stopping from v_max
    n = vec.norm(eh)
    vc_h = vec.scale(eh, 0.0)
    if n > 0.0:
        vc_h = vec.scale(eh, min(braking_rule(n, 0.5 * bw, a_stop), v_max) / n)
    vc_v = min(max(1.5 * bw * ev, -v_max), v_max)
    dv = vec.sub(vec.add(vec.axpy(vc_v, up, vc_h), vf), v)
    dv_v = vec.dot(dv, up)
    dv_h = vec.axpy(-dv_v, up, dv)
    m = vec.norm(dv_h)
    ah = vec.scale(dv_h, 0.0)
    if m > 0.0:
        ah = vec.scale(dv_h, braking_rule(m, 2.0 * bw, j_max) / m)
    ka_v = 6.0 * bw
    return (ah[0] + ka_v * dv_v * up[0] - g[0],
            ah[1] + ka_v * dv_v * up[1] - g[1],
            ah[2] + ka_v * dv_v * up[2] - g[2])


@kernel
def shape_thrust(a, up, a_min, max_tilt):
    """Make a control acceleration flyable by an engine that only pushes along +z:
    the vertical part is at least a_min (minimum thrust: asking to fall faster than
    free fall must not flip the vehicle) and the horizontal part at most
    vertical * tan(max_tilt) (vertical control is kept, lateral gives way)."""
    av = vec.dot(a, up)
    ah = vec.axpy(-av, up, a)
    av = max(av, a_min)
    hn = vec.norm(ah)
    h_max = av * pmath.tan(max_tilt)
    if hn > h_max:
        ah = vec.scale(ah, h_max / hn)
    return vec.axpy(av, up, ah)


@kernel
def local_level(r, v, rs, mu):
    """Vehicle local-level basis (up, toward-target, cross) in landing-frame axes, the
    target's arc distance, the altitude, and the effective vertical gravity."""
    rc = (r[0], r[1], r[2] + rs)
    rn = vec.norm(rc)
    up = (rc[0] / rn, rc[1] / rn, rc[2] / rn)
    to_target = vec.reject((0.0, 0.0, 1.0), up)
    tn = vec.norm(to_target)
    if tn < 1e-9:
        return up, (1.0, 0.0, 0.0), vec.cross(up, (1.0, 0.0, 0.0)), 0.0, rn - rs, -mu / (rn * rn)
    d = vec.scale(to_target, 1.0 / tn)
    arc = rs * pmath.atan2(tn, up[2])
    vh = vec.reject(v, up)
    g_eff = -mu / (rn * rn) + vec.dot(vh, vh) / rn
    return up, d, vec.cross(up, d), arc, rn - rs, g_eff
