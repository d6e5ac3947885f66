/* The landing frame as the flight software knows it: from its config and the time tag
 * (twin of gnc/core/fsw/landing.py). */
#ifndef GNC_LANDING_H
#define GNC_LANDING_H

#include "vec.h"

quat landing_q_li(real t, const real *cfg);
vec3 landing_apparent_gravity(vec3 r, vec3 v, const real *cfg);
real landing_altitude(vec3 r, const real *cfg);
vec3 landing_local_up(vec3 r, const real *cfg);

#endif
