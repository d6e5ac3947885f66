"""The rendezvous' vehicle side: two vehicles, two flight softwares, one clock
(gnc.core.loop binds it to a flight software; row 0 of the frames is the chaser's,
row 1 the target's).

    truth (chaser, target) -> sensors (IMU, star tracker; radar and pose sensor on the
    chaser) -> fsw_step (rendezvous program on the chaser, ascent program's orbit
    operations on the target) -> actuator frames -> vehicle models -> truth

Time warp: a ~2 day timeline at the flight-software rate would be ~1.7 million steps
of both vehicles.  After each step, if neither flight software commanded thrust or an
RCS pulse, both engines' thrust has died out, and both actuator frames report an
idle_s (the time each next needs its full rate) beyond the next whole second, the
plant steps both vehicles to the earlier idle_s (at most h_max_steps, never past
k_end) in one go: 6-DOF RK4 with substeps of at most h_sub seconds (gravity with J2,
torque-free attitude), the IMUs accumulating over the whole step.  The flight softwares
then see one frame with a long time step, which their two-body propagation handles
exactly.  Coast steps are whole seconds so that every sensor's sample schedule
(k % every) still lands.

Contact: in steps at the full rate, after every model substep, the chaser's port is
compared with the target's (gnc.core.capture): it reaches the target's port plane
within CONTACT_RADIUS of the axis.  On contact the envelope is judged and the run
ends, captured or refused.
"""
import math
from collections import namedtuple

from gnc.core import capture, vec
from gnc.core.jit import kernel
from gnc.core.layout import (
    AF_IDLE_S,
    AF_NAV_ORBIT_POS,
    AF_NAV_ORBIT_VEL,
    AF_NAV_POS,
    AF_NAV_SIGMA,
    AF_NAV_VEL,
    AF_PHASE,
    AF_RCS_ON,
    AF_THRUST_CMD,
    PROGRAM_ASCENT,
    PROGRAM_RENDEZVOUS,
    SF_CMD,
    SF_RN_RANGE,
    SF_VALID,
)
from gnc.core.loop import EV_NONE
from gnc.core.moon import W_SITE_R
from gnc.core.orbit import to_lvlh
from gnc.core.relnav_sensors import sense_rel
from gnc.core.sensors import sense as sense_vehicle
from gnc.core.vehicle import N_RCS, X_M, X_R, X_THRUST, X_V, X_W, accumulate_imu, rcs_duty, rk4_step

FSW_PROGRAMS = (PROGRAM_RENDEZVOUS, PROGRAM_ASCENT)   # the chaser's, the target's (the loop compiles only these)

Plant = namedtuple("Plant", [
    "xc", "xt",       # truth states (gnc.core.vehicle X_*) of the chaser and the target
    "vpc", "vpt",     # their vehicle parameters
    "w", "dem",       # world, terrain (unused in orbit: a 1 x 1 grid)
    "spc", "spt",     # their sensor parameters
    "rp",             # the chaser's relative-navigation sensors (gnc.core.relnav_sensors RP_*)
    "dp",             # the docking ports and capture envelope (gnc.core.capture DP_*)
    "imuc", "imut",   # 6 each: IMU accumulators
    "work", "duty",   # rk4_step's scratch, RCS duty cycles
    "field",          # the gravity field (gnc.core.gravity.Field)
    "out",            # OUT_*: the docking state at contact
    "cmd",            # 2: ground commands waiting for the next sensor frames (chaser, target)
    "span",           # 1: s, length of the step just flown (the IMU's integration time)
    "t0",             # s: time of step 0 (the ascent's insertion)
    "dt", "substeps",
    "steps_per_s",    # flight-software steps per second (coast steps are whole seconds)
    "h_max_steps",    # longest coast step, in steps
    "h_sub",          # s: longest model substep in a coast
])

