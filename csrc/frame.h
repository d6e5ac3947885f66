/* The landing frame as the flight software knows it: from its config and the time tag
 * (twin of gnc/core/fsw/frame.py). */
#ifndef GNC_FRAME_H
#define GNC_FRAME_H

#include "vec.h"

quat frame_q_li(real t, const real *cfg);
vec3 frame_apparent_gravity(vec3 r, vec3 v, const real *cfg);
real frame_altitude(vec3 r, const real *cfg);
vec3 frame_local_up(vec3 r, const real *cfg);

#endif
