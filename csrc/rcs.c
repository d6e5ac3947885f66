#include "rcs.h"

#include "layout.h"

static real axis_torque(real e, real rate, int ax, real mf, const real *cfg, real bw)
{
    real db = cfg[CF_ATT_DEADBAND], kd, inertia, alpha, w_cmd;
    if (r_fabs(e) < db && r_fabs(rate) < RC(0.2) * bw * db)
        return RC(0.0);
    kd = RC(2.0) * cfg[CF_ATT_ZETA] * bw;
    inertia = cfg[CF_INERTIA + ax] * mf;
    alpha = cfg[CF_RCS_TORQUE + ax] / inertia;
    w_cmd = r_min(r_min(bw * bw / kd * r_fabs(e), r_sqrt(alpha * r_fabs(e))), cfg[CF_ATT_RATE_MAX]);
    if (e < RC(0.0))
        w_cmd = -w_cmd;
    return inertia * kd * (w_cmd - rate);
}

vec3 rcs_attitude_torque(quat q_now, quat q_des, vec3 rate, real mass, const real *cfg, real bw)
{
    vec3 e = q_to_rotvec(q_mul(q_conj(q_now), q_des));
    real mf = mass / cfg[CF_MASS0];
    return v3(axis_torque(e.x, rate.x, 0, mf, cfg, bw), axis_torque(e.y, rate.y, 1, mf, cfg, bw),
              axis_torque(e.z, rate.z, 2, mf, cfg, bw));
}

static real on_time(real t, real dt, real min_on)
{
    if (t < RC(0.5) * min_on)
        return RC(0.0);
    return r_min(r_max(t, min_on), dt);
}

void rcs_allocate(vec3 force_b, vec3 torque_b, const real *cfg, real dt, real *af)
{
    const real fv[3] = {force_b.x, force_b.y, force_b.z};
    const real tv[3] = {torque_b.x, torque_b.y, torque_b.z};
    real f = cfg[CF_RCS_FORCE];
    real arm = cfg[CF_RCS_TORQUE] / (RC(2.0) * f);
    real min_on = cfg[CF_RCS_MIN_ON];
    int j;
    for (j = 0; j < 3; ++j) {
        real u = fv[j] * dt / f;
        real w = tv[(j + 2) % 3] * dt / (f * arm);
        real a = RC(0.5) * (u - w);
        real b = RC(0.5) * (u + w);
        af[AF_RCS_ON + 4 * j] = on_time(r_max(a, RC(0.0)), dt, min_on);
        af[AF_RCS_ON + 4 * j + 1] = on_time(r_max(b, RC(0.0)), dt, min_on);
        af[AF_RCS_ON + 4 * j + 2] = on_time(r_max(-a, RC(0.0)), dt, min_on);
        af[AF_RCS_ON + 4 * j + 3] = on_time(r_max(-b, RC(0.0)), dt, min_on);
    }
}
