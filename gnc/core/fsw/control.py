"""Attitude control: thrust-vector pointing with RCS pulses.

The desired attitude puts body +z (the engine's thrust axis) along the commanded
thrust and turns body +x toward "down and back" (the canted altimeter keeps
seeing the ground from braking to hover).  Per axis, the rotation-vector error
sets a rate command, limited so the RCS can always stop in time
(sqrt(alpha |e|), alpha the couple's angular acceleration) and by att_rate_max;
the rate error sets a torque demand.  Without that limit a saturated PD law
overshoots large slews and can limit-cycle.  Each axis fires its RCS couple for
the fraction of the step that delivers the torque (pulse-width modulation), with
a minimum on-time and a deadband.
Thruster 2k and 2k+1 form couple k: +x, -x, +y, -y, +z, -z torque.
"""
import math

from gnc.core import vec
from gnc.core.jit import kernel
from gnc.core.layout import (AF_RCS_ON, CF_ATT_BW, CF_ATT_DEADBAND, CF_ATT_RATE_MAX, CF_ATT_ZETA, CF_INERTIA,
                             CF_MASS0, CF_RCS_MIN_ON, CF_RCS_TORQUE)


@kernel
def desired_attitude(thrust_dir, up, fwd):
    """Body->landing quaternion with +z along thrust_dir and +x toward -(up + fwd)."""
    z = vec.unit(thrust_dir)
    x = vec.unit(vec.reject((-up[0] - fwd[0], -up[1] - fwd[1], -up[2] - fwd[2]), z))
    if vec.norm(x) == 0.0:
        x = vec.unit(vec.reject((fwd[1], -fwd[0], 0.0), z))
    y = vec.cross(z, x)
    return vec.q_from_axes(x, y, z)


@kernel
def rcs_pulses(q_lb, q_des, rate, mass, cfg, dt, af):
    """Write the 12 RCS on-times for this step to the actuator frame."""
    e = vec.q_to_rotvec(vec.q_mul(vec.q_conj(q_lb), q_des))      # body axes
    bw = cfg[CF_ATT_BW]
    kd = 2.0 * cfg[CF_ATT_ZETA] * bw
    k_rate = bw * bw / kd          # = kp / kd of the equivalent PD law
    w_max = cfg[CF_ATT_RATE_MAX]
    # inertia scaled with the mass estimate (propellant sits near the axis: a fair fit)
    mf = mass / cfg[CF_MASS0]
    db = cfg[CF_ATT_DEADBAND]
    min_on = cfg[CF_RCS_MIN_ON]
    for k in range(12):
        af[AF_RCS_ON + k] = 0.0
    for ax in range(3):
        if abs(e[ax]) < db and abs(rate[ax]) < 0.2 * bw * db:
            continue
        inertia = cfg[CF_INERTIA + ax] * mf
        alpha = cfg[CF_RCS_TORQUE + ax] / inertia
        w_cmd = min(k_rate * abs(e[ax]), math.sqrt(alpha * abs(e[ax])), w_max)
        if e[ax] < 0.0:
            w_cmd = -w_cmd
        torque = inertia * kd * (w_cmd - rate[ax])
        on = abs(torque) / cfg[CF_RCS_TORQUE + ax] * dt
        if on < 0.5 * min_on:
            continue
        on = min(max(on, min_on), dt)
        couple = 2 * ax + (0 if torque > 0.0 else 1)
        af[AF_RCS_ON + 2 * couple] = on
        af[AF_RCS_ON + 2 * couple + 1] = on