# --- layout R (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# one telemetry row of the rendezvous
R_T = 0          # s
R_H = 1          # s: length of the step that follows this row
R_PHASE_C = 2    # chaser flight phase
R_PHASE_T = 3    # target flight phase
R_REL_POS = 4    # [3] m: truth chaser relative to target, target LVLH (centres of mass)
R_REL_VEL = 7    # [3] m/s: truth relative velocity, target LVLH
R_NAV_POS = 10   # [3] m: the chaser's estimate of the same
R_NAV_VEL = 13   # [3] m/s: the chaser's estimate of the same
R_NAV_SIG = 16   # [3] m: its 1-sigma, position
R_RANGE = 19     # m: truth port-to-port distance
R_AXIAL = 20     # m: truth axial distance of the ports (along the target's docking axis)
R_LATERAL = 21   # m: truth lateral offset of the ports
R_CLOSING = 22   # m/s: truth closing speed
R_ATT = 23       # rad: relative attitude from docked
R_RATE = 24      # rad/s: relative body rate
R_THRUST_C = 25  # N: actual main-engine thrust, chaser
R_THRUST_T = 26  # N: the same, target
R_MASS_C = 27    # kg: chaser mass
R_MASS_T = 28    # kg: target mass
R_ALT_C = 29     # m: height above the landing site's datum sphere (W_SITE_R)
R_ALT_T = 30     # m: the same, target
R_VALID_C = 31   # the chaser's sensor-frame valid bits
R_RN_RANGE = 32  # m: the range it measured (0 if none)
R_NAV_ERR = 33   # [3] m: estimate minus truth, both in the chaser's own LVLH frame (from its target-orbit estimate,
                 # which is off the truth's by the ground's tracking error: ~1e-3 rad)
R_LEN = 36
# --- end layout R ---

EV_CAPTURED = 1
EV_REFUSED = 2

# --- layout OUT (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the outcome at contact
OUT_STATE = 0                            # [capture.S_LEN] docking state at contact (gnc.core.capture S_*)
OUT_VERDICT = OUT_STATE + capture.S_LEN  # refusal bits
OUT_T = OUT_VERDICT + 1                  # s: contact time
OUT_LEN = OUT_T + 1
# --- end layout OUT ---

THRUST_OFF = 1e-3  # N: below this an engine's lagged thrust counts as off
CONTACT_RADIUS = 1.0   # m: the chaser's port reaches the target's port plane within this of its axis...
CONTACT_DEPTH = 1.0    # m: ...and not beyond it (a port plane crossed far off is no contact)


@kernel
def _quiet(af, x):
    """Nothing commanded and the engine's thrust gone."""
    if af[AF_THRUST_CMD] > 0.0 or abs(x[X_THRUST]) > THRUST_OFF:
        return False
    for i in range(N_RCS):
        if af[AF_RCS_ON + i] > 0.0:
            return False
    return True


@kernel
def _step(p, x, vp, imu, af, t, ts, h):
    """The model substep of vehicle (x, vp, imu) starting ts into the step at time t, under an actuator frame."""
    rcs_duty(af, ts, h, p.duty)
    w0 = vec.load3(x, X_W)
    f_b = rk4_step(x, t + ts, vp, p.w, p.field, af[AF_THRUST_CMD], p.duty, h, p.work)
    accumulate_imu(imu, f_b, w0, vec.load3(x, X_W), h)


@kernel
def _coast(p, x, vp, imu, t, span):
    """Vehicle (x, vp, imu), engine off, no RCS: span seconds from time t in substeps of at most p.h_sub."""
    duty = p.duty
    x[X_THRUST] = 0.0
    for i in range(N_RCS):
        duty[i] = 0.0
    n = max(1, int(math.ceil(span / p.h_sub)))
    h = span / n
    for j in range(n):
        w0 = vec.load3(x, X_W)
        rk4_step(x, t + j * h, vp, p.w, p.field, 0.0, duty, h, p.work)
        w1 = vec.load3(x, X_W)
        for i in range(3):
            imu[3 + i] += 0.5 * (w0[i] + w1[i]) * h

@kernel
def sense(k, p, sf, af):
    """Both vehicles' sensor frames of step k; waiting ground commands go in them."""
    t = p.t0 + k * p.dt
    span = p.span[0]
    sense_vehicle(k, t, span, p.xc, p.imuc, p.spc, p.w, p.dem, sf[0])
    sense_rel(k, p.xc, p.xt, p.rp, p.dp, sf[0])
    sense_vehicle(k, t, span, p.xt, p.imut, p.spt, p.w, p.dem, sf[1])
    for i in range(6):
        p.imuc[i] = 0.0
        p.imut[i] = 0.0
    for v in range(2):
        sf[v, SF_CMD] = p.cmd[v]
        p.cmd[v] = 0.0


