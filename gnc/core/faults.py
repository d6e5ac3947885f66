"""Injected faults, for fault campaigns (docs/faults.md): one per run, from t_on to t_off,
applied on the vehicle side to what the sensors report and to what the engine delivers.
The flight software is not told; it sees the sensor frames.  What it does about a fault
is read back from its actuator frames: the steps after onset whose health word carries
the bits that show that kind of fault (FT_FLAG_MASK), counted in FT_FLAGGED, and the first
step after onset with a bit that says it isolated the fault (FT_ISOLATE_MASK).

    altimeter_dropout     no altimeter samples
    altimeter_bias        range + size (m)
    velocimeter_dropout   beam `axis` gives nothing
    velocimeter_bias      beam `axis` + size (m/s)
    imu_bias_step         accelerometer `axis` bias + size (m/s^2)
    thrust_shortfall      the engine delivers (1 - size) of what it is commanded
"""
from gnc.core.jit import kernel
from gnc.core.layout import (
    HEALTH_ALT_BIAS,
    HEALTH_ALT_LOST,
    HEALTH_ALT_REJECTED,
    HEALTH_NAV_REOPENED,
    HEALTH_THRUST_SATURATED,
    HEALTH_THRUST_SHORT,
    HEALTH_VEL_BIAS,
    HEALTH_VEL_ISOLATED,
    HEALTH_VEL_REJECTED,
    SF_ALT_RANGE,
    SF_IMU_DV,
    SF_VALID,
    SF_VEL_BEAM,
    VALID_ALT,
    VALID_IMU,
    VALID_VEL0,
)

# --- layout FT (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# one injected fault of a run (a fault campaign) and what the flight software flagged after it
FT_KIND = 0           # KIND_* (0 = none)
FT_T_ON = 1           # s: onset
FT_T_OFF = 2          # s: end
FT_SIZE = 3           # magnitude, in the kind's unit (m, m/s, m/s^2, or a fraction of thrust)
FT_AXIS = 4           # velocimeter beam or IMU axis (0-2)
FT_FLAG_MASK = 5      # the actuator frame's health bits that show this kind of fault
FT_FIRST_FLAG = 6     # s: first time after onset the flight software raised one of them (-1: never)
FT_FLAGGED = 7        # steps after onset with one of them raised
FT_ISOLATE_MASK = 8   # the health bits that say the flight software isolated or accommodated this kind of fault
FT_FIRST_ISOLATE = 9  # s: first time after onset one of those bits was raised (-1: never)
FT_LEN = 10
# --- end layout FT ---

KINDS = ("none", "altimeter_dropout", "altimeter_bias", "velocimeter_dropout", "velocimeter_bias",
         "imu_bias_step", "thrust_shortfall")
KIND_NONE, KIND_ALT_DROPOUT, KIND_ALT_BIAS, KIND_VEL_DROPOUT, KIND_VEL_BIAS, KIND_IMU_BIAS_STEP, \
    KIND_THRUST_SHORTFALL = range(len(KINDS))
# what shows each kind in the health word: a gate rejecting the biased sensor, or the step
# detector finding it in the altimeter's range, or the altimeter at odds with the hazard unit's
# site (an IMU bias shows as the ranging sensors disagreeing with the drifting estimate, and as
# the filter reopening its covariance to follow it), the guidance asking for more thrust than
# the engine has or the shortfall estimate; an altimeter
# gone silent once the hazard unit reports; a velocimeter beam's dropout has no flag, the other
# two beams carry on
FLAG_MASK = (0, HEALTH_ALT_LOST, HEALTH_ALT_REJECTED | HEALTH_ALT_BIAS | HEALTH_ALT_LOST, 0,
             HEALTH_VEL_REJECTED | HEALTH_VEL_ISOLATED | HEALTH_VEL_BIAS,
             HEALTH_ALT_REJECTED | HEALTH_VEL_REJECTED | HEALTH_NAV_REOPENED,
             HEALTH_THRUST_SATURATED | HEALTH_THRUST_SHORT)
# what says the flight software isolated the faulty unit or flies around it: the altimeter's
# step taken off its ranges, the altimeter put out of the cut-off (the site's height instead),
# the beam put out of the filter or the beams' biases estimated, the filter reopened to learn a
# new bias, guidance flying on the estimated thrust (an IMU bias can get a sound beam isolated or
# the beams' biases opened: that is counted too, it is what the flight software did)
ISOLATE_MASK = (0, HEALTH_ALT_LOST, HEALTH_ALT_BIAS | HEALTH_ALT_LOST, 0, HEALTH_VEL_ISOLATED | HEALTH_VEL_BIAS,
                HEALTH_VEL_ISOLATED | HEALTH_VEL_BIAS | HEALTH_NAV_REOPENED, HEALTH_THRUST_SHORT)


@kernel
def active(t, ft):
    return int(ft[FT_KIND]) != KIND_NONE and ft[FT_T_ON] <= t < ft[FT_T_OFF]


@kernel
def corrupt(t, dt, ft, sf):
    """The sensor frame of time t (step dt) as the fault leaves it."""
    if not active(t, ft):
        return
    kind = int(ft[FT_KIND])
    valid = int(sf[SF_VALID])
    size = ft[FT_SIZE]
    axis = int(ft[FT_AXIS])
    if kind == KIND_ALT_DROPOUT and valid & VALID_ALT:
        sf[SF_ALT_RANGE] = 0.0
        valid &= ~VALID_ALT
    elif kind == KIND_ALT_BIAS and valid & VALID_ALT:
        sf[SF_ALT_RANGE] += size
    elif kind == KIND_VEL_DROPOUT and valid & (VALID_VEL0 << axis):
        sf[SF_VEL_BEAM + axis] = 0.0
        valid &= ~(VALID_VEL0 << axis)
    elif kind == KIND_VEL_BIAS and valid & (VALID_VEL0 << axis):
        sf[SF_VEL_BEAM + axis] += size
    elif kind == KIND_IMU_BIAS_STEP and valid & VALID_IMU:
        sf[SF_IMU_DV + axis] += size * dt
    sf[SF_VALID] = valid


@kernel
def thrust_factor(t, ft):
    """Share of the commanded thrust the engine delivers at time t."""
    if int(ft[FT_KIND]) == KIND_THRUST_SHORTFALL and active(t, ft):
        return 1.0 - ft[FT_SIZE]
    return 1.0


@kernel
def watch(t, ft, health):
    """Count the flight software's answer at time t (its health word) against the fault."""
    if int(ft[FT_KIND]) == KIND_NONE or t < ft[FT_T_ON]:
        return
    if int(health) & int(ft[FT_ISOLATE_MASK]) and ft[FT_FIRST_ISOLATE] < 0.0:
        ft[FT_FIRST_ISOLATE] = t
    if int(health) & int(ft[FT_FLAG_MASK]) == 0:
        return
    if ft[FT_FIRST_FLAG] < 0.0:
        ft[FT_FIRST_FLAG] = t
    ft[FT_FLAGGED] += 1.0
