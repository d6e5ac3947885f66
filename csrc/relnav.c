#include "relnav.h"

#include "layout.h"
#include "nav.h"
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

/* Both orbits over h by Kepler (plus the sensed delta-v if powered); P = Phi P Phi' + Q. */
void relnav_propagate(real *fs, const real *cfg, real h, vec3 dv_i, int powered)
{
    real mu = cfg[CF_MU], phi[6][6], m[6][6], q2, n;
    vec3 rt, vt, rc, vc, rho, rho_dot;
    int i, j;
    relnav_target_state(fs, &rt, &vt);
    relnav_chaser_state(fs, &rc, &vc);
    n = orbit_lvlh_rate(rt, vt);
    orbit_kepler(&rt, &vt, h, mu);
    orbit_kepler(&rc, &vc, h, mu);
    if (powered) {
        rc = v3_axpy(RC(0.5) * h, dv_i, rc);
        vc = v3_add(vc, dv_i);
    }
    v3_store(fs, FS_ORB_POS, rt);
    v3_store(fs, FS_ORB_VEL, vt);
    orbit_to_lvlh(rt, vt, rc, vc, &rho, &rho_dot);
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
        if (!nav_update(fs, cfg, v3_scale(e, RC(-1.0)), zero, v3_dot(e, v3_sub(d_meas, pred)), sig * sig))
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
        vec3 d = v3_sub(lev, v3_load(fs, FS_POS));
        real dn = v3_norm(d);
        vec3 dh = v3_scale(d, RC(1.0) / dn);
        vec3 ddot = v3_scale(v3_load(fs, FS_VEL), RC(-1.0));
        real rr = v3_dot(dh, ddot);
        vec3 hr = v3_scale(v3_axpy(-rr, dh, ddot), RC(-1.0) / dn);
        if (nav_update(fs, cfg, hr, v3_scale(dh, RC(-1.0)), sf[SF_RN_RANGE_RATE] - rr, cfg[CF_SIG_RR] * cfg[CF_SIG_RR]))
            accepted = 1;
    }
    if (accepted && fs[FS_T_TRACK] < RC(0.0))
        fs[FS_T_TRACK] = t;
    return accepted;
}
