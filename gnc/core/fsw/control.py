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

A centre of mass off the thrust line (and a misaligned engine) turns thrust into a torque:
30 mm at full thrust is 225 N m against the couples' 240 N m.  Left to the feedback, it
takes a standing attitude error to cancel, and a braking rule that counts on the full couple
overshoots wherever the engine's torque opposes it.  So the flight software learns that
torque per newton of thrust from the gyros (the rate each step's pulses and the engine
should have led to, against the rate measured), cancels it with the pulses, and brakes by
what the couples have left.
Thruster 2k and 2k+1 form couple k: +x, -x, +y, -y, +z, -z torque.
"""
import math

from gnc.core import vec
from gnc.core.jit import kernel
from gnc.core.layout import (AF_RCS_ON, CF_ATT_BW, CF_ATT_DEADBAND, CF_ATT_RATE_MAX, CF_ATT_ZETA, CF_INERTIA, CF_MASS0,
                             CF_RCS_MIN_ON, CF_RCS_TORQUE, FS_RATE, FS_RATE_PRED, FS_THRUST_ARM, FS_THRUST_LAST)

ARM_TAU = 2.0        # s: time constant of the learnt thrust torque (the attitude loop's is ~0.5 s)
ARM_MAX = 0.2        # m: bound on the learnt offset; a larger one is a bad estimate, not a vehicle
BRAKE_FLOOR = 0.1    # share of a couple the braking rule counts on, however much the engine takes


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
def learn_thrust_arm(fs, imu_valid, mass, cfg, dt):
    """Update the main engine's torque per newton of thrust (body axes) from the torque the
    gyros saw that the last step's pulses and engine estimate do not explain.  The rates are
    means over a step, so the prediction is off by part of a step's pulse; that averages
    out, as the sum of the innovations is the disturbance's impulse."""
    thrust = fs[FS_THRUST_LAST]
    if not imu_valid or thrust <= 0.0:
        return
    mf = mass / cfg[CF_MASS0]
    for ax in range(3):
        unexplained = (fs[FS_RATE + ax] - fs[FS_RATE_PRED + ax]) * cfg[CF_INERTIA + ax] * mf / dt
        arm = fs[FS_THRUST_ARM + ax] + dt / ARM_TAU * unexplained / thrust
        fs[FS_THRUST_ARM + ax] = min(max(arm, -ARM_MAX), ARM_MAX)


@kernel
def rcs_pulses(q_lb, q_des, rate, mass, cfg, dt, af, tau_ff):
    """Write the 12 RCS on-times for this step to the actuator frame; tau_ff (N m, body) is
    a torque to add to the feedback's (the learnt engine torque, cancelled)."""
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
        couple_torque = cfg[CF_RCS_TORQUE + ax]
        torque = tau_ff[ax]
        if abs(e[ax]) >= db or abs(rate[ax]) >= 0.2 * bw * db:
            inertia = cfg[CF_INERTIA + ax] * mf
            left = max(couple_torque - abs(tau_ff[ax]), BRAKE_FLOOR * couple_torque)
            w_cmd = min(k_rate * abs(e[ax]), math.sqrt(left / inertia * abs(e[ax])), w_max)
            if e[ax] < 0.0:
                w_cmd = -w_cmd
            torque += inertia * kd * (w_cmd - rate[ax])
        on = abs(torque) / couple_torque * dt
        if on < 0.5 * min_on:
            continue
        on = min(max(on, min_on), dt)
        couple = 2 * ax + (0 if torque > 0.0 else 1)
        af[AF_RCS_ON + 2 * couple] = on
        af[AF_RCS_ON + 2 * couple + 1] = on


@kernel
def predict_rate(fs, af, thrust, mass, cfg, dt):
    """Store the body rate this step's pulses and the engine's learnt torque lead to."""
    mf = mass / cfg[CF_MASS0]
    for ax in range(3):
        impulse = (af[AF_RCS_ON + 4 * ax] - af[AF_RCS_ON + 4 * ax + 2]) * cfg[CF_RCS_TORQUE + ax] \
            + thrust * fs[FS_THRUST_ARM + ax] * dt
        fs[FS_RATE_PRED + ax] = fs[FS_RATE + ax] + impulse / (cfg[CF_INERTIA + ax] * mf)
