/* Attitude control: thrust-vector pointing with RCS pulses (twin of
 * gnc/core/fsw/control.py). Thrusters 2k and 2k+1 form couple k: +x, -x, +y, -y, +z, -z torque. */
#ifndef GNC_CONTROL_H
#define GNC_CONTROL_H

#include "vec.h"

quat control_desired_attitude(vec3 thrust_dir, vec3 up, vec3 fwd);
void control_learn_thrust_arm(real *fs, int imu_valid, real mass, const real *cfg, real dt);
void control_rcs_pulses(quat q_lb, quat q_des, vec3 rate, real mass, const real *cfg, real dt, real *af,
                        vec3 tau_ff);
void control_predict_rate(real *fs, const real *af, real thrust, real mass, const real *cfg, real dt);

#endif
