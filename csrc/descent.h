/* Powered descent program: Chang'e's phases and their transition conditions (twin of
 * gnc/core/fsw/descent.py, where the phases are described). */
#ifndef GNC_DESCENT_H
#define GNC_DESCENT_H

#include "real.h"

/* One guidance + control step of the descent, after navigation; returns health bits. */
int descent_step(const real *sf, const real *cfg, real *fs, real *af, real t);

#endif
