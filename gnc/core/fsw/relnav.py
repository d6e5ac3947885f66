"""Relative navigation of the chaser: a 6-state Kalman filter of its centre of mass
relative to the target's (pos, vel in the target's LVLH frame, as seen in that rotating
frame), with the target's own orbit carried alongside (orb_pos, orb_vel, inertial).

Propagation is exact two-body for any step: both orbits go through Kepler (the
chaser's rebuilt from target + relative), plus the sensed delta-v when thrust was
commanded; differencing two ~1.9e6 m positions is fine in double and is what a float
build would have to change (keep the relative state in its own right).  The
covariance goes through the Clohessy-Wiltshire transition matrix of the same step
(exact for the linearised motion at any step length) plus white acceleration noise
q_accel, which also covers what Kepler leaves out (J2, the target's eccentricity in
the transition matrix).

Measurements are the vector d from the chaser's port to the target's port (range and
line of sight; gnc.core.relnav_sensors), predicted as d = -rel + L with the lever arm
L = target port - chaser port from the attitudes: the chaser's own estimate, the
target's from the pose sensor when it has reported in the last POSE_MEMORY seconds,
else the target's nominal orbit attitude (it holds LVLH).  Range and line of sight
become three scalar updates along the measured direction and two across it (noise is
diagonal in that basis, so no matrix inverse); range rate is a fourth, linearised.
Each behind the innovation gate (gnc.core.fsw.nav._update).
"""
import math

from gnc.core import orbit, vec
from gnc.core.fsw import nav, orbit_ops
from gnc.core.jit import kernel
from gnc.core.layout import (CF_MU, CF_ORB_EPOCH, CF_ORB_POS, CF_ORB_SIG_POS, CF_ORB_SIG_VEL, CF_ORB_TGT_POS,
                             CF_ORB_TGT_VEL, CF_ORB_VEL, CF_Q_ACCEL, CF_RDV_PORT_C, CF_RDV_PORT_T, CF_SIG_LOS,
                             CF_SIG_POSE, CF_SIG_RNG, CF_SIG_RR, FS_COV, FS_ORB_POS, FS_ORB_VEL, FS_POS, FS_Q_IB,
                             FS_REL_ATT, FS_T_POSE, FS_T_TRACK, FS_VEL, SF_RN_ATT, SF_RN_LOS, SF_RN_RANGE,
                             SF_RN_RANGE_RATE, SF_VALID, VALID_RN_POSE, VALID_RN_RADAR)

POSE_MEMORY = 2.0                    # s: a pose sample this recent gives the target's attitude
Q_DOCKED = (0.0, 1.0, 0.0, 0.0)      # target body -> chaser body when docked (gnc.core.capture)


@kernel
def uplink(cfg, fs, t):
    """Start from the ground's state vectors of both vehicles (relative sigma from the config)."""
    epoch = cfg[CF_ORB_EPOCH]
    rt, vt = orbit_ops.uplinked_orbit(cfg, t, CF_ORB_TGT_POS, CF_ORB_TGT_VEL, epoch)
    rc, vc = orbit_ops.uplinked_orbit(cfg, t, CF_ORB_POS, CF_ORB_VEL, epoch)
    vec.store3(fs, FS_ORB_POS, rt)
    vec.store3(fs, FS_ORB_VEL, vt)
    rho, rho_dot = orbit.to_lvlh(rt, vt, rc, vc)
    vec.store3(fs, FS_POS, rho)
    vec.store3(fs, FS_VEL, rho_dot)
    for i in range(36):
        fs[FS_COV + i] = 0.0
    for i in range(3):
        fs[FS_COV + 7 * i] = cfg[CF_ORB_SIG_POS] ** 2
        fs[FS_COV + 7 * (i + 3)] = cfg[CF_ORB_SIG_VEL] ** 2
    fs[FS_T_TRACK] = -1.0


@kernel
def target_state(fs):
    return vec.load3(fs, FS_ORB_POS), vec.load3(fs, FS_ORB_VEL)


