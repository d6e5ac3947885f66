"""The vehicle side of one flight-software step, callable one step at a time.

    sense_step:  truth -> sensor frame (and reset the IMU accumulators), the
                 hazard-detection unit's report included
    advance:     actuator frame -> truth over one step (RK4 substeps, RCS pulses
                 integrated within the step, IMU accumulation, touchdown detection)
    rcs_duty, accumulate_imu: the pieces of a substep the ascent and rendezvous
                 loops share

The in-process closed loop (gnc.core.loop) and the HIL session (hil/), where the
flight software answers over a serial link, fly the same plant.
"""
from gnc.core import hdu, vec
from gnc.core.jit import kernel
from gnc.core.layout import AF_RCS_ON, AF_THRUST_CMD
from gnc.core.moon import W_GROUND_MAX, W_SITE_R, q_inertial_to_landing, state_to_landing
from gnc.core.sensors import sense
from gnc.core.terrain import height
from gnc.core.vehicle import N_LEGS, N_RCS, VP_LEGS, X_LEN, X_Q, X_R, X_V, X_W, rk4_step

EV_NONE = 0       # still flying
EV_CONTACT = 1    # a foot pad touched the ground; touch[] holds the state and time at contact

WORK_LEN = 5 * X_LEN
CONTACT_MARGIN = 20.0   # m: the datum sphere and the ground under the vehicle differ by less


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
def sense_step(k, dt, x, imu, sp, w, dem, sf, af, hp, hs, hmap):
    """Sensor frame of step k from truth; the IMU accumulators restart.  af is the
    flight software's latest actuator frame (its phase commands the hazard unit);
    hp, hs, hmap: the unit's parameters, state and map (gnc.core.hdu)."""
    t = k * dt
    sense(k, t, dt, x, imu, sp, w, dem, sf)
    hdu.sense(t, x, af, hp, hs, hmap, w, dem, sf)
    for i in range(6):
        imu[i] = 0.0


@kernel
def rcs_duty(af, ts, h, duty):
    """Share of the substep [ts, ts + h] each RCS thruster fires: its pulse (on-time
    from the start of the step in af) integrated within the step."""
    for i in range(N_RCS):
        duty[i] = min(max((af[AF_RCS_ON + i] - ts) / h, 0.0), 1.0)


@kernel
def accumulate_imu(imu, f_b, w0, w1, h):
    """Add a substep to the IMU's delta-v (specific force) and delta-angle (the body
    rate, trapezoidal) accumulators."""
    for i in range(3):
        imu[i] += f_b[i] * h
        imu[3 + i] += 0.5 * (w0[i] + w1[i]) * h


@kernel
def advance(k, dt, substeps, x, vp, w, dem, af, imu, work, duty, touch):
    """Fly truth from step k to k+1 under actuator frame af.  Returns EV_*."""
    h = dt / substeps
    t = k * dt
    thrust_cmd = af[AF_THRUST_CMD]
    for j in range(substeps):
        rcs_duty(af, j * h, h, duty)
        w0 = vec.load3(x, X_W)
        f_b = rk4_step(x, vp, w, thrust_cmd, duty, h, work)
        accumulate_imu(imu, f_b, w0, vec.load3(x, X_W), h)
        tc = t + (j + 1) * h
        if near_ground(x, vp, w) and foot_height(x, tc, w, dem, vp) <= 0.0:
            for i in range(X_LEN):
                touch[i] = x[i]
            touch[X_LEN] = tc
            return EV_CONTACT
    return EV_NONE
