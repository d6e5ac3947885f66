"""The fuel-optimal law flown by the descent's flight software (guidance.law = "pdg",
gnc.core.fsw.pdg_law; docs/guidance_pdg.md): it lands, a plan without an optimum never
commands, the default law is the same loop as before, and no C build or board flies it.

The flights and the direct re-plan compile the solver into the flight software: minutes on a
busy 2-core machine, which CI's 30 minutes do not have, so they are `long` tests
(`python -m pytest -m long tests/test_pdg_law.py`); the rest run everywhere."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gnc.core.fsw import pdg_law as G
from gnc.core.layout import FS_LEN
from gnc.core.pdg import solver as so
from gnc.programs import loops
from gnc.programs.descent.assemble import assemble
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
    sc = load("descent", ["guidance.law=pdg"])
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


def test_default_law_flies_the_loop_it_always_flew():
    sc = load("descent")
    assert sc.guidance.law == "phases"
    assert loops.loop("descent", "numba", sc.guidance.law) is loops.loop("descent", "numba")
    assert assemble(sc, 0, False).law == "phases"


@pytest.mark.parametrize("fsw,link", [("c", None), ("c-float", None), ("numba", object())])
def test_no_c_build_or_board_flies_the_pdg_law(fsw, link):
    sc = load("descent", ["guidance.law=pdg"])
    with pytest.raises(ScenarioError, match="cannot fly"):
        run(sc, seed=0, fsw=fsw, link=link)


def test_unknown_law_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="guidance.law"):
        load("descent", ["guidance.law=gfold"])
