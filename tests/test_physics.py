"""The vehicle model against closed-form physics, not against its own earlier output.

Each test drives the real core kernels (gnc.core.vehicle.rk4_step, derivatives,
rcs_force_torque; gnc.core.moon.gravity through them) from a Python loop: a call
costs about 1 us, so the longest run here (60k steps) takes well under a second.
Measured figures are printed; run with `pytest -s -n 0` to see them.
"""
import math

import numpy as np
import pytest

from gnc.core import moon as M
from gnc.core import vehicle as V
from gnc.programs.descent.assemble import vehicle_params
from gnc.programs.gravity import no_field
from gnc.scenario import load

MU = 4.90280007e12        # m^3/s^2
R_MOON = 1737.4e3         # m
J2_MOON = 2.03e-4


def world(mu=MU, j2=0.0):
    w = np.zeros(M.W_LEN)
    w[M.W_MU] = mu
    w[M.W_J2] = j2
    w[M.W_RREF] = R_MOON
    return w


@pytest.fixture(scope="module")
def vp():
    """The shipped descent vehicle, undispersed; tests copy it before changing it."""
    return vehicle_params(load("descent"), None)


def state(r, v, vp, q=(1.0, 0.0, 0.0, 0.0), w_body=(0.0, 0.0, 0.0), thrust=0.0):
    x = np.zeros(V.X_LEN)
    x[V.X_R:V.X_R + 3] = r
    x[V.X_V:V.X_V + 3] = v
    x[V.X_Q:V.X_Q + 4] = q
    x[V.X_W:V.X_W + 3] = w_body
    x[V.X_M] = vp[V.VP_MASS_WET]
    x[V.X_THRUST] = thrust
    return x


class Stepper:
    """rk4_step with its scratch arrays; RCS off unless a duty vector is given."""

    def __init__(self, vp, w, thrust_cmd=0.0, duty=None):
        self.vp, self.w, self.thrust_cmd = vp, w, thrust_cmd
        self.duty = np.zeros(V.N_RCS) if duty is None else duty
        self.work = np.zeros(V.WORK_LEN)
        self.field = no_field()
        self.t = 0.0

    def __call__(self, x, h):
        f_b = V.rk4_step(x, self.t, self.vp, self.w, self.field, self.thrust_cmd, self.duty, h, self.work)
        self.t += h
        return f_b


def report(name, value, unit=""):
    print(f"\n  [physics] {name}: {value:.3e} {unit}")


def dcm(q):
    """Body->inertial rotation matrix of a scalar-first quaternion (textbook form,
    written out here so the check does not share code with the model)."""
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


# --- 1. free fall --------------------------------------------------------------------------

def radial_fall_time(r0, r):
    """Exact time to fall from rest at r0 to r toward a point mass (radial Kepler orbit):
    t = sqrt(r0^3 / 2mu) (sqrt(x(1-x)) + arccos(sqrt(x))), x = r/r0.  arccos(sqrt(x)) is
    written as arcsin(sqrt(1-x)) with 1-x = (r0-r)/r0, which keeps its digits for x near 1."""
    x = r / r0
    return math.sqrt(r0 ** 3 / (2.0 * MU)) * (math.sqrt(x * (r0 - r) / r0) + math.asin(math.sqrt((r0 - r) / r0)))


