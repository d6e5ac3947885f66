"""Rendezvous program of the active vehicle (the orbiter-returner): from the ground's
hand-over to capture, on its own relative navigation (gnc.core.fsw.relnav).

    idle            waiting in orbit for the go command (sent with both vehicles'
                    state vectors, cmd 1; a later ground update is cmd 3)
    homing          points the radar at the target; once the radar has tracked for
                    rdv_acq_time, a two-impulse transfer to the first V-bar hold point
                    rdv_aim[0] behind the target, arriving rdv_t_transfer[0] later,
                    with mid-course corrections at 1/2 and 4/5 of the way
    closing         the same to rdv_aim[1] (its first burn is merged with homing's
                    arrival burn); the arrival burn stops the chaser on V-bar
    final_approach  holds position on the target's docking axis for rdv_hold_time
                    (the pose sensor acquires), then closes along that axis (the
                    corridor) at speed = axial distance / rdv_tau, between rdv_v_max
                    and rdv_v_final, lateral offsets pulled in at rdv_lat_bw, the
                    attitude aligned with the target's docking attitude from the pose
    capture         the thrusters stop inside rdv_capture_dist; the mechanism closes

Transfer targeting: the CW two-impulse solution (orbit.cw_velocity_for) as the first
guess, refined by Newton iterations on the two-body propagation of both vehicles with
the CW Jacobian: the linearisation error of CW over tens of km (km-level, it grows with
the separation squared) is removed, and the target's eccentricity is handled by the
propagation, not assumed away.  Burns above burn_engine_dv slew and use the main
engine, then an RCS trim; smaller ones use RCS translation without a slew
(orbit_ops.execute_burn).

Time warp: between events the program reports t_idle (the time it next needs to run
at its full rate) as long as its attitude is settled; the host may step the coast in
one go.  nav_pos/nav_vel out: chaser relative to the target, LVLH; nav_q: body ->
inertial.
"""
import math

from gnc.core import orbit, vec
from gnc.core.fsw import nav, orbit_ops, rcs, relnav
from gnc.core.jit import kernel
from gnc.core.layout import (AF_THRUST_CMD, CF_ATT_BW, CF_BURN_LEAD, CF_DT, CF_ISP, CF_MASS0, CF_MU, CF_NAV0_Q,
                             CF_RDV_ACQ_TIME, CF_RDV_AIM, CF_RDV_CAPTURE_DIST, CF_RDV_HOLD_TIME, CF_RDV_LAT_BW,
                             CF_RDV_T_TRANSFER, CF_RDV_TAU, CF_RDV_V_FINAL, CF_RDV_V_MAX, CF_THRUST_MAX, FS_AIM,
                             FS_BURN_DV, FS_BURN_K, FS_BURN_ON, FS_BURN_T, FS_HEALTH, FS_MASS, FS_PHASE, FS_POS,
                             FS_Q_IB, FS_RATE, FS_STARTED, FS_T_ARRIVE, FS_T_IDLE, FS_T_LAST, FS_T_MCC, FS_T_PHASE,
                             FS_T_POSE, FS_T_TRACK, FS_THRUST_LAST, FS_VEL, HEALTH_NAV_INIT, PHASE_CAPTURE,
                             PHASE_CLOSING, PHASE_FINAL_APPROACH, PHASE_HOMING, PHASE_IDLE, SF_CMD)

NEVER = 1e30
LEG_STOP = 2                          # burn_k after closing: the stop burn, then the final approach
MCC_AT = (0.5, 0.8)                   # mid-course corrections at these fractions of a transfer
NEWTON_ITERATIONS = 4
SETTLED_ATT = math.radians(5.0)       # coast may be stepped over within this of the pointing...
SETTLED_RATE = math.radians(0.3)      # ...and below this body rate


@kernel
def _enter(fs, phase, t):
    fs[FS_PHASE] = phase
    fs[FS_T_PHASE] = t