@kernel
def chaser_state(fs):
    rt, vt = target_state(fs)
    return orbit.from_lvlh(rt, vt, vec.load3(fs, FS_POS), vec.load3(fs, FS_VEL))


@kernel
def _cw_rows(n, h):
    """Rows of the CW state transition matrix over h, state (x, y, z, vx, vy, vz)."""
    nt = n * h
    c, s = math.cos(nt), math.sin(nt)
    return ((4.0 - 3.0 * c, 0.0, 0.0, s / n, 2.0 * (1.0 - c) / n, 0.0),
            (6.0 * (s - nt), 1.0, 0.0, -2.0 * (1.0 - c) / n, (4.0 * s - 3.0 * nt) / n, 0.0),
            (0.0, 0.0, c, 0.0, 0.0, s / n),
            (3.0 * n * s, 0.0, 0.0, c, 2.0 * s, 0.0),
            (-6.0 * n * (1.0 - c), 0.0, 0.0, -2.0 * s, 4.0 * c - 3.0, 0.0),
            (0.0, 0.0, -n * s, 0.0, 0.0, c))


@kernel
def _phi_p(fs, phi, j):
    """Row vector phi times column j of the covariance."""
    c = FS_COV + j
    return (phi[0] * fs[c] + phi[1] * fs[c + 6] + phi[2] * fs[c + 12]
            + phi[3] * fs[c + 18] + phi[4] * fs[c + 24] + phi[5] * fs[c + 30])


@kernel
def _row_times_p(fs, phi):
    """Row vector phi times the covariance (6-tuple, no allocation)."""
    return (_phi_p(fs, phi, 0), _phi_p(fs, phi, 1), _phi_p(fs, phi, 2),
            _phi_p(fs, phi, 3), _phi_p(fs, phi, 4), _phi_p(fs, phi, 5))


@kernel
def _dot6(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5]


@kernel
def propagate(fs, cfg, h, dv_i, powered):
    """Both orbits over h by Kepler (plus the sensed delta-v if powered); P = Phi P Phi' + Q."""
    mu = cfg[CF_MU]
    rt, vt = target_state(fs)
    rc, vc = chaser_state(fs)
    n = orbit.lvlh_rate(rt, vt)
    rt, vt = orbit.kepler(rt, vt, h, mu)
    rc, vc = orbit.kepler(rc, vc, h, mu)
    if powered:
        rc = vec.axpy(0.5 * h, dv_i, rc)
        vc = vec.add(vc, dv_i)
    vec.store3(fs, FS_ORB_POS, rt)
    vec.store3(fs, FS_ORB_VEL, vt)
    rho, rho_dot = orbit.to_lvlh(rt, vt, rc, vc)
    vec.store3(fs, FS_POS, rho)
    vec.store3(fs, FS_VEL, rho_dot)
    phi = _cw_rows(n, h)
    m = (_row_times_p(fs, phi[0]), _row_times_p(fs, phi[1]), _row_times_p(fs, phi[2]),
         _row_times_p(fs, phi[3]), _row_times_p(fs, phi[4]), _row_times_p(fs, phi[5]))
    q2 = cfg[CF_Q_ACCEL] * cfg[CF_Q_ACCEL]
    for i in range(6):
        for j in range(6):
            v = _dot6(m[i], phi[j])
            if i % 3 == j % 3:                    # white acceleration noise, per axis
                if i < 3 and j < 3:
                    v += q2 * h * h * h / 3.0
                elif i >= 3 and j >= 3:
                    v += q2 * h
                else:
                    v += q2 * h * h / 2.0
            fs[FS_COV + 6 * i + j] = v


@kernel
def to_lvlh_vec(fs, d_i):
    rt, vt = target_state(fs)
    return orbit.inertial_to_lvlh_vec(rt, vt, d_i)


@kernel
def to_inertial_vec(fs, d_l):
    rt, vt = target_state(fs)
    return orbit.lvlh_to_inertial_vec(rt, vt, d_l)


