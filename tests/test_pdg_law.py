"""The fuel-optimal law flown by the descent's flight software (guidance.law = "pdg",
gnc.core.fsw.pdg_law; docs/guidance_pdg.md): it lands, a plan without an optimum never
commands, the default law is the same loop as before, and no board flies it (the C builds do:
tests/test_pdg_law_c.py).

The flights and the direct re-plan compile the solver into the flight software: minutes on a
busy 2-core machine, which CI's 30 minutes do not have, so they are `long` tests
(`python -m pytest -m long tests/test_pdg_law.py`); the rest run everywhere."""
from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from gnc.core import layout as L
from gnc.core.fsw import pdg_law as G
from gnc.core.layout import FS_LEN, HEALTH_ALT_BIAS, PHASE_SLOW_DESCENT
from gnc.core.pdg import problem as pr
from gnc.core.pdg import solver as so
from gnc.programs import loops
from gnc.programs.descent.assemble import assemble, pdg_settings
from gnc.programs.descent.run import run
from gnc.scenario import ScenarioError, load


def _thrust_ok(tel, sc):
    """Every command is 0 (free fall) or within the engine's range, and finite."""
    cmd = np.asarray(tel["af.thrust_cmd"])
    assert np.isfinite(cmd).all()
    on = cmd[cmd > 0.0]
    assert on.min() >= sc.engine.thrust_min_n - 1e-9
    assert on.max() <= sc.engine.thrust_max_n + 1e-9


@pytest.mark.long
def test_pdg_lands_seed0_within_its_limits():
    sc = load("descent", ["guidance.law=pdg", "guidance.pdg_divert=false"])     # the approach alone
    r = run(sc, seed=0)
    s = r.summary
    assert s["outcome"] == "landed", s["failures"]
    g = s["guidance"]
    assert g["fallbacks"] == 0 and g["solves"] > 50      # the approach was the plan's, re-planned at 1 Hz
    assert g["iterations_max"] <= so.MAX_ITERS
    _thrust_ok(r.telemetry, sc)
    # the approach ends where its plan does: at the hover point, still
    t, ph = np.asarray(r.telemetry["t"]), np.asarray(r.telemetry["af.phase"])
    k = int(np.flatnonzero(ph == 4)[0])
    pos = [float(r.telemetry[f"af.nav_pos[{i}]"][k]) for i in range(3)]
    vel = [float(r.telemetry[f"af.nav_vel[{i}]"][k]) for i in range(3)]
    assert math.hypot(pos[0], pos[1]) < 5.0 and abs(pos[2] - sc.guidance.hover_alt_m) < 5.0, (t[k], pos)
    assert max(abs(x) for x in vel) < 1.0, vel


@pytest.mark.long
def test_the_divert_lands_seed0():
    """Without a bound on how fast the plan turns the thrust, the divert's plan reversed 50 deg
    of tilt within one 0.63 s node, the attitude loop (5 deg/s) followed 3 s late and seed 0
    touched down at 3.2 m/s across (docs/guidance_pdg.md); the turn-rate cone and the throttle
    ramp keep the plan to what the attitude can fly, and the arc is the plan's to its end."""
    sc = load("descent", ["guidance.law=pdg"])
    assert sc.guidance.pdg_divert                      # the pdg law's default flies the divert
    r = run(sc, seed=0)
    s = r.summary
    assert s["outcome"] == "landed", s["failures"]
    assert s["guidance"]["fallbacks"] == 0
    _thrust_ok(r.telemetry, sc)


