/* Ascent program: lift-off from the lander into a target orbit, then orbit operations
 * (twin of gnc/core/fsw/ascent.py, where the phases and the insertion guidance are
 * described). Runs its own navigation. */
#ifndef GNC_ASCENT_H
#define GNC_ASCENT_H

#include "real.h"

/* The whole ascent-program step (navigation, guidance, control, outputs). */
void ascent_step(const real *sf, const real *cfg, real *fs, real *af, real t);

#endif
