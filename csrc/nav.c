/* The accelerometer bias is a state with no process noise (it is constant over a flight)
 * and a prior of sig_acc_bias per axis; see gnc/core/fsw/nav.py.  The velocimeter beams'
 * biases are states too, closed (zero covariance) until the beams persistently disagree.
 * Measurements are processed one scalar at a time (no matrix inverse), each behind an
 * innovation gate, with P -= (P h)(P h)^T / s, which stays symmetric in float too.
 * The altimeter's terrain error model (the rough ground near the site and the range-grown
 * relief, each correlated along the ground) is described in gnc/core/fsw/nav.py, and so is
 * the isolation of a velocimeter beam the gate keeps rejecting, the altimeter step detector and
 * the reopening of the covariance when the sensors persistently disagree with the filter. */
#include "nav.h"

#include "landing.h"
#include "layout.h"

/* 1 s of 10 Hz samples rejected in a row isolates a beam; a beam rejected on more than a
 * third of its samples still climbs (gnc/core/fsw/nav.py) */
#define ISOLATE_SCORE RC(10.0)
#define ISOLATE_LEAK RC(0.5)
/* an altimeter step: a jump of 5 sigma of a sound sample's change from the last, held for
 * 0.5 s of 10 Hz samples (gnc/core/fsw/nav.py) */
#define STEP_SIGMA RC(5.0)
#define STEP_CONFIRM RC(5.0)
/* reopening (gnc/core/fsw/nav.py): 0.5 s of 10 Hz beams, 1.5 s of 2 Hz camera fixes failing
 * the gate in a row; the beams' innovation means over 1 s flagged at 5 of their sigmas */
#define VEL_REOPEN RC(5.0)
#define CAM_REOPEN RC(3.0)
#define DRIFT_ALPHA RC(0.1)
#define DRIFT_Z (RC(5.0) * r_sqrt(DRIFT_ALPHA / (RC(2.0) - DRIFT_ALPHA)))

void nav_init(const real *cfg, real *fs)
{
    real sp2, sv2, sb2;
    int i;
    for (i = 0; i < 3; ++i) {
        fs[FS_POS + i] = cfg[CF_NAV0_POS + i];
        fs[FS_VEL + i] = cfg[CF_NAV0_VEL + i];
        fs[FS_RATE + i] = RC(0.0);
        fs[FS_DV_LAST + i] = RC(0.0);
        fs[FS_ACC_BIAS + i] = RC(0.0);
        fs[FS_VEL_BIAS + i] = RC(0.0);
    }
    for (i = 0; i < NAV_N * NAV_N; ++i)
        fs[FS_COV + i] = RC(0.0);
    sp2 = cfg[CF_NAV0_SIG_POS] * cfg[CF_NAV0_SIG_POS];
    sv2 = cfg[CF_NAV0_SIG_VEL] * cfg[CF_NAV0_SIG_VEL];
    sb2 = cfg[CF_SIG_ACC_BIAS] * cfg[CF_SIG_ACC_BIAS];
    for (i = 0; i < 3; ++i) {
        fs[FS_COV + (NAV_N + 1) * i] = sp2;
        fs[FS_COV + (NAV_N + 1) * (i + 3)] = sv2;
        fs[FS_COV + (NAV_N + 1) * (i + 6)] = sb2;
    }
    q_store(fs, FS_Q_IB, q_normalize(q_load(cfg, CF_NAV0_Q)));
    fs[FS_MASS] = cfg[CF_MASS0];
    fs[FS_T_ALT] = RC(-1.0);
    fs[FS_THRUST_RATIO] = RC(1.0);
}

/* Attitude estimate body->landing frame. */
quat nav_q_lb(const real *fs, real t, const real *cfg)
{
    return q_mul(landing_q_li(t, cfg), q_load(fs, FS_Q_IB));
}

