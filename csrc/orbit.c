#include "orbit.h"

/* Stumpff functions C(z), S(z); series near zero, where the closed forms cancel. */
static void stumpff(real z, real *c, real *s)
{
    real sz;
    if (z > RC(1e-6)) {
        sz = r_sqrt(z);
        *c = (RC(1.0) - r_cos(sz)) / z;
        *s = (sz - r_sin(sz)) / (sz * z);
        return;
    }
    if (z < RC(-1e-6)) {
        sz = r_sqrt(-z);
        *c = (r_cosh(sz) - RC(1.0)) / (-z);
        *s = (r_sinh(sz) - sz) / (sz * -z);
        return;
    }
    *c = RC(0.5) - z / RC(24.0) + z * z / RC(720.0);
    *s = RC(1.0) / RC(6.0) - z / RC(120.0) + z * z / RC(5040.0);
}

/* Universal variable, Newton iteration (x**3 written as numba expands it: x * (x * x)). */
void orbit_kepler(vec3 *r, vec3 *v, real dt, real mu)
{
    vec3 r0 = *r, v0 = *v;
    real rn0, vr0, alpha, sqmu, t, chi, z, c, s, f, g, rn, fd, gd;
    int i;
    if (dt == RC(0.0))
        return;
    rn0 = v3_norm(r0);
    vr0 = v3_dot(r0, v0) / rn0;
    alpha = RC(2.0) / rn0 - v3_dot(v0, v0) / mu; /* 1/a */
    sqmu = r_sqrt(mu);
    t = dt;
    if (alpha > RC(1e-12)) { /* ellipse: whole revolutions change nothing */
        real period = RC(2.0) * R_PI / (sqmu * (alpha * r_sqrt(alpha)));
        t = dt - period * (real)(long)(dt / period);
    }
    chi = alpha > RC(1e-12) ? sqmu * r_fabs(alpha) * t : sqmu * t / rn0;
    for (i = 0; i < 60; ++i) {
        real df, step;
        z = alpha * chi * chi;
        stumpff(z, &c, &s);
        f = rn0 * vr0 / sqmu * chi * chi * c + (RC(1.0) - alpha * rn0) * (chi * (chi * chi)) * s
            + rn0 * chi - sqmu * t;
        df = rn0 * vr0 / sqmu * chi * (RC(1.0) - z * s) + (RC(1.0) - alpha * rn0) * chi * chi * c + rn0;
        step = f / df;
        chi -= step;
        if (r_fabs(step) <= RC(1e-13) * r_max(r_fabs(chi), RC(1.0)))
            break;
    }
    z = alpha * chi * chi;
    stumpff(z, &c, &s);
    f = RC(1.0) - chi * chi / rn0 * c;
    g = t - (chi * (chi * chi)) * s / sqmu;
    *r = v3_add(v3_scale(r0, f), v3_scale(v0, g));
    rn = v3_norm(*r);
    fd = sqmu / (rn * rn0) * (alpha * (chi * (chi * chi)) * s - chi);
    gd = RC(1.0) - chi * chi / rn * c;
    *v = v3_add(v3_scale(r0, fd), v3_scale(v0, gd));
}

void orbit_lvlh_axes(vec3 r, vec3 v, vec3 *x, vec3 *y, vec3 *z)
{
    *x = v3_unit(r);
    *z = v3_unit(v3_cross(r, v));
    *y = v3_cross(*z, *x);
}

/* Angular rate of the LVLH frame about its z axis: |h| / r^2. */
real orbit_lvlh_rate(vec3 r, vec3 v)
{
    real rn = v3_norm(r);
    return v3_norm(v3_cross(r, v)) / (rn * rn);
}