@kernel
def target_attitude(fs, t):
    """Target body -> inertial: from the pose sensor if recent, else its orbit attitude."""
    if t - fs[FS_T_POSE] <= POSE_MEMORY:
        return vec.q_mul(vec.q_mul(vec.load4(fs, FS_Q_IB), Q_DOCKED), vec.q_from_rotvec(vec.load3(fs, FS_REL_ATT)))
    rt, vt = target_state(fs)
    return orbit_ops.q_lvlh_hold(rt, vt)


@kernel
def lever(fs, cfg, t):
    """Target port minus chaser port, relative to the centres of mass, LVLH."""
    a = vec.q_rot(target_attitude(fs, t), vec.load3(cfg, CF_RDV_PORT_T))
    b = vec.q_rot(vec.load4(fs, FS_Q_IB), vec.load3(cfg, CF_RDV_PORT_C))
    return to_lvlh_vec(fs, vec.sub(a, b))


@kernel
def _fix(fs, cfg, d_meas, lev, sig_along, sig_across):
    """Range and line of sight as three scalar position updates, along and across the
    measured direction; the prediction -rel + lev is refreshed after each.  True if
    all three passed the gate."""
    u = vec.unit(d_meas)
    e1 = vec.unit(vec.cross(u, (0.0, 0.0, 1.0) if abs(u[2]) < 0.9 else (1.0, 0.0, 0.0)))
    e2 = vec.cross(u, e1)
    zero = (0.0, 0.0, 0.0)
    ok = True
    for k in range(3):
        e = u if k == 0 else (e1 if k == 1 else e2)
        sig = sig_along if k == 0 else sig_across
        pred = vec.sub(lev, vec.load3(fs, FS_POS))
        if not nav._update(fs, cfg, vec.scale(e, -1.0), zero, vec.dot(e, vec.sub(d_meas, pred)), sig * sig):
            ok = False
    return ok


@kernel
def los_unit(az, el):
    """Body unit vector of a line of sight (azimuth about body y from +z, elevation toward +y)."""
    ce = math.cos(el)
    return (ce * math.sin(az), math.sin(el), ce * math.cos(az))


@kernel
def correct(sf, cfg, fs, t):
    """Updates from the relative sensors in this frame.  Returns True if any was accepted."""
    valid = int(sf[SF_VALID])
    pose = valid & VALID_RN_POSE != 0
    radar = valid & VALID_RN_RADAR != 0
    if not (pose or radar):
        return False
    rng = sf[SF_RN_RANGE]
    u_b = los_unit(sf[SF_RN_LOS], sf[SF_RN_LOS + 1])
    d_meas = vec.scale(to_lvlh_vec(fs, vec.q_rot(vec.load4(fs, FS_Q_IB), u_b)), rng)
    if pose:
        vec.store3(fs, FS_REL_ATT, vec.load3(sf, SF_RN_ATT))
        fs[FS_T_POSE] = t
        sig = vec.load3(cfg, CF_SIG_POSE)
    else:
        sig = (cfg[CF_SIG_RNG], cfg[CF_SIG_RNG + 1], cfg[CF_SIG_LOS])
    lev = lever(fs, cfg, t)
    accepted = _fix(fs, cfg, d_meas, lev, math.hypot(sig[0] * rng, sig[1]), max(sig[2] * rng, 1e-4))
    if radar:
        d = vec.sub(lev, vec.load3(fs, FS_POS))
        dn = vec.norm(d)
        dh = vec.scale(d, 1.0 / dn)
        ddot = vec.scale(vec.load3(fs, FS_VEL), -1.0)
        rr = vec.dot(dh, ddot)
        hr = vec.scale(vec.axpy(-rr, dh, ddot), -1.0 / dn)
        if nav._update(fs, cfg, hr, vec.scale(dh, -1.0), sf[SF_RN_RANGE_RATE] - rr, cfg[CF_SIG_RR] * cfg[CF_SIG_RR]):
            accepted = True
    if accepted and fs[FS_T_TRACK] < 0.0:
        fs[FS_T_TRACK] = t
    return accepted
