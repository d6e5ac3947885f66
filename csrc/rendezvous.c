#include "rendezvous.h"

#include "layout.h"
#include "nav.h"
#include "orbit.h"
#include "orbit_ops.h"
#include "rcs.h"
#include "relnav.h"

#define NEVER RC(1e30)
#define LEG_STOP 2                 /* burn_k after closing: the stop burn, then the final approach */
#define MCC_AT0 RC(0.5)            /* mid-course corrections at these fractions of a transfer */
#define MCC_AT1 RC(0.8)
#define NEWTON_ITERATIONS 4
#define SETTLED_ATT RC(0.08726646259971647)  /* math.radians(5.0): coast may be stepped over within this... */
#define SETTLED_RATE RC(0.005235987755982988) /* math.radians(0.3): ...and below this body rate */

static void enter(real *fs, int phase, real t)
{
    fs[FS_PHASE] = (real)phase;
    fs[FS_T_PHASE] = t;
}

/* Estimated target and chaser inertial states `ahead` seconds from now (two-body). */
static void predict(const real *fs, const real *cfg, real ahead, vec3 *rt, vec3 *vt, vec3 *rc, vec3 *vc)
{
    real mu = cfg[CF_MU];
    relnav_target_state(fs, rt, vt);
    relnav_chaser_state(fs, rc, vc);
    orbit_kepler(rt, vt, ahead, mu);
    orbit_kepler(rc, vc, ahead, mu);
}

/* Inertial delta-v at t_burn that brings the chaser to LVLH point `aim` at t_arrive:
 * CW first guess, Newton on the two-body propagation with the CW Jacobian. */
static vec3 plan_transfer(const real *fs, const real *cfg, real t, real t_burn, vec3 aim, real t_arrive)
{
    const vec3 zero = v3(RC(0.0), RC(0.0), RC(0.0));
    real mu = cfg[CF_MU], n, span = t_arrive - t_burn;
    vec3 rt, vt, rc, vc, rho, rho_dot, v, rt2, vt2;
    int i;
    predict(fs, cfg, t_burn - t, &rt, &vt, &rc, &vc);
    orbit_to_lvlh(rt, vt, rc, vc, &rho, &rho_dot);
    n = orbit_lvlh_rate(rt, vt);
    v = orbit_cw_velocity_for(rho, aim, n, span);
    rt2 = rt;
    vt2 = vt;
    orbit_kepler(&rt2, &vt2, span, mu);
    for (i = 0; i < NEWTON_ITERATIONS; ++i) {
        vec3 rc2, vc2, arrived, arrived_dot;
        orbit_from_lvlh(rt, vt, rho, v, &rc2, &vc2);
        orbit_kepler(&rc2, &vc2, span, mu);
        orbit_to_lvlh(rt2, vt2, rc2, vc2, &arrived, &arrived_dot);
        v = v3_add(v, orbit_cw_velocity_for(zero, v3_sub(aim, arrived), n, span));
    }
    return orbit_lvlh_to_inertial_vec(rt, vt, v3_sub(v, rho_dot));
}

/* Inertial delta-v at t_burn that stops the chaser in the LVLH frame. */
static vec3 stop_burn(const real *fs, const real *cfg, real t, real t_burn)
{
    vec3 rt, vt, rc, vc, rho, rho_dot;
    predict(fs, cfg, t_burn - t, &rt, &vt, &rc, &vc);
    orbit_to_lvlh(rt, vt, rc, vc, &rho, &rho_dot);
    return orbit_lvlh_to_inertial_vec(rt, vt, v3_scale(rho_dot, RC(-1.0)));
}

static void schedule(real *fs, real t_burn, vec3 dv)
{
    fs[FS_BURN_T] = t_burn;
    v3_store(fs, FS_BURN_DV, dv);
    fs[FS_BURN_ON] = RC(0.0);
}

static void start_leg(real *fs, const real *cfg, real t, int leg, real t_burn)
{
    real span = cfg[CF_RDV_T_TRANSFER + leg];
    real t_arrive = t_burn + span;
    schedule(fs, t_burn, plan_transfer(fs, cfg, t, t_burn, v3(RC(0.0), -cfg[CF_RDV_AIM + leg], RC(0.0)), t_arrive));
    fs[FS_BURN_K] = (real)leg;
    fs[FS_T_ARRIVE] = t_arrive;
    fs[FS_T_MCC] = t_burn + MCC_AT0 * span;
}

/* Inertial direction from the chaser's port to the target's port (estimated). */
static vec3 target_direction(const real *fs, const real *cfg, real t)
{
    return relnav_to_inertial_vec(fs, v3_sub(relnav_lever(fs, cfg, t), v3_load(fs, FS_POS)));
}

/* The target's docking axis, LVLH. */
static vec3 docking_axis(const real *fs, real t)
{
    return relnav_to_lvlh_vec(fs, q_rot(relnav_target_attitude(fs, t), v3(RC(0.0), RC(0.0), RC(1.0))));
}