void orbit_to_lvlh(vec3 r_t, vec3 v_t, vec3 r_c, vec3 v_c, vec3 *rho, vec3 *rho_dot)
{
    vec3 x, y, z, d, dv, rho_i;
    real w;
    orbit_lvlh_axes(r_t, v_t, &x, &y, &z);
    w = orbit_lvlh_rate(r_t, v_t);
    d = v3_sub(r_c, r_t);
    dv = v3_sub(v_c, v_t);
    *rho = v3(v3_dot(d, x), v3_dot(d, y), v3_dot(d, z));
    rho_i = v3(v3_dot(dv, x), v3_dot(dv, y), v3_dot(dv, z));
    /* minus omega x rho, omega = (0, 0, w) */
    *rho_dot = v3(rho_i.x + w * rho->y, rho_i.y - w * rho->x, rho_i.z);
}

/* x a + y b + z c, summed in that order */
static vec3 combine(vec3 x, vec3 y, vec3 z, vec3 k)
{
    return v3_add(v3_add(v3_scale(x, k.x), v3_scale(y, k.y)), v3_scale(z, k.z));
}

void orbit_from_lvlh(vec3 r_t, vec3 v_t, vec3 rho, vec3 rho_dot, vec3 *r_c, vec3 *v_c)
{
    vec3 x, y, z, vi;
    real w;
    orbit_lvlh_axes(r_t, v_t, &x, &y, &z);
    w = orbit_lvlh_rate(r_t, v_t);
    vi = v3(rho_dot.x - w * rho.y, rho_dot.y + w * rho.x, rho_dot.z);
    *r_c = v3_add(r_t, combine(x, y, z, rho));
    *v_c = v3_add(v_t, combine(x, y, z, vi));
}

vec3 orbit_lvlh_to_inertial_vec(vec3 r_t, vec3 v_t, vec3 d)
{
    vec3 x, y, z;
    orbit_lvlh_axes(r_t, v_t, &x, &y, &z);
    return combine(x, y, z, d);
}

vec3 orbit_inertial_to_lvlh_vec(vec3 r_t, vec3 v_t, vec3 d)
{
    vec3 x, y, z;
    orbit_lvlh_axes(r_t, v_t, &x, &y, &z);
    return v3(v3_dot(d, x), v3_dot(d, y), v3_dot(d, z));
}

/* CW closed form, position part only, from rest (rho_dot = 0 as cw_velocity_for calls it;
 * the zero-velocity terms are kept so the sums round as the reference's do). */
static vec3 cw_position(vec3 rho, real n, real t)
{
    real nt = n * t, c = r_cos(nt), s = r_sin(nt);
    const real u0 = RC(0.0), v0 = RC(0.0), w0 = RC(0.0);
    return v3((RC(4.0) - RC(3.0) * c) * rho.x + s / n * u0 + RC(2.0) * (RC(1.0) - c) / n * v0,
              RC(6.0) * (s - nt) * rho.x + rho.y - RC(2.0) * (RC(1.0) - c) / n * u0
              + (RC(4.0) * s - RC(3.0) * nt) / n * v0,
              c * rho.z + s / n * w0);
}

/* rho_dot0 = Phi_rv^-1 (rho_f - Phi_rr rho0). The out-of-plane block sin(nt)/n is
 * singular at whole half revolutions; there the out-of-plane velocity is left 0. */
vec3 orbit_cw_velocity_for(vec3 rho0, vec3 rho_f, real n, real t)
{
    vec3 p = cw_position(rho0, n, t);
    real dx = rho_f.x - p.x, dy = rho_f.y - p.y, dz = rho_f.z - p.z;
    real nt = n * t, c = r_cos(nt), s = r_sin(nt);
    real a11 = s / n, a12 = RC(2.0) * (RC(1.0) - c) / n;
    real a21 = RC(-2.0) * (RC(1.0) - c) / n, a22 = (RC(4.0) * s - RC(3.0) * nt) / n;
    real det = a11 * a22 - a12 * a21;
    return v3((a22 * dx - a12 * dy) / det, (-a21 * dx + a11 * dy) / det,
              r_fabs(s) > RC(0.05) ? dz * n / s : RC(0.0));
}