/* Attitude over the last step (length h) from the gyros; returns the sensed delta-v,
 * inertial, and ORs health bits into *health. A missing IMU sample reuses the last rate
 * and delta-v. */
vec3 nav_strapdown(const real *sf, real *fs, real h, int *health)
{
    vec3 dth, dv_b;
    quat q_old, q_new, q_mid;
    if ((int)sf[SF_VALID] & VALID_IMU) {
        dth = v3_load(sf, SF_IMU_DTH);
        dv_b = v3_load(sf, SF_IMU_DV);
        v3_store(fs, FS_DV_LAST, dv_b);
    } else {
        dth = v3_scale(v3_load(fs, FS_RATE), h);
        dv_b = v3_load(fs, FS_DV_LAST);
        *health |= HEALTH_IMU_MISSING;
    }
    q_old = q_load(fs, FS_Q_IB);
    q_new = q_normalize(q_mul(q_old, q_from_rotvec(dth)));
    q_store(fs, FS_Q_IB, q_new);
    if (h > RC(0.0))
        v3_store(fs, FS_RATE, v3_scale(dth, RC(1.0) / h));
    q_mid = q_normalize(qt(q_old.w + q_new.w, q_old.x + q_new.x, q_old.y + q_new.y, q_old.z + q_new.z));
    return q_rot(q_mid, dv_b);
}

/* The filter's open states: all NAV_N once the beams' biases are open, else the first NAV_NB (the
 * beam biases' rows and columns are zeros until then, and skipping them changes no bit). */
static int n_open(const real *fs)
{
    return ((int)fs[FS_HEALTH] & HEALTH_VEL_BIAS) ? NAV_N : NAV_NB;
}

/* Strapdown step over (t - dt, t]: attitude from delta-angles, velocity from delta-v
 * less the bias estimate's. */
int nav_propagate(const real *sf, const real *cfg, real *fs, real t, real dt)
{
    int health = 0, i, j, n;
    const int c = FS_COV;
    const real h2 = RC(0.5) * dt * dt;
    vec3 dv_i = nav_strapdown(sf, fs, dt, &health), dv_l, r, v, g, a, v_new, rx, ry, rz, b;
    quat qlb;
    real qv;
    dv_l = q_rot(landing_q_li(t - RC(0.5) * dt, cfg), dv_i);
    /* body -> landing at the step's end; its columns map a body bias into the landing frame */
    qlb = nav_q_lb(fs, t, cfg);
    rx = q_rot(qlb, v3(RC(1.0), RC(0.0), RC(0.0)));
    ry = q_rot(qlb, v3(RC(0.0), RC(1.0), RC(0.0)));
    rz = q_rot(qlb, v3(RC(0.0), RC(0.0), RC(1.0)));
    b = v3_load(fs, FS_ACC_BIAS);
    r = v3_load(fs, FS_POS);
    v = v3_load(fs, FS_VEL);
    g = landing_apparent_gravity(r, v, cfg);
    a = v3(g.x - rx.x * b.x - ry.x * b.y - rz.x * b.z,
           g.y - rx.y * b.x - ry.y * b.y - rz.y * b.z,
           g.z - rx.z * b.x - ry.z * b.y - rz.z * b.z);
    v_new = v3(v.x + dv_l.x + a.x * dt, v.y + dv_l.y + a.y * dt, v.z + dv_l.z + a.z * dt);
    v3_store(fs, FS_VEL, v_new);
    v3_store(fs, FS_POS, v3(r.x + RC(0.5) * dt * (v.x + v_new.x),
                            r.y + RC(0.5) * dt * (v.y + v_new.y),
                            r.z + RC(0.5) * dt * (v.z + v_new.z)));
    /* P = F P F^T + Q with F = [[I, dt I, -dt^2/2 R, 0], [0, I, -dt R, 0], [0, 0, I, 0], [0, 0, 0, I]],
     * R body -> landing: F from the left on every column, then from the right on every row (the
     * open states only: closed beam biases are rows and columns of zeros, which F keeps zero) */
    n = n_open(fs);
    for (j = 0; j < n; ++j) {
        const real pb[3] = {fs[c + 6 * NAV_N + j], fs[c + 7 * NAV_N + j], fs[c + 8 * NAV_N + j]};
        const real rb[3] = {rx.x * pb[0] + ry.x * pb[1] + rz.x * pb[2],
                            rx.y * pb[0] + ry.y * pb[1] + rz.y * pb[2],
                            rx.z * pb[0] + ry.z * pb[1] + rz.z * pb[2]};
        for (i = 0; i < 3; ++i) {
            fs[c + NAV_N * i + j] += dt * fs[c + NAV_N * (i + 3) + j] - h2 * rb[i];
            fs[c + NAV_N * (i + 3) + j] -= dt * rb[i];
        }
    }
    for (i = 0; i < n; ++i) {
        const real pb[3] = {fs[c + NAV_N * i + 6], fs[c + NAV_N * i + 7], fs[c + NAV_N * i + 8]};
        const real rb[3] = {rx.x * pb[0] + ry.x * pb[1] + rz.x * pb[2],
                            rx.y * pb[0] + ry.y * pb[1] + rz.y * pb[2],
                            rx.z * pb[0] + ry.z * pb[1] + rz.z * pb[2]};
        for (j = 0; j < 3; ++j) {
            fs[c + NAV_N * i + j] += dt * fs[c + NAV_N * i + j + 3] - h2 * rb[j];
            fs[c + NAV_N * i + j + 3] -= dt * rb[j];
        }
    }
    /* the two passes round differently: keep P exactly symmetric (it matters in float) */
    for (i = 0; i < n; ++i)
        for (j = 0; j < i; ++j)
            fs[c + NAV_N * i + j] = fs[c + NAV_N * j + i];
    qv = cfg[CF_Q_ACCEL] * cfg[CF_Q_ACCEL] * dt;
    for (i = 0; i < 3; ++i)
        fs[c + (NAV_N + 1) * (i + 3)] += qv;
    return health;
}

