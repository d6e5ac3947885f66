"""Orbit operations shared by the ascent (after insertion) and rendezvous programs:
the onboard orbit (Kepler over any step), attitude references, and engine burns
executed from a delta-v (the strapdown attitude is nav.strapdown).

Accelerometers are integrated into the orbit only while thrust is commanded or sensed
above ACC_DETECT (thrust detection): in a coast the sensed delta-v is noise and bias,
and integrating it for hours would walk the orbit away.

A burn (execute_burn) above burn_engine_dv points body +z (the thrust axis) along the
delta-v to gain and fires once the attitude is there.  While it fires, the aim moves
by STEER_GAIN of the difference between the direction still to gain and the direction
the sensed delta-v actually took: an integral steering that cancels a steady pointing
bias (the thrust line off the centre of mass leaves one under a proportional attitude
law).  The aim is held in the last seconds, and the engine is cut off when what is
left along the thrust axis is what its tail-off will still give (the first-order
thrust decay, asc_tailoff seconds of full thrust) plus half a step.  At 10 Hz a
7 m/s^2 engine still ends +-0.35 m/s off, so once the tail-off has died out the
residual is trimmed with RCS translation (gnc.core.fsw.rcs); smaller burns are RCS
translation only.
"""
import math

from gnc.core import orbit, pmath, vec
from gnc.core.jit import kernel
from gnc.core.layout import (CF_ASC_TAILOFF, CF_BURN_DV, CF_BURN_ENGINE_DV, CF_BURN_T, CF_DT, CF_MU, CF_STAR_GAIN,
                             FS_AIM, FS_A_MEAS, FS_BURN_DV, FS_BURN_K, FS_BURN_ON, FS_BURN_T, FS_ORB_POS, FS_ORB_VEL,
                             FS_Q_IB, FS_THRUST_LAST, SF_STAR_Q, SF_VALID, VALID_STAR)

N_BURNS = 4
IGNITION_TOL = math.radians(1.0)    # thrust axis this close to the burn direction before ignition
STEER_HOLD = 3.0                    # hold the direction when this many cut-off margins remain
STEER_GAIN = 0.1                    # per step: share of the sensed direction error the aim takes
TAILOFF_WAIT = 5.0                  # engine time constants from cut-off to the RCS trim
RCS_DONE = 0.003                    # m/s: a trim is done when less than this is left
A_FILTER = 0.2                      # weight of each new sample in the sensed-acceleration filter
ACC_DETECT = 0.05                   # m/s^2: sensed acceleration above this is thrust, not accelerometer noise


@kernel
def sense_thrust(fs, dv_i, h):
    """Filtered thrust acceleration from the sensed delta-v of a powered step."""
    if h <= 0.0 or fs[FS_THRUST_LAST] <= 0.0:
        return
    a = vec.norm(dv_i) / h
    if fs[FS_A_MEAS] <= 0.0:
        fs[FS_A_MEAS] = a
    else:
        fs[FS_A_MEAS] += A_FILTER * (a - fs[FS_A_MEAS])


@kernel
def step_length(t, t_last, dt):
    """Time since the last step as a whole number of steps dt (the host steps in whole
    steps): 50 h after t = 0 a float time tag has 15.6 ms resolution, so t - t_last
    itself would jitter by up to 16 % of a 0.1 s step, and with it the body rate dtheta / h."""
    return dt * float(int((t - t_last) / dt + 0.5))


@kernel
def propagate_orbit(fs, cfg, h, dv_i, powered):
    """The onboard orbit over the last step: Kepler, plus the sensed delta-v if powered."""
    r, v = orbit.kepler(vec.load3(fs, FS_ORB_POS), vec.load3(fs, FS_ORB_VEL), h, cfg[CF_MU])
    if powered:
        r = vec.axpy(0.5 * h, dv_i, r)       # thrust spread over the step
        v = vec.add(v, dv_i)
    vec.store3(fs, FS_ORB_POS, r)
    vec.store3(fs, FS_ORB_VEL, v)


@kernel
def uplinked_orbit(cfg, t, pos_idx, vel_idx, epoch):
    """A ground state vector of the config carried from its epoch to t."""
    return orbit.kepler(vec.load3(cfg, pos_idx), vec.load3(cfg, vel_idx), t - epoch, cfg[CF_MU])


@kernel
def next_burn(cfg, fs):
    """(slot, ignition time, delta-v) of the next uplinked burn; slot -1 if none."""
    k = int(fs[FS_BURN_K])
    if k < 0 or k >= N_BURNS or cfg[CF_BURN_T + k] <= 0.0:
        return -1, 0.0, (0.0, 0.0, 0.0)
    return k, cfg[CF_BURN_T + k], vec.load3(cfg, CF_BURN_DV + 3 * k)


