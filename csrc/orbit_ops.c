#include "orbit_ops.h"

#include "layout.h"
#include "orbit.h"

#define N_BURNS 4
#define IGNITION_TOL RC(0.017453292519943295) /* math.radians(1.0): thrust axis this close before ignition */
#define STEER_GAIN RC(0.1)   /* per step: share of the sensed direction error the aim takes */
#define TAILOFF_WAIT RC(5.0) /* engine time constants from cut-off to the RCS trim */
#define RCS_DONE RC(0.003)   /* m/s: a trim is done when less than this is left */
#define A_FILTER RC(0.2)     /* weight of each new sample in the sensed-acceleration filter */

/* Filtered thrust acceleration from the sensed delta-v of a powered step. */
void orbit_ops_sense_thrust(real *fs, vec3 dv_i, real h)
{
    real a;
    if (h <= RC(0.0) || fs[FS_THRUST_LAST] <= RC(0.0))
        return;
    a = v3_norm(dv_i) / h;
    if (fs[FS_A_MEAS] <= RC(0.0))
        fs[FS_A_MEAS] = a;
    else
        fs[FS_A_MEAS] += A_FILTER * (a - fs[FS_A_MEAS]);
}

/* Time since the last step as a whole number of steps dt (the host steps in whole steps):
 * 50 h after t = 0 a float time tag has 15.6 ms resolution, so t - t_last itself would
 * jitter by up to 16 % of a 0.1 s step, and with it the body rate dtheta / h. */
real orbit_ops_step_length(real t, real t_last, real dt)
{
    return dt * (real)(long)((t - t_last) / dt + RC(0.5));
}

/* The onboard orbit over the last step: Kepler, plus the sensed delta-v if powered. */
void orbit_ops_propagate_orbit(real *fs, const real *cfg, real h, vec3 dv_i, int powered)
{
    vec3 r = v3_load(fs, FS_ORB_POS), v = v3_load(fs, FS_ORB_VEL);
    orbit_kepler(&r, &v, h, cfg[CF_MU]);
    if (powered) {
        r = v3_axpy(RC(0.5) * h, dv_i, r); /* thrust spread over the step */
        v = v3_add(v, dv_i);
    }
    v3_store(fs, FS_ORB_POS, r);
    v3_store(fs, FS_ORB_VEL, v);
}

/* A ground state vector of the config carried from its epoch to t. */
void orbit_ops_uplinked_orbit(const real *cfg, real t, int pos_idx, int vel_idx, real epoch, vec3 *r, vec3 *v)
{
    *r = v3_load(cfg, pos_idx);
    *v = v3_load(cfg, vel_idx);
    orbit_kepler(r, v, t - epoch, cfg[CF_MU]);
}

int orbit_ops_next_burn(const real *cfg, const real *fs, real *t_ign, vec3 *dv)
{
    int k = (int)fs[FS_BURN_K];
    if (k < 0 || k >= N_BURNS || cfg[CF_BURN_T + k] <= RC(0.0)) {
        *t_ign = RC(0.0);
        *dv = v3(RC(0.0), RC(0.0), RC(0.0));
        return -1;
    }
    *t_ign = cfg[CF_BURN_T + k];
    *dv = v3_load(cfg, CF_BURN_DV + 3 * k);
    return k;
}

/* Body->inertial attitude that puts body +z along z_target by the shortest slew. */
quat orbit_ops_q_pointing(quat q_ib, vec3 z_target)
{
    vec3 z_b = q_rot_inv(q_ib, v3_unit(z_target));
    real c = z_b.z;
    vec3 axis = v3(-z_b.y, z_b.x, RC(0.0)); /* +z x z_b */
    real s = v3_norm(axis);
    if (s < RC(1e-9)) {
        if (c > RC(0.0))
            return q_ib;
        return q_mul(q_ib, qt(RC(0.0), RC(1.0), RC(0.0), RC(0.0)));
    }
    return q_mul(q_ib, q_from_rotvec(v3_scale(axis, r_atan2(s, c) / s)));
}

/* Orbit attitude of a docking target: body +z (docking face) toward -V-bar, +x radial. */
quat orbit_ops_q_lvlh_hold(vec3 r, vec3 v)
{
    vec3 x, y, z;
    orbit_lvlh_axes(r, v, &x, &y, &z);
    return q_from_axes(x, z, v3(-y.x, -y.y, -y.z));
}

/* Angle between body +z and the inertial direction u. */
static real axis_error(quat q_ib, vec3 u)
{
    vec3 z = q_rot(q_ib, v3(RC(0.0), RC(0.0), RC(1.0)));
    return r_acos(r_min(r_max(v3_dot(z, v3_unit(u)), RC(-1.0)), RC(1.0)));
}

