/* Relative navigation of the chaser: a 6-state Kalman filter of its centre of mass
 * relative to the target's (target LVLH), the target's own orbit carried alongside
 * (twin of gnc/core/fsw/relnav.py, where the measurement models are described). */
#ifndef GNC_RELNAV_H
#define GNC_RELNAV_H

#include "vec.h"

#define RELNAV_N 6 /* filter states: relative position, velocity */
#define RELNAV_POSE_MEMORY RC(2.0) /* s: a pose sample this recent gives the target's attitude */
#define RELNAV_RK_STEP RC(100.0)    /* s: longest RK4 step of the relative motion */

/* Target body -> chaser body when docked (gnc.core.capture). */
static inline quat relnav_q_docked(void) { return qt(RC(0.0), RC(1.0), RC(0.0), RC(0.0)); }

void relnav_uplink(const real *cfg, real *fs, real t);
void relnav_target_state(const real *fs, vec3 *r, vec3 *v);
void relnav_chaser_state(const real *fs, vec3 *r, vec3 *v);
void relnav_propagate(real *fs, const real *cfg, real h, vec3 dv_i, int powered);
vec3 relnav_to_lvlh_vec(const real *fs, vec3 d_i);
vec3 relnav_to_inertial_vec(const real *fs, vec3 d_l);
quat relnav_target_attitude(const real *fs, real t);
vec3 relnav_lever(const real *fs, const real *cfg, real t);
/* Updates from the relative sensors in this frame; 1 if any was accepted. */
int relnav_correct(const real *sf, const real *cfg, real *fs, real t);

#endif