@pytest.mark.long
def test_the_divert_hands_slow_descent_a_vehicle_at_rest_across():
    """Dispersed campaign seed 779012690 crashed with the divert at 1.11 m/s across: its plan
    coasted at minimum thrust tilted 17-23 deg, then braked at maximum thrust upright, turning
    the thrust 23 -> 1 deg in 3 s while growing it x4.5; the attitude, 11 deg behind after a
    re-plan, reached upright 3 s late with 7400 N on and handed slow descent 3.0 m/s across,
    which its position hold does not null (docs/guidance_pdg.md).  The plan turns and throttles
    slowly enough for the attitude loop now and ends upright: slow descent starts at 0.10 m/s
    across (the bound is the touchdown's own, 0.5 m/s)."""
    sc = load("descent", ["guidance.law=pdg"])
    r = run(sc, seed=779012690, disperse=True)
    s = r.summary
    assert s["outcome"] == "landed", s["failures"]
    tel = r.telemetry
    k = int(np.argmax(np.asarray(tel["af.phase"]) == PHASE_SLOW_DESCENT))
    assert k > 0
    across = math.hypot(float(tel["vel_e"][k]), float(tel["vel_n"][k]))
    assert across <= 0.5, f"{across:.2f} m/s across at the hand-over to slow descent"
    _thrust_ok(tel, sc)


@pytest.mark.long
def test_a_divert_handed_over_moving_is_settled_before_it_comes_down():
    """Dispersed seed 1590889454 crashed with the divert at 2.14 m/s across: the last re-plans
    of an 85 m divert failed, the arc handed slow descent a vehicle 1.74 m/s past its site, and
    slow descent came down at its full rate while the position hold swung it about the site.
    Slow descent now holds its height until the vehicle is settled over its aim
    (descent.descend_share); the touchdown's own limit is 0.5 m/s across."""
    sc = load("descent", ["guidance.law=pdg"])
    r = run(sc, seed=1590889454, disperse=True)
    s = r.summary
    assert s["outcome"] == "landed", (s["failures"], s["touchdown"])
    assert s["touchdown"]["horizontal_speed_mps"] <= sc.touchdown.max_horizontal_m_s
    _thrust_ok(r.telemetry, sc)


@pytest.mark.long
def test_an_arc_past_its_longest_plan_falls_back_instead_of_running_dry():
    """Dispersed seed 1351535667 ran out of propellant with the divert: re-plans near the arc's
    end failed, each failure's search moved the end later, and the vehicle swung about its site
    for 60 s.  An arc flown longer than the longest plan its search may choose (TF_HI times its
    nominal time) goes to the default law, which the settle gate lets land."""
    sc = load("descent", ["guidance.law=pdg"])
    r = run(sc, seed=1351535667, disperse=True)
    s = r.summary
    assert s["guidance"]["fallbacks"] >= 1                   # the case: the arc-length limit
    assert s["outcome"] == "landed", (s["failures"], s["touchdown"])
    _thrust_ok(r.telemetry, sc)


@pytest.mark.long
def test_infeasible_plan_is_counted_and_keeps_the_old_plan():
    """A re-plan from a start with too little propellant (the mass estimate at the dry
    mass) ends INFEASIBLE: counted, and the stored plan is the previous optimum's."""
    sc = load("descent", ["guidance.law=pdg"])
    a = assemble(sc, 0, False)
    fs = G.allocate(**a.pdg)
    b = FS_LEN
    G.start_arc(fs, a.cfg, G.ARC_APPROACH)
    r, v = (2700.0, 1800.0, 2300.0), (-54.0, -33.0, -34.0)
    assert G.plan_arc(fs, a.cfg, 730.0, r, v, 1920.0, 1.0, 1.62, 100.0)
    plan = fs[b + G.PG_LEN:b + G.PG_LEN + G.PN_LEN * a.pdg["nodes"]].copy()
    before = G.counters(fs)
    ok = G.plan_arc(fs, a.cfg, 731.0, r, v, a.pdg["m_dry"] + 1.0, 1.0, 1.62, 0.0)
    assert not ok
    assert fs[b + G.PG_STATUS] != so.OPTIMAL
    after = G.counters(fs)
    assert after[1] == before[1] + 1                       # the failure counted
    assert np.array_equal(fs[b + G.PG_LEN:b + G.PG_LEN + G.PN_LEN * a.pdg["nodes"]], plan)
    assert fs[b + G.PG_WARM] == 0.0                        # no warm start from a failed solve


