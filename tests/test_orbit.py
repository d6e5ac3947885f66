"""Orbit utilities (gnc.core.orbit) against independent references: element round
trips including the degenerate orbits, Kepler propagation against the vehicle model's
own RK4 integration of gravity, and the Clohessy-Wiltshire closed form against the
numerically integrated motion of two vehicles."""
import math

import numpy as np
import pytest

from gnc.core import moon as M
from gnc.core import orbit as O
from gnc.core import vehicle as V
from gnc.programs.gravity import no_field

MU = 4.90280007e12
R_MOON = 1737.4e3


def _angle_diff(a, b):
    return abs((a - b + math.pi) % (2.0 * math.pi) - math.pi)


CASES = [  # (a, e, i, raan, argp, nu): generic, then each degenerate convention
    (R_MOON + 97.5e3, 0.045, math.radians(137.0), 1.2, 2.3, 0.4),      # ascender-class orbit, retrograde
    (R_MOON + 200e3, 0.0, math.radians(60.0), 0.3, 0.0, 2.0),          # circular: argp 0, nu = arg. of latitude
    (R_MOON + 200e3, 0.2, 0.0, 0.0, 1.1, 4.0),                         # equatorial: raan 0, argp = long. of periapsis
    (R_MOON + 200e3, 0.2, math.pi, 0.0, 1.1, 4.0),                     # equatorial retrograde
    (R_MOON + 100e3, 0.0, 0.0, 0.0, 0.0, 5.5),                         # circular equatorial: true longitude
    (3.0e6, 0.7, math.radians(89.9), 6.0, 0.1, 3.0),                   # eccentric, near polar
]


@pytest.mark.parametrize("el", CASES, ids=["generic", "circular", "equatorial", "equatorial-retro",
                                           "circular-equatorial", "eccentric"])
def test_elements_round_trip(el):
    r, v = O.state(*el, MU)
    got = O.elements(r, v, MU)
    assert got[0] == pytest.approx(el[0], rel=1e-12)
    assert got[1] == pytest.approx(el[1], abs=1e-12)
    for k in range(2, 6):
        assert _angle_diff(got[k], el[k]) < 1e-9, (k, got, el)
    r2, v2 = O.state(*got, MU)
    assert np.linalg.norm(np.subtract(r2, r)) < 1e-6
    assert np.linalg.norm(np.subtract(v2, v)) < 1e-9


def test_nearly_circular_and_equatorial_orbits_keep_position_continuous():
    """Just off the degenerate cases the individual angles are ill-conditioned, but the
    state they rebuild is not: the round trip keeps the position to well under a metre."""
    for e, inc in ((1e-9, math.radians(1e-7)), (1e-11, 0.3), (0.01, 1e-12)):
        r, v = O.state(R_MOON + 150e3, e, inc, 0.7, 1.3, 2.1, MU)
        r2, v2 = O.state(*O.elements(r, v, MU), MU)
        assert np.linalg.norm(np.subtract(r2, r)) < 1e-3
        assert np.linalg.norm(np.subtract(v2, v)) < 1e-6


def _rk4(r, v, dt, h, mu=MU, j2=0.0):
    """Integrate gravity with the vehicle model's RK4 step (engine off, RCS off)."""
    w = np.zeros(M.W_LEN)
    w[M.W_MU], w[M.W_J2], w[M.W_RREF] = mu, j2, R_MOON
    vp = np.zeros(V.VP_LEN)
    vp[V.VP_MASS_DRY], vp[V.VP_MASS_WET], vp[V.VP_ISP] = 100.0, 100.0, 3000.0
    vp[V.VP_I_WET:V.VP_I_WET + 3] = vp[V.VP_I_DRY:V.VP_I_DRY + 3] = 10.0
    vp[V.VP_TAU], vp[V.VP_RCS_ISP] = 0.1, 3000.0
    x = np.zeros(V.X_LEN)
    x[V.X_R:V.X_R + 3], x[V.X_V:V.X_V + 3], x[V.X_Q], x[V.X_M] = r, v, 1.0, 100.0
    work, duty = np.zeros(V.WORK_LEN), np.zeros(V.N_RCS)
    field = no_field()
    n = round(dt / h)
    for i in range(n):
        V.rk4_step(x, i * dt / n, vp, w, field, 0.0, duty, dt / n, work)
    return x[V.X_R:V.X_R + 3], x[V.X_V:V.X_V + 3]