/* Scalar update with H = [hr, hv, 0, hb] (no sensor sees the accelerometer bias directly; hb
 * picks a velocimeter beam's bias); returns 0 if the innovation fails the gate.  The beam-bias
 * terms come last: while those states are closed (zero covariance) they add exact zeros. */
int nav_update(real *fs, const real *cfg, vec3 hr, vec3 hv, vec3 hb, real innov, real var)
{
    const int c = FS_COV;
    real ph[NAV_N], s, g, k;
    int i, j;
    const int n = n_open(fs);
    for (i = n; i < NAV_N; ++i)
        ph[i] = RC(0.0);
    for (i = 0; i < n; ++i) {
        const real *p = fs + c + NAV_N * i;
        ph[i] = p[0] * hr.x + p[1] * hr.y + p[2] * hr.z + p[3] * hv.x + p[4] * hv.y + p[5] * hv.z
                + p[NAV_NB] * hb.x + p[NAV_NB + 1] * hb.y + p[NAV_NB + 2] * hb.z;
    }
    s = hr.x * ph[0] + hr.y * ph[1] + hr.z * ph[2] + hv.x * ph[3] + hv.y * ph[4] + hv.z * ph[5]
        + hb.x * ph[NAV_NB] + hb.y * ph[NAV_NB + 1] + hb.z * ph[NAV_NB + 2] + var;
    g = cfg[CF_GATE];
    if (innov * innov > g * g * s)
        return 0;
    k = innov / s;
    for (i = 0; i < 3; ++i) {
        fs[FS_POS + i] += ph[i] * k;
        fs[FS_VEL + i] += ph[i + 3] * k;
        fs[FS_ACC_BIAS + i] += ph[i + 6] * k;
        fs[FS_VEL_BIAS + i] += ph[i + NAV_NB] * k;
    }
    for (i = 0; i < n; ++i)
        for (j = 0; j < n; ++j)
            fs[c + NAV_N * i + j] -= ph[i] * ph[j] / s;
    return 1;
}

