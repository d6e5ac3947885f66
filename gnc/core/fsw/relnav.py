"""Relative navigation of the chaser: a 6-state Kalman filter of its centre of mass
relative to the target's (pos, vel in the target's LVLH frame, as seen in that rotating
frame), with the target's own orbit carried alongside (orb_pos, orb_vel, inertial).

Propagation: the target's orbit by Kepler (exact two-body, any step); the relative state
in its own right, by RK4 on the exact two-body relative motion (the difference of the
two gravities in Battin's form, which never subtracts two ~1.9e6 m vectors or two
nearly equal accelerations: in float that difference would be ~0.1 m of rounding a
step), in inertial axes between the LVLH frames at both ends of the step, plus the
sensed delta-v when thrust was commanded.  One RK4 step per RK_STEP (the host's coast
steps are at most 60 s: against two Kepler orbits differenced in double, 23 mm after
44 min of them at 50 km, 0.2 mm at 150 m; tests/test_rendezvous.py).  The covariance goes
through the Clohessy-Wiltshire transition matrix of the same step (exact for the
linearised motion at any step length) plus white acceleration noise q_accel, which
also covers what two-body leaves out (J2, the target's eccentricity in the transition
matrix).

Measurements are the vector d from the chaser's port to the target's port (range and
line of sight; gnc.core.relnav_sensors), predicted as d = -rel + L with the lever arm
L = target port - chaser port from the attitudes: the chaser's own estimate, the
target's from the pose sensor when it has reported in the last POSE_MEMORY seconds,
else the target's nominal orbit attitude (it holds LVLH).  Range and line of sight
become three scalar updates along the measured direction and two across it (noise is
diagonal in that basis, so no matrix inverse); range rate is a fourth, linearised, with
the ports' own motion as the vehicles turn (_lever_rate).
Each behind the innovation gate.  The updates are in Joseph form and symmetrised
(_update): its eigenvalues span some fifteen decades (2e6 at the go, 1e-8 in the final
approach), and the short form P -= (P h)(P h)'/s lost positive definiteness in float.
"""
import math

from gnc.core import orbit, pmath, vec
from gnc.core.fsw import orbit_ops
from gnc.core.jit import kernel
from gnc.core.layout import (CF_GATE, CF_MU, CF_ORB_EPOCH, CF_ORB_POS, CF_ORB_SIG_POS, CF_ORB_SIG_VEL, CF_ORB_TGT_POS,
                             CF_ORB_TGT_VEL, CF_ORB_VEL, CF_Q_ACCEL, CF_RDV_PORT_C, CF_RDV_PORT_T, CF_SIG_LOS,
                             CF_SIG_POSE, CF_SIG_RNG, CF_SIG_RR, FS_COV, FS_ORB_POS, FS_ORB_VEL, FS_POS, FS_Q_IB,
                             FS_RATE, FS_REL_ATT, FS_T_POSE, FS_T_TRACK, FS_VEL, SF_RN_ATT, SF_RN_LOS, SF_RN_RANGE,
                             SF_RN_RANGE_RATE, SF_VALID, VALID_RN_POSE, VALID_RN_RADAR)

POSE_MEMORY = 2.0                    # s: a pose sample this recent gives the target's attitude
RK_STEP = 100.0                      # s: longest RK4 step of the relative motion
Q_DOCKED = (0.0, 1.0, 0.0, 0.0)      # target body -> chaser body when docked (gnc.core.capture)
N = 6                                # filter states: relative position, velocity


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
    c, s = pmath.cos(nt), pmath.sin(nt)
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
def _p_h(fs, i, h):
    """Row i of the covariance times the column vector h."""
    c = FS_COV + 6 * i
    return fs[c] * h[0] + fs[c + 1] * h[1] + fs[c + 2] * h[2] + fs[c + 3] * h[3] + fs[c + 4] * h[4] + fs[c + 5] * h[5]


@kernel
def _row_times_p(fs, phi):
    """Row vector phi times the covariance (6-tuple, no allocation)."""
    return (_phi_p(fs, phi, 0), _phi_p(fs, phi, 1), _phi_p(fs, phi, 2),
            _phi_p(fs, phi, 3), _phi_p(fs, phi, 4), _phi_p(fs, phi, 5))


@kernel
def _dot6(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5]


