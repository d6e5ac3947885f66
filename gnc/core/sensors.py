"""Sensor models: truth in, one sensor frame out (the only thing the flight software sees).

Noise, bias, quantisation, sample rate (every N flight-software steps) and random
dropouts for: IMU, laser altimeter, 3-beam velocimeter, star tracker and the
optical landing camera (map-relative fixes of the target).  Parameters in the SP_* layout are filled by gnc.programs.descent.assemble.
"""
import math

import numpy as np

from gnc.core import pmath, vec
from gnc.core.jit import kernel
from gnc.core.layout import (
    SF_ALT_RANGE,
    SF_CAM_REL,
    SF_CMD,
    SF_IMU_DTH,
    SF_IMU_DV,
    SF_LEN,
    SF_STAR_Q,
    SF_T,
    SF_VALID,
    SF_VEL_BEAM,
    VALID_ALT,
    VALID_CAM,
    VALID_IMU,
    VALID_STAR,
    VALID_VEL0,
)
from gnc.core.moon import W_SITE_R, q_inertial_to_landing, state_to_landing
from gnc.core.terrain import dem_height, ray_range
from gnc.core.vehicle import X_Q, X_R, X_V

# --- layout SP (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# sensor parameters; *_EVERY: flight-software steps per sample (0 = sensor off), *_DROP: probability a sample is lost
SP_IMU_VRW = 0         # m/s/sqrt(s): accelerometer velocity random walk
SP_IMU_ARW = 1         # rad/sqrt(s): gyro angle random walk
SP_ACC_BIAS = 2        # [3] m/s^2: accelerometer bias
SP_GYRO_BIAS = 5       # [3] rad/s: gyro bias
SP_DV_QUANT = 8        # m/s: delta-v per count
SP_DTH_QUANT = 9       # rad: delta-angle per count
SP_IMU_DROP = 10       # probability a frame has no IMU sample
SP_ALT_EVERY = 11      # flight-software steps per sample (0 = sensor off)
SP_ALT_SIG = 12        # 1-sigma as a fraction of range
SP_ALT_SIG_MIN = 13    # m: range 1-sigma floor
SP_ALT_MAX = 14        # m: longest range
SP_ALT_MAX_INC = 15    # rad: largest incidence on the ground
SP_ALT_BORE = 16       # [3] boresight, body
SP_ALT_DROP = 19
SP_ALT_QUANT = 20      # m: range quantum
SP_VEL_EVERY = 21
SP_VEL_SIG = 22        # m/s: beam 1-sigma
SP_VEL_MAX = 23        # m: largest slant range
SP_VEL_BORE = 24       # [9] three beam directions, body
SP_VEL_DROP = 33
SP_STAR_EVERY = 34
SP_STAR_SIG = 35       # rad: 1-sigma per axis
SP_STAR_DROP = 36
SP_CAM_EVERY = 37
SP_CAM_SIG = 38        # 1-sigma per axis as a fraction of range
SP_CAM_MIN = 39        # m: closest range with a usable image
SP_CAM_MAX = 40        # m: farthest range with a usable image
SP_CAM_OFF_NADIR = 41  # rad: largest boresight angle from local down for a usable image
SP_CAM_BORE = 42       # [3] boresight, body
SP_CAM_DROP = 45
SP_CAM_TIE = 46        # [2] m: east, north error of the onboard map's tie to the terrain (drawn per run)
SP_LEN = 48
# --- end layout SP ---


@kernel
def due(sp, every_idx, drop_idx, k):
    """Does a sensor sampled every sp[every_idx] steps (0: never) report at step k, and
    not drop out (probability sp[drop_idx])?  Draws from numba's generator only when due."""
    every = int(sp[every_idx])
    if every <= 0 or k % every != 0:
        return False
    return np.random.random() >= sp[drop_idx]


@kernel
def _quantise(v, q):
    if q <= 0.0:
        return v
    return q * math.floor(v / q + 0.5)


@kernel
def _normal3(s):
    n = pmath.normal3()
    return (s * n[0], s * n[1], s * n[2])


