#include "ascent.h"

#include "landing.h"
#include "layout.h"
#include "nav.h"
#include "orbit.h"
#include "orbit_ops.h"
#include "rcs.h"

#define NEVER RC(1e30)
#define A_H_MIN RC(0.05) /* at least this fraction of the thrust acceleration goes downrange */
/* orbit attitude hold box, with hysteresis (ascent.py says why) */
#define HOLD_TIGHT_ATT RC(0.005235987755982988)     /* math.radians(0.3) */
#define HOLD_TIGHT_RATE RC(8.726646259971648e-05)   /* math.radians(0.005), relative to LVLH */
#define HOLD_LOOSE_ATT RC(0.017453292519943295)     /* math.radians(1.0) */
#define HOLD_LOOSE_RATE RC(0.0005235987755982988)   /* math.radians(0.03) */

static void enter(real *fs, int phase, real t)
{
    fs[FS_PHASE] = (real)phase;
    fs[FS_T_PHASE] = t;
}

static vec3 centred(vec3 r, const real *cfg) { return v3(r.x, r.y, r.z + cfg[CF_R_SITE]); }

/* Inertial velocity in landing-frame axes: v + omega x r (r from the Moon's centre). */
static vec3 inertial_velocity(vec3 r, vec3 v, const real *cfg)
{
    return v3_add(v, v3_cross(v3_load(cfg, CF_OMEGA_L), centred(r, cfg)));
}

/* Insertion guidance in any one set of axes (r_c from the Moon's centre, v_i inertial,
 * n the target plane's unit normal): the thrust direction, and t_go, the velocity to be
 * gained and radial gravity less centrifugal here through the pointers. */
static vec3 insertion(vec3 r_c, vec3 v_i, vec3 n, const real *cfg, real a_t, real *tgo_out, vec3 *v_go,
                      real *g_now_out)
{
    real mu = cfg[CF_MU];
    real rn = v3_norm(r_c);
    vec3 up = v3_scale(r_c, RC(1.0) / rn);
    vec3 d = v3_unit(v3_cross(n, up)); /* downrange, in the target plane */
    real rdot = v3_dot(v_i, up), vh = v3_dot(v_i, d), y = v3_dot(r_c, n), ydot = v3_dot(v_i, n);
    real r_t = cfg[CF_ASC_R_INS], v_t = cfg[CF_ASC_V_INS];
    real g_now = vh * vh / rn - mu / (rn * rn);
    real g = RC(0.5) * (g_now + (v_t * v_t / r_t - mu / (r_t * r_t)));
    real ve = cfg[CF_ISP];
    real tgo = RC(0.0), t2, a_r, a_y, side, side_max, a_h;
    int i;
    for (i = 0; i < 3; ++i) {
        real dh = v_t - vh, dr = rdot + g * tgo;
        real dv = r_sqrt(dh * dh + dr * dr + ydot * ydot);
        tgo = ve / a_t * (RC(1.0) - r_exp(-dv / ve));
    }
    tgo = r_max(tgo, RC(1e-3));
    t2 = tgo * tgo;
    a_r = RC(6.0) * (r_t - (rn + rdot * tgo + RC(0.5) * g * t2)) / t2 + RC(2.0) * (rdot + g * tgo) / tgo;
    a_y = RC(-6.0) * (y + ydot * tgo) / t2 + RC(2.0) * ydot / tgo;
    side = r_sqrt(a_r * a_r + a_y * a_y);
    side_max = a_t * r_sqrt(RC(1.0) - A_H_MIN * A_H_MIN);
    if (side > side_max) {
        a_r *= side_max / side;
        a_y *= side_max / side;
    }
    a_h = r_sqrt(r_max(a_t * a_t - a_r * a_r - a_y * a_y, RC(0.0)));
    *tgo_out = tgo;
    *v_go = v3_sub(v3_scale(d, v_t), v_i);
    *g_now_out = g_now;
    return v3_unit(v3_add(v3_add(v3_scale(up, a_r), v3_scale(n, a_y)), v3_scale(d, a_h)));
}

/* Landing-frame navigation state -> inertial (MCI) position and velocity, and back. */
static void to_inertial(vec3 r, vec3 v, real t, const real *cfg, vec3 *r_i, vec3 *v_i)
{
    quat q = landing_q_li(t, cfg);
    *r_i = q_rot_inv(q, centred(r, cfg));
    *v_i = q_rot_inv(q, inertial_velocity(r, v, cfg));
}

static void to_landing(vec3 r_i, vec3 v_i, real t, const real *cfg, vec3 *r, vec3 *v)
{
    quat q = landing_q_li(t, cfg);
    vec3 r_c = q_rot(q, r_i);
    *v = v3_sub(q_rot(q, v_i), v3_cross(v3_load(cfg, CF_OMEGA_L), r_c));
    *r = v3(r_c.x, r_c.y, r_c.z - cfg[CF_R_SITE]);
}

