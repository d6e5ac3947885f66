"""The descent's vehicle side, step by step (gnc.core.loop binds it to a flight software):

    sense    truth -> sensor frame, the hazard-detection unit's report included, an
             injected fault applied (gnc.core.faults); the IMU accumulators restart
    record   one telemetry row (T_* below): landing-frame truth, the filter's sigmas (from
             the actuator frame), both frames
    advance  actuator frame -> truth over one step (RK4 substeps, RCS pulses integrated
             within the step, IMU accumulation); EV_CONTACT when a foot pad touches

The in-process run (gnc.programs.descent.run) and the HIL session (gnc/hil/session.py), where the flight
software answers over a serial link, fly these same kernels.  The ascent's rows are
these rows too.
"""
from collections import namedtuple

from gnc.core import faults, hdu, vec
from gnc.core.jit import kernel
from gnc.core.layout import AF_HEALTH, AF_LEN, AF_NAV_SIGMA, AF_THRUST_CMD, PROGRAM_DESCENT, SF_LEN
from gnc.core.loop import EV_NONE
from gnc.core.moon import W_GROUND_MAX, W_SITE_R, q_inertial_to_landing, state_to_landing
from gnc.core.sensors import sense as sense_vehicle
from gnc.core.terrain import height
from gnc.core.touchdown import judge
from gnc.core.vehicle import (
    N_LEGS,
    VP_LEGS,
    X_LEN,
    X_M,
    X_Q,
    X_R,
    X_THRUST,
    X_V,
    X_W,
    accumulate_imu,
    rcs_duty,
    rk4_step,
)

Plant = namedtuple("Plant", [
    "x",          # truth state (gnc.core.vehicle X_*), MCI
    "vp",         # vehicle parameters (VP_*)
    "w",          # world (gnc.core.moon W_*)
    "dem",        # terrain height grid (gnc.core.terrain)
    "sp",         # sensor parameters (gnc.core.sensors SP_*)
    "imu",        # 6: the IMU's delta-v and delta-angle accumulators
    "work",       # rk4_step's scratch (WORK_LEN)
    "field",      # the gravity field (gnc.core.gravity.Field)
    "duty",       # N_RCS: RCS duty cycles of a substep
    "touch",      # X_LEN + 1: truth and time at contact
    "hp", "hs", "hmap",   # the hazard-detection unit's parameters, state and map (gnc.core.hdu)
    "faults",     # the injected fault and what the flight software flagged (gnc.core.faults FT_*)
    "dt",         # s: flight-software step
    "substeps",   # model substeps per step
])

FSW_PROGRAMS = (PROGRAM_DESCENT,)   # what its flight computer flies (the loop compiles only these)

EV_CONTACT = 1    # a foot pad touched the ground; touch[] holds the state and time at contact

CONTACT_MARGIN = 20.0   # m: the datum sphere and the ground under the vehicle differ by less


def after_flight(p):
    """The kernels a run calls on plant p after its flight, each with its arguments: a cold
    loop compiles them while its parts compile (gnc.programs.loops), not after the flight."""
    return ((judge, (p.touch[:X_LEN], p.touch[X_LEN], p.vp, p.w, p.dem)),)

# --- layout T (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# one telemetry row of the descent and the ascent
T_T = 0                # s
T_POS = 1              # [3] m: truth position, landing frame
T_VEL = 4              # [3] m/s: truth ground-relative velocity, landing frame
T_ALT = 7              # m: height of the centre of mass above the ground
T_Q = 8                # [4] truth attitude body->landing
T_RATE = 12            # [3] rad/s: truth body rate
T_MASS = 15            # kg: truth mass
T_THRUST = 16          # N: actual main engine thrust
T_NAV_SIG = 17         # [6] m, m/s: filter 1-sigma of position, velocity
T_SF = 23              # [SF_LEN] the sensor frame
T_AF = T_SF + SF_LEN   # [AF_LEN] the actuator frame
T_LEN = T_AF + AF_LEN
# --- end layout T ---


@kernel
def foot_height(x, t, w, dem, vp):
    """Lowest foot-pad height above the ground."""
    r_l, _ = state_to_landing(vec.load3(x, X_R), vec.load3(x, X_V), t, w)
    q_lb = vec.q_mul(q_inertial_to_landing(t, w), vec.load4(x, X_Q))
    lowest = 1e30
    for j in range(N_LEGS):
        p = vec.add(r_l, vec.q_rot(q_lb, vec.load3(vp, VP_LEGS + 3 * j)))
        lowest = min(lowest, height(p, w, dem))
    return lowest


@kernel
def near_ground(x, vp, w):
    """Could a foot pad reach the ground?  A cheap radius test that spares the full
    contact check on nearly every step of the flight."""
    reach = vec.norm(vec.load3(vp, VP_LEGS)) + CONTACT_MARGIN
    return vec.norm(vec.load3(x, X_R)) <= w[W_SITE_R] + w[W_GROUND_MAX] + reach


@kernel
def record_row(row, t, x, w, dem, sf, af):
    """One telemetry row (T_*) of one vehicle."""
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
        row[T_NAV_SIG + i] = af[AF_NAV_SIGMA + i]
    for i in range(SF_LEN):
        row[T_SF + i] = sf[i]
    for i in range(AF_LEN):
        row[T_AF + i] = af[i]


@kernel
def sense(k, p, sf, af):
    """Sensor frame of step k from truth; the IMU accumulators restart.  af is the
    flight software's latest actuator frame (its hdu_cmd commands the hazard unit)."""
    t = k * p.dt
    sense_vehicle(k, t, p.dt, p.x, p.imu, p.sp, p.w, p.dem, sf[0])
    hdu.sense(t, p.x, af[0], p.hp, p.hs, p.hmap, p.w, p.dem, sf[0])
    faults.watch(t, p.faults, af[0, AF_HEALTH])
    faults.corrupt(t, p.dt, p.faults, sf[0])
    for i in range(6):
        p.imu[i] = 0.0


@kernel
def record(row, k, k_end, p, sf, af):
    record_row(row, k * p.dt, p.x, p.w, p.dem, sf[0], af[0])


@kernel
def advance(k, k_end, p, af):
    """Fly truth from step k to k+1 under the actuator frame.  Returns (1, EV_*)."""
    h = p.dt / p.substeps
    t = k * p.dt
    x = p.x
    thrust_cmd = af[0, AF_THRUST_CMD] * faults.thrust_factor(t, p.faults)
    for j in range(p.substeps):
        rcs_duty(af[0], j * h, h, p.duty)
        w0 = vec.load3(x, X_W)
        f_b = rk4_step(x, t + j * h, p.vp, p.w, p.field, thrust_cmd, p.duty, h, p.work)
        accumulate_imu(p.imu, f_b, w0, vec.load3(x, X_W), h)
        tc = t + (j + 1) * h
        if near_ground(x, p.vp, p.w) and foot_height(x, tc, p.w, p.dem, p.vp) <= 0.0:
            for i in range(X_LEN):
                p.touch[i] = x[i]
            p.touch[X_LEN] = tc
            return 1, EV_CONTACT
    return 1, EV_NONE
