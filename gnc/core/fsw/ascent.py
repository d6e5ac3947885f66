"""Ascent program: lift-off from the lander into a target orbit, then orbit operations.

    idle              on the pad: surface alignment.  The vehicle does not move, so
                      position and velocity are held at the uplinked site values (a
                      zero-velocity update each step) while the gyros and the star
                      tracker settle the attitude; ends at the go command
    vertical_rise     full thrust along the local vertical for asc_rise_time (clears
                      the lander: Chang'e "vertical rise", Apollo P12 ~10 s)
    pitch_over        the thrust direction turns from vertical to the insertion
                      guidance's over asc_pitch_time
    orbit_injection   explicit insertion guidance (below) until the velocity to be
                      gained is what the engine's tail-off will still give: cut-off
    ascent_coast      orbit attitude hold, docking face (+z) toward -V-bar, inside a
                      hold box with hysteresis (the attitude law runs only between
                      leaving the loose box and re-entering the tight one); waits for
                      ground-planned burns (orbit_ops)
    phasing           one ground-planned burn (orbit_ops.execute_burn): slew, fire,
                      cut off on sensed delta-v, trim the residual with RCS

Attitude control all the way is gnc.core.fsw.rcs: the ascender's twelve thrusters
give torque and, for burn trims, force.

Insertion guidance is the Apollo LM ascent scheme (P12 insertion guidance, as
summarised in mission_facts R24a: thrust acceleration commanded linear in time, which
approximates the optimal linear-tangent steering): in the vehicle's local vertical
frame, the radial and out-of-plane thrust accelerations are the linear-in-time laws
that null the position and velocity errors at t_go (E-guidance, Cherry 1964:
a = 6 ZEM / t_go^2 - 2 ZEV / t_go, radial gravity less centrifugal averaged between
now and insertion), and the engine, which cannot throttle, puts what is left of its
acceleration downrange.  t_go comes from the rocket equation on the velocity to be
gained (radial gravity loss included) with the sensed thrust acceleration, as
Apollo's did, so thrust and Isp dispersions change t_go, not the target.  The target
is insertion at the perilune radius, zero radial rate, the vis-viva horizontal speed
for the target apolune, in the target plane.  Below asc_tgo_hold the position terms
(which grow like 1/t_go^2) are dropped: the thrust points along the velocity still to
gain less the gravity to come, held in the last few tenths of a second, and the
engine is cut off when what is left along the thrust axis is the tail-off's.

Navigation through powered ascent is the descent's filter in the landing frame (IMU
and star tracker; no altimeter or velocimeter), a Moon-fixed Cartesian frame: fine in
double for a 300 km arc, but in float on a microcontroller a position of 1e5-3e5 m
keeps only ~2-4 cm per unit in the last place; the C port would want a local frame
re-centred along the track.  After cut-off the orbit is carried in inertial
coordinates by Kepler (orbit_ops), and the landing-frame outputs are derived from it.
"""
import math

from gnc.core import pmath, vec
from gnc.core.fsw import nav, orbit_ops, rcs
from gnc.core.fsw.landing import q_li
from gnc.core.jit import kernel
from gnc.core.layout import (
    AF_THRUST_CMD,
    CF_ASC_PITCH_TIME,
    CF_ASC_PLANE_N,
    CF_ASC_R_INS,
    CF_ASC_RISE_TIME,
    CF_ASC_TAILOFF,
    CF_ASC_TGO_HOLD,
    CF_ASC_V_INS,
    CF_ATT_BW,
    CF_BURN_LEAD,
    CF_DT,
    CF_HOLD_BW,
    CF_ISP,
    CF_MU,
    CF_NAV0_POS,
    CF_NAV0_VEL,
    CF_OMEGA_L,
    CF_ORB_EPOCH,
    CF_ORB_POS,
    CF_ORB_VEL,
    CF_R_SITE,
    CF_THRUST_MAX,
    FS_A_MEAS,
    FS_AIM,
    FS_ATT_QUIET,
    FS_BURN_DV,
    FS_BURN_K,
    FS_BURN_ON,
    FS_BURN_T,
    FS_HEALTH,
    FS_MASS,
    FS_ORB_POS,
    FS_ORB_VEL,
    FS_PHASE,
    FS_POS,
    FS_Q_IB,
    FS_RATE,
    FS_STARTED,
    FS_T_IDLE,
    FS_T_LAST,
    FS_T_PHASE,
    FS_TGO,
    FS_THRUST_LAST,
    FS_VEL,
    HEALTH_NAV_INIT,
    PHASE_ASCENT_COAST,
    PHASE_IDLE,
    PHASE_ORBIT_INJECTION,
    PHASE_PHASING,
    PHASE_PITCH_OVER,
    PHASE_VERTICAL_RISE,
    SF_CMD,
    SF_IMU_DV,
    SF_VALID,
    VALID_IMU,
)

