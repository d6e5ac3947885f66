"""The closed loop, entirely in compiled code:

    truth -> sensors -> fsw_step -> actuator frame -> vehicle model (substeps) -> truth

One call flies steps k0..k1-1 (the API calls it in chunks to draw a progress bar,
crossing into Python once per chunk, never per step) and writes one telemetry row
per flight-software step.

One loop body, several flight softwares.  `_fly` is plain Python source that calls
the global name `fsw_step`; `fly_with(step, name)` compiles that same code object with
`fsw_step` bound to another kernel (gnc.core.fsw_c binds the C builds).  Each variant
is a separate, fully compiled loop with the flight software called directly, and each
caches under its own name (loop.<name>-*.nbi): the cache key holds the code and the
function's name, not the binding, so the names must differ.  The alternatives lose
something: an `fsw_kind` argument switching between builds needs the C symbols
whenever the loop compiles, so a machine without a C compiler could not fly numba;
a factory closure over the step kernel is never found in numba's cache (the key
pickles the closure, and a dispatcher pickles with a per-process id), so every
process would recompile the loop.
"""

import numpy as np

from gnc.core import vec
from gnc.core.fsw.step import fsw_step
from gnc.core.jit import bind_step, kernel
from gnc.core.layout import AF_LEN, FS_COV, SF_LEN
from gnc.core.moon import q_inertial_to_landing, state_to_landing
from gnc.core.plant import EV_CONTACT, EV_NONE, WORK_LEN, advance, sense_step  # noqa: F401 (re-exported)
from gnc.core.terrain import height
from gnc.core.vehicle import X_M, X_Q, X_R, X_THRUST, X_V, X_W

T_T = 0
T_POS = 1        # 3: truth position, landing frame
T_VEL = 4        # 3: truth ground-relative velocity, landing frame
T_ALT = 7        # height of the centre of mass above the ground
T_Q = 8          # 4: truth attitude body->landing
T_RATE = 12      # 3: truth body rate
T_MASS = 15
T_THRUST = 16    # actual main engine thrust
T_NAV_SIG = 17   # 6: filter 1-sigma of position, velocity
T_SF = 23        # the sensor frame
T_AF = T_SF + SF_LEN
T_LEN = T_AF + AF_LEN



@kernel
def record(row, t, x, w, dem, fs, sf, af):
    row[T_T] = t
    r_l, v_l = state_to_landing(vec.load3(x, X_R), vec.load3(x, X_V), t, w)
    vec.store3(row, T_POS, r_l)
    vec.store3(row, T_VEL, v_l)
    row[T_ALT] = height(r_l, w, dem)
    vec.store4(row, T_Q, vec.q_mul(q_inertial_to_landing(t, w), vec.load4(x, X_Q)))
    vec.store3(row, T_RATE, vec.load3(x, X_W))
    row[T_MASS] = x[X_M]
    row[T_THRUST] = x[X_THRUST]
    for i in range(6):
        row[T_NAV_SIG + i] = np.sqrt(max(fs[FS_COV + 7 * i], 0.0))
    for i in range(SF_LEN):
        row[T_SF + i] = sf[i]
    for i in range(AF_LEN):
        row[T_AF + i] = af[i]


def _fly(x, vp, w, dem, sp, cfg, fs, sf, af, imu, work, duty, tel, tel_every, touch, k0, k1, dt, substeps, seed,
         hp, hs, hmap):
    """Fly flight-software steps k0..k1-1.  Returns (next k, event).

    seed >= 0 reseeds the noise generator (first chunk of a run); -1 continues.
    Telemetry row k // tel_every is written on every tel_every-th step.  hp, hs,
    hmap: the hazard-detection unit's parameters, state and map (gnc.core.hdu).
    """
    if seed >= 0:
        np.random.seed(seed)
    for k in range(k0, k1):
        sense_step(k, dt, x, imu, sp, w, dem, sf, af, hp, hs, hmap)
        fsw_step(sf, cfg, fs, af)
        if k % tel_every == 0:
            record(tel[k // tel_every], k * dt, x, w, dem, fs, sf, af)
        if advance(k, dt, substeps, x, vp, w, dem, af, imu, work, duty, touch) != EV_NONE:
            return k + 1, EV_CONTACT
    return k1, EV_NONE


def fly_with(step, name, cache=True):
    """`_fly` with `fsw_step` bound to the kernel `step` (gnc.core.jit.bind_step)."""
    return bind_step(_fly, step, name, cache)


fly = fly_with(fsw_step, "fly")