@kernel
def _gravity_difference(rt, d, mu):
    """Two-body gravity at rt + d less that at rt, as mu / |rt + d|^3 (f(q) rt - d) with
    |rt + d|^2 = |rt|^2 (1 + q) and f(q) = (1 + q)^1.5 - 1 written without cancellation
    (Battin, "An Introduction to the Mathematics and Methods of Astrodynamics", 8.2)."""
    r2 = vec.dot(rt, rt)
    q = (2.0 * vec.dot(rt, d) + vec.dot(d, d)) / r2
    s3 = (1.0 + q) * math.sqrt(1.0 + q)
    f = q * (3.0 + 3.0 * q + q * q) / (1.0 + s3)
    return vec.scale(vec.axpy(f, rt, vec.scale(d, -1.0)), mu / (r2 * math.sqrt(r2) * s3))


@kernel
def _rk4(rt0, rtm, rt1, d, dv, h, mu):
    """One RK4 step of the relative motion (inertial axes) with the target at the step's
    start, middle and end."""
    a1 = _gravity_difference(rt0, d, mu)
    v2 = vec.axpy(0.5 * h, a1, dv)
    a2 = _gravity_difference(rtm, vec.axpy(0.5 * h, dv, d), mu)
    v3 = vec.axpy(0.5 * h, a2, dv)
    a3 = _gravity_difference(rtm, vec.axpy(0.5 * h, v2, d), mu)
    v4 = vec.axpy(h, a3, dv)
    a4 = _gravity_difference(rt1, vec.axpy(h, v3, d), mu)
    d = vec.axpy(h / 6.0, vec.add(vec.add(dv, v4), vec.scale(vec.add(v2, v3), 2.0)), d)
    dv = vec.axpy(h / 6.0, vec.add(vec.add(a1, a4), vec.scale(vec.add(a2, a3), 2.0)), dv)
    return d, dv


@kernel
def _lvlh_to_relative(rt, vt, rho, rho_dot):
    """Chaser minus target, inertial axes, from the LVLH state (orbit.from_lvlh less the target)."""
    w = orbit.lvlh_rate(rt, vt)
    vi = (rho_dot[0] - w * rho[1], rho_dot[1] + w * rho[0], rho_dot[2])
    return orbit.lvlh_to_inertial_vec(rt, vt, rho), orbit.lvlh_to_inertial_vec(rt, vt, vi)


@kernel
def _relative_to_lvlh(rt, vt, d, dv):
    """Inverse of _lvlh_to_relative (orbit.to_lvlh of an already differenced state)."""
    w = orbit.lvlh_rate(rt, vt)
    rho = orbit.inertial_to_lvlh_vec(rt, vt, d)
    vi = orbit.inertial_to_lvlh_vec(rt, vt, dv)
    return rho, (vi[0] + w * rho[1], vi[1] - w * rho[0], vi[2])


