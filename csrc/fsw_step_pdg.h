/* fsw_step flying the descent with the fuel-optimal law (twin of gnc/core/fsw/step.py's
 * fsw_step_pdg): the state row carries the law's region after FS_LEN and M within it
 * (pdg_law.h); the ascent and rendezvous programs are answered config_bad, as a loop
 * compiled to fly the descent only answers them.  fsw_step itself never reads past FS_LEN. */
#ifndef GNC_FSW_STEP_PDG_H
#define GNC_FSW_STEP_PDG_H

#include "pdg_law.h"
#include "real.h"

void fsw_step_pdg(const real *sf, const real *cfg, real *fs, real *af, pdg_law_mem *M);

#endif
