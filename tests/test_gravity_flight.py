"""The gravity the vehicle model flies in (gnc.core.gravity): a spherical-harmonic field
from a file the scenario names, turning with the Moon, and Earth's pull.

Checked against physics: Earth's tide at the sub-Earth point and the pole in closed form;
the Jacobi integral, which a coast in a field that is steady in the Moon's rotating frame
conserves (E - omega . h), while the energy alone is not conserved; a descent through a
field file holding only J2 flies as the closed-form J2 does.
"""
import hashlib
import json
import math

import numpy as np
import pytest

from gnc.core import moon as M
from gnc.core import vehicle as V
from gnc.core.gravity import Field, acceleration, earth_position
from gnc.core.sh_gravity import sh_model, sh_potential_gravity, sh_work
from gnc.programs.descent.assemble import assemble, world_array
from gnc.programs.descent.run import run
from gnc.programs.gravity import EARTH_DISTANCE, EARTH_MU, no_field
from gnc.scenario import ScenarioError, load

SC = load("descent")
MU, R = SC.moon.mu, SC.moon.radius_m
OMEGA = SC.moon.rotation_rad_s
BRAKING_STEPS = round(600.0 * SC.sim.fsw_rate_hz)


def write_field(path, c, s=None, gm=MU, radius=R):
    """An ICGEM .gfc file of fully normalised coefficients c[n, m], s[n, m]."""
    s = np.zeros_like(c) if s is None else s
    nmax = c.shape[0] - 1
    lines = ["begin_of_head", "product_type gravity_field", f"earth_gravity_constant {gm!r}",
             f"radius {radius!r}", f"max_degree {nmax}", "norm fully_normalized", "end_of_head"]
    lines += [f"gfc {n} {m} {float(c[n, m])!r} {float(s[n, m])!r}" for n in range(nmax + 1) for m in range(n + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def earth_world(degree=0, gm=MU, radius=R):
    w = world_array(SC)
    w[M.W_EARTH_MU], w[M.W_EARTH_DIST] = EARTH_MU, EARTH_DISTANCE
    w[M.W_FIELD_DEGREE], w[M.W_FIELD_MU], w[M.W_FIELD_RREF] = degree, gm, radius
    return w


# ---------------------------------------------------------------- Earth's pull in closed form

def test_earths_tide_at_the_sub_earth_point_and_the_pole_is_the_closed_form():
    w = earth_world()
    w[M.W_MU] = 0.0                                   # Earth's pull alone
    field = no_field()
    d = EARTH_DISTANCE
    # t = 0: Earth on +x (theta0 = 0).  Collinear: mu_E (1 / (d - R)^2 - 1 / d^2) outward, ~2 mu_E R / d^3
    a = acceleration((R, 0.0, 0.0), 0.0, w, field)
    assert a[0] == pytest.approx(EARTH_MU * (1.0 / (d - R) ** 2 - 1.0 / d ** 2), rel=1e-9)
    assert abs(a[1]) < 1e-20 and abs(a[2]) < 1e-20
    assert a[0] == pytest.approx(2.0 * EARTH_MU * R / d ** 3, rel=0.01)   # the tide's first order: 2.4e-5 m/s^2
    # the pole: pulled in towards the centre by ~mu_E R / d^3, and along towards the Earth
    rho = math.hypot(d, R)
    a = acceleration((0.0, 0.0, R), 0.0, w, field)
    assert a[2] == pytest.approx(-EARTH_MU * R / rho ** 3, rel=1e-9)
    assert a[0] == pytest.approx(EARTH_MU * (d / rho ** 3 - 1.0 / d ** 2), rel=1e-6)
    # the Moon turns synchronously: a quarter turn later Earth is on +y
    quarter = 0.5 * math.pi / OMEGA
    e = earth_position(quarter, w)
    assert e[1] == pytest.approx(d, rel=1e-12) and abs(e[0]) < 1e-6 * d


# ---------------------------------------------------------------- a coast conserves the Jacobi integral

def _potential(r, t, w, model, work):
    """Gravitational potential (positive) of the Moon's field and Earth's tide at MCI r, time t."""
    th = M.theta(t, w)
    v_moon = sh_potential_gravity(M.inertial_to_fixed(r, th), w[M.W_FIELD_MU], w[M.W_FIELD_RREF],
                                  int(w[M.W_FIELD_DEGREE]), model, work)[0]
    d = np.array(earth_position(t, w))
    return v_moon + EARTH_MU / np.linalg.norm(d - r) - EARTH_MU * np.dot(r, d) / EARTH_DISTANCE ** 3


def test_a_two_day_coast_in_a_turning_field_with_earth_conserves_the_jacobi_integral():
    rng = np.random.default_rng(5)
    n = 6
    c, s = np.zeros((n + 1, n + 1)), np.zeros((n + 1, n + 1))
    c[0, 0] = 1.0
    for deg in range(2, n + 1):
        c[deg, :deg + 1] = rng.normal(0.0, 2e-4, deg + 1)        # a lumpier Moon than GRAIL's, on purpose
        s[deg, 1:deg + 1] = rng.normal(0.0, 2e-4, deg)
    model = sh_model(c, s)
    work = sh_work(n)
    w = earth_world(degree=n)
    vp = assemble(SC).vp.copy()
    x = np.zeros(V.X_LEN)
    radius = R + 100e3
    speed = math.sqrt(MU / radius)
    inc = math.radians(137.0)
    x[V.X_R:V.X_R + 3] = (radius, 0.0, 0.0)
    x[V.X_V:V.X_V + 3] = (0.0, speed * math.cos(inc), speed * math.sin(inc))
    x[V.X_Q], x[V.X_M] = 1.0, vp[V.VP_MASS_WET]
    rk4_work, duty = np.zeros(V.WORK_LEN), np.zeros(V.N_RCS)

    def integrals(t):
        r, v = x[V.X_R:V.X_R + 3].copy(), x[V.X_V:V.X_V + 3]
        energy = 0.5 * np.dot(v, v) - _potential(r, t, w, model, work)
        return energy, energy - OMEGA * (r[0] * v[1] - r[1] * v[0])

    h, steps = 10.0, 17_280                                       # 48 h
    e0, j0 = integrals(0.0)
    energies = []
    for k in range(steps):
        V.rk4_step(x, k * h, vp, w, Field(model, work), 0.0, duty, h, rk4_work)
        if k % 360 == 359:
            energies.append(integrals((k + 1) * h))
    e_swing = max(abs(e - e0) for e, _ in energies)
    j_drift = max(abs(j - j0) for _, j in energies)
    # The energy swings as the field turns under the orbit and Earth's tide works on it; the
    # Jacobi integral holds to the integrator's error: a swing of 455 m^2/s^2, a drift of
    # 3.6e-4 (8e-7 of it).  A field or an Earth that did not turn with the Moon breaks it.
    assert e_swing > 1.0
    assert j_drift < 1e-4 * e_swing, (j_drift, e_swing)


# ---------------------------------------------------------------- a field file in a flight

def test_a_descent_through_a_field_file_of_j2_alone_flies_as_the_closed_form_j2(tmp_path):
    c = np.zeros((3, 3))
    c[0, 0] = 1.0
    c[2, 0] = -SC.moon.j2 / math.sqrt(5.0)             # geodesy's normalisation: Cbar20 = -J2 / sqrt 5
    path = write_field(tmp_path / "j2.gfc", c)
    runs = [run(load("descent", overrides), seed=3) for overrides in
            (["moon.j2_on=true"], [f"moon.field_file={path}", "moon.field_degree=2"], [])]
    closed, field, point = ([np.column_stack([r.telemetry[f"pos_{a}"] for a in "enu"])[:BRAKING_STEPS]
                             for r in runs])
    assert runs[1].summary["outcome"] == "landed"
    # Through the braking burn (600 s) the two J2s fly the same path (0 m apart here) while J2
    # itself moves it by 83 m.  Later the closed loop turns last-bit differences into others: a
    # hover ends a step sooner, and the landings differ by 0.29 kg of propellant, as any two
    # runs whose gravity differs in the last bit would.
    j2_effect = np.abs(closed - point).max()
    assert j2_effect > 10.0
    assert np.abs(field - closed).max() <= 1e-6 * j2_effect


# ---------------------------------------------------------------- the scenario keys

def test_field_keys_are_checked_and_paths_are_relative_to_the_scenario_file(tmp_path):
    c = np.zeros((5, 5))
    c[0, 0] = 1.0
    write_field(tmp_path / "moon.gfc", c)
    (tmp_path / "mine.toml").write_text('base = "descent"\n[moon]\nfield_file = "moon.gfc"\nfield_degree = 4\n')
    sc = load(str(tmp_path / "mine.toml"))
    assert sc.moon.field_file == str(tmp_path / "moon.gfc")
    w = world_array(sc)
    assert (w[M.W_FIELD_DEGREE], w[M.W_FIELD_MU], w[M.W_FIELD_RREF]) == (4, MU, R)
    with pytest.raises(ScenarioError, match=r"moon.field_file: no such file: .*nowhere.gfc"):
        load("descent", [f"moon.field_file={tmp_path / 'nowhere.gfc'}", "moon.field_degree=4"])
    with pytest.raises(ScenarioError, match="moon.field_degree: 0: give the degree"):
        load(str(tmp_path / "mine.toml"), ["moon.field_degree=0"])
    with pytest.raises(ScenarioError, match="moon.field_degree: 8 with no moon.field_file"):
        load("descent", ["moon.field_degree=8"])
    with pytest.raises(ScenarioError, match="moon.field_file: .*degree 9 asked, the file has 0..4"):
        load(str(tmp_path / "mine.toml"), ["moon.field_degree=9"])


def test_a_run_records_its_field_file_and_a_rerun_tells_when_it_changed(tmp_path, capsys):
    from gnc.cli import main
    c = np.zeros((3, 3))
    c[0, 0], c[2, 0] = 1.0, -SC.moon.j2 / math.sqrt(5.0)
    path = write_field(tmp_path / "moon.gfc", c)
    out = tmp_path / "run"
    sets = ["--set", f"moon.field_file={path}", "--set", "moon.field_degree=2", "--set", "sim.max_duration_s=5"]
    assert main(["run", "descent", "--no-plots", "-q", "--out", str(out), *sets]) == 1     # 5 s: no touchdown
    record = json.loads((out / "run.json").read_text())
    assert record["inputs"]["moon.field_file"] == {"path": str(path),
                                                   "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert main(["rerun", str(out), "--no-plots", "--out", str(tmp_path / "same")]) == 1
    assert "changed since" not in capsys.readouterr().err
    c[2, 0] *= 2.0
    write_field(path, c)
    assert main(["rerun", str(out), "--no-plots", "--out", str(tmp_path / "other")]) == 1
    assert f"moon.field_file {path} changed since" in capsys.readouterr().err
