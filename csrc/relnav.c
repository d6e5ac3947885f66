#include "relnav.h"

#include "layout.h"
#include "orbit.h"
#include "orbit_ops.h"

/* Start from the ground's state vectors of both vehicles (relative sigma from the config). */
void relnav_uplink(const real *cfg, real *fs, real t)
{
    real epoch = cfg[CF_ORB_EPOCH];
    vec3 rt, vt, rc, vc, rho, rho_dot;
    int i;
    orbit_ops_uplinked_orbit(cfg, t, CF_ORB_TGT_POS, CF_ORB_TGT_VEL, epoch, &rt, &vt);
    orbit_ops_uplinked_orbit(cfg, t, CF_ORB_POS, CF_ORB_VEL, epoch, &rc, &vc);
    v3_store(fs, FS_ORB_POS, rt);
    v3_store(fs, FS_ORB_VEL, vt);
    orbit_to_lvlh(rt, vt, rc, vc, &rho, &rho_dot);
    v3_store(fs, FS_POS, rho);
    v3_store(fs, FS_VEL, rho_dot);
    for (i = 0; i < 36; ++i)
        fs[FS_COV + i] = RC(0.0);
    for (i = 0; i < 3; ++i) {
        fs[FS_COV + 7 * i] = cfg[CF_ORB_SIG_POS] * cfg[CF_ORB_SIG_POS];
        fs[FS_COV + 7 * (i + 3)] = cfg[CF_ORB_SIG_VEL] * cfg[CF_ORB_SIG_VEL];
    }
    fs[FS_T_TRACK] = RC(-1.0);
}

void relnav_target_state(const real *fs, vec3 *r, vec3 *v)
{
    *r = v3_load(fs, FS_ORB_POS);
    *v = v3_load(fs, FS_ORB_VEL);
}

void relnav_chaser_state(const real *fs, vec3 *r, vec3 *v)
{
    vec3 rt, vt;
    relnav_target_state(fs, &rt, &vt);
    orbit_from_lvlh(rt, vt, v3_load(fs, FS_POS), v3_load(fs, FS_VEL), r, v);
}

/* Rows of the CW state transition matrix over h, state (x, y, z, vx, vy, vz). */
static void cw_rows(real n, real h, real phi[6][6])
{
    real nt = n * h, c = r_cos(nt), s = r_sin(nt);
    int i, j;
    for (i = 0; i < 6; ++i)
        for (j = 0; j < 6; ++j)
            phi[i][j] = RC(0.0);
    phi[0][0] = RC(4.0) - RC(3.0) * c;
    phi[0][3] = s / n;
    phi[0][4] = RC(2.0) * (RC(1.0) - c) / n;
    phi[1][0] = RC(6.0) * (s - nt);
    phi[1][1] = RC(1.0);
    phi[1][3] = RC(-2.0) * (RC(1.0) - c) / n;
    phi[1][4] = (RC(4.0) * s - RC(3.0) * nt) / n;
    phi[2][2] = c;
    phi[2][5] = s / n;
    phi[3][0] = RC(3.0) * n * s;
    phi[3][3] = c;
    phi[3][4] = RC(2.0) * s;
    phi[4][0] = RC(-6.0) * n * (RC(1.0) - c);
    phi[4][3] = RC(-2.0) * s;
    phi[4][4] = RC(4.0) * c - RC(3.0);
    phi[5][2] = -n * s;
    phi[5][5] = c;
}

static real dot6(const real *a, const real *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5];
}

/* Two-body gravity at rt + d less that at rt, as mu / |rt + d|^3 (f(q) rt - d) with
 * |rt + d|^2 = |rt|^2 (1 + q) and f(q) = (1 + q)^1.5 - 1 written without cancellation (Battin 8.2). */
static vec3 gravity_difference(vec3 rt, vec3 d, real mu)
{
    real r2 = v3_dot(rt, rt);
    real q = (RC(2.0) * v3_dot(rt, d) + v3_dot(d, d)) / r2;
    real s3 = (RC(1.0) + q) * r_sqrt(RC(1.0) + q);
    real f = q * (RC(3.0) + RC(3.0) * q + q * q) / (RC(1.0) + s3);
    return v3_scale(v3_axpy(f, rt, v3_scale(d, RC(-1.0))), mu / (r2 * r_sqrt(r2) * s3));
}

