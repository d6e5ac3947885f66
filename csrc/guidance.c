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

/* Position hold: a bounded velocity command toward rf (plus vf), tracked with gravity
 * compensation; the vertical channel (throttle) runs three times the horizontal (tilt). */
vec3 guidance_hold(vec3 r, vec3 v, vec3 rf, vec3 vf, vec3 g, vec3 up, real bw, real v_max)
{
    vec3 e = v3_sub(rf, r);
    real ev = v3_dot(e, up);
    vec3 eh = v3_axpy(-ev, up, e);
    vec3 vc_h = v3_scale(eh, RC(0.5) * bw);
    real n = v3_norm(vc_h);
    real vc_v, dv_v, ka_h, ka_v;
    vec3 dv, dv_h;
    if (n > v_max)
        vc_h = v3_scale(vc_h, v_max / n);
    vc_v = r_min(r_max(RC(1.5) * bw * ev, -v_max), v_max);
    dv = v3_sub(v3_add(v3_axpy(vc_v, up, vc_h), vf), v);
    dv_v = v3_dot(dv, up);
    dv_h = v3_axpy(-dv_v, up, dv);
    ka_h = RC(2.0) * bw;
    ka_v = RC(6.0) * bw;
    return v3(ka_h * dv_h.x + ka_v * dv_v * up.x - g.x,
              ka_h * dv_h.y + ka_v * dv_v * up.y - g.y,
              ka_h * dv_h.z + ka_v * dv_v * up.z - g.z);
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
