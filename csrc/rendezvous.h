/* Rendezvous program of the active vehicle: from the ground's hand-over to capture, on
 * its own relative navigation (twin of gnc/core/fsw/rendezvous.py, where the phases, the
 * transfer targeting and the time warp are described). */
#ifndef GNC_RENDEZVOUS_H
#define GNC_RENDEZVOUS_H

#include "real.h"

/* The whole rendezvous-program step (navigation, guidance, control, outputs). */
void rendezvous_step(const real *sf, const real *cfg, real *fs, real *af, real t);

#endif