@pytest.mark.long
def test_plans_that_fail_fall_back_to_the_default_law_and_land():
    """A glide slope the approach's start lies outside of: every plan fails (BAD_START), the
    arc goes to Chang'e's approach, counted, with no bad command on the way."""
    sc = load("descent", ["guidance.law=pdg", "guidance.pdg_glide_deg=80"])
    r = run(sc, seed=0)
    g = r.summary["guidance"]
    assert g["fallbacks"] >= 1 and g["failures"] >= 1
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    _thrust_ok(r.telemetry, sc)


@pytest.mark.long
def test_late_fallback_hands_the_default_law_a_time_to_go_it_can_fly():
    """Dispersed seed 2: re-plans that fail move the plan's end out (799 s -> 977 s) until the
    arc falls back at 799 s, 169 m up and 27 m past the hover point at 25 m/s.  Handed the
    stretched plan's 178 s to go, the default law's approach asked for almost nothing and
    flew into the ground at 12 m/s, 234 m from the target.  It must land."""
    sc = load("descent", ["guidance.law=pdg"])
    r = run(sc, seed=2, disperse=True)
    assert r.summary["guidance"]["fallbacks"] >= 1           # the case: a fallback late in the arc
    assert r.summary["outcome"] == "landed", (r.summary["failures"], r.summary["touchdown"])
    _thrust_ok(r.telemetry, sc)


@pytest.mark.long
def test_a_crater_swept_by_the_tilted_altimeter_is_not_taken_for_a_range_bias():
    """Campaign seed 274079350: the plan's tilted coast swept the canted altimeter's footprint
    over a crater, and its way back out (the innovation falling 112 m from the crater's floor,
    742 s) was confirmed as a -97 m range bias: the vertical estimate went 48 m high and obstacle
    avoidance touched the ground at 3.05 m/s (tests/test_faults.py has the watch's own case).
    No fault is injected, so the watch must raise nothing, and it must land."""
    r = run(load("descent", ["guidance.law=pdg"]), seed=274079350, disperse=True)
    assert not np.any(r.telemetry["af.health"].astype(np.int64) & HEALTH_ALT_BIAS)
    assert r.summary["outcome"] == "landed", (r.summary["failures"], r.summary["touchdown"])


def test_default_law_flies_the_loop_it_always_flew():
    sc = load("descent")
    assert sc.guidance.law == "phases"
    assert loops.loop("descent", "numba", sc.guidance.law) is loops.loop("descent", "numba")
    assert assemble(sc, 0, False).law == "phases"


def test_the_config_carries_the_law_and_every_build_lays_it_out_from_there():
    """Protocol 7: the law and pdg_law.allocate's settings are config fields, so a board over
    HIL sets the law up from the config it is sent, and the host's builds read the same
    fields (assemble's pdg_settings); the default law's config says so too.  Protocol 8 adds
    the planning budget a step (0, no limit, by default)."""
    a = assemble(load("descent", ["guidance.law=pdg", "guidance.pdg_nodes=21", "guidance.pdg_divert=false",
                                  "guidance.pdg_step_iters=6"]), 0, False)
    assert a.cfg[L.CF_LAW] == L.LAW_PDG and a.pdg == pdg_settings(a.cfg)
    assert a.pdg["nodes"] == 21 and a.pdg["divert"] is False and (a.pdg["t_lo"], a.pdg["t_hi"]) == (1.1, 0.9)
    assert a.pdg["step_iters"] == 6 and G.allocate(**a.pdg)[FS_LEN + G.PG_STEP_ITERS] == 6
    assert pdg_settings(assemble(load("descent", ["guidance.law=pdg"]), 0, False).cfg)["step_iters"] == 0
    assert assemble(load("descent"), 0, False).cfg[L.CF_LAW] == L.LAW_PHASES