NEVER = 1e30
A_H_MIN = 0.05                        # at least this fraction of the thrust acceleration goes downrange
# orbit attitude hold box, with hysteresis: once inside the tight box the thrusters are left
# alone (and a coast may be stepped over) until the attitude leaves the loose one
HOLD_TIGHT_ATT = math.radians(0.3)
HOLD_TIGHT_RATE = math.radians(0.005)  # relative to the LVLH frame's rotation
HOLD_LOOSE_ATT = math.radians(1.0)
HOLD_LOOSE_RATE = math.radians(0.03)


@kernel
def _enter(fs, phase, t):
    fs[FS_PHASE] = phase
    fs[FS_T_PHASE] = t


@kernel
def _centred(r, cfg):
    return (r[0], r[1], r[2] + cfg[CF_R_SITE])


@kernel
def _inertial_velocity(r, v, cfg):
    """Inertial velocity in landing-frame axes: v + omega x r (r from the Moon's centre)."""
    return vec.add(v, vec.cross(vec.load3(cfg, CF_OMEGA_L), _centred(r, cfg)))


@kernel
def insertion(r_c, v_i, n, cfg, a_t):
    """Insertion guidance in any one set of axes (r_c from the Moon's centre, v_i
    inertial, n the target plane's unit normal).  Returns (thrust direction, t_go,
    velocity to be gained, radial gravity less centrifugal here)."""
    mu = cfg[CF_MU]
    rn = vec.norm(r_c)
    up = vec.scale(r_c, 1.0 / rn)
    d = vec.unit(vec.cross(n, up))                 # downrange, in the target plane
    rdot = vec.dot(v_i, up)
    vh = vec.dot(v_i, d)
    y = vec.dot(r_c, n)
    ydot = vec.dot(v_i, n)
    r_t = cfg[CF_ASC_R_INS]
    v_t = cfg[CF_ASC_V_INS]
    g_now = vh * vh / rn - mu / (rn * rn)
    g = 0.5 * (g_now + (v_t * v_t / r_t - mu / (r_t * r_t)))
    ve = cfg[CF_ISP]
    tgo = 0.0
    for _ in range(3):
        dv = math.sqrt((v_t - vh) ** 2 + (rdot + g * tgo) ** 2 + ydot * ydot)
        tgo = ve / a_t * (1.0 - pmath.exp(-dv / ve))
    tgo = max(tgo, 1e-3)
    t2 = tgo * tgo
    a_r = 6.0 * (r_t - (rn + rdot * tgo + 0.5 * g * t2)) / t2 + 2.0 * (rdot + g * tgo) / tgo
    a_y = -6.0 * (y + ydot * tgo) / t2 + 2.0 * ydot / tgo
    side = math.sqrt(a_r * a_r + a_y * a_y)
    side_max = a_t * math.sqrt(1.0 - A_H_MIN * A_H_MIN)
    if side > side_max:
        a_r *= side_max / side
        a_y *= side_max / side
    a_h = math.sqrt(max(a_t * a_t - a_r * a_r - a_y * a_y, 0.0))
    u = vec.unit(vec.add(vec.add(vec.scale(up, a_r), vec.scale(n, a_y)), vec.scale(d, a_h)))
    v_go = vec.sub(vec.scale(d, v_t), v_i)
    return u, tgo, v_go, g_now


@kernel
def to_inertial(r, v, t, cfg):
    """Landing-frame navigation state -> inertial (MCI) position and velocity."""
    q = q_li(t, cfg)
    return vec.q_rot_inv(q, _centred(r, cfg)), vec.q_rot_inv(q, _inertial_velocity(r, v, cfg))


@kernel
def to_landing(r_i, v_i, t, cfg):
    q = q_li(t, cfg)
    r_c = vec.q_rot(q, r_i)
    v = vec.sub(vec.q_rot(q, v_i), vec.cross(vec.load3(cfg, CF_OMEGA_L), r_c))
    return (r_c[0], r_c[1], r_c[2] - cfg[CF_R_SITE]), v


