/* Navigation: strapdown attitude with star-tracker correction and a 6-state EKF
 * (twin of gnc/core/fsw/nav.py). The propagate/correct functions return health bits. */
#ifndef GNC_NAV_H
#define GNC_NAV_H

#include "vec.h"

void nav_init(const real *cfg, real *fs);
quat nav_q_lb(const real *fs, real t, const real *cfg);
int nav_propagate(const real *sf, const real *cfg, real *fs, real t, real dt);
int nav_correct(const real *sf, const real *cfg, real *fs, real t);

#endif
