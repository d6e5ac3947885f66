/* Two-body orbits for the flight software: Kepler propagation (universal variable), the
 * LVLH frame of a target orbit and the Clohessy-Wiltshire closed form (twin of the parts
 * of gnc/core/orbit.py the programs use; conventions in its docstring). Inertial (MCI)
 * vectors, SI units. LVLH: x radial, y along-track, z along the angular momentum. */
#ifndef GNC_ORBIT_H
#define GNC_ORBIT_H

#include "vec.h"

/* Two-body state dt after (*r, *v), in place. */
void orbit_kepler(vec3 *r, vec3 *v, real dt, real mu);
void orbit_lvlh_axes(vec3 r, vec3 v, vec3 *x, vec3 *y, vec3 *z);
real orbit_lvlh_rate(vec3 r, vec3 v);
/* State of c relative to target t in t's LVLH frame, and back (inverse). */
void orbit_to_lvlh(vec3 r_t, vec3 v_t, vec3 r_c, vec3 v_c, vec3 *rho, vec3 *rho_dot);
void orbit_from_lvlh(vec3 r_t, vec3 v_t, vec3 rho, vec3 rho_dot, vec3 *r_c, vec3 *v_c);
/* A direction (no translation, no frame rate) between LVLH and inertial axes. */
vec3 orbit_lvlh_to_inertial_vec(vec3 r_t, vec3 v_t, vec3 d);
vec3 orbit_inertial_to_lvlh_vec(vec3 r_t, vec3 v_t, vec3 d);
/* CW: the initial relative velocity that carries rho0 to rho_f in t. */
vec3 orbit_cw_velocity_for(vec3 rho0, vec3 rho_f, real n, real t);

#endif