@kernel
def propagate(fs, cfg, h, dv_i, powered):
    """The target by Kepler, the relative state by RK4 (plus the sensed delta-v if
    powered) over h; P = Phi P Phi' + Q."""
    mu = cfg[CF_MU]
    rt, vt = target_state(fs)
    n = orbit.lvlh_rate(rt, vt)
    d, dv = _lvlh_to_relative(rt, vt, vec.load3(fs, FS_POS), vec.load3(fs, FS_VEL))
    k = int(h / RK_STEP) + 1
    hk = h / k
    for _ in range(k):
        rtm = orbit.kepler(rt, vt, 0.5 * hk, mu)[0]
        rt1, vt1 = orbit.kepler(rt, vt, hk, mu)
        d, dv = _rk4(rt, rtm, rt1, d, dv, hk, mu)
        rt, vt = rt1, vt1
    if powered:
        d = vec.axpy(0.5 * h, dv_i, d)
        dv = vec.add(dv, dv_i)
    vec.store3(fs, FS_ORB_POS, rt)
    vec.store3(fs, FS_ORB_VEL, vt)
    rho, rho_dot = _relative_to_lvlh(rt, vt, d, dv)
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
def _update(fs, cfg, hr, hv, innov, var):
    """Scalar update with H = [hr, hv], as nav._update but in Joseph form,
    P = (I - k h') P (I - k h')' + var k k', symmetrised: rounding in the gain does
    not enter to first order.  Returns False if the innovation fails the gate."""
    c = FS_COV
    h = (hr[0], hr[1], hr[2], hv[0], hv[1], hv[2])
    ph = (_phi_p(fs, h, 0), _phi_p(fs, h, 1), _phi_p(fs, h, 2),
          _phi_p(fs, h, 3), _phi_p(fs, h, 4), _phi_p(fs, h, 5))
    s = _dot6(h, ph) + var
    g = cfg[CF_GATE]
    if innov * innov > g * g * s:
        return False
    k = (ph[0] / s, ph[1] / s, ph[2] / s, ph[3] / s, ph[4] / s, ph[5] / s)
    for i in range(3):
        fs[FS_POS + i] += k[i] * innov
        fs[FS_VEL + i] += k[i + 3] * innov
    for i in range(6):                            # M = (I - k h') P, in place
        for j in range(6):
            fs[c + 6 * i + j] -= k[i] * ph[j]
    mh = (_p_h(fs, 0, h), _p_h(fs, 1, h), _p_h(fs, 2, h), _p_h(fs, 3, h), _p_h(fs, 4, h), _p_h(fs, 5, h))
    for i in range(6):                            # M (I - k h')' + var k k', symmetrised
        for j in range(i + 1):
            a = fs[c + 6 * i + j] - mh[i] * k[j] + var * k[i] * k[j]
            b = fs[c + 6 * j + i] - mh[j] * k[i] + var * k[j] * k[i]
            fs[c + 6 * i + j] = fs[c + 6 * j + i] = 0.5 * (a + b)
    return True


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
def _lever_rate(fs, cfg, t):
    """Inertial rate of the lever arm, LVLH axes: each port turns with its vehicle (the
    chaser at its measured body rate, the target as held in LVLH).  In a slew the
    chaser's port moves by centimetres per second, a bias of several range-rate sigmas."""
    rt, vt = target_state(fs)
    q = vec.load4(fs, FS_Q_IB)
    w_t = vec.scale(vec.unit(vec.cross(rt, vt)), orbit.lvlh_rate(rt, vt))
    w_c = vec.q_rot(q, vec.load3(fs, FS_RATE))
    a = vec.q_rot(target_attitude(fs, t), vec.load3(cfg, CF_RDV_PORT_T))
    b = vec.q_rot(q, vec.load3(cfg, CF_RDV_PORT_C))
    return to_lvlh_vec(fs, vec.sub(vec.cross(w_t, a), vec.cross(w_c, b)))


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
        if not _update(fs, cfg, vec.scale(e, -1.0), zero, vec.dot(e, vec.sub(d_meas, pred)), sig * sig):
            ok = False
    return ok


@kernel
def los_unit(az, el):
    """Body unit vector of a line of sight (azimuth about body y from +z, elevation toward +y)."""
    ce = pmath.cos(el)
    return (ce * pmath.sin(az), pmath.sin(el), ce * pmath.cos(az))


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
    accepted = _fix(fs, cfg, d_meas, lev, pmath.hypot(sig[0] * rng, sig[1]), max(sig[2] * rng, 1e-4))
    if radar:
        rho = vec.load3(fs, FS_POS)
        rho_dot = vec.load3(fs, FS_VEL)
        w = orbit.lvlh_rate(*target_state(fs))
        d = vec.sub(lev, rho)
        dn = vec.norm(d)
        dh = vec.scale(d, 1.0 / dn)
        # Doppler sees the inertial rate of d: the ports turning, less the chaser's
        # inertial relative velocity rho_dot + w z x rho
        ddot = vec.sub(_lever_rate(fs, cfg, t), (rho_dot[0] - w * rho[1], rho_dot[1] + w * rho[0], rho_dot[2]))
        rr = vec.dot(dh, ddot)
        hr = vec.add(vec.scale(vec.axpy(-rr, dh, ddot), -1.0 / dn), (-w * dh[1], w * dh[0], 0.0))
        if _update(fs, cfg, hr, vec.scale(dh, -1.0), sf[SF_RN_RANGE_RATE] - rr, cfg[CF_SIG_RR] * cfg[CF_SIG_RR]):
            accepted = True
    if accepted and fs[FS_T_TRACK] < 0.0:
        fs[FS_T_TRACK] = t
    return accepted