static burn_step burn(int fire, vec3 force, vec3 u, int done)
{
    burn_step b;
    b.fire = fire;
    b.force = force;
    b.u = u;
    b.done = done;
    return b;
}

/* One step of the current burn (FS_BURN_*). Above burn_engine_dv: slew, fire once
 * pointed, steer, cut off, wait out the tail-off, then trim what is left with RCS
 * translation; below it, RCS alone. */
burn_step orbit_ops_execute_burn(const real *cfg, real *fs, real t, vec3 dv_i, quat q_ib, real a_nom, real mass)
{
    const real dt = cfg[CF_DT];
    const vec3 zero = v3(RC(0.0), RC(0.0), RC(0.0));
    real on = fs[FS_BURN_ON];
    vec3 rem = v3_load(fs, FS_BURN_DV);
    if (on != RC(0.0)) {
        rem = v3_sub(rem, dv_i);
        v3_store(fs, FS_BURN_DV, rem);
    }
    if (on == RC(0.0)) {
        if (v3_norm(rem) > cfg[CF_BURN_ENGINE_DV]) {
            vec3 u = v3_unit(rem);
            v3_store(fs, FS_AIM, u);
            if (t >= fs[FS_BURN_T] && axis_error(q_ib, u) <= IGNITION_TOL) {
                fs[FS_BURN_ON] = RC(1.0);
                return burn(1, zero, u, 0);
            }
            return burn(0, zero, u, 0);
        }
        if (t < fs[FS_BURN_T])
            return burn(0, zero, zero, 0);
        fs[FS_BURN_ON] = on = RC(2.0);
    }
    if (on == RC(1.0)) {
        real a = fs[FS_A_MEAS] > RC(0.0) ? fs[FS_A_MEAS] : a_nom;
        real margin = a * (cfg[CF_ASC_TAILOFF] + RC(0.5) * dt);
        vec3 u = v3_load(fs, FS_AIM);
        if (v3_norm(rem) > ORBIT_OPS_STEER_HOLD * margin && v3_norm(dv_i) > RC(0.0)) {
            /* integral steering: aim off by what the thrust actually missed */
            u = v3_unit(v3_axpy(STEER_GAIN, v3_sub(v3_unit(rem), v3_unit(dv_i)), u));
            v3_store(fs, FS_AIM, u);
        }
        if (v3_dot(rem, q_rot(q_ib, v3(RC(0.0), RC(0.0), RC(1.0)))) <= margin) {
            fs[FS_BURN_ON] = RC(3.0);
            fs[FS_BURN_T] = t;
            return burn(0, zero, u, 0);
        }
        return burn(1, zero, u, 0);
    }
    if (on == RC(3.0)) {
        if (t - fs[FS_BURN_T] >= TAILOFF_WAIT * cfg[CF_ASC_TAILOFF])
            fs[FS_BURN_ON] = RC(2.0);
        return burn(0, zero, v3_load(fs, FS_AIM), 0);
    }
    if (v3_norm(rem) < RCS_DONE) {
        fs[FS_BURN_ON] = RC(0.0);
        return burn(0, zero, zero, 1);
    }
    return burn(0, v3_scale(rem, mass / dt), zero, 0);
}

/* Take star_gain of the star tracker's attitude error, when it has a sample. */
void orbit_ops_star_blend(const real *sf, const real *cfg, real *fs)
{
    if ((int)sf[SF_VALID] & VALID_STAR) {
        quat q = q_load(fs, FS_Q_IB);
        vec3 e = q_to_rotvec(q_mul(q_conj(q), q_load(sf, SF_STAR_Q)));
        q_store(fs, FS_Q_IB, q_normalize(q_mul(q, q_from_rotvec(v3_scale(e, cfg[CF_STAR_GAIN])))));
    }
}

/* Attitude within att_tol of q_des and body rate below rate_tol: a coast may be stepped over. */
int orbit_ops_settled(quat q_now, quat q_des, vec3 rate, real att_tol, real rate_tol)
{
    return v3_norm(q_to_rotvec(q_mul(q_conj(q_now), q_des))) <= att_tol && v3_norm(rate) <= rate_tol;
}

/* Angular velocity of the LVLH frame of orbit (r, v) in body axes: the body rate of an
 * attitude held in that frame. */
vec3 orbit_ops_lvlh_rate_body(quat q_ib, vec3 r, vec3 v)
{
    return q_rot_inv(q_ib, v3_scale(v3_unit(v3_cross(r, v)), orbit_lvlh_rate(r, v)));
}