/* Navigation for this phase; returns health bits, the sensed delta-v (inertial) in *dv_i. */
static int navigate(const real *sf, const real *cfg, real *fs, real t, real h, int phase, vec3 *dv_i)
{
    int health = 0;
    *dv_i = v3(RC(0.0), RC(0.0), RC(0.0));
    if (phase == PHASE_ASCENT_COAST || phase == PHASE_PHASING) {
        vec3 r, v;
        int powered;
        *dv_i = nav_strapdown(sf, fs, h, &health);
        /* commanded, or still sensed: the engine's tail-off after a cut-off counts too */
        powered = fs[FS_THRUST_LAST] > RC(0.0) || v3_norm(*dv_i) > ORBIT_OPS_ACC_DETECT * h;
        orbit_ops_propagate_orbit(fs, cfg, h, *dv_i, powered);
        if (powered)
            orbit_ops_sense_thrust(fs, *dv_i, h);
        to_landing(v3_load(fs, FS_ORB_POS), v3_load(fs, FS_ORB_VEL), t, cfg, &r, &v);
        v3_store(fs, FS_POS, r);
        v3_store(fs, FS_VEL, v);
        return health;
    }
    health |= nav_propagate(sf, cfg, fs, t, h);
    if (phase == PHASE_IDLE) {
        /* on the pad: the vehicle does not move (zero-velocity update) */
        v3_store(fs, FS_POS, v3_load(cfg, CF_NAV0_POS));
        v3_store(fs, FS_VEL, v3_load(cfg, CF_NAV0_VEL));
    } else if ((int)sf[SF_VALID] & VALID_IMU) {
        orbit_ops_sense_thrust(fs, v3_load(sf, SF_IMU_DV), h);
    }
    return health;
}