def test_free_fall_matches_radial_kepler_and_uniform_g(vp):
    r0, drop = R_MOON + 1000.0, 100.0
    r_end = r0 - drop
    up = np.array([1.0, 2.0, 3.0]) / math.sqrt(14.0)       # off-axis, so all three components move
    x = state(r0 * up, (0.0, 0.0, 0.0), vp)
    step = Stepper(vp, world())
    h, t = 0.01, 0.0
    while True:
        before = x.copy()
        f_b = step(x, h)
        if np.linalg.norm(x[V.X_R:V.X_R + 3]) <= r_end:
            break
        t += h
    # An accelerometer in free fall reads nothing: gravity is not a specific force.
    assert np.all(np.asarray(f_b) == 0.0)
    # Find the crossing inside the last step: Newton on the step length, each trial one
    # rk4_step from the state before the crossing, so the time carries RK4's accuracy.
    dt = h
    for _ in range(6):
        x[:] = before
        step(x, dt)
        r = np.linalg.norm(x[V.X_R:V.X_R + 3])
        v_radial = x[V.X_V:V.X_V + 3] @ x[V.X_R:V.X_R + 3] / r
        dt -= (r - r_end) / v_radial
    x[:] = before
    step(x, dt)
    t_fall = t + dt
    v_impact = np.linalg.norm(x[V.X_V:V.X_V + 3])

    t_exact = radial_fall_time(r0, r_end)
    v_exact = math.sqrt(2.0 * MU * drop / (r0 * r_end))     # energy: v^2/2 = mu/r - mu/r0
    report("free fall time error vs radial Kepler (relative)", abs(t_fall / t_exact - 1.0))
    report("impact speed error vs energy (relative)", abs(v_impact / v_exact - 1.0))
    assert abs(t_fall / t_exact - 1.0) <= 1e-6
    assert abs(v_impact / v_exact - 1.0) <= 1e-6
    # The body moved only radially.
    assert np.linalg.norm(np.cross(x[V.X_R:V.X_R + 3], up)) < 1e-6

    # Uniform g = mu/r0^2 misses by the growth of g over the drop: v^2 differs by the factor
    # r0/r = 1 + drop/r_end, so both figures are off by about drop/(2 r0) ~ 3e-5; allow
    # drop/r0.  g grows on the way down, so the true fall is quicker and faster.
    g0 = MU / r0 ** 2
    t_uniform, v_uniform = math.sqrt(2.0 * drop / g0), math.sqrt(2.0 * g0 * drop)
    report("fall time vs uniform g (relative)", t_fall / t_uniform - 1.0)
    report("impact speed vs uniform g (relative)", v_impact / v_uniform - 1.0)
    assert 0.0 < 1.0 - t_fall / t_uniform <= drop / r0
    assert 0.0 < v_impact / v_uniform - 1.0 <= drop / r0


# --- 2. orbit ------------------------------------------------------------------------------

def test_orbit_15x180_km_conserves_energy_momentum_and_closes(vp):
    rp, ra = R_MOON + 15e3, R_MOON + 180e3
    a = 0.5 * (rp + ra)
    period = 2.0 * math.pi * math.sqrt(a ** 3 / MU)
    v_peri = math.sqrt(MU * (2.0 / rp - 1.0 / a))
    inc = math.radians(30.0)                               # out of the xy plane: all axes used
    r0 = np.array([rp, 0.0, 0.0])
    x = state(r0, v_peri * np.array([0.0, math.cos(inc), math.sin(inc)]), vp)
    n = 2 * round(period / 4.0)                            # ~2 s steps, an even count for apolune
    h = period / n
    step = Stepper(vp, world())

    def energy(x):
        return 0.5 * x[V.X_V:V.X_V + 3] @ x[V.X_V:V.X_V + 3] - MU / np.linalg.norm(x[V.X_R:V.X_R + 3])

    def momentum(x):
        return np.cross(x[V.X_R:V.X_R + 3], x[V.X_V:V.X_V + 3])

    e0, h0 = energy(x), momentum(x)
    assert e0 == pytest.approx(-MU / (2.0 * a), rel=1e-12)  # the start state is the orbit asked for
    de = dh = 0.0
    for k in range(n):
        step(x, h)
        de = max(de, abs(energy(x) / e0 - 1.0))
        dh = max(dh, np.linalg.norm(momentum(x) - h0) / np.linalg.norm(h0))
        if k + 1 == n // 2:
            apolune_error = np.linalg.norm(x[V.X_R:V.X_R + 3]) - ra
    closure = np.linalg.norm(x[V.X_R:V.X_R + 3] - r0)
    report("orbit step", h, "s")
    report("orbit energy drift, max over one revolution (relative)", de)
    report("orbit angular momentum drift, max (relative)", dh)
    report("orbit closure distance after one period", closure, "m")
    report("radius at half period minus apolune", apolune_error, "m")
    assert de <= 1e-8
    assert dh <= 1e-8
    assert closure < 10.0
    assert abs(apolune_error) < 10.0


# --- 3. rocket equation --------------------------------------------------------------------