@kernel
def _predict(fs, cfg, ahead):
    """Estimated target and chaser inertial states `ahead` seconds from now (two-body)."""
    mu = cfg[CF_MU]
    rt, vt = relnav.target_state(fs)
    rc, vc = relnav.chaser_state(fs)
    rt, vt = orbit.kepler(rt, vt, ahead, mu)
    rc, vc = orbit.kepler(rc, vc, ahead, mu)
    return rt, vt, rc, vc


@kernel
def plan_transfer(fs, cfg, t, t_burn, aim, t_arrive):
    """Inertial delta-v at t_burn that brings the chaser to LVLH point `aim` at t_arrive."""
    mu = cfg[CF_MU]
    rt, vt, rc, vc = _predict(fs, cfg, t_burn - t)
    rho, rho_dot = orbit.to_lvlh(rt, vt, rc, vc)
    n = orbit.lvlh_rate(rt, vt)
    span = t_arrive - t_burn
    v = orbit.cw_velocity_for(rho, aim, n, span)
    rt2, vt2 = orbit.kepler(rt, vt, span, mu)
    for _ in range(NEWTON_ITERATIONS):
        rc1, vc1 = orbit.from_lvlh(rt, vt, rho, v)
        rc2, vc2 = orbit.kepler(rc1, vc1, span, mu)
        arrived, _ = orbit.to_lvlh(rt2, vt2, rc2, vc2)
        v = vec.add(v, orbit.cw_velocity_for((0.0, 0.0, 0.0), vec.sub(aim, arrived), n, span))
    return orbit.lvlh_to_inertial_vec(rt, vt, vec.sub(v, rho_dot))


@kernel
def _stop_burn(fs, cfg, t, t_burn):
    """Inertial delta-v at t_burn that stops the chaser in the LVLH frame."""
    rt, vt, rc, vc = _predict(fs, cfg, t_burn - t)
    _, rho_dot = orbit.to_lvlh(rt, vt, rc, vc)
    return orbit.lvlh_to_inertial_vec(rt, vt, vec.scale(rho_dot, -1.0))


@kernel
def _schedule(fs, t_burn, dv):
    fs[FS_BURN_T] = t_burn
    vec.store3(fs, FS_BURN_DV, dv)
    fs[FS_BURN_ON] = 0.0


@kernel
def _start_leg(fs, cfg, t, leg, t_burn):
    span = cfg[CF_RDV_T_TRANSFER + leg]
    t_arrive = t_burn + span
    _schedule(fs, t_burn, plan_transfer(fs, cfg, t, t_burn, (0.0, -cfg[CF_RDV_AIM + leg], 0.0), t_arrive))
    fs[FS_BURN_K] = leg
    fs[FS_T_ARRIVE] = t_arrive
    fs[FS_T_MCC] = t_burn + MCC_AT[0] * span


@kernel
def _target_direction(fs, cfg, t):
    """Inertial direction from the chaser's port to the target's port (estimated)."""
    return relnav.to_inertial_vec(fs, vec.sub(relnav.lever(fs, cfg, t), vec.load3(fs, FS_POS)))


@kernel
def _corridor(fs, cfg, t, mass):
    """Final approach: inertial force along the target's docking axis, and the axial distance."""
    bw = cfg[CF_RDV_LAT_BW]
    v_max = cfg[CF_RDV_V_MAX]
    rho = vec.load3(fs, FS_POS)
    rho_dot = vec.load3(fs, FS_VEL)
    ax = relnav.to_lvlh_vec(fs, vec.q_rot(relnav.target_attitude(fs, t), (0.0, 0.0, 1.0)))
    p = vec.sub(rho, relnav.lever(fs, cfg, t))              # chaser port - target port
    s = vec.dot(p, ax)
    e = vec.axpy(-s, ax, p)
    holding = t - fs[FS_T_PHASE] < cfg[CF_RDV_HOLD_TIME] or t - fs[FS_T_POSE] > relnav.POSE_MEMORY
    if holding:
        v_ax = min(max(-bw * (s - fs[FS_AIM]), -v_max), v_max)
    else:
        v_ax = -min(max(s / cfg[CF_RDV_TAU], cfg[CF_RDV_V_FINAL]), v_max)
    v_lat = vec.scale(e, -bw)
    n_lat = vec.norm(v_lat)
    if n_lat > v_max:
        v_lat = vec.scale(v_lat, v_max / n_lat)
    v_cmd = vec.axpy(v_ax, ax, v_lat)
    rt, vt = relnav.target_state(fs)
    n = orbit.lvlh_rate(rt, vt)
    # the relative motion's own acceleration (CW), cancelled
    natural = (3.0 * n * n * rho[0] + 2.0 * n * rho_dot[1], -2.0 * n * rho_dot[0], -n * n * rho[2])
    a = vec.sub(vec.scale(vec.sub(v_cmd, rho_dot), 4.0 * bw), natural)
    return relnav.to_inertial_vec(fs, vec.scale(a, mass)), s