void ascent_step(const real *sf, const real *cfg, real *fs, real *af, real t)
{
    const real dt = cfg[CF_DT];
    const vec3 zero = v3(RC(0.0), RC(0.0), RC(0.0));
    int health = 0, cmd, phase;
    real h, mass, a_nom, a_t, thrust;
    vec3 dv_i = zero, r, v, r_c, up, n, force_i, rate_ref;
    quat q_now, q_des;
    if (((int)fs[FS_HEALTH] & HEALTH_NAV_INIT) == 0) {
        nav_init(cfg, fs);
        fs[FS_HEALTH] = (real)HEALTH_NAV_INIT;
        fs[FS_BURN_T] = RC(-1.0);
        h = RC(0.0);
    } else {
        h = t > fs[FS_T_LAST] ? orbit_ops_step_length(t, fs[FS_T_LAST], dt) : dt;
    }
    fs[FS_T_LAST] = t;
    cmd = (int)sf[SF_CMD];
    if (cmd == 1)
        fs[FS_STARTED] = RC(1.0);
    phase = (int)fs[FS_PHASE];
    if (h > RC(0.0))
        health |= navigate(sf, cfg, fs, t, h, phase, &dv_i);
    health |= nav_correct(sf, cfg, fs, t);
    if (cmd == 3) {
        /* ground update: a fresh state vector and burn plan */
        vec3 r_o, v_o;
        orbit_ops_uplinked_orbit(cfg, t, CF_ORB_POS, CF_ORB_VEL, cfg[CF_ORB_EPOCH], &r_o, &v_o);
        v3_store(fs, FS_ORB_POS, r_o);
        v3_store(fs, FS_ORB_VEL, v_o);
        fs[FS_BURN_K] = RC(0.0);
        fs[FS_BURN_ON] = RC(0.0);
    }

    mass = fs[FS_MASS];
    a_nom = cfg[CF_THRUST_MAX] / mass;
    a_t = fs[FS_A_MEAS] > RC(0.0) ? fs[FS_A_MEAS] : a_nom;
    r = v3_load(fs, FS_POS);
    v = v3_load(fs, FS_VEL);
    r_c = centred(r, cfg);
    up = v3_unit(r_c);
    n = q_rot(landing_q_li(t, cfg), v3_load(cfg, CF_ASC_PLANE_N)); /* target plane normal, landing axes */
    fs[FS_T_IDLE] = t;

    if (phase == PHASE_IDLE && fs[FS_STARTED] > RC(0.0)) {
        enter(fs, PHASE_VERTICAL_RISE, t);
        phase = PHASE_VERTICAL_RISE;
    }
    if (phase == PHASE_VERTICAL_RISE && t - fs[FS_T_PHASE] >= cfg[CF_ASC_RISE_TIME]) {
        enter(fs, PHASE_PITCH_OVER, t);
        phase = PHASE_PITCH_OVER;
    }
    if (phase == PHASE_PITCH_OVER && t - fs[FS_T_PHASE] >= cfg[CF_ASC_PITCH_TIME]) {
        enter(fs, PHASE_ORBIT_INJECTION, t);
        phase = PHASE_ORBIT_INJECTION;
    }

    thrust = RC(0.0);
    force_i = zero;  /* RCS translation (burn trims), inertial */
    rate_ref = zero; /* body rate the attitude should have (LVLH hold: the orbit's) */
    if (phase == PHASE_IDLE) {
        q_des = q_load(fs, FS_Q_IB);
        q_now = q_des;
    } else if (phase == PHASE_ASCENT_COAST || phase == PHASE_PHASING) {
        vec3 r_i = v3_load(fs, FS_ORB_POS), v_i = v3_load(fs, FS_ORB_VEL), dv;
        real t_ign;
        int slot = orbit_ops_next_burn(cfg, fs, &t_ign, &dv);
        q_now = q_load(fs, FS_Q_IB);
        if (phase == PHASE_ASCENT_COAST && slot >= 0 && t >= t_ign - cfg[CF_BURN_LEAD]) {
            fs[FS_BURN_T] = t_ign;
            v3_store(fs, FS_BURN_DV, dv);
            fs[FS_BURN_ON] = RC(0.0);
            enter(fs, PHASE_PHASING, t);
            phase = PHASE_PHASING;
        }
        q_des = orbit_ops_q_lvlh_hold(r_i, v_i);
        rate_ref = orbit_ops_lvlh_rate_body(q_now, r_i, v_i);
        if (phase == PHASE_PHASING) {
            burn_step b = orbit_ops_execute_burn(cfg, fs, t, dv_i, q_now, a_nom, mass);
            force_i = b.force;
            thrust = b.fire ? cfg[CF_THRUST_MAX] : RC(0.0);
            if (v3_norm(b.u) > RC(0.0)) {
                q_des = orbit_ops_q_pointing(q_now, b.u);
                rate_ref = zero;
            }
            if (b.done) {
                fs[FS_BURN_K] += RC(1.0);
                fs[FS_BURN_T] = RC(-1.0);
                enter(fs, PHASE_ASCENT_COAST, t);
            }
        } else {
            vec3 rate_err = v3_sub(v3_load(fs, FS_RATE), rate_ref);
            if (fs[FS_ATT_QUIET] > RC(0.0)
                && !orbit_ops_settled(q_now, q_des, rate_err, HOLD_LOOSE_ATT, HOLD_LOOSE_RATE))
                fs[FS_ATT_QUIET] = RC(0.0);
            else if (fs[FS_ATT_QUIET] == RC(0.0)
                     && orbit_ops_settled(q_now, q_des, rate_err, HOLD_TIGHT_ATT, HOLD_TIGHT_RATE))
                fs[FS_ATT_QUIET] = RC(1.0);
            if (fs[FS_ATT_QUIET] > RC(0.0))
                fs[FS_T_IDLE] = slot >= 0 ? t_ign - cfg[CF_BURN_LEAD] : NEVER;
        }
    } else {
        real tgo, g_now;
        vec3 v_go, u;
        q_now = nav_q_lb(fs, t, cfg);
        thrust = cfg[CF_THRUST_MAX];
        u = insertion(r_c, inertial_velocity(r, v, cfg), n, cfg, a_t, &tgo, &v_go, &g_now);
        fs[FS_TGO] = tgo;
        if (phase == PHASE_VERTICAL_RISE) {
            u = up;
        } else if (phase == PHASE_PITCH_OVER) {
            real f = (t - fs[FS_T_PHASE]) / cfg[CF_ASC_PITCH_TIME];
            u = v3_unit(v3_add(v3_scale(up, RC(1.0) - f), v3_scale(u, f)));
        } else if (tgo < cfg[CF_ASC_TGO_HOLD]) {
            /* the last seconds: along the velocity still to gain, less the gravity to come */
            real margin = a_t * (cfg[CF_ASC_TAILOFF] + RC(0.5) * dt);
            vec3 axis;
            if (v3_norm(v_go) > ORBIT_OPS_STEER_HOLD * margin)
                u = v3_unit(v3_axpy(-g_now * tgo, up, v_go));
            else
                u = v3_load(fs, FS_AIM);
            axis = q_rot(q_now, v3(RC(0.0), RC(0.0), RC(1.0)));
            if (v3_dot(v_go, axis) <= margin) {
                vec3 r_i, v_i;
                thrust = RC(0.0);
                to_inertial(r, v, t, cfg, &r_i, &v_i);
                v3_store(fs, FS_ORB_POS, r_i);
                v3_store(fs, FS_ORB_VEL, v_i);
                enter(fs, PHASE_ASCENT_COAST, t);
            }
        }
        v3_store(fs, FS_AIM, u);
        q_des = orbit_ops_q_pointing(q_now, u); /* the engine is axisymmetric: roll is free */
    }

    af[AF_THRUST_CMD] = thrust;
    if ((int)fs[FS_PHASE] != PHASE_IDLE && !(phase == PHASE_ASCENT_COAST && fs[FS_ATT_QUIET] > RC(0.0))) {
        real bw = phase == PHASE_ASCENT_COAST ? cfg[CF_HOLD_BW] : cfg[CF_ATT_BW];
        vec3 torque = rcs_attitude_torque(q_now, q_des, v3_sub(v3_load(fs, FS_RATE), rate_ref), mass, cfg, bw);
        rcs_allocate(q_rot_inv(q_now, force_i), torque, cfg, dt, af);
    }
    fs[FS_MASS] = mass - thrust * dt / cfg[CF_ISP];
    fs[FS_THRUST_LAST] = thrust + v3_norm(force_i);
    nav_report(fs, af, health, nav_q_lb(fs, t, cfg), NAV_N);
}