/* Range along unit b from r to the datum sphere (-1 if none), and the sphere normal there. */
static real ray_to_datum(vec3 r, vec3 b, real rs, vec3 *n)
{
    /* no differences of terms of order rs^2 (~3e12 m^2): in float they cost decimetres */
    real oz = r.z + rs;
    real bb = r.x * b.x + r.y * b.y + oz * b.z;
    real cc = r.x * r.x + r.y * r.y + r.z * (r.z + RC(2.0) * rs);
    real cx = r.y * b.z - oz * b.y;
    real cy = oz * b.x - r.x * b.z;
    real cz = r.x * b.y - r.y * b.x;
    real disc = rs * rs - (cx * cx + cy * cy + cz * cz), s;
    if (disc < RC(0.0) || bb >= RC(0.0)) {
        *n = v3(RC(0.0), RC(0.0), RC(1.0));
        return RC(-1.0);
    }
    s = cc / (-bb + r_sqrt(disc));
    *n = v3_unit(v3(r.x + s * b.x, r.y + s * b.y, oz + s * b.z));
    return s;
}

/* Add var to the variances of states first .. first + n - 1 and count it under kind
 * (0 position, 1 velocity, 2 accelerometer bias, 3 beam biases). */
static void reopen(real *fs, int first, int n, real var, int kind)
{
    int i;
    for (i = first; i < first + n; ++i)
        fs[FS_COV + (NAV_N + 1) * i] += var;
    fs[FS_REOPENS + kind] += RC(1.0);
}

/* Every beam's bias variance to var, once a flight (gnc/core/fsw/nav.py). */
static void open_beam_biases(real *fs, real var)
{
    int k;
    if ((int)fs[FS_HEALTH] & HEALTH_VEL_BIAS)
        return;
    fs[FS_HEALTH] = (real)((int)fs[FS_HEALTH] | HEALTH_VEL_BIAS);
    for (k = 0; k < 3; ++k)
        if (fs[FS_VEL_SCORE + k] > RC(0.0)) /* an isolated beam (-1) stays out */
            fs[FS_VEL_SCORE + k] = RC(0.0);
    reopen(fs, NAV_NB, 3, var, 3);
}

/* Count this frame's beam rejections toward isolation: only those while another beam passed.
 * The first score to reach ISOLATE_SCORE opens the beams' biases instead (and the velocity,
 * which took the bias in), and resets the scores: returns 1 then. */
static int score_beams(real *fs, int accepted, int rejected, real miss2)
{
    int j;
    for (j = 0; j < 3; ++j) {
        real score = fs[FS_VEL_SCORE + j];
        if (score < RC(0.0))
            continue;
        if (rejected & (1 << j)) {
            if (accepted & ~(1 << j))
                score += RC(1.0);
        } else if (accepted & (1 << j)) {
            score = r_max(score - ISOLATE_LEAK, RC(0.0));
        }
        if (score >= ISOLATE_SCORE) {
            if (((int)fs[FS_HEALTH] & HEALTH_VEL_BIAS) == 0) {
                open_beam_biases(fs, miss2);
                reopen(fs, 3, 3, miss2, 1);
                return 1;
            }
            if (((int)fs[FS_HEALTH] & HEALTH_VEL_ISOLATED) == 0) {
                score = RC(-1.0);
                fs[FS_HEALTH] = (real)((int)fs[FS_HEALTH] | HEALTH_VEL_ISOLATED);
            }
        }
        fs[FS_VEL_SCORE + j] = score;
    }
    return 0;
}

/* Look for a step in the altimeter's innovations; var_jump is the variance of a sound
 * sample's change from the last. */
