#include "guidance.h"

/* Control acceleration (not including gravity) of E-guidance / ZEM-ZEV. */
vec3 guidance_zem_zev(vec3 r, vec3 v, vec3 rf, vec3 vf, vec3 g, real tgo)
{
    real t2 = tgo * tgo;
    real ax = RC(6.0) * (rf.x - (r.x + v.x * tgo + RC(0.5) * g.x * t2)) / t2
             - RC(2.0) * (vf.x - (v.x + g.x * tgo)) / tgo;
    real ay = RC(6.0) * (rf.y - (r.y + v.y * tgo + RC(0.5) * g.y * t2)) / t2
             - RC(2.0) * (vf.y - (v.y + g.y * tgo)) / tgo;
    real az = RC(6.0) * (rf.z - (r.z + v.z * tgo + RC(0.5) * g.z * t2)) / t2
             - RC(2.0) * (vf.z - (v.z + g.z * tgo)) / tgo;
    return v3(ax, ay, az);
}

/* Time-to-go of a braking arc: the horizontal velocity still to remove, at the horizontal
 * share of thrust acceleration a_thrust left after supporting g_eff. */
real guidance_tgo_braking(real v_h, real vf_h, real g_eff, real a_thrust)
{
    real a_h = r_sqrt(r_max(a_thrust * a_thrust - g_eff * g_eff, RC(0.25) * a_thrust * a_thrust));
    return r_max(r_fabs(vf_h - v_h) / a_h, RC(5.0));
}

/* Command of a loop whose command can be taken back at no more than rate c: k x near zero,
 * sqrt(c x) further out (what rate c can still undo in time, with a factor 2 of margin). */
real guidance_braking_rule(real x, real k, real c)
{
    return r_min(k * x, r_sqrt(c * x));
}

/* Position hold: a velocity command toward rf (at most v_max, plus vf) tracked with gravity
 * compensation.  The horizontal commands (velocity, then acceleration through tilt) follow
 * the braking rule for a tilt turned at no more than tilt_rate, so the slews can follow them;
 * the vertical channel (throttle) runs three times faster. */
vec3 guidance_hold(vec3 r, vec3 v, vec3 rf, vec3 vf, vec3 g, vec3 up, real bw, real v_max, real tilt_rate)
{
    vec3 e = v3_sub(rf, r);
    real ev = v3_dot(e, up);
    vec3 eh = v3_axpy(-ev, up, e);
    real j_max = v3_norm(g) * tilt_rate; /* m/s^3 the tilt can deliver */
    real a_stop = r_sqrt(j_max * v_max); /* m/s^2 reached while stopping from v_max */
    real n = v3_norm(eh), m, vc_v, dv_v, ka_v;
    vec3 vc_h = v3_scale(eh, RC(0.0)), dv, dv_h, ah;
    if (n > RC(0.0))
        vc_h = v3_scale(eh, r_min(guidance_braking_rule(n, RC(0.5) * bw, a_stop), v_max) / n);
    vc_v = r_min(r_max(RC(1.5) * bw * ev, -v_max), v_max);
    dv = v3_sub(v3_add(v3_axpy(vc_v, up, vc_h), vf), v);
    dv_v = v3_dot(dv, up);
    dv_h = v3_axpy(-dv_v, up, dv);
    m = v3_norm(dv_h);
    ah = v3_scale(dv_h, RC(0.0));
    if (m > RC(0.0))
        ah = v3_scale(dv_h, guidance_braking_rule(m, RC(2.0) * bw, j_max) / m);
    ka_v = RC(6.0) * bw;
    return v3(ah.x + ka_v * dv_v * up.x - g.x,
              ah.y + ka_v * dv_v * up.y - g.y,
              ah.z + ka_v * dv_v * up.z - g.z);
}

/* Make a control acceleration flyable by an engine that only pushes along +z: vertical
 * part at least a_min, horizontal part at most vertical * tan(max_tilt). */
vec3 guidance_shape_thrust(vec3 a, vec3 up, real a_min, real max_tilt)
{
    real av = v3_dot(a, up);
    vec3 ah = v3_axpy(-av, up, a);
    real hn, h_max;
    av = r_max(av, a_min);
    hn = v3_norm(ah);
    h_max = av * r_tan(max_tilt);
    if (hn > h_max)
        ah = v3_scale(ah, h_max / hn);
    return v3_axpy(av, up, ah);
}

local_level guidance_local_level(vec3 r, vec3 v, real rs, real mu)
{
    local_level ll;
    vec3 rc = v3(r.x, r.y, r.z + rs);
    real rn = v3_norm(rc), tn;
    vec3 to_target, vh;
    ll.up = v3(rc.x / rn, rc.y / rn, rc.z / rn);
    to_target = v3_reject(v3(RC(0.0), RC(0.0), RC(1.0)), ll.up);
    tn = v3_norm(to_target);
    ll.alt = rn - rs;
    if (tn < RC(1e-9)) {
        ll.d = v3(RC(1.0), RC(0.0), RC(0.0));
        ll.c = v3_cross(ll.up, ll.d);
        ll.arc = RC(0.0);
        ll.g_eff = -mu / (rn * rn);
        return ll;
    }
    ll.d = v3_scale(to_target, RC(1.0) / tn);
    ll.c = v3_cross(ll.up, ll.d);
    ll.arc = rs * r_atan2(tn, ll.up.z);
    vh = v3_reject(v, ll.up);
    ll.g_eff = -mu / (rn * rn) + v3_dot(vh, vh) / rn;
    return ll;
}
