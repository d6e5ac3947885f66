#include "control.h"

#include "layout.h"

/* Body->landing quaternion with +z along thrust_dir and +x toward -(up + fwd) (the canted
 * altimeter keeps seeing the ground from braking to hover). */
quat control_desired_attitude(vec3 thrust_dir, vec3 up, vec3 fwd)
{
    vec3 z = v3_unit(thrust_dir);
    vec3 x = v3_unit(v3_reject(v3(-up.x - fwd.x, -up.y - fwd.y, -up.z - fwd.z), z));
    if (v3_norm(x) == RC(0.0))
        x = v3_unit(v3_reject(v3(fwd.y, -fwd.x, RC(0.0)), z));
    return q_from_axes(x, v3_cross(z, x), z);
}

#define ARM_TAU RC(2.0)     /* s: time constant of the learnt thrust torque */
#define ARM_MAX RC(0.2)     /* m: bound on the learnt offset; a larger one is a bad estimate */
#define BRAKE_FLOOR RC(0.1) /* share of a couple the braking rule counts on, however much the engine takes */

/* Update the main engine's torque per newton of thrust (body axes) from the torque the gyros
 * saw that the last step's pulses and engine estimate do not explain (see control.py). */
void control_learn_thrust_arm(real *fs, int imu_valid, real mass, const real *cfg, real dt)
{
    real thrust = fs[FS_THRUST_LAST];
    real mf = mass / cfg[CF_MASS0];
    int ax;
    if (!imu_valid || thrust <= RC(0.0))
        return;
    for (ax = 0; ax < 3; ++ax) {
        real unexplained = (fs[FS_RATE + ax] - fs[FS_RATE_PRED + ax]) * cfg[CF_INERTIA + ax] * mf / dt;
        real arm = fs[FS_THRUST_ARM + ax] + dt / ARM_TAU * unexplained / thrust;
        fs[FS_THRUST_ARM + ax] = r_min(r_max(arm, -ARM_MAX), ARM_MAX);
    }
}

/* Write the 12 RCS on-times of this step to the actuator frame. Per axis the rotation-vector
 * error sets a rate command limited so the RCS can always stop in time (sqrt(alpha |e|), alpha
 * what the couple has left beside the engine's torque) and by att_rate_max; the rate error
 * sets a torque, added to tau_ff (the learnt engine torque, cancelled) and delivered by
 * pulse-width modulation with a minimum on-time and a deadband. */
void control_rcs_pulses(quat q_lb, quat q_des, vec3 rate, real mass, const real *cfg, real dt, real *af,
                        vec3 tau_ff)
{
    vec3 e = q_to_rotvec(q_mul(q_conj(q_lb), q_des)); /* body axes */
    const real ev[3] = {e.x, e.y, e.z};
    const real wv[3] = {rate.x, rate.y, rate.z};
    const real ff[3] = {tau_ff.x, tau_ff.y, tau_ff.z};
    real bw = cfg[CF_ATT_BW];
    real kd = RC(2.0) * cfg[CF_ATT_ZETA] * bw;
    real k_rate = bw * bw / kd; /* = kp / kd of the equivalent PD law */
    real w_max = cfg[CF_ATT_RATE_MAX];
    /* inertia scaled with the mass estimate (propellant sits near the axis: a fair fit) */
    real mf = mass / cfg[CF_MASS0];
    real db = cfg[CF_ATT_DEADBAND];
    real min_on = cfg[CF_RCS_MIN_ON];
    int k, ax;
    for (k = 0; k < 12; ++k)
        af[AF_RCS_ON + k] = RC(0.0);
    for (ax = 0; ax < 3; ++ax) {
        real couple_torque = cfg[CF_RCS_TORQUE + ax];
        real torque = ff[ax], on;
        int couple;
        if (r_fabs(ev[ax]) >= db || r_fabs(wv[ax]) >= RC(0.2) * bw * db) {
            real inertia = cfg[CF_INERTIA + ax] * mf;
            real left = r_max(couple_torque - r_fabs(ff[ax]), BRAKE_FLOOR * couple_torque);
            real w_cmd = r_min(r_min(k_rate * r_fabs(ev[ax]), r_sqrt(left / inertia * r_fabs(ev[ax]))), w_max);
            if (ev[ax] < RC(0.0))
                w_cmd = -w_cmd;
            torque += inertia * kd * (w_cmd - wv[ax]);
        }
        on = r_fabs(torque) / couple_torque * dt;
        if (on < RC(0.5) * min_on)
            continue;
        on = r_min(r_max(on, min_on), dt);
        couple = 2 * ax + (torque > RC(0.0) ? 0 : 1);
        af[AF_RCS_ON + 2 * couple] = on;
        af[AF_RCS_ON + 2 * couple + 1] = on;
    }
}

/* Store the body rate this step's pulses and the engine's learnt torque lead to. */
void control_predict_rate(real *fs, const real *af, real thrust, real mass, const real *cfg, real dt)
{
    real mf = mass / cfg[CF_MASS0];
    int ax;
    for (ax = 0; ax < 3; ++ax) {
        real impulse = (af[AF_RCS_ON + 4 * ax] - af[AF_RCS_ON + 4 * ax + 2]) * cfg[CF_RCS_TORQUE + ax]
                       + thrust * fs[FS_THRUST_ARM + ax] * dt;
        fs[FS_RATE_PRED + ax] = fs[FS_RATE + ax] + impulse / (cfg[CF_INERTIA + ax] * mf);
    }
}