@kernel
def _navigate(sf, cfg, fs, t, h, phase):
    """Navigation for this phase; returns (health, sensed delta-v inertial, powered)."""
    health = 0
    zero = (0.0, 0.0, 0.0)
    if phase == PHASE_ASCENT_COAST or phase == PHASE_PHASING:
        dv_i, health = nav.strapdown(sf, fs, h)
        # commanded, or still sensed: the engine's tail-off after a cut-off counts too
        powered = fs[FS_THRUST_LAST] > 0.0 or vec.norm(dv_i) > orbit_ops.ACC_DETECT * h
        orbit_ops.propagate_orbit(fs, cfg, h, dv_i, powered)
        if powered:
            orbit_ops.sense_thrust(fs, dv_i, h)
        r, v = to_landing(vec.load3(fs, FS_ORB_POS), vec.load3(fs, FS_ORB_VEL), t, cfg)
        vec.store3(fs, FS_POS, r)
        vec.store3(fs, FS_VEL, v)
        return health, dv_i, powered
    health |= nav.propagate(sf, cfg, fs, t, h)
    if phase == PHASE_IDLE:
        # on the pad: the vehicle does not move (zero-velocity update)
        vec.store3(fs, FS_POS, vec.load3(cfg, CF_NAV0_POS))
        vec.store3(fs, FS_VEL, vec.load3(cfg, CF_NAV0_VEL))
    elif int(sf[SF_VALID]) & VALID_IMU:
        orbit_ops.sense_thrust(fs, vec.load3(sf, SF_IMU_DV), h)
    return health, zero, False