/* Final approach: inertial force along the target's docking axis; the axial distance in *s_out. */
static vec3 corridor(const real *fs, const real *cfg, real t, real mass, real *s_out)
{
    real bw = cfg[CF_RDV_LAT_BW], v_max = cfg[CF_RDV_V_MAX], s, v_ax, n_lat, n;
    vec3 rho = v3_load(fs, FS_POS), rho_dot = v3_load(fs, FS_VEL);
    vec3 ax = docking_axis(fs, t);
    vec3 p = v3_sub(rho, relnav_lever(fs, cfg, t)); /* chaser port - target port */
    vec3 e, v_lat, v_cmd, rt, vt, natural, a;
    int holding;
    s = v3_dot(p, ax);
    e = v3_axpy(-s, ax, p);
    holding = t - fs[FS_T_PHASE] < cfg[CF_RDV_HOLD_TIME] || t - fs[FS_T_POSE] > RELNAV_POSE_MEMORY;
    if (holding)
        v_ax = r_min(r_max(-bw * (s - fs[FS_AIM]), -v_max), v_max);
    else
        v_ax = -r_min(r_max(s / cfg[CF_RDV_TAU], cfg[CF_RDV_V_FINAL]), v_max);
    v_lat = v3_scale(e, -bw);
    n_lat = v3_norm(v_lat);
    if (n_lat > v_max)
        v_lat = v3_scale(v_lat, v_max / n_lat);
    v_cmd = v3_axpy(v_ax, ax, v_lat);
    relnav_target_state(fs, &rt, &vt);
    n = orbit_lvlh_rate(rt, vt);
    /* the relative motion's own acceleration (CW), cancelled */
    natural = v3(RC(3.0) * n * n * rho.x + RC(2.0) * n * rho_dot.y, RC(-2.0) * n * rho_dot.x, -n * n * rho.z);
    a = v3_sub(v3_scale(v3_sub(v_cmd, rho_dot), RC(4.0) * bw), natural);
    *s_out = s;
    return relnav_to_inertial_vec(fs, v3_scale(a, mass));
}

/* Body rate of an attitude held in the target's LVLH frame. */
static vec3 lvlh_rate_body(const real *fs, quat q_now)
{
    vec3 rt, vt;
    relnav_target_state(fs, &rt, &vt);
    return orbit_ops_lvlh_rate_body(q_now, rt, vt);
}