@kernel
def sense(k, t, dt, x, imu_acc, sp, w, dem, sf):
    """Fill sensor frame sf from truth state x at time t (flight-software step k).

    imu_acc[0:3] / [3:6]: true body delta-v / delta-angle since the last frame.
    """
    for i in range(SF_LEN):
        sf[i] = 0.0
    sf[SF_T] = t
    valid = 0
    q_ib = vec.load4(x, X_Q)
    if k > 0 and np.random.random() >= sp[SP_IMU_DROP]:
        sdv = sp[SP_IMU_VRW] * math.sqrt(dt)
        sdt = sp[SP_IMU_ARW] * math.sqrt(dt)
        n1 = _normal3(sdv)
        n2 = _normal3(sdt)
        for i in range(3):
            dv = imu_acc[i] + sp[SP_ACC_BIAS + i] * dt + n1[i]
            dth = imu_acc[3 + i] + sp[SP_GYRO_BIAS + i] * dt + n2[i]
            sf[SF_IMU_DV + i] = _quantise(dv, sp[SP_DV_QUANT])
            sf[SF_IMU_DTH + i] = _quantise(dth, sp[SP_DTH_QUANT])
        valid |= VALID_IMU

    r_l, v_l = state_to_landing(vec.load3(x, X_R), vec.load3(x, X_V), t, w)
    q_lb = vec.q_mul(q_inertial_to_landing(t, w), q_ib)
    rs = w[W_SITE_R]

    if due(sp, SP_ALT_EVERY, SP_ALT_DROP, k):
        b = vec.q_rot(q_lb, vec.load3(sp, SP_ALT_BORE))
        s = ray_range(r_l, b, w, dem)
        if 0.0 < s <= sp[SP_ALT_MAX]:
            hit = (r_l[0] + s * b[0], r_l[1] + s * b[1], r_l[2] + s * b[2] + rs)
            if -vec.dot(b, vec.unit(hit)) >= pmath.cos(sp[SP_ALT_MAX_INC]):
                sig = pmath.hypot(sp[SP_ALT_SIG] * s, sp[SP_ALT_SIG_MIN])
                sf[SF_ALT_RANGE] = _quantise(s + sig * pmath.normal(), sp[SP_ALT_QUANT])
                valid |= VALID_ALT

    if due(sp, SP_VEL_EVERY, SP_VEL_DROP, k):
        for j in range(3):
            b = vec.q_rot(q_lb, vec.load3(sp, SP_VEL_BORE + 3 * j))
            s = ray_range(r_l, b, w, dem)
            if 0.0 < s <= sp[SP_VEL_MAX]:
                sf[SF_VEL_BEAM + j] = vec.dot(b, v_l) + sp[SP_VEL_SIG] * pmath.normal()
                valid |= VALID_VEL0 << j

    if due(sp, SP_STAR_EVERY, SP_STAR_DROP, k):
        qm = vec.q_mul(q_ib, vec.q_from_rotvec(_normal3(sp[SP_STAR_SIG])))
        if qm[0] < 0.0:
            qm = (-qm[0], -qm[1], -qm[2], -qm[3])
        vec.store4(sf, SF_STAR_Q, qm)
        valid |= VALID_STAR

    if due(sp, SP_CAM_EVERY, SP_CAM_DROP, k):
        # map-relative navigation: the image of the ground in view is matched to the
        # onboard map, so the target need not be in view; the fix is the target's
        # position relative to the vehicle, its error growing with range, plus the
        # map's own tie error (the same all run long: it sets the landing accuracy)
        d_l = (sp[SP_CAM_TIE] - r_l[0], sp[SP_CAM_TIE + 1] - r_l[1], dem_height(0.0, 0.0, w, dem) - r_l[2])
        rng = vec.norm(d_l)
        d_b = vec.q_rot_inv(q_lb, d_l)
        bore_l = vec.q_rot(q_lb, vec.load3(sp, SP_CAM_BORE))
        down = vec.scale(vec.unit((r_l[0], r_l[1], r_l[2] + rs)), -1.0)
        if sp[SP_CAM_MIN] <= rng <= sp[SP_CAM_MAX] and vec.dot(bore_l, down) >= pmath.cos(sp[SP_CAM_OFF_NADIR]):
            noise = _normal3(sp[SP_CAM_SIG] * rng)
            vec.store3(sf, SF_CAM_REL, vec.add(d_b, noise))
            valid |= VALID_CAM

    sf[SF_VALID] = float(valid)
    sf[SF_CMD] = 1.0 if k == 0 else 0.0