/* One RK4 step of the relative motion (inertial axes), the target at the step's start, middle and end. */
static void rk4(vec3 rt0, vec3 rtm, vec3 rt1, vec3 *d, vec3 *dv, real h, real mu)
{
    vec3 a1 = gravity_difference(rt0, *d, mu);
    vec3 u2 = v3_axpy(RC(0.5) * h, a1, *dv);
    vec3 a2 = gravity_difference(rtm, v3_axpy(RC(0.5) * h, *dv, *d), mu);
    vec3 u3 = v3_axpy(RC(0.5) * h, a2, *dv);
    vec3 a3 = gravity_difference(rtm, v3_axpy(RC(0.5) * h, u2, *d), mu);
    vec3 u4 = v3_axpy(h, a3, *dv);
    vec3 a4 = gravity_difference(rt1, v3_axpy(h, u3, *d), mu);
    *d = v3_axpy(h / RC(6.0), v3_add(v3_add(*dv, u4), v3_scale(v3_add(u2, u3), RC(2.0))), *d);
    *dv = v3_axpy(h / RC(6.0), v3_add(v3_add(a1, a4), v3_scale(v3_add(a2, a3), RC(2.0))), *dv);
}

/* Chaser minus target, inertial axes, from the LVLH state (orbit_from_lvlh less the target). */
static void lvlh_to_relative(vec3 rt, vec3 vt, vec3 rho, vec3 rho_dot, vec3 *d, vec3 *dv)
{
    real w = orbit_lvlh_rate(rt, vt);
    vec3 vi = v3(rho_dot.x - w * rho.y, rho_dot.y + w * rho.x, rho_dot.z);
    *d = orbit_lvlh_to_inertial_vec(rt, vt, rho);
    *dv = orbit_lvlh_to_inertial_vec(rt, vt, vi);
}

/* Inverse of lvlh_to_relative (orbit_to_lvlh of an already differenced state). */
static void relative_to_lvlh(vec3 rt, vec3 vt, vec3 d, vec3 dv, vec3 *rho, vec3 *rho_dot)
{
    real w = orbit_lvlh_rate(rt, vt);
    vec3 vi;
    *rho = orbit_inertial_to_lvlh_vec(rt, vt, d);
    vi = orbit_inertial_to_lvlh_vec(rt, vt, dv);
    *rho_dot = v3(vi.x + w * rho->y, vi.y - w * rho->x, vi.z);
}

/* The target by Kepler, the relative state by RK4 (plus the sensed delta-v if powered)
 * over h; P = Phi P Phi' + Q. */
void relnav_propagate(real *fs, const real *cfg, real h, vec3 dv_i, int powered)
{
    real mu = cfg[CF_MU], phi[6][6], m[6][6], q2, n, hk;
    vec3 rt, vt, d, dv, rho, rho_dot;
    int i, j, k;
    relnav_target_state(fs, &rt, &vt);
    n = orbit_lvlh_rate(rt, vt);
    lvlh_to_relative(rt, vt, v3_load(fs, FS_POS), v3_load(fs, FS_VEL), &d, &dv);
    k = (int)(h / RELNAV_RK_STEP) + 1;
    hk = h / (real)k;
    for (i = 0; i < k; ++i) {
        vec3 rtm = rt, vtm = vt, rt1 = rt, vt1 = vt;
        orbit_kepler(&rtm, &vtm, RC(0.5) * hk, mu);
        orbit_kepler(&rt1, &vt1, hk, mu);
        rk4(rt, rtm, rt1, &d, &dv, hk, mu);
        rt = rt1;
        vt = vt1;
    }
    if (powered) {
        d = v3_axpy(RC(0.5) * h, dv_i, d);
        dv = v3_add(dv, dv_i);
    }
    v3_store(fs, FS_ORB_POS, rt);
    v3_store(fs, FS_ORB_VEL, vt);
    relative_to_lvlh(rt, vt, d, dv, &rho, &rho_dot);
    v3_store(fs, FS_POS, rho);
    v3_store(fs, FS_VEL, rho_dot);
    cw_rows(n, h, phi);
    for (i = 0; i < 6; ++i) /* m = Phi P */
        for (j = 0; j < 6; ++j) {
            const real *p = fs + FS_COV + j;
            m[i][j] = phi[i][0] * p[0] + phi[i][1] * p[6] + phi[i][2] * p[12] + phi[i][3] * p[18]
                      + phi[i][4] * p[24] + phi[i][5] * p[30];
        }
    q2 = cfg[CF_Q_ACCEL] * cfg[CF_Q_ACCEL];
    for (i = 0; i < 6; ++i)
        for (j = 0; j < 6; ++j) {
            real v = dot6(m[i], phi[j]);
            if (i % 3 == j % 3) { /* white acceleration noise, per axis */
                if (i < 3 && j < 3)
                    v += q2 * h * h * h / RC(3.0);
                else if (i >= 3 && j >= 3)
                    v += q2 * h;
                else
                    v += q2 * h * h / RC(2.0);
            }
            fs[FS_COV + 6 * i + j] = v;
        }
}