def test_unknown_law_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="guidance.law"):
        load("descent", ["guidance.law=gfold"])


@pytest.mark.parametrize("value", ["-1", "256", "2.5"])
def test_a_planning_budget_the_wire_cannot_carry_is_a_scenario_error(value):
    """The config carries it as a u8 (0..255 iterations a step)."""
    with pytest.raises(ScenarioError, match="guidance.pdg_step_iters"):
        load("descent", ["guidance.law=pdg", f"guidance.pdg_step_iters={value}"])


def _tool(name):
    """A script of tools/ as a module (registered, as its dataclasses need)."""
    path = Path(__file__).resolve().parent.parent / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"tools_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.long
def test_replan_trace_reports_the_flight_gnc_run_flies():
    """tools/pdg_replans.py steps the approach one flight-software step at a time to read the
    law's state between steps: what it reports is the flight `gnc run` flies (same approach,
    same propellant, same solver counters), and its failed re-plans are the law's count."""
    tool = _tool("pdg_replans")
    approach_only = ["guidance.pdg_divert=false"]     # so the flight's solver counters are the approach's
    tr = tool.trace(approach_only, seed=0)
    r = run(load("descent", ["guidance.law=pdg"] + approach_only), seed=0)
    ph = {p["name"]: (p["start_s"], p["end_s"]) for p in r.summary["phases"]}
    assert tr.start == pytest.approx(ph["approach"][0], abs=1e-9) and tr.approach == tr.start   # planned at once
    assert tr.end == pytest.approx(ph["approach"][1], abs=1e-9)
    t, m = np.asarray(r.telemetry["t"]), np.asarray(r.telemetry["mass"])
    used = m[np.searchsorted(t, ph["approach"][0])] - m[np.searchsorted(t, ph["approach"][1])]
    assert tr.truth_used == pytest.approx(used, rel=1e-12)
    g = r.summary["guidance"]
    assert tr.counters[:2] == (g["solves"], g["failures"])
    failed = [e for e in tr.events if e.status != so.OPTIMAL]
    assert len(failed) == g["failures"]        # the arc's first search did not fail on seed 0
    assert "first plan at" in tool.report(tr)


def test_replan_trace_refuses_a_bad_setting(capsys):
    assert _tool("pdg_replans").main(["--set", "guidance.pdg_point_deg=500"]) == 2
    assert "guidance.pdg_point_deg" in capsys.readouterr().err


def test_offline_optimum_is_bounded_by_the_rocket_equation_and_the_flight():
    """tools/pdg_optimum.py: the fuel optimum from seed 0's approach start to its touchdown
    (the default law's flight) lies between the rocket equation's floor, the propellant for
    the least velocity change that final time allows (|v_f - v_0 - g tf|: no thrust profile
    does with less), and what the flight itself used between the same two states."""
    tool = _tool("pdg_optimum")
    o = tool.optimum([], seed=0)
    assert math.isfinite(o.optimum_kg), "no optimum found over the final-time search"
    st, lim = o.start, o.limits
    g = np.array([0.0, 0.0, -lim[pr.LIM_G]])
    dv = np.linalg.norm(st[pr.ST_VF:pr.ST_VF + 3] - st[pr.ST_V:pr.ST_V + 3] - g * o.tf)
    floor = st[pr.ST_M] * (1.0 - math.exp(-dv / (lim[pr.LIM_ISP] * lim[pr.LIM_G0])))
    assert floor <= o.optimum_kg < o.flown_kg
    assert "over the optimum" in tool.report(o)


def test_offline_optimum_refuses_a_bad_setting(capsys):
    assert _tool("pdg_optimum").main(["--set", "guidance.pdg_point_deg=500"]) == 2
    assert "guidance.pdg_point_deg" in capsys.readouterr().err