void rendezvous_step(const real *sf, const real *cfg, real *fs, real *af, real t)
{
    const real dt = cfg[CF_DT];
    const vec3 zero = v3(RC(0.0), RC(0.0), RC(0.0));
    real h, mass, lead, thrust;
    int health = 0, cmd, phase, control_on;
    vec3 dv_i = zero, rate, force_i;
    quat q_now, q_des;
    if (((int)fs[FS_HEALTH] & HEALTH_NAV_INIT) == 0) {
        q_store(fs, FS_Q_IB, q_normalize(q_load(cfg, CF_NAV0_Q)));
        fs[FS_MASS] = cfg[CF_MASS0];
        fs[FS_HEALTH] = (real)HEALTH_NAV_INIT;
        fs[FS_BURN_T] = fs[FS_T_ARRIVE] = fs[FS_T_MCC] = fs[FS_T_TRACK] = RC(-1.0);
        fs[FS_T_POSE] = -NEVER;
        h = RC(0.0);
    } else {
        h = t > fs[FS_T_LAST] ? orbit_ops_step_length(t, fs[FS_T_LAST], dt) : dt;
    }
    fs[FS_T_LAST] = t;
    if (h > RC(0.0))
        dv_i = nav_strapdown(sf, fs, h, &health);
    orbit_ops_star_blend(sf, cfg, fs);
    cmd = (int)sf[SF_CMD];
    phase = (int)fs[FS_PHASE];
    if (cmd == 1 || cmd == 3) {
        relnav_uplink(cfg, fs, t);
        if (cmd == 1)
            fs[FS_STARTED] = RC(1.0);
    } else if (phase != PHASE_IDLE && h > RC(0.0)) {
        int powered = fs[FS_THRUST_LAST] > RC(0.0);
        relnav_propagate(fs, cfg, h, dv_i, powered);
        if (powered && fs[FS_BURN_ON] == RC(1.0))
            orbit_ops_sense_thrust(fs, dv_i, h);
    }
    relnav_correct(sf, cfg, fs, t);

    mass = fs[FS_MASS];
    q_now = q_load(fs, FS_Q_IB);
    rate = v3_load(fs, FS_RATE);
    lead = cfg[CF_BURN_LEAD];
    force_i = zero;
    thrust = RC(0.0);
    q_des = q_now;
    control_on = 1;
    fs[FS_T_IDLE] = t;

    if (phase == PHASE_IDLE) {
        control_on = 0;
        fs[FS_T_IDLE] = NEVER;
        if (fs[FS_STARTED] > RC(0.0)) {
            enter(fs, PHASE_HOMING, t);
            phase = PHASE_HOMING;
            fs[FS_BURN_K] = RC(0.0);
        }
    }
    if (phase == PHASE_HOMING || phase == PHASE_CLOSING) {
        int leg = (int)fs[FS_BURN_K];
        real next_event = NEVER;
        q_des = orbit_ops_q_pointing(q_now, target_direction(fs, cfg, t));
        if (fs[FS_BURN_T] >= RC(0.0)) {
            burn_step b = orbit_ops_execute_burn(cfg, fs, t, dv_i, q_now, cfg[CF_THRUST_MAX] / mass, mass);
            force_i = b.force;
            thrust = b.fire ? cfg[CF_THRUST_MAX] : RC(0.0);
            if (v3_norm(b.u) > RC(0.0))
                q_des = orbit_ops_q_pointing(q_now, b.u);
            if (fs[FS_BURN_ON] == RC(0.0) && !b.done && v3_norm(b.u) == RC(0.0))
                next_event = fs[FS_BURN_T]; /* an RCS burn not yet due */
            if (b.done) {
                fs[FS_BURN_T] = RC(-1.0);
                if (leg == LEG_STOP) {
                    enter(fs, PHASE_FINAL_APPROACH, t);
                    phase = PHASE_FINAL_APPROACH;
                    fs[FS_AIM] = v3_dot(v3_sub(v3_load(fs, FS_POS), relnav_lever(fs, cfg, t)), docking_axis(fs, t));
                }
            }
        } else if (fs[FS_T_ARRIVE] < RC(0.0)) {
            real t_ready = fs[FS_T_TRACK] + cfg[CF_RDV_ACQ_TIME];
            if (fs[FS_T_TRACK] >= RC(0.0) && t >= t_ready)
                start_leg(fs, cfg, t, 0, t + lead);
            else if (fs[FS_T_TRACK] >= RC(0.0))
                next_event = t_ready + lead;
        } else if (fs[FS_T_MCC] >= RC(0.0) && t >= fs[FS_T_MCC] - lead) {
            real t_burn = fs[FS_T_MCC], late;
            schedule(fs, t_burn, plan_transfer(fs, cfg, t, t_burn, v3(RC(0.0), -cfg[CF_RDV_AIM + leg], RC(0.0)),
                                               fs[FS_T_ARRIVE]));
            late = fs[FS_T_ARRIVE] - (RC(1.0) - MCC_AT1) * cfg[CF_RDV_T_TRANSFER + leg];
            fs[FS_T_MCC] = t_burn < late - RC(1.0) ? late : RC(-1.0);
        } else if (t >= fs[FS_T_ARRIVE] - lead) {
            real t_burn = fs[FS_T_ARRIVE];
            if (leg == 0) {
                start_leg(fs, cfg, t, 1, t_burn);
                enter(fs, PHASE_CLOSING, t);
            } else {
                schedule(fs, t_burn, stop_burn(fs, cfg, t, t_burn));
                fs[FS_BURN_K] = (real)LEG_STOP;
                fs[FS_T_ARRIVE] = t_burn;
                fs[FS_T_MCC] = RC(-1.0);
            }
        } else {
            next_event = fs[FS_T_MCC] >= RC(0.0) ? fs[FS_T_MCC] : fs[FS_T_ARRIVE];
        }
        if (next_event < NEVER && thrust == RC(0.0) && fs[FS_BURN_ON] == RC(0.0)
            && orbit_ops_settled(q_now, q_des, v3_sub(rate, lvlh_rate_body(fs, q_now)), SETTLED_ATT, SETTLED_RATE))
            fs[FS_T_IDLE] = next_event - lead;
    }
    if (phase == PHASE_FINAL_APPROACH) {
        real s;
        force_i = corridor(fs, cfg, t, mass, &s);
        if (t - fs[FS_T_POSE] <= RELNAV_POSE_MEMORY)
            q_des = q_mul(relnav_target_attitude(fs, t), q_conj(relnav_q_docked()));
        else
            q_des = orbit_ops_q_pointing(q_now, target_direction(fs, cfg, t));
        if (s <= cfg[CF_RDV_CAPTURE_DIST]) {
            enter(fs, PHASE_CAPTURE, t);
            phase = PHASE_CAPTURE;
        }
    }
    if (phase == PHASE_CAPTURE) {
        force_i = zero;
        control_on = 0;
    }

    af[AF_THRUST_CMD] = thrust;
    if (control_on) {
        /* the target and the line of sight to it turn with the orbit: damp the rate relative to that */
        vec3 torque = rcs_attitude_torque(q_now, q_des, v3_sub(rate, lvlh_rate_body(fs, q_now)), mass, cfg,
                                          cfg[CF_ATT_BW]);
        rcs_allocate(q_rot_inv(q_now, force_i), torque, cfg, dt, af);
    }
    fs[FS_MASS] = mass - thrust * dt / cfg[CF_ISP];
    fs[FS_THRUST_LAST] = thrust + v3_norm(force_i);
    nav_report(fs, af, health, q_load(fs, FS_Q_IB), RELNAV_N);
}