static void watch_alt_step(real *fs, real innov, real var_jump)
{
    real d = innov - fs[FS_ALT_REF], n = fs[FS_ALT_STEP + 1];
    if ((int)fs[FS_HEALTH] & HEALTH_ALT_BIAS)
        return;
    if (n > RC(0.0)) {
        real mean = fs[FS_ALT_STEP] / n;
        if (d * mean > RC(0.0) && r_fabs(d) >= RC(0.5) * r_fabs(mean)) {
            fs[FS_ALT_STEP] += d;
            fs[FS_ALT_STEP + 1] = n + RC(1.0);
            if (n + RC(1.0) >= STEP_CONFIRM) {
                fs[FS_ALT_BIAS] = fs[FS_ALT_STEP] / (n + RC(1.0));
                fs[FS_HEALTH] = (real)((int)fs[FS_HEALTH] | HEALTH_ALT_BIAS);
            }
            return;
        }
        /* it did not hold: an outlier, or the ground; this sample is the new reference */
        fs[FS_ALT_STEP] = RC(0.0);
        fs[FS_ALT_STEP + 1] = RC(0.0);
    } else if (fs[FS_T_ALT] >= RC(0.0) && d * d > STEP_SIGMA * STEP_SIGMA * var_jump
               && r_fabs(innov) > r_fabs(fs[FS_ALT_REF])) {
        fs[FS_ALT_STEP] = d;
        fs[FS_ALT_STEP + 1] = RC(1.0);
        return;
    }
    fs[FS_ALT_REF] = innov;
}

/* Beam j's innovation in units of the sigma the filter predicts for it. */
static real beam_sigmas(const real *fs, const real *cfg, vec3 b, int j, real innov)
{
    const real bb[3] = {b.x, b.y, b.z};
    const int c = FS_COV + 3 * NAV_N + 3, cb = FS_COV + (NAV_NB + j) * NAV_N;
    real s = cfg[CF_SIG_VEL] * cfg[CF_SIG_VEL];
    int k, m;
    for (k = 0; k < 3; ++k)
        for (m = 0; m < 3; ++m)
            s += bb[k] * fs[c + NAV_N * k + m] * bb[m];
    s += fs[cb + NAV_NB + j] + RC(2.0) * (b.x * fs[cb + 3] + b.y * fs[cb + 4] + b.z * fs[cb + 5]);
    return innov / r_sqrt(s);
}

/* This frame's beams against the filter; returns 1 if it reopened. */
static int watch_velocimeter(real *fs, const real *cfg, int accepted, int rejected, real miss2)
{
    int reopened = 0, drifting = 0, j;
    if (accepted == 0 && (rejected & (rejected - 1))) {
        fs[FS_VEL_MISS] += RC(1.0);
        if (fs[FS_VEL_MISS] >= VEL_REOPEN) {
            fs[FS_VEL_MISS] = RC(0.0);
            if (fs[FS_REOPENS + 1] > RC(0.0))
                open_beam_biases(fs, miss2);
            reopen(fs, 3, 3, miss2, 1);
            reopened = 1;
        }
    } else {
        fs[FS_VEL_MISS] = RC(0.0);
    }
    for (j = 0; j < 3; ++j)
        if (r_fabs(fs[FS_VEL_DRIFT + j]) > DRIFT_Z)
            ++drifting;
    if (drifting >= 2) {
        reopen(fs, 6, 3, cfg[CF_SIG_ACC_BIAS] * cfg[CF_SIG_ACC_BIAS], 2);
        for (j = 0; j < 3; ++j)
            fs[FS_VEL_DRIFT + j] = RC(0.0);
        reopened = 1;
    }
    return reopened;
}