@kernel
def q_pointing(q_ib, z_target):
    """Body->inertial attitude that puts body +z along z_target by the shortest slew."""
    z_b = vec.q_rot_inv(q_ib, vec.unit(z_target))
    c = z_b[2]
    axis = (-z_b[1], z_b[0], 0.0)                 # +z x z_b
    s = vec.norm(axis)
    if s < 1e-9:
        if c > 0.0:
            return q_ib
        return vec.q_mul(q_ib, (0.0, 1.0, 0.0, 0.0))
    ang = pmath.atan2(s, c)
    return vec.q_mul(q_ib, vec.q_from_rotvec(vec.scale(axis, ang / s)))


@kernel
def q_lvlh_hold(r, v):
    """Orbit attitude of a docking target: body +z (docking face) toward -V-bar, +x radial."""
    x, y, z = orbit.lvlh_axes(r, v)
    return vec.q_from_axes(x, z, (-y[0], -y[1], -y[2]))


@kernel
def axis_error(q_ib, u):
    """Angle between body +z and the inertial direction u."""
    z = vec.q_rot(q_ib, (0.0, 0.0, 1.0))
    return pmath.acos(min(max(vec.dot(z, vec.unit(u)), -1.0), 1.0))


@kernel
def execute_burn(cfg, fs, t, dv_i, q_ib, a_nom, mass):
    """One step of the current burn (FS_BURN_*).  Returns (fire the engine, RCS force
    wanted (inertial), direction body +z must point along (zero: free), done).

    Above burn_engine_dv: slew, fire once pointed, steer, cut off, wait out the
    tail-off, then trim what is left with RCS translation; below it, RCS alone."""
    dt = cfg[CF_DT]
    zero = (0.0, 0.0, 0.0)
    on = fs[FS_BURN_ON]
    rem = vec.load3(fs, FS_BURN_DV)
    if on != 0.0:
        rem = vec.sub(rem, dv_i)
        vec.store3(fs, FS_BURN_DV, rem)
    if on == 0.0:
        if vec.norm(rem) > cfg[CF_BURN_ENGINE_DV]:
            u = vec.unit(rem)
            vec.store3(fs, FS_AIM, u)
            if t >= fs[FS_BURN_T] and axis_error(q_ib, u) <= IGNITION_TOL:
                fs[FS_BURN_ON] = 1.0
                return True, zero, u, False
            return False, zero, u, False
        if t < fs[FS_BURN_T]:
            return False, zero, zero, False
        fs[FS_BURN_ON] = on = 2.0
    if on == 1.0:
        a = fs[FS_A_MEAS] if fs[FS_A_MEAS] > 0.0 else a_nom
        margin = a * (cfg[CF_ASC_TAILOFF] + 0.5 * dt)
        u = vec.load3(fs, FS_AIM)
        if vec.norm(rem) > STEER_HOLD * margin and vec.norm(dv_i) > 0.0:
            # integral steering: aim off by what the thrust actually missed
            u = vec.unit(vec.axpy(STEER_GAIN, vec.sub(vec.unit(rem), vec.unit(dv_i)), u))
            vec.store3(fs, FS_AIM, u)
        if vec.dot(rem, vec.q_rot(q_ib, (0.0, 0.0, 1.0))) <= margin:
            fs[FS_BURN_ON] = 3.0
            fs[FS_BURN_T] = t
            return False, zero, u, False
        return True, zero, u, False
    if on == 3.0:
        if t - fs[FS_BURN_T] >= TAILOFF_WAIT * cfg[CF_ASC_TAILOFF]:
            fs[FS_BURN_ON] = 2.0
        return False, zero, vec.load3(fs, FS_AIM), False
    if vec.norm(rem) < RCS_DONE:
        fs[FS_BURN_ON] = 0.0
        return False, zero, zero, True
    return False, vec.scale(rem, mass / dt), zero, False


@kernel
def star_blend(sf, cfg, fs):
    """Take star_gain of the star tracker's attitude error, when it has a sample."""
    if int(sf[SF_VALID]) & VALID_STAR:
        q = vec.load4(fs, FS_Q_IB)
        e = vec.q_to_rotvec(vec.q_mul(vec.q_conj(q), vec.load4(sf, SF_STAR_Q)))
        vec.store4(fs, FS_Q_IB, vec.q_normalize(vec.q_mul(q, vec.q_from_rotvec(vec.scale(e, cfg[CF_STAR_GAIN])))))


@kernel
def settled(q_now, q_des, rate, att_tol, rate_tol):
    """Attitude within att_tol of q_des and body rate below rate_tol: a coast may be stepped over."""
    return vec.norm(vec.q_to_rotvec(vec.q_mul(vec.q_conj(q_now), q_des))) <= att_tol and vec.norm(rate) <= rate_tol


@kernel
def lvlh_rate_body(q_ib, r, v):
    """Angular velocity of the LVLH frame of orbit (r, v), in body axes: the body rate of
    an attitude held in that frame.  Attitude laws damp the rate relative to it."""
    return vec.q_rot_inv(q_ib, vec.scale(vec.unit(vec.cross(r, v)), orbit.lvlh_rate(r, v)))