@pytest.mark.parametrize("start_at_command", [True, False], ids=["thrust-at-command", "through-engine-lag"])
def test_rocket_equation_in_free_space(vp, start_at_command):
    vp = vp.copy()
    vp[V.VP_COM:V.VP_COM + 3] = 0.0        # thrust through the centre of mass: no torque turns it
    thrust, isp, tau = vp[V.VP_T_MAX], vp[V.VP_ISP], vp[V.VP_TAU]
    burn = 600.0
    h = 0.05 if start_at_command else 0.01  # the lag (tau = 0.2 s) needs the finer step
    n = round(burn / h)
    # Gravity off (mu = 0); the position only keeps gravity's r = 0 singularity away.
    x = state((R_MOON, 0.0, 0.0), (0.0, 0.0, 0.0), vp, thrust=thrust if start_at_command else 0.0)
    m0, v0 = x[V.X_M], x[V.X_V:V.X_V + 3].copy()
    step = Stepper(vp, world(mu=0.0), thrust_cmd=thrust)
    sensed_dv = 0.0
    for _ in range(n):
        sensed_dv += step(x, h)[2] * h     # body z = inertial z: nothing rotates
    m1 = x[V.X_M]
    dv = np.linalg.norm(x[V.X_V:V.X_V + 3] - v0)

    # mass flow = thrust / Isp, integrated: the lag removes tau (1 - e^(-t/tau)) of full thrust
    impulse = thrust * (burn if start_at_command else burn - tau * (1.0 - math.exp(-burn / tau)))
    dm_error = abs((m0 - m1) / (impulse / isp) - 1.0)
    dv_error = abs(dv / (isp * math.log(m0 / m1)) - 1.0)
    report(f"rocket eq. delta-v error, m {m0:.0f} -> {m1:.1f} kg (relative)", dv_error)
    report("propellant used vs impulse/Isp (relative)", dm_error)
    report("IMU-sensed delta-v vs delta-v (relative)", abs(sensed_dv / dv - 1.0))
    assert dv_error <= 1e-3
    assert dm_error <= 1e-6
    assert abs(sensed_dv / dv - 1.0) <= 1e-6
    assert vp[V.VP_MASS_DRY] < m1 < m0 - 1000.0            # a real burn, not a dry tank


def test_mass_flow_is_thrust_over_isp(vp):
    x = state((R_MOON, 0.0, 0.0), (0.0, 0.0, 0.0), vp, thrust=4321.0)
    dx = np.zeros(V.X_LEN)
    field = no_field()
    V.derivatives(x, 0.0, vp, world(), field, 4321.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0, dx)
    assert dx[V.X_M] == pytest.approx(-4321.0 / vp[V.VP_ISP], rel=1e-14)
    assert dx[V.X_THRUST] == 0.0


# --- 4. rigid body -------------------------------------------------------------------------

def spin(vp, inertia, w_body, seconds, h=0.01):
    """Torque-free tumble in free space with fixed inertia; returns the final state and the
    worst relative change of inertial angular momentum and rotational energy on the way."""
    vp = vp.copy()
    vp[V.VP_I_WET:V.VP_I_WET + 3] = inertia
    vp[V.VP_I_DRY:V.VP_I_DRY + 3] = inertia
    inertia = np.asarray(inertia)
    q0 = np.array([0.9, 0.1, -0.3, 0.2])
    x = state((R_MOON, 0.0, 0.0), (0.0, 0.0, 0.0), vp, q=q0 / np.linalg.norm(q0), w_body=w_body)
    step = Stepper(vp, world(mu=0.0))

    def momentum(x):
        return dcm(x[V.X_Q:V.X_Q + 4]) @ (inertia * x[V.X_W:V.X_W + 3])

    def energy(x):
        return 0.5 * inertia @ x[V.X_W:V.X_W + 3] ** 2

    l0, e0 = momentum(x), energy(x)
    dl = de = 0.0
    for _ in range(round(seconds / h)):
        step(x, h)
        dl = max(dl, np.linalg.norm(momentum(x) - l0) / np.linalg.norm(l0))
        de = max(de, abs(energy(x) / e0 - 1.0))
    return x, dl, de


@pytest.mark.parametrize("inertia", [(3800.0, 3800.0, 4300.0), (3800.0, 3900.0, 4300.0)],
                         ids=["axisymmetric", "triaxial"])
def test_torque_free_rotation_conserves_momentum_and_energy(vp, inertia):
    _, dl, de = spin(vp, inertia, (0.05, 0.03, 0.2), seconds=120.0)
    report(f"torque-free {inertia}: angular momentum drift (inertial, relative)", dl)
    report(f"torque-free {inertia}: rotational energy drift (relative)", de)
    assert dl <= 1e-9
    assert de <= 1e-9