/* Star-tracker attitude blend and filter updates from whatever this frame carries. */
int nav_correct(const real *sf, const real *cfg, real *fs, real t)
{
    int valid = (int)sf[SF_VALID], health = 0, i, j, accepted = 0, rejected = 0;
    real miss2 = RC(0.0);
    const vec3 zero = v3(RC(0.0), RC(0.0), RC(0.0));
    quat qlb;
    if (valid & VALID_STAR) {
        quat q = q_load(fs, FS_Q_IB);
        vec3 e = q_to_rotvec(q_mul(q_conj(q), q_load(sf, SF_STAR_Q)));
        q_store(fs, FS_Q_IB, q_normalize(q_mul(q, q_from_rotvec(v3_scale(e, cfg[CF_STAR_GAIN])))));
    }
    qlb = nav_q_lb(fs, t, cfg);
    if (valid & VALID_ALT) {
        vec3 r = v3_load(fs, FS_POS), n;
        vec3 b = q_rot(qlb, v3_load(cfg, CF_ALT_BORE));
        real s = ray_to_datum(r, b, cfg[CF_R_SITE], &n);
        real cos_inc = -v3_dot(n, b);
        if (s > RC(0.0) && cos_inc > RC(0.1)) {
            real rho = sf[SF_ALT_RANGE] - fs[FS_ALT_BIAS];
            real sig = cfg[CF_SIG_ALT] * rho;
            real st = cfg[CF_SIG_TERRAIN];
            real sr = cfg[CF_SIG_RELIEF] * rho;
            real phi = RC(0.0), pht = RC(0.0), var, noise;
            vec3 up, hr;
            if (fs[FS_T_ALT] >= RC(0.0)) {
                /* the footprint's velocity along the ground: the beam origin's, swept by the
                 * body rate at range s, less its part along the beam */
                vec3 omega = q_rot(qlb, v3_load(fs, FS_RATE));
                vec3 w = v3_add(v3_load(fs, FS_VEL), v3_scale(v3_cross(omega, b), s));
                vec3 foot = v3_add(w, v3_scale(b, v3_dot(n, w) / cos_inc));
                /* floored: a still footprint's factor is infinite, 1e-6 already makes its terms moot */
                real d = v3_norm(foot) * (t - fs[FS_T_ALT]);
                real x = d / cfg[CF_RELIEF_CORR];
                real xt = d / cfg[CF_TERRAIN_CORR];
                phi = r_exp(-(x > RC(1e-6) ? x : RC(1e-6)));
                pht = r_exp(-(xt > RC(1e-6) ? xt : RC(1e-6)));
            }
            var = (sig * sig + cfg[CF_SIG_ALT_MIN] * cfg[CF_SIG_ALT_MIN] + st * st * (RC(1.0) + pht) / (RC(1.0) - pht)
                   + sr * sr * (RC(1.0) + phi) / (RC(1.0) - phi));
            noise = sig * sig + cfg[CF_SIG_ALT_MIN] * cfg[CF_SIG_ALT_MIN];
            watch_alt_step(fs, rho - s, RC(2.0) * (noise + st * st * (RC(1.0) - pht) + sr * sr * (RC(1.0) - phi)));
            /* only the altitude part: at tens of km slant range the datum's curvature makes
             * horizontal position weakly observable, and trusting that lets errors wander */
            up = v3_unit(v3(r.x, r.y, r.z + cfg[CF_R_SITE]));
            hr = v3_scale(up, v3_dot(n, up) / cos_inc);
            if (nav_update(fs, cfg, hr, zero, zero, rho - s, var))
                fs[FS_T_ALT] = t;
            else
                health |= HEALTH_ALT_REJECTED;
            /* the reference as the filter now predicts it: less what the update moved the state by */
            fs[FS_ALT_REF] -= v3_dot(hr, v3_sub(v3_load(fs, FS_POS), r));
        }
    }
    for (j = 0; j < 3; ++j) {
        if ((valid & (VALID_VEL0 << j)) && fs[FS_VEL_SCORE + j] >= RC(0.0)) {
            vec3 b = q_rot(qlb, v3_load(cfg, CF_VEL_BORE + 3 * j));
            real innov = sf[SF_VEL_BEAM + j] - v3_dot(b, v3_load(fs, FS_VEL)) - fs[FS_VEL_BIAS + j];
            vec3 hb = v3(j == 0 ? RC(1.0) : RC(0.0), j == 1 ? RC(1.0) : RC(0.0), j == 2 ? RC(1.0) : RC(0.0));
            fs[FS_VEL_DRIFT + j] += DRIFT_ALPHA * (beam_sigmas(fs, cfg, b, j, innov) - fs[FS_VEL_DRIFT + j]);
            if (nav_update(fs, cfg, zero, b, hb, innov, cfg[CF_SIG_VEL] * cfg[CF_SIG_VEL])) {
                accepted |= 1 << j;
            } else {
                rejected |= 1 << j;
                health |= HEALTH_VEL_REJECTED;
                miss2 = r_max(miss2, innov * innov);
            }
        }
    }
    if (accepted | rejected) {
        int opened = score_beams(fs, accepted, rejected, miss2);
        if (watch_velocimeter(fs, cfg, accepted, rejected, miss2) || opened)
            health |= HEALTH_NAV_REOPENED;
    }
    if (valid & VALID_CAM) {
        vec3 d = q_rot(qlb, v3_load(sf, SF_CAM_REL)); /* target - vehicle, landing frame */
        const real dd[3] = {d.x, d.y, d.z};
        real sig = cfg[CF_SIG_CAM] * v3_norm(d);
        int used = 0;
        for (i = 0; i < 3; ++i) {
            vec3 hr = v3(i == 0 ? RC(-1.0) : RC(0.0), i == 1 ? RC(-1.0) : RC(0.0), i == 2 ? RC(-1.0) : RC(0.0));
            real innov = dd[i] + fs[FS_POS + i];
            if (nav_update(fs, cfg, hr, zero, zero, innov, sig * sig)) {
                used = 1;
                if (i < 2)
                    fs[FS_CAM_MISS + i] = RC(0.0);
            } else if (i < 2) {
                fs[FS_CAM_MISS + i] += RC(1.0);
                if (fs[FS_CAM_MISS + i] >= CAM_REOPEN) {
                    fs[FS_CAM_MISS + i] = RC(0.0);
                    reopen(fs, i, 1, innov * innov, 0);
                    health |= HEALTH_NAV_REOPENED;
                }
            }
        }
        if (used) {
            /* fixes are relative to the map, whose tie to the terrain is uncertain by
             * the same amount all descent: averaging fixes cannot beat it */
            real floor = cfg[CF_SIG_MAP_TIE] * cfg[CF_SIG_MAP_TIE];
            health |= HEALTH_CAM_USED;
            for (i = 0; i < 2; ++i)
                if (fs[FS_COV + (NAV_N + 1) * i] < floor)
                    fs[FS_COV + (NAV_N + 1) * i] = floor;
        }
    }
    return health;
}

void nav_report(const real *fs, real *af, int health, quat q_nav, int n)
{
    int i;
    af[AF_PHASE] = fs[FS_PHASE];
    af[AF_HEALTH] = (real)((int)fs[FS_HEALTH] | health);
    v3_store(af, AF_NAV_POS, v3_load(fs, FS_POS));
    v3_store(af, AF_NAV_VEL, v3_load(fs, FS_VEL));
    q_store(af, AF_NAV_Q, q_nav);
    /* r_max, not fmax: it keeps a NaN as numba's max does (a broken filter shows) */
    for (i = 0; i < 6; ++i)
        af[AF_NAV_SIGMA + i] = r_sqrt(r_max(fs[FS_COV + (n + 1) * i], RC(0.0)));
    v3_store(af, AF_NAV_ORBIT_POS, v3_load(fs, FS_ORB_POS));
    v3_store(af, AF_NAV_ORBIT_VEL, v3_load(fs, FS_ORB_VEL));
    af[AF_IDLE_S] = fs[FS_T_IDLE];
}
