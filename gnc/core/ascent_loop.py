"""The ascent closed loop: the ascender on the lander's deck until thrust lifts it, then
free flight to orbit insertion, entirely in compiled code.

    truth -> sensors -> fsw_step -> actuator frame -> vehicle model (substeps) -> truth

On the pad (pad[PAD_ON] = 1) the vehicle is part of the Moon: after each model step
its position, velocity, attitude and body rate are reset to the pad's, carried by the
Moon's rotation, and the IMU senses the pad's reaction (specific force = centripetal
acceleration - gravity; body rate = the Moon's).  Mass and the engine's thrust lag
still integrate.  Lift-off is the first model step whose thrust along the local
vertical exceeds the weight less the centripetal relief: no contact event at t = 0,
no jump at ignition.

Telemetry rows are gnc.core.loop's (landing-frame truth, filter sigmas, both frames).
The go command goes out at step k_go; the pad time before it is the surface alignment.
Like gnc.core.loop, one loop body flies any flight-software build (fly_with).
"""

import numpy as np

from gnc.core import pmath, vec
from gnc.core.fsw.step import fsw_step
from gnc.core.jit import bind_step, kernel
from gnc.core.layout import AF_PHASE, AF_THRUST_CMD, PHASE_ASCENT_COAST, SF_CMD
from gnc.core.loop import record
from gnc.core.moon import W_J2, W_MU, W_OMEGA, W_RREF, fixed_to_inertial, gravity, state_to_landing, theta
from gnc.core.plant import accumulate_imu, rcs_duty
from gnc.core.sensors import sense
from gnc.core.terrain import height
from gnc.core.vehicle import VP_T_DIR, X_M, X_Q, X_R, X_THRUST, X_V, X_W, rk4_step

PAD_ON = 0          # 1 while on the pad
PAD_R = 1           # 3: position, Moon-fixed
PAD_Q = 4           # 4: attitude body -> Moon-fixed
PAD_H0 = 8          # height of the centre of mass above the ground on the pad
PAD_T_LIFTOFF = 9   # s, -1 before lift-off
PAD_T_CUTOFF = 10   # s, the first step the flight software reports the coast; -1 before
PAD_LEN = 11

EV_NONE = 0         # chunk finished, still flying
EV_INSERTED = 1     # the flight software cut off and the tail-off has settled
EV_FELL = 2         # after lift-off the vehicle came back below its pad height

FALL_MARGIN = 1.0   # m below the pad height that counts as falling back


@kernel
def hold_on_pad(x, vp, pad, w, t):
    """Put the vehicle back on the pad at time t and return the body specific force
    the IMU senses there; clears pad[PAD_ON] (lift-off) if the thrust now wins."""
    th = theta(t, w)
    om = w[W_OMEGA]
    r = fixed_to_inertial(vec.load3(pad, PAD_R), th)
    q = vec.q_mul((pmath.cos(0.5 * th), 0.0, 0.0, pmath.sin(0.5 * th)), vec.load4(pad, PAD_Q))
    g = gravity(r, w[W_MU], w[W_J2], w[W_RREF])
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


def _fly(x, vp, w, dem, sp, cfg, fs, sf, af, imu, work, duty, tel, tel_every, pad, k0, k1, k_go, dt, substeps,
         settle, seed):
    """Fly flight-software steps k0..k1-1.  Returns (next k, event).  settle: seconds
    after the cut-off before the run counts as inserted (the tail-off dies out)."""
    if seed >= 0:
        np.random.seed(seed)
    h = dt / substeps
    for k in range(k0, k1):
        t = k * dt
        sense(k, t, dt, x, imu, sp, w, dem, sf)
        sf[SF_CMD] = 1.0 if k == k_go else 0.0
        for i in range(6):
            imu[i] = 0.0
        fsw_step(sf, cfg, fs, af)
        if k % tel_every == 0:
            record(tel[k // tel_every], t, x, w, dem, fs, sf, af)
        if pad[PAD_T_CUTOFF] < 0.0 and int(af[AF_PHASE]) == PHASE_ASCENT_COAST:
            pad[PAD_T_CUTOFF] = t
        if pad[PAD_T_CUTOFF] >= 0.0 and t >= pad[PAD_T_CUTOFF] + settle:
            return k, EV_INSERTED
        thrust_cmd = af[AF_THRUST_CMD]
        for j in range(substeps):
            rcs_duty(af, j * h, h, duty)
            w0 = vec.load3(x, X_W)
            f_b = rk4_step(x, vp, w, thrust_cmd, duty, h, work)
            tc = t + (j + 1) * h
            if pad[PAD_ON] > 0.0:
                f_pad, held = hold_on_pad(x, vp, pad, w, tc)
                if held:
                    f_b = f_pad
            accumulate_imu(imu, f_b, w0, vec.load3(x, X_W), h)
            if pad[PAD_ON] == 0.0:
                r_l, _ = state_to_landing(vec.load3(x, X_R), vec.load3(x, X_V), tc, w)
                if height(r_l, w, dem) < pad[PAD_H0] - FALL_MARGIN:
                    return k + 1, EV_FELL
    return k1, EV_NONE


def fly_with(step, name, cache=True):
    """`_fly` with `fsw_step` bound to the kernel `step` (gnc.core.jit.bind_step)."""
    return bind_step(_fly, step, name, cache)


fly = fly_with(fsw_step, "fly")
