/* The flight software's one entry point, the boundary every build shares:
 *
 *     fsw_step(sensor_frame, config, fsw_state, actuator_frame)
 *
 * Frames are flat arrays of `real` laid out as layout.h says (SF_LEN, CF_LEN, FS_LEN,
 * AF_LEN). Twin of gnc/core/fsw/step.py. No allocation, no libc beyond math.h. */
#ifndef GNC_FSW_STEP_H
#define GNC_FSW_STEP_H

#include "real.h"

void fsw_reset(real *fs);
void fsw_step(const real *sf, const real *cfg, real *fs, real *af);
/* The descent's navigation, before its guidance law (fsw_step's and fsw_step_pdg's): health bits. */
int fsw_descent_nav(const real *sf, const real *cfg, real *fs, real t);

#endif