@pytest.mark.parametrize("el, dt", [
    ((R_MOON + 97.5e3, 0.045, 2.4, 1.0, 2.0, 0.0), 7000.0),     # ~ one revolution of the insertion orbit
    ((R_MOON + 200e3, 0.0, 1.0, 0.5, 0.0, 1.0), 3000.0),
    ((4.0e6, 0.5, 0.7, 0.2, 0.3, 2.5), 20000.0),
])
def test_kepler_matches_numerical_integration(el, dt):
    r0, v0 = O.state(*el, MU)
    r_k, v_k = O.kepler(r0, v0, dt, MU)
    r_n, v_n = _rk4(r0, v0, dt, 1.0)
    err_r = np.linalg.norm(np.subtract(r_k, r_n))
    err_v = np.linalg.norm(np.subtract(v_k, v_n))
    print(f"\n  [orbit] Kepler vs RK4 (1 s) after {dt:.0f} s: {err_r:.2e} m, {err_v:.2e} m/s")
    assert err_r < 1e-3 and err_v < 1e-6
    # and backwards: Kepler is exactly reversible
    r_b, v_b = O.kepler(r_k, v_k, -dt, MU)
    assert np.linalg.norm(np.subtract(r_b, r0)) < 1e-5


def test_kepler_over_two_days_keeps_the_elements():
    el = (R_MOON + 200e3, 0.01, 2.4, 1.0, 2.0, 0.3)
    r, v = O.state(*el, MU)
    r2, v2 = O.kepler(r, v, 2 * 86400.0, MU)
    got = O.elements(r2, v2, MU)
    assert got[0] == pytest.approx(el[0], rel=1e-11)
    assert got[1] == pytest.approx(el[1], abs=1e-11)
    for k in (2, 3, 4):
        assert _angle_diff(got[k], el[k]) < 1e-9


def test_lvlh_round_trip_and_axes():
    r_t, v_t = O.state(R_MOON + 210e3, 0.002, 2.4, 1.0, 0.3, 0.2, MU)
    rho, rho_dot = (120.0, -4500.0, 30.0), (0.5, 1.2, -0.1)
    r_c, v_c = O.from_lvlh(r_t, v_t, rho, rho_dot)
    rho2, rho_dot2 = O.to_lvlh(r_t, v_t, r_c, v_c)
    np.testing.assert_allclose(rho2, rho, atol=1e-7)
    np.testing.assert_allclose(rho_dot2, rho_dot, atol=1e-10)
    x, y, z = O.lvlh_axes(r_t, v_t)
    assert np.dot(y, v_t) > 0.99 * np.linalg.norm(v_t)         # along-track is (nearly) the velocity


def _relative_after(rho0, rho_dot0, dt, h=0.5):
    """Two vehicles integrated separately (RK4, point mass); the chaser's LVLH state after dt."""
    a = R_MOON + 200e3
    r_t, v_t = O.state(a, 0.0, 2.4, 1.0, 0.0, 0.7, MU)
    r_c, v_c = O.from_lvlh(r_t, v_t, rho0, rho_dot0)
    r_t1, v_t1 = _rk4(r_t, v_t, dt, h)
    r_c1, v_c1 = _rk4(r_c, v_c, dt, h)
    return O.to_lvlh(r_t1, v_t1, r_c1, v_c1), math.sqrt(MU / a ** 3)


@pytest.mark.parametrize("sep", [100.0, 10_000.0])
def test_cw_matches_integrated_relative_motion_to_the_linearisation_error(sep):
    """100 s coast.  CW drops terms of order n^2 rho^2 / r: the position error is about
    (3/2) n^2 rho^2 / r * t^2 / 2 ~ 2e-5 m at 100 m, growing with rho^2 (x 1e4 at 10 km)."""
    rho0 = (0.3 * sep, -sep, 0.1 * sep)
    rho_dot0 = (0.001 * sep, 0.0, -0.0005 * sep)
    dt = 100.0
    (rho, rho_dot), n = _relative_after(rho0, rho_dot0, dt)
    rho_cw, rho_dot_cw = O.cw(rho0, rho_dot0, n, dt)
    err = np.linalg.norm(np.subtract(rho, rho_cw))
    err_v = np.linalg.norm(np.subtract(rho_dot, rho_dot_cw))
    r = R_MOON + 200e3
    bound = 3.0 * n * n * (1.1 * sep) ** 2 / r * dt * dt
    print(f"\n  [orbit] CW vs integrated, {sep:.0f} m, 100 s: {err:.2e} m, {err_v:.2e} m/s (bound {bound:.1e} m)")
    assert err <= bound
    assert err_v <= 2.0 * bound / dt
    moved = np.linalg.norm(np.subtract(rho_cw, rho0))
    assert moved > 1e3 * err                                    # the motion itself is far larger


def test_cw_targeting_reaches_the_aim_point():
    n = math.sqrt(MU / (R_MOON + 200e3) ** 3)
    rho0, aim, t = (-2000.0, -30000.0, 500.0), (0.0, -5000.0, 0.0), 2500.0
    v0 = O.cw_velocity_for(rho0, aim, n, t)
    got, _ = O.cw(rho0, v0, n, t)
    np.testing.assert_allclose(got, aim, atol=1e-6)
