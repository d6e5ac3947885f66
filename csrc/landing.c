#include "landing.h"

#include "layout.h"

/* Quaternion inertial->landing at time t: C_LI(t) = C_LI(0) Rz(-omega t). */
quat landing_q_li(real t, const real *cfg)
{
    real w = v3_norm(v3_load(cfg, CF_OMEGA_L));
    quat q0 = q_from_mat(cfg, CF_C_LI0);
    real a = RC(-0.5) * w * t;
    return q_mul(q0, qt(r_cos(a), RC(0.0), RC(0.0), r_sin(a)));
}

/* Gravity plus Coriolis and centrifugal terms in the rotating landing frame. */
vec3 landing_apparent_gravity(vec3 r, vec3 v, const real *cfg)
{
    real rs = cfg[CF_R_SITE];
    vec3 rc = v3(r.x, r.y, r.z + rs);
    real rn = v3_norm(rc);
    real k = -cfg[CF_MU] / (rn * rn * rn);
    vec3 om = v3_load(cfg, CF_OMEGA_L);
    vec3 cor = v3_cross(om, v);
    vec3 cen = v3_cross(om, v3_cross(om, rc));
    return v3(k * rc.x - RC(2.0) * cor.x - cen.x,
              k * rc.y - RC(2.0) * cor.y - cen.y,
              k * rc.z - RC(2.0) * cor.z - cen.z);
}

/* Height above the site's datum sphere. */
real landing_altitude(vec3 r, const real *cfg)
{
    /* |r_c| - rs without cancellation in float */
    real rs = cfg[CF_R_SITE];
    real num = r.x * r.x + r.y * r.y + r.z * (r.z + RC(2.0) * rs);
    return num / (r_sqrt(r.x * r.x + r.y * r.y + (r.z + rs) * (r.z + rs)) + rs);
}

vec3 landing_local_up(vec3 r, const real *cfg)
{
    real rs = cfg[CF_R_SITE];
    return v3_unit(v3(r.x, r.y, r.z + rs));
}
