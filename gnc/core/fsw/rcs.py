"""Six-degree-of-freedom RCS of the chaser: a body force and an attitude torque from one
set of twelve thrusters, pulse-width modulated within the step.

Layout (gnc.programs.ascent.assemble.orbit_vehicle_params, "translation"): thruster 4j+m pushes
along body axis j, m = 0, 1 toward +, m = 2, 3 toward -, mounted at +arm (m = 0, 2) or
-arm (m = 1, 3) along axis (j+1) % 3.  Firing 0 and 1 (or 2 and 3) gives pure force
along j; firing 1 and 2 (or 0 and 3) gives pure torque about axis (j+2) % 3.  With
u = force x dt / F and w = torque x dt / (F arm) in thruster-seconds, the on-times
    t0 - t2 = (u - w) / 2,   t1 - t3 = (u + w) / 2
are met with the least firing by putting each difference on one thruster.  What does
not fit in the step is clipped (the attitude and the translation both slow down).

The torque demand is the descent's attitude law (gnc.core.fsw.control): per axis a
rate command from the rotation-vector error, limited so the RCS can always stop in
time, and a torque from the rate error.
"""
import math

from gnc.core import vec
from gnc.core.jit import kernel
from gnc.core.layout import (
    AF_RCS_ON,
    CF_ATT_DEADBAND,
    CF_ATT_RATE_MAX,
    CF_ATT_ZETA,
    CF_INERTIA,
    CF_MASS0,
    CF_RCS_FORCE,
    CF_RCS_MIN_ON,
    CF_RCS_TORQUE,
)


@kernel
def _axis_torque(e, rate, ax, mf, cfg, bw):
    db = cfg[CF_ATT_DEADBAND]
    if abs(e) < db and abs(rate) < 0.2 * bw * db:
        return 0.0
    kd = 2.0 * cfg[CF_ATT_ZETA] * bw
    inertia = cfg[CF_INERTIA + ax] * mf
    alpha = cfg[CF_RCS_TORQUE + ax] / inertia
    w_cmd = min(bw * bw / kd * abs(e), math.sqrt(alpha * abs(e)), cfg[CF_ATT_RATE_MAX])
    if e < 0.0:
        w_cmd = -w_cmd
    return inertia * kd * (w_cmd - rate)


@kernel
def attitude_torque(q_now, q_des, rate, mass, cfg, bw):
    """Body torque demand toward q_des (both body -> the same frame) at loop bandwidth
    bw; zero per axis inside the deadband."""
    e = vec.q_to_rotvec(vec.q_mul(vec.q_conj(q_now), q_des))
    mf = mass / cfg[CF_MASS0]
    return (_axis_torque(e[0], rate[0], 0, mf, cfg, bw), _axis_torque(e[1], rate[1], 1, mf, cfg, bw),
            _axis_torque(e[2], rate[2], 2, mf, cfg, bw))


@kernel
def _on(t, dt, min_on):
    if t < 0.5 * min_on:
        return 0.0
    return min(max(t, min_on), dt)


@kernel
def allocate(force_b, torque_b, cfg, dt, af):
    """Write the twelve on-times for a body force and torque to the actuator frame."""
    f = cfg[CF_RCS_FORCE]
    arm = cfg[CF_RCS_TORQUE] / (2.0 * f)
    min_on = cfg[CF_RCS_MIN_ON]
    for j in range(3):
        u = force_b[j] * dt / f
        w = torque_b[(j + 2) % 3] * dt / (f * arm)
        a = 0.5 * (u - w)
        b = 0.5 * (u + w)
        af[AF_RCS_ON + 4 * j] = _on(max(a, 0.0), dt, min_on)
        af[AF_RCS_ON + 4 * j + 1] = _on(max(b, 0.0), dt, min_on)
        af[AF_RCS_ON + 4 * j + 2] = _on(max(-a, 0.0), dt, min_on)
        af[AF_RCS_ON + 4 * j + 3] = _on(max(-b, 0.0), dt, min_on)
