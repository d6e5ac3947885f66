/* Six-degree-of-freedom RCS of the orbit vehicles: a body force and an attitude torque
 * from one set of twelve thrusters, pulse-width modulated within the step (twin of
 * gnc/core/fsw/rcs.py, where the thruster layout and the allocation are derived). */
#ifndef GNC_RCS_H
#define GNC_RCS_H

#include "vec.h"

/* Body torque demand toward q_des (both body -> the same frame) at loop bandwidth bw. */
vec3 rcs_attitude_torque(quat q_now, quat q_des, vec3 rate, real mass, const real *cfg, real bw);
/* The twelve on-times for a body force and torque, into the actuator frame. */
void rcs_allocate(vec3 force_b, vec3 torque_b, const real *cfg, real dt, real *af);

#endif