def test_axisymmetric_body_rates_precess_at_closed_form_rate(vp):
    """Euler's equations for I1 = I2 = Ia, I3 = Ic: w3 stays constant and (w1, w2) turns at
    lambda = (Ic - Ia) / Ia * w3, i.e. w1 + i w2 = (w1 + i w2)(0) exp(i lambda t)."""
    ia, ic, w0, seconds = 3800.0, 4300.0, (0.05, 0.03, 0.2), 300.0
    x, _, _ = spin(vp, (ia, ia, ic), w0, seconds)
    lam = (ic - ia) / ia * w0[2]
    expected = complex(w0[0], w0[1]) * np.exp(1j * lam * seconds)
    got = complex(x[V.X_W], x[V.X_W + 1])
    error = abs(got - expected) / abs(expected)
    report("axisymmetric body-rate error vs closed form after 300 s (relative)", error)
    assert lam * seconds > 2.0 * math.pi                   # more than a full precession cycle
    assert error <= 1e-8
    assert x[V.X_W + 2] == pytest.approx(w0[2], rel=1e-12)


@pytest.mark.parametrize("couple", range(6), ids=["+x", "-x", "+y", "-y", "+z", "-z"])
def test_rcs_couple_is_pure_torque_with_expected_angular_acceleration(couple):
    sc = load("descent")
    vp = vehicle_params(sc, None)
    axis, sign = couple // 2, 1.0 if couple % 2 == 0 else -1.0
    duty = np.zeros(V.N_RCS)
    duty[2 * couple:2 * couple + 2] = 1.0                  # couple k fires thrusters 2k and 2k+1
    force, torque, mdot = V.rcs_force_torque(vp, duty)
    expected_torque = np.zeros(3)
    expected_torque[axis] = sign * 2.0 * sc.rcs.thrust_n * sc.rcs.arm_m
    assert np.linalg.norm(force) <= 1e-12 * sc.rcs.thrust_n
    np.testing.assert_allclose(torque, expected_torque, rtol=1e-12, atol=1e-12)
    assert mdot == pytest.approx(2.0 * sc.rcs.thrust_n / sc.rcs.isp_m_s, rel=1e-12)

    # One step from rest in free space: the rate grows by alpha h, the attitude turns by
    # alpha h^2 / 2 about the axis, the centre of mass does not move.  Tolerance 1e-5:
    # the RCS burns ~1e-3 kg in the step, which shifts the inertia by ~3e-7.
    h = 0.02
    x = state((R_MOON, 0.0, 0.0), (0.0, 0.0, 0.0), vp)
    Stepper(vp, world(mu=0.0), duty=duty)(x, h)
    alpha = expected_torque[axis] / sc.vehicle.inertia_wet_kgm2[axis]
    expected_rate = np.zeros(3)
    expected_rate[axis] = alpha * h
    np.testing.assert_allclose(x[V.X_W:V.X_W + 3], expected_rate, rtol=1e-5, atol=1e-12)
    turned = 2.0 * x[V.X_Q + 1:V.X_Q + 4]                  # small angle: q = (1, theta/2 * axis)
    expected_turn = np.zeros(3)
    expected_turn[axis] = 0.5 * alpha * h * h
    np.testing.assert_allclose(turned, expected_turn, rtol=1e-5, atol=1e-14)
    assert np.linalg.norm(x[V.X_V:V.X_V + 3]) <= 1e-12


# --- 5. J2 ---------------------------------------------------------------------------------

def test_j2_nodal_regression_matches_first_order_rate(vp):
    a, inc = R_MOON + 100e3, math.radians(60.0)
    v_circ = math.sqrt(MU / a)
    x = state((a, 0.0, 0.0), v_circ * np.array([0.0, math.cos(inc), math.sin(inc)]), vp)
    n_motion = math.sqrt(MU / a ** 3)
    period = 2.0 * math.pi / n_motion
    revs, h = 5, 5.0
    steps = round(revs * period / h)
    step = Stepper(vp, world(j2=J2_MOON))
    t = np.arange(steps + 1) * h
    node = np.empty(steps + 1)
    for k in range(steps + 1):
        if k:
            step(x, h)
        hx, hy, _ = np.cross(x[V.X_R:V.X_R + 3], x[V.X_V:V.X_V + 3])
        node[k] = math.atan2(hx, -hy)                      # the node line is z x h
    # A straight-line fit over whole revolutions averages out the twice-per-revolution
    # oscillation of the osculating node.
    rate = np.polyfit(t, np.unwrap(node), 1)[0]
    expected = -1.5 * n_motion * J2_MOON * (R_MOON / a) ** 2 * math.cos(inc)
    error = abs(rate / expected - 1.0)
    report("J2 nodal rate, simulated", rate, "rad/s")
    report("J2 nodal rate, -1.5 n J2 (R/a)^2 cos i", expected, "rad/s")
    report("J2 nodal rate error (relative)", error)
    assert error <= 0.05
