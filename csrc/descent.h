/* Powered descent program: Chang'e's phases and their transition conditions (twin of
 * gnc/core/fsw/descent.py, where the phases are described). */
#ifndef GNC_DESCENT_H
#define GNC_DESCENT_H

#include "real.h"
#include "vec.h"

/* What every guidance law of the descent flies on (descent.py's prepare tuple). */
typedef struct {
    vec3 r, v, g, up;
    real alt;
    quat q_lb;
    real mass, ratio, h_ground;
} descent_pre;

/* One guidance + control step of the descent, after navigation; returns health bits. */
int descent_step(const real *sf, const real *cfg, real *fs, real *af, real t);

/* descent_step's three parts (descent.py's prepare, phased, actuate), for another law that
 * replaces some phases' command (csrc/pdg_law.c) */
descent_pre descent_prepare(const real *sf, const real *cfg, real *fs, real t);
vec3 descent_phased(const real *sf, const real *cfg, real *fs, real *af, real t, const descent_pre *pre,
                    int *phase, int *health);
int descent_actuate(const real *cfg, real *fs, real *af, vec3 a, int phase, const descent_pre *pre, int health);
/* The point h above the landing site, landing frame (descent.py's site_point). */
vec3 descent_site_point(const real *cfg, const real *fs, real h);

#endif
