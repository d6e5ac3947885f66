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

/* Write the 12 RCS on-times of this step to the actuator frame. Per axis the rotation-vector
 * error sets a rate command limited so the RCS can always stop in time (sqrt(alpha |e|))
 * and by att_rate_max; the rate error sets a torque, delivered by pulse-width modulation
 * with a minimum on-time and a deadband. */
void control_rcs_pulses(quat q_lb, quat q_des, vec3 rate, real mass, const real *cfg, real dt, real *af)
{
    vec3 e = q_to_rotvec(q_mul(q_conj(q_lb), q_des)); /* body axes */
    const real ev[3] = {e.x, e.y, e.z};
    const real wv[3] = {rate.x, rate.y, rate.z};
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
        real inertia, alpha, w_cmd, torque, on;
        int couple;
        if (r_fabs(ev[ax]) < db && r_fabs(wv[ax]) < RC(0.2) * bw * db)
            continue;
        inertia = cfg[CF_INERTIA + ax] * mf;
        alpha = cfg[CF_RCS_TORQUE + ax] / inertia;
        w_cmd = r_min(r_min(k_rate * r_fabs(ev[ax]), r_sqrt(alpha * r_fabs(ev[ax]))), w_max);
        if (ev[ax] < RC(0.0))
            w_cmd = -w_cmd;
        torque = inertia * kd * (w_cmd - wv[ax]);
        on = r_fabs(torque) / cfg[CF_RCS_TORQUE + ax] * dt;
        if (on < RC(0.5) * min_on)
            continue;
        on = r_min(r_max(on, min_on), dt);
        couple = 2 * ax + (torque > RC(0.0) ? 0 : 1);
        af[AF_RCS_ON + 2 * couple] = on;
        af[AF_RCS_ON + 2 * couple + 1] = on;
    }
}
