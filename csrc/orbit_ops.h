/* Orbit operations shared by the ascent (after insertion) and rendezvous programs: the
 * onboard orbit, attitude references, and burns executed from a delta-v (twin of
 * gnc/core/fsw/orbit_ops.py, where the burn sequence is described). */
#ifndef GNC_ORBIT_OPS_H
#define GNC_ORBIT_OPS_H

#include "vec.h"

#define ORBIT_OPS_STEER_HOLD RC(3.0)  /* hold the direction when this many cut-off margins remain */
#define ORBIT_OPS_ACC_DETECT RC(0.05) /* m/s^2: sensed acceleration above this is thrust, not noise */

/* One step of a burn (orbit_ops_execute_burn). */
typedef struct {
    int fire;   /* fire the main engine */
    vec3 force; /* RCS force wanted, inertial */
    vec3 u;     /* direction body +z must point along (zero: free) */
    int done;
} burn_step;

real orbit_ops_step_length(real t, real t_last, real dt);
void orbit_ops_sense_thrust(real *fs, vec3 dv_i, real h);
void orbit_ops_propagate_orbit(real *fs, const real *cfg, real h, vec3 dv_i, int powered);
void orbit_ops_uplinked_orbit(const real *cfg, real t, int pos_idx, int vel_idx, real epoch, vec3 *r, vec3 *v);
/* Slot (-1 if none) of the next uplinked burn, its ignition time and delta-v. */
int orbit_ops_next_burn(const real *cfg, const real *fs, real *t_ign, vec3 *dv);
quat orbit_ops_q_pointing(quat q_ib, vec3 z_target);
quat orbit_ops_q_lvlh_hold(vec3 r, vec3 v);
burn_step orbit_ops_execute_burn(const real *cfg, real *fs, real t, vec3 dv_i, quat q_ib, real a_nom, real mass);
void orbit_ops_star_blend(const real *sf, const real *cfg, real *fs);
int orbit_ops_settled(quat q_now, quat q_des, vec3 rate, real att_tol, real rate_tol);
vec3 orbit_ops_lvlh_rate_body(quat q_ib, vec3 r, vec3 v);

#endif
