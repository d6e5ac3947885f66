/* Navigation: strapdown attitude with star-tracker correction and a 12-state EKF
 * (position, velocity, accelerometer bias, velocimeter beam biases; twin of
 * gnc/core/fsw/nav.py). The propagate/correct functions return health bits;
 * nav_strapdown and nav_update serve the orbit programs too. */
#ifndef GNC_NAV_H
#define GNC_NAV_H

#include "vec.h"

#define NAV_N 12 /* filter states: position, velocity, accelerometer bias, velocimeter beam biases */
#define NAV_NB 9 /* the first beam bias */

void nav_init(const real *cfg, real *fs);
quat nav_q_lb(const real *fs, real t, const real *cfg);
vec3 nav_strapdown(const real *sf, real *fs, real h, int *health);
int nav_propagate(const real *sf, const real *cfg, real *fs, real t, real dt);
int nav_correct(const real *sf, const real *cfg, real *fs, real t);
int nav_update(real *fs, const real *cfg, vec3 hr, vec3 hv, vec3 hb, real innov, real var);
/* The end of every program's step: phase, health, navigation state and its 1-sigma
 * (from the program's n x n covariance), orbit estimate and idle time into af: all the
 * host records. */
void nav_report(const real *fs, real *af, int health, quat q_nav, int n);

#endif
