/* Guidance laws, closed form and re-solved every step (twin of gnc/core/fsw/guidance.py;
 * the derivations are in its docstrings). */
#ifndef GNC_GUIDANCE_H
#define GNC_GUIDANCE_H

#include "vec.h"

/* The vehicle's local-level frame as guidance_local_level returns it. */
typedef struct {
    vec3 up, d, c; /* up, toward the target, cross; landing-frame axes */
    real arc;      /* the target's arc distance, m */
    real alt;      /* altitude over the datum sphere, m */
    real g_eff;    /* effective vertical gravity (gravity less centrifugal), m/s^2 */
} local_level;

vec3 guidance_zem_zev(vec3 r, vec3 v, vec3 rf, vec3 vf, vec3 g, real tgo);
real guidance_tgo_braking(real v_h, real vf_h, real g_eff, real a_thrust);
real guidance_braking_rule(real x, real k, real c);
vec3 guidance_hold(vec3 r, vec3 v, vec3 rf, vec3 vf, vec3 g, vec3 up, real bw, real v_max, real tilt_rate);
vec3 guidance_shape_thrust(vec3 a, vec3 up, real a_min, real max_tilt);
local_level guidance_local_level(vec3 r, vec3 v, real rs, real mu);

#endif