@kernel
def step(sf, cfg, fs, af, t):
    """The whole ascent-program step (navigation, guidance, control, outputs)."""
    dt = cfg[CF_DT]
    health = 0
    if int(fs[FS_HEALTH]) & HEALTH_NAV_INIT == 0:
        nav.init(cfg, fs)
        fs[FS_HEALTH] = HEALTH_NAV_INIT
        fs[FS_BURN_T] = -1.0
        h = 0.0
    else:
        h = orbit_ops.step_length(t, fs[FS_T_LAST], dt) if t > fs[FS_T_LAST] else dt
    fs[FS_T_LAST] = t
    cmd = int(sf[SF_CMD])
    if cmd == 1:
        fs[FS_STARTED] = 1.0
    phase = int(fs[FS_PHASE])
    if h > 0.0:
        nh, dv_i, powered = _navigate(sf, cfg, fs, t, h, phase)
        health |= nh
    else:
        dv_i = (0.0, 0.0, 0.0)
    health |= nav.correct(sf, cfg, fs, t)
    if cmd == 3:
        # ground update: a fresh state vector and burn plan
        r, v = orbit_ops.uplinked_orbit(cfg, t, CF_ORB_POS, CF_ORB_VEL, cfg[CF_ORB_EPOCH])
        vec.store3(fs, FS_ORB_POS, r)
        vec.store3(fs, FS_ORB_VEL, v)
        fs[FS_BURN_K] = 0.0
        fs[FS_BURN_ON] = 0.0

    mass = fs[FS_MASS]
    a_nom = cfg[CF_THRUST_MAX] / mass
    a_t = fs[FS_A_MEAS] if fs[FS_A_MEAS] > 0.0 else a_nom
    r = vec.load3(fs, FS_POS)
    v = vec.load3(fs, FS_VEL)
    r_c = _centred(r, cfg)
    up = vec.unit(r_c)
    q_l = q_li(t, cfg)
    n = vec.q_rot(q_l, vec.load3(cfg, CF_ASC_PLANE_N))        # target plane normal, landing axes
    fs[FS_T_IDLE] = t

    if phase == PHASE_IDLE and fs[FS_STARTED] > 0.0:
        _enter(fs, PHASE_VERTICAL_RISE, t)
        phase = PHASE_VERTICAL_RISE
    if phase == PHASE_VERTICAL_RISE and t - fs[FS_T_PHASE] >= cfg[CF_ASC_RISE_TIME]:
        _enter(fs, PHASE_PITCH_OVER, t)
        phase = PHASE_PITCH_OVER
    if phase == PHASE_PITCH_OVER and t - fs[FS_T_PHASE] >= cfg[CF_ASC_PITCH_TIME]:
        _enter(fs, PHASE_ORBIT_INJECTION, t)
        phase = PHASE_ORBIT_INJECTION

    thrust = 0.0
    force_i = (0.0, 0.0, 0.0)           # RCS translation (burn trims), inertial
    rate_ref = (0.0, 0.0, 0.0)          # body rate the attitude should have (LVLH hold: the orbit's)
    if phase == PHASE_IDLE:
        q_des = vec.load4(fs, FS_Q_IB)
        q_now = q_des
    elif phase == PHASE_ASCENT_COAST or phase == PHASE_PHASING:
        q_now = vec.load4(fs, FS_Q_IB)
        r_i = vec.load3(fs, FS_ORB_POS)
        v_i = vec.load3(fs, FS_ORB_VEL)
        slot, t_ign, dv = orbit_ops.next_burn(cfg, fs)
        if phase == PHASE_ASCENT_COAST and slot >= 0 and t >= t_ign - cfg[CF_BURN_LEAD]:
            fs[FS_BURN_T] = t_ign
            vec.store3(fs, FS_BURN_DV, dv)
            fs[FS_BURN_ON] = 0.0
            _enter(fs, PHASE_PHASING, t)
            phase = PHASE_PHASING
        q_des = orbit_ops.q_lvlh_hold(r_i, v_i)
        rate_ref = orbit_ops.lvlh_rate_body(q_now, r_i, v_i)
        if phase == PHASE_PHASING:
            fire, force_i, u, done = orbit_ops.execute_burn(cfg, fs, t, dv_i, q_now, a_nom, mass)
            thrust = cfg[CF_THRUST_MAX] if fire else 0.0
            if vec.norm(u) > 0.0:
                q_des = orbit_ops.q_pointing(q_now, u)
                rate_ref = (0.0, 0.0, 0.0)
            if done:
                fs[FS_BURN_K] += 1.0
                fs[FS_BURN_T] = -1.0
                _enter(fs, PHASE_ASCENT_COAST, t)
        else:
            rate_err = vec.sub(vec.load3(fs, FS_RATE), rate_ref)
            if fs[FS_ATT_QUIET] > 0.0 and not orbit_ops.settled(q_now, q_des, rate_err, HOLD_LOOSE_ATT, HOLD_LOOSE_RATE):
                fs[FS_ATT_QUIET] = 0.0
            elif fs[FS_ATT_QUIET] == 0.0 and orbit_ops.settled(q_now, q_des, rate_err, HOLD_TIGHT_ATT, HOLD_TIGHT_RATE):
                fs[FS_ATT_QUIET] = 1.0
            if fs[FS_ATT_QUIET] > 0.0:
                fs[FS_T_IDLE] = t_ign - cfg[CF_BURN_LEAD] if slot >= 0 else NEVER
    else:
        q_now = nav.q_lb(fs, t, cfg)
        thrust = cfg[CF_THRUST_MAX]
        u, tgo, v_go, g_now = insertion(r_c, _inertial_velocity(r, v, cfg), n, cfg, a_t)
        fs[FS_TGO] = tgo
        if phase == PHASE_VERTICAL_RISE:
            u = up
        elif phase == PHASE_PITCH_OVER:
            f = (t - fs[FS_T_PHASE]) / cfg[CF_ASC_PITCH_TIME]
            u = vec.unit(vec.add(vec.scale(up, 1.0 - f), vec.scale(u, f)))
        elif tgo < cfg[CF_ASC_TGO_HOLD]:
            # the last seconds: along the velocity still to gain, less the gravity to come
            margin = a_t * (cfg[CF_ASC_TAILOFF] + 0.5 * dt)
            if vec.norm(v_go) > orbit_ops.STEER_HOLD * margin:
                u = vec.unit(vec.axpy(-g_now * tgo, up, v_go))
            else:
                u = vec.load3(fs, FS_AIM)
            axis = vec.q_rot(q_now, (0.0, 0.0, 1.0))
            if vec.dot(v_go, axis) <= margin:
                thrust = 0.0
                r_i, v_i = to_inertial(r, v, t, cfg)
                vec.store3(fs, FS_ORB_POS, r_i)
                vec.store3(fs, FS_ORB_VEL, v_i)
                _enter(fs, PHASE_ASCENT_COAST, t)
        vec.store3(fs, FS_AIM, u)
        q_des = orbit_ops.q_pointing(q_now, u)        # the engine is axisymmetric: roll is free

    af[AF_THRUST_CMD] = thrust
    if int(fs[FS_PHASE]) != PHASE_IDLE and not (phase == PHASE_ASCENT_COAST and fs[FS_ATT_QUIET] > 0.0):
        bw = cfg[CF_HOLD_BW] if phase == PHASE_ASCENT_COAST else cfg[CF_ATT_BW]
        torque = rcs.attitude_torque(q_now, q_des, vec.sub(vec.load3(fs, FS_RATE), rate_ref), mass, cfg, bw)
        rcs.allocate(vec.q_rot_inv(q_now, force_i), torque, cfg, dt, af)
    fs[FS_MASS] = mass - thrust * dt / cfg[CF_ISP]
    fs[FS_THRUST_LAST] = thrust + vec.norm(force_i)
    nav.report(fs, af, health, nav.q_lb(fs, t, cfg), nav.N)