/* Scalar update with H = [hr, hv], as nav_update but in Joseph form,
 * P = (I - k h') P (I - k h')' + var k k', symmetrised: rounding in the gain does not
 * enter to first order. 0 if the innovation fails the gate. */
static int update(real *fs, const real *cfg, vec3 hr, vec3 hv, real innov, real var)
{
    real *p = fs + FS_COV;
    real h[6], ph[6], k[6], mh[6], s, g;
    int i, j;
    h[0] = hr.x; h[1] = hr.y; h[2] = hr.z;
    h[3] = hv.x; h[4] = hv.y; h[5] = hv.z;
    for (j = 0; j < 6; ++j) /* h' P (= (P h)', P symmetric) */
        ph[j] = h[0] * p[j] + h[1] * p[j + 6] + h[2] * p[j + 12] + h[3] * p[j + 18] + h[4] * p[j + 24]
                + h[5] * p[j + 30];
    s = dot6(h, ph) + var;
    g = cfg[CF_GATE];
    if (innov * innov > g * g * s)
        return 0;
    for (i = 0; i < 6; ++i)
        k[i] = ph[i] / s;
    for (i = 0; i < 3; ++i) {
        fs[FS_POS + i] += k[i] * innov;
        fs[FS_VEL + i] += k[i + 3] * innov;
    }
    for (i = 0; i < 6; ++i) /* M = (I - k h') P, in place */
        for (j = 0; j < 6; ++j)
            p[6 * i + j] -= k[i] * ph[j];
    for (i = 0; i < 6; ++i)
        mh[i] = dot6(p + 6 * i, h);
    for (i = 0; i < 6; ++i) /* M (I - k h')' + var k k', symmetrised */
        for (j = 0; j <= i; ++j) {
            real a = p[6 * i + j] - mh[i] * k[j] + var * k[i] * k[j];
            real b = p[6 * j + i] - mh[j] * k[i] + var * k[j] * k[i];
            p[6 * i + j] = p[6 * j + i] = RC(0.5) * (a + b);
        }
    return 1;
}

vec3 relnav_to_lvlh_vec(const real *fs, vec3 d_i)
{
    vec3 rt, vt;
    relnav_target_state(fs, &rt, &vt);
    return orbit_inertial_to_lvlh_vec(rt, vt, d_i);
}

vec3 relnav_to_inertial_vec(const real *fs, vec3 d_l)
{
    vec3 rt, vt;
    relnav_target_state(fs, &rt, &vt);
    return orbit_lvlh_to_inertial_vec(rt, vt, d_l);
}

/* Target body -> inertial: from the pose sensor if recent, else its orbit attitude. */
quat relnav_target_attitude(const real *fs, real t)
{
    vec3 rt, vt;
    if (t - fs[FS_T_POSE] <= RELNAV_POSE_MEMORY)
        return q_mul(q_mul(q_load(fs, FS_Q_IB), relnav_q_docked()), q_from_rotvec(v3_load(fs, FS_REL_ATT)));
    relnav_target_state(fs, &rt, &vt);
    return orbit_ops_q_lvlh_hold(rt, vt);
}

/* Target port minus chaser port, relative to the centres of mass, LVLH. */
vec3 relnav_lever(const real *fs, const real *cfg, real t)
{
    vec3 a = q_rot(relnav_target_attitude(fs, t), v3_load(cfg, CF_RDV_PORT_T));
    vec3 b = q_rot(q_load(fs, FS_Q_IB), v3_load(cfg, CF_RDV_PORT_C));
    return relnav_to_lvlh_vec(fs, v3_sub(a, b));
}

/* Inertial rate of the lever arm, LVLH axes: each port turns with its vehicle (the chaser
 * at its measured body rate, the target as held in LVLH). In a slew the chaser's port moves
 * by centimetres per second, a bias of several range-rate sigmas. */
