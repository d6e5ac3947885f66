"""The ascent's vehicle side: the ascender on the lander's deck until thrust lifts it,
then free flight to orbit insertion (gnc.core.loop binds it to a flight software).

On the pad (pad[PAD_ON] = 1) the vehicle is part of the Moon: after each model step
its position, velocity, attitude and body rate are reset to the pad's, carried by the
Moon's rotation, and the IMU senses the pad's reaction (specific force = centripetal
acceleration - gravity; body rate = the Moon's).  Mass and the engine's thrust lag
still integrate.  Lift-off is the first model step whose thrust along the local
vertical exceeds the weight less the centripetal relief: no contact event at t = 0,
no jump at ignition.

Telemetry rows are the descent's (gnc.programs.descent.plant T_*).  The go command goes
out at step k_go; the pad time before it is the surface alignment.
"""
from collections import namedtuple

from gnc.core import pmath, vec
from gnc.core.gravity import acceleration
from gnc.core.jit import kernel
from gnc.core.layout import AF_PHASE, AF_THRUST_CMD, PHASE_ASCENT_COAST, PROGRAM_ASCENT, SF_CMD
from gnc.core.loop import EV_NONE
from gnc.core.moon import W_OMEGA, fixed_to_inertial, state_to_landing, theta
from gnc.core.sensors import sense as sense_vehicle
from gnc.core.terrain import height
from gnc.core.vehicle import VP_T_DIR, X_M, X_Q, X_R, X_THRUST, X_V, X_W, accumulate_imu, rcs_duty, rk4_step
from gnc.programs.descent.plant import record  # noqa: F401 (the loop binds it: the ascent's rows are the descent's)

Plant = namedtuple("Plant", [
    "x", "vp", "w", "dem", "sp", "imu", "work", "field", "duty",   # as the descent's (gnc.programs.descent.plant)
    "pad",        # PAD_*: the pad, lift-off and cut-off
    "k_go",       # the step the go command goes out
    "settle",     # s after the cut-off before the run counts as inserted (the tail-off dies out)
    "dt", "substeps",
])

FSW_PROGRAMS = (PROGRAM_ASCENT,)    # what its flight computer flies (the loop compiles only these)

# --- layout PAD (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the pad, lift-off and cut-off
PAD_ON = 0         # 1 while on the pad
PAD_R = 1          # [3] m: position, Moon-fixed
PAD_Q = 4          # [4] attitude body -> Moon-fixed
PAD_H0 = 8         # m: height of the centre of mass above the ground on the pad
PAD_T_LIFTOFF = 9  # s: -1 before lift-off
PAD_T_CUTOFF = 10  # s: the first step the flight software reports the coast; -1 before
PAD_LEN = 11
# --- end layout PAD ---

EV_INSERTED = 1     # the flight software cut off and the tail-off has settled
EV_FELL = 2         # after lift-off the vehicle came back below its pad height

FALL_MARGIN = 1.0   # m below the pad height that counts as falling back


@kernel
def hold_on_pad(x, vp, pad, w, field, t):
    """Put the vehicle back on the pad at time t and return the body specific force
    the IMU senses there; clears pad[PAD_ON] (lift-off) if the thrust now wins."""
    th = theta(t, w)
    om = w[W_OMEGA]
    r = fixed_to_inertial(vec.load3(pad, PAD_R), th)
    q = vec.q_mul((pmath.cos(0.5 * th), 0.0, 0.0, pmath.sin(0.5 * th)), vec.load4(pad, PAD_Q))
    g = acceleration(r, t, w, field)
    a_pad = (-om * om * r[0], -om * om * r[1], 0.0)
    up = vec.unit(r)
    thrust_up = vec.dot(vec.q_rot(q, vec.load3(vp, VP_T_DIR)), up) * x[X_THRUST] / x[X_M]
    if thrust_up > vec.dot(vec.sub(a_pad, g), up):
        pad[PAD_ON] = 0.0
        pad[PAD_T_LIFTOFF] = t
        return (0.0, 0.0, 0.0), False
    vec.store3(x, X_R, r)
    vec.store3(x, X_V, (-om * r[1], om * r[0], 0.0))
    vec.store4(x, X_Q, q)
    vec.store3(x, X_W, vec.q_rot_inv(q, (0.0, 0.0, om)))
    return vec.q_rot_inv(q, vec.sub(a_pad, g)), True


@kernel
def sense(k, p, sf, af):
    """Sensor frame of step k from truth, the go command at k_go; the IMU restarts."""
    sense_vehicle(k, k * p.dt, p.dt, p.x, p.imu, p.sp, p.w, p.dem, sf[0])
    sf[0, SF_CMD] = 1.0 if k == p.k_go else 0.0
    for i in range(6):
        p.imu[i] = 0.0


@kernel
def advance(k, k_end, p, af):
    """Note the cut-off; once settled, end the run where it stands (0 steps, EV_INSERTED).
    Else fly truth from step k to k+1, on the pad or free: (1, EV_NONE or EV_FELL)."""
    t = k * p.dt
    pad, x = p.pad, p.x
    if pad[PAD_T_CUTOFF] < 0.0 and int(af[0, AF_PHASE]) == PHASE_ASCENT_COAST:
        pad[PAD_T_CUTOFF] = t
    if pad[PAD_T_CUTOFF] >= 0.0 and t >= pad[PAD_T_CUTOFF] + p.settle:
        return 0, EV_INSERTED
    h = p.dt / p.substeps
    thrust_cmd = af[0, AF_THRUST_CMD]
    for j in range(p.substeps):
        rcs_duty(af[0], j * h, h, p.duty)
        w0 = vec.load3(x, X_W)
        f_b = rk4_step(x, t + j * h, p.vp, p.w, p.field, thrust_cmd, p.duty, h, p.work)
        tc = t + (j + 1) * h
        if pad[PAD_ON] > 0.0:
            f_pad, held = hold_on_pad(x, p.vp, pad, p.w, p.field, tc)
            if held:
                f_b = f_pad
        accumulate_imu(p.imu, f_b, w0, vec.load3(x, X_W), h)
        if pad[PAD_ON] == 0.0:
            r_l, _ = state_to_landing(vec.load3(x, X_R), vec.load3(x, X_V), tc, p.w)
            if height(r_l, p.w, p.dem) < pad[PAD_H0] - FALL_MARGIN:
                return 1, EV_FELL
    return 1, EV_NONE