@kernel
def coast_steps(k, k_end, p, af):
    """Steps the next advance covers: 1, or a whole number of seconds of coast (the time
    warp above) when both vehicles are quiet and idle beyond the next second."""
    if not (_quiet(af[0], p.xc) and _quiet(af[1], p.xt)):
        return 1
    t = p.t0 + k * p.dt
    idle = min(af[0, AF_IDLE_S], af[1, AF_IDLE_S])
    if idle <= t + 1.0:
        return 1
    n = int(min((idle - t) / p.dt, p.h_max_steps)) // p.steps_per_s * p.steps_per_s
    return max(1, min(n, k_end - k))


@kernel
def record(row, k, k_end, p, sf, af):
    n = coast_steps(k, k_end, p, af)
    t, h = p.t0 + k * p.dt, n * p.dt
    xc, xt, w, dp = p.xc, p.xt, p.w, p.dp
    afc, aft, sfc = af[0], af[1], sf[0]
    row[R_T] = t
    row[R_H] = h
    row[R_PHASE_C] = afc[AF_PHASE]
    row[R_PHASE_T] = aft[AF_PHASE]
    rho, rho_dot = to_lvlh(vec.load3(xt, X_R), vec.load3(xt, X_V), vec.load3(xc, X_R), vec.load3(xc, X_V))
    vec.store3(row, R_REL_POS, rho)
    vec.store3(row, R_REL_VEL, rho_dot)
    vec.store3(row, R_NAV_POS, vec.load3(afc, AF_NAV_POS))
    vec.store3(row, R_NAV_VEL, vec.load3(afc, AF_NAV_VEL))
    for i in range(3):
        row[R_NAV_SIG + i] = afc[AF_NAV_SIGMA + i]
    pc, _, pt, _, _ = capture.port_points(xc, xt, dp)
    row[R_RANGE] = vec.norm(vec.sub(pt, pc))
    s, lat, closing, _, att, rate = capture.docking_state(xc, xt, dp)
    row[R_AXIAL] = s
    row[R_LATERAL] = lat
    row[R_CLOSING] = closing
    row[R_ATT] = att
    row[R_RATE] = rate
    row[R_THRUST_C] = xc[X_THRUST]
    row[R_THRUST_T] = xt[X_THRUST]
    row[R_MASS_C] = xc[X_M]
    row[R_MASS_T] = xt[X_M]
    row[R_ALT_C] = vec.norm(vec.load3(xc, X_R)) - w[W_SITE_R]
    row[R_ALT_T] = vec.norm(vec.load3(xt, X_R)) - w[W_SITE_R]
    row[R_VALID_C] = sfc[SF_VALID]
    row[R_RN_RANGE] = sfc[SF_RN_RANGE]
    orb_r, orb_v = vec.load3(afc, AF_NAV_ORBIT_POS), vec.load3(afc, AF_NAV_ORBIT_VEL)
    own, _ = to_lvlh(orb_r, orb_v, vec.add(orb_r, vec.sub(vec.load3(xc, X_R), vec.load3(xt, X_R))), orb_v)
    vec.store3(row, R_NAV_ERR, vec.sub(vec.load3(afc, AF_NAV_POS), own))


@kernel
def advance(k, k_end, p, af):
    """Both vehicles from step k: one step with the contact check after every substep,
    or a coast of many.  Returns (steps, EV_*)."""
    n = coast_steps(k, k_end, p, af)
    xc, xt, dp = p.xc, p.xt, p.dp
    t = p.t0 + k * p.dt
    if n > 1:
        _coast(p, xc, p.vpc, p.imuc, t, n * p.dt)
        _coast(p, xt, p.vpt, p.imut, t, n * p.dt)
        p.span[0] = n * p.dt
        return n, EV_NONE
    h = p.dt / p.substeps
    for j in range(p.substeps):
        _step(p, xc, p.vpc, p.imuc, af[0], t, j * h, h)
        _step(p, xt, p.vpt, p.imut, af[1], t, j * h, h)
        s, lat, closing, lat_rate, att, rate = capture.docking_state(xc, xt, dp)
        if -CONTACT_DEPTH < s <= 0.0 and lat < CONTACT_RADIUS:
            out = p.out
            out[OUT_STATE] = s
            out[OUT_STATE + 1] = lat
            out[OUT_STATE + 2] = closing
            out[OUT_STATE + 3] = lat_rate
            out[OUT_STATE + 4] = att
            out[OUT_STATE + 5] = rate
            bits = capture.verdict(lat, closing, lat_rate, att, rate, dp)
            out[OUT_VERDICT] = bits
            out[OUT_T] = t + p.dt
            return 1, EV_CAPTURED if bits == 0 else EV_REFUSED
    p.span[0] = p.dt
    return 1, EV_NONE