@kernel
def step(sf, cfg, fs, af, t):
    """The whole rendezvous-program step (navigation, guidance, control, outputs)."""
    dt = cfg[CF_DT]
    if int(fs[FS_HEALTH]) & HEALTH_NAV_INIT == 0:
        vec.store4(fs, FS_Q_IB, vec.q_normalize(vec.load4(cfg, CF_NAV0_Q)))
        fs[FS_MASS] = cfg[CF_MASS0]
        fs[FS_HEALTH] = HEALTH_NAV_INIT
        fs[FS_BURN_T] = fs[FS_T_ARRIVE] = fs[FS_T_MCC] = fs[FS_T_TRACK] = -1.0
        fs[FS_T_POSE] = -NEVER
        h = 0.0
    else:
        h = orbit_ops.step_length(t, fs[FS_T_LAST], dt) if t > fs[FS_T_LAST] else dt
    fs[FS_T_LAST] = t
    health = 0
    dv_i = (0.0, 0.0, 0.0)
    if h > 0.0:
        dv_i, health = nav.strapdown(sf, fs, h)
    orbit_ops.star_blend(sf, cfg, fs)
    cmd = int(sf[SF_CMD])
    phase = int(fs[FS_PHASE])
    if cmd == 1 or cmd == 3:
        relnav.uplink(cfg, fs, t)
        if cmd == 1:
            fs[FS_STARTED] = 1.0
    elif phase != PHASE_IDLE and h > 0.0:
        powered = fs[FS_THRUST_LAST] > 0.0
        relnav.propagate(fs, cfg, h, dv_i, powered)
        if powered and fs[FS_BURN_ON] == 1.0:
            orbit_ops.sense_thrust(fs, dv_i, h)
    relnav.correct(sf, cfg, fs, t)

    mass = fs[FS_MASS]
    q_now = vec.load4(fs, FS_Q_IB)
    rate = vec.load3(fs, FS_RATE)
    lead = cfg[CF_BURN_LEAD]
    force_i = (0.0, 0.0, 0.0)
    thrust = 0.0
    q_des = q_now
    control_on = True
    fs[FS_T_IDLE] = t

    if phase == PHASE_IDLE:
        control_on = False
        fs[FS_T_IDLE] = NEVER
        if fs[FS_STARTED] > 0.0:
            _enter(fs, PHASE_HOMING, t)
            phase = PHASE_HOMING
            fs[FS_BURN_K] = 0.0
    if phase == PHASE_HOMING or phase == PHASE_CLOSING:
        q_des = orbit_ops.q_pointing(q_now, _target_direction(fs, cfg, t))
        leg = int(fs[FS_BURN_K])
        next_event = NEVER
        if fs[FS_BURN_T] >= 0.0:
            fire, force_i, u, done = orbit_ops.execute_burn(cfg, fs, t, dv_i, q_now, cfg[CF_THRUST_MAX] / mass, mass)
            thrust = cfg[CF_THRUST_MAX] if fire else 0.0
            if vec.norm(u) > 0.0:
                q_des = orbit_ops.q_pointing(q_now, u)
            if fs[FS_BURN_ON] == 0.0 and not done and vec.norm(u) == 0.0:
                next_event = fs[FS_BURN_T]                     # an RCS burn not yet due
            if done:
                fs[FS_BURN_T] = -1.0
                if leg == LEG_STOP:
                    _enter(fs, PHASE_FINAL_APPROACH, t)
                    phase = PHASE_FINAL_APPROACH
                    fs[FS_AIM] = vec.dot(vec.sub(vec.load3(fs, FS_POS), relnav.lever(fs, cfg, t)),
                                         relnav.to_lvlh_vec(fs, vec.q_rot(relnav.target_attitude(fs, t), (0.0, 0.0, 1.0))))
        elif fs[FS_T_ARRIVE] < 0.0:
            t_ready = fs[FS_T_TRACK] + cfg[CF_RDV_ACQ_TIME]
            if fs[FS_T_TRACK] >= 0.0 and t >= t_ready:
                _start_leg(fs, cfg, t, 0, t + lead)
            elif fs[FS_T_TRACK] >= 0.0:
                next_event = t_ready + lead
        elif fs[FS_T_MCC] >= 0.0 and t >= fs[FS_T_MCC] - lead:
            t_burn = fs[FS_T_MCC]
            _schedule(fs, t_burn, plan_transfer(fs, cfg, t, t_burn, (0.0, -cfg[CF_RDV_AIM + leg], 0.0),
                                                fs[FS_T_ARRIVE]))
            late = fs[FS_T_ARRIVE] - (1.0 - MCC_AT[1]) * cfg[CF_RDV_T_TRANSFER + leg]
            fs[FS_T_MCC] = late if t_burn < late - 1.0 else -1.0
        elif t >= fs[FS_T_ARRIVE] - lead:
            t_burn = fs[FS_T_ARRIVE]
            if leg == 0:
                _start_leg(fs, cfg, t, 1, t_burn)
                _enter(fs, PHASE_CLOSING, t)
            else:
                _schedule(fs, t_burn, _stop_burn(fs, cfg, t, t_burn))
                fs[FS_BURN_K] = LEG_STOP
                fs[FS_T_ARRIVE] = t_burn
                fs[FS_T_MCC] = -1.0
        else:
            next_event = fs[FS_T_MCC] if fs[FS_T_MCC] >= 0.0 else fs[FS_T_ARRIVE]
        if (next_event < NEVER and thrust == 0.0 and fs[FS_BURN_ON] == 0.0
                and orbit_ops.settled(q_now, q_des, vec.sub(rate, orbit_ops.lvlh_rate_body(q_now, *relnav.target_state(fs))),
                                      SETTLED_ATT, SETTLED_RATE)):
            fs[FS_T_IDLE] = next_event - lead
    if phase == PHASE_FINAL_APPROACH:
        force_i, s = _corridor(fs, cfg, t, mass)
        if t - fs[FS_T_POSE] <= relnav.POSE_MEMORY:
            q_des = vec.q_mul(relnav.target_attitude(fs, t), vec.q_conj(relnav.Q_DOCKED))
        else:
            q_des = orbit_ops.q_pointing(q_now, _target_direction(fs, cfg, t))
        if s <= cfg[CF_RDV_CAPTURE_DIST]:
            _enter(fs, PHASE_CAPTURE, t)
            phase = PHASE_CAPTURE
    if phase == PHASE_CAPTURE:
        force_i = (0.0, 0.0, 0.0)
        control_on = False

    af[AF_THRUST_CMD] = thrust
    if control_on:
        # the target and the line of sight to it turn with the orbit: damp the rate relative to that
        rt, vt = relnav.target_state(fs)
        torque = rcs.attitude_torque(q_now, q_des, vec.sub(rate, orbit_ops.lvlh_rate_body(q_now, rt, vt)), mass, cfg,
                                     cfg[CF_ATT_BW])
        rcs.allocate(vec.q_rot_inv(q_now, force_i), torque, cfg, dt, af)
    fs[FS_MASS] = mass - thrust * dt / cfg[CF_ISP]
    fs[FS_THRUST_LAST] = thrust + vec.norm(force_i)
    nav.report(fs, af, health, vec.load4(fs, FS_Q_IB), relnav.N)