static vec3 lever_rate(const real *fs, const real *cfg, real t)
{
    vec3 rt, vt, w_t, w_c, a, b;
    quat q = q_load(fs, FS_Q_IB);
    relnav_target_state(fs, &rt, &vt);
    w_t = v3_scale(v3_unit(v3_cross(rt, vt)), orbit_lvlh_rate(rt, vt));
    w_c = q_rot(q, v3_load(fs, FS_RATE));
    a = q_rot(relnav_target_attitude(fs, t), v3_load(cfg, CF_RDV_PORT_T));
    b = q_rot(q, v3_load(cfg, CF_RDV_PORT_C));
    return relnav_to_lvlh_vec(fs, v3_sub(v3_cross(w_t, a), v3_cross(w_c, b)));
}

/* Range and line of sight as three scalar position updates, along and across the measured
 * direction; the prediction -rel + lev is refreshed after each. 1 if all three passed. */
static int fix(real *fs, const real *cfg, vec3 d_meas, vec3 lev, real sig_along, real sig_across)
{
    const vec3 zero = v3(RC(0.0), RC(0.0), RC(0.0));
    vec3 u = v3_unit(d_meas);
    vec3 e1 = v3_unit(v3_cross(u, r_fabs(u.z) < RC(0.9) ? v3(RC(0.0), RC(0.0), RC(1.0)) : v3(RC(1.0), RC(0.0), RC(0.0))));
    vec3 e2 = v3_cross(u, e1);
    int ok = 1, k;
    for (k = 0; k < 3; ++k) {
        vec3 e = k == 0 ? u : (k == 1 ? e1 : e2);
        real sig = k == 0 ? sig_along : sig_across;
        vec3 pred = v3_sub(lev, v3_load(fs, FS_POS));
        if (!update(fs, cfg, v3_scale(e, RC(-1.0)), zero, v3_dot(e, v3_sub(d_meas, pred)), sig * sig))
            ok = 0;
    }
    return ok;
}

/* Body unit vector of a line of sight (azimuth about body y from +z, elevation toward +y). */
static vec3 los_unit(real az, real el)
{
    real ce = r_cos(el);
    return v3(ce * r_sin(az), r_sin(el), ce * r_cos(az));
}

int relnav_correct(const real *sf, const real *cfg, real *fs, real t)
{
    int valid = (int)sf[SF_VALID];
    int pose = (valid & VALID_RN_POSE) != 0;
    int radar = (valid & VALID_RN_RADAR) != 0;
    real rng;
    vec3 u_b, d_meas, sig, lev;
    int accepted;
    if (!(pose || radar))
        return 0;
    rng = sf[SF_RN_RANGE];
    u_b = los_unit(sf[SF_RN_LOS], sf[SF_RN_LOS + 1]);
    d_meas = v3_scale(relnav_to_lvlh_vec(fs, q_rot(q_load(fs, FS_Q_IB), u_b)), rng);
    if (pose) {
        v3_store(fs, FS_REL_ATT, v3_load(sf, SF_RN_ATT));
        fs[FS_T_POSE] = t;
        sig = v3_load(cfg, CF_SIG_POSE);
    } else {
        sig = v3(cfg[CF_SIG_RNG], cfg[CF_SIG_RNG + 1], cfg[CF_SIG_LOS]);
    }
    lev = relnav_lever(fs, cfg, t);
    accepted = fix(fs, cfg, d_meas, lev, r_hypot(sig.x * rng, sig.y), r_max(sig.z * rng, RC(1e-4)));
    if (radar) {
        vec3 rho = v3_load(fs, FS_POS), rho_dot = v3_load(fs, FS_VEL), rt, vt, d, dh, ddot, hr;
        real w, dn, rr;
        relnav_target_state(fs, &rt, &vt);
        w = orbit_lvlh_rate(rt, vt);
        d = v3_sub(lev, rho);
        dn = v3_norm(d);
        dh = v3_scale(d, RC(1.0) / dn);
        /* Doppler sees the inertial rate of d: the ports turning, less the chaser's
         * inertial relative velocity rho_dot + w z x rho */
        ddot = v3_sub(lever_rate(fs, cfg, t), v3(rho_dot.x - w * rho.y, rho_dot.y + w * rho.x, rho_dot.z));
        rr = v3_dot(dh, ddot);
        hr = v3_add(v3_scale(v3_axpy(-rr, dh, ddot), RC(-1.0) / dn), v3(-w * dh.y, w * dh.x, RC(0.0)));
        if (update(fs, cfg, hr, v3_scale(dh, RC(-1.0)), sf[SF_RN_RANGE_RATE] - rr, cfg[CF_SIG_RR] * cfg[CF_SIG_RR]))
            accepted = 1;
    }
    if (accepted && fs[FS_T_TRACK] < RC(0.0))
        fs[FS_T_TRACK] = t;
    return accepted;
}
