"""The fuel-optimal law's C twin (csrc/pdg_law.c, flown by csrc/fsw_step_pdg.c) against the
numba law (gnc.core.fsw.pdg_law), back to back as tests/test_c_build.py holds the rest of the
descent: the double build must answer a recorded pdg flight's sensor frames with the very
actuator frames and states of the numba step (bit for bit: the solver's C twin is numba's to
the last bit, tests/test_pdg_c.py, and every other operation is rounded alike), and the C
builds fly the law in closed loop and land.

The fast tests run the C law alone (one plan, its bookkeeping, the row's layout), checked
against the C solver called directly; what compiles the numba law (the replay, numba's own
plan_arc, a numba flight) is `long`, as in tests/test_pdg_law.py."""
from __future__ import annotations

import functools
import os

import numba
import numpy as np
import pytest

from gnc.core import fsw_c
from gnc.core.fsw import pdg_law as G
from gnc.core.layout import AF_HEALTH, AF_LEN, CF_PROGRAM, FS_LEN, HEALTH_CONFIG_BAD, PROGRAM_ASCENT, SF_LEN
from gnc.core.pdg import problem as pr
from gnc.core.pdg import solver as so
from gnc.programs.descent.assemble import assemble, pdg_settings
from gnc.programs.descent.plant import T_AF, T_SF
from gnc.programs.descent.run import guidance_summary, run, telemetry_columns
from gnc.scenario import ScenarioError, load

try:
    fsw_c.require("c")
    fsw_c.require("c-float")
except fsw_c.CBuildUnavailable as e:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(str(e), allow_module_level=True)

from gnc.core.pdg.solver_c import CSolver  # noqa: E402

SC = load("descent", ["guidance.law=pdg"])
NO_TELEMETRY = 10**7
FLOAT_OBJ, FLOAT_VIOL = 5e-4, 1e-5     # tests/test_pdg_c.py's bounds on the float solver
# the approach's start on seed 0, as tests/test_pdg_law.py's re-plan case plans it
R0, V0, M0 = (2700.0, 1800.0, 2300.0), (-54.0, -33.0, -34.0), 1920.0


def _settings():
    return assemble(SC, 0, False).pdg


def _plan_end(nodes):
    return FS_LEN + G.PG_LEN + G.PN_LEN * nodes


def _c_plan_arc(fsw, fs, cfg, t, r, v, mass, search):
    m = fsw_c.module(fsw)
    d = functools.partial(m.ffi.from_buffer, "double[]")
    return m.lib.pdg_law_plan_arc_row(d(fs), d(np.ascontiguousarray(cfg)), t, d(np.array(r, float)),
                                      d(np.array(v, float)), mass, 1.0, 1.62, search)


def _unscaled(x, scale, N):
    """problem.unscale's r, v, m, u of a solution x (the nodes as numba's _store writes them)."""
    nodes = np.concatenate([x, np.zeros(pr.NV - pr.NVL)]).reshape(N, pr.NV)
    L, T, m0 = scale[pr.SC_L], scale[pr.SC_T], scale[pr.SC_M0]
    return {"r": scale[pr.SC_RF:pr.SC_RF + 3] + L * nodes[:, pr.IR:pr.IR + 3], "v": nodes[:, pr.IV:pr.IV + 3] * L / T,
            "m": m0 * np.exp(nodes[:, pr.IZ]), "u": nodes[:-1, pr.IU:pr.IU + 3] * L / (T * T)}


def _c_approach_row(fsw="c"):
    """A C row with the approach started (numba's start_arc: the target is the hover point)."""
    a = assemble(SC, 0, False)
    fs = fsw_c.pdg_allocate(fsw, **a.pdg)
    b = FS_LEN
    fs[b + G.PG_ARC] = G.ARC_APPROACH
    fs[b + G.PG_RF:b + G.PG_RF + 3] = (0.0, 0.0, SC.guidance.hover_alt_m)
    return fs, a.cfg


# ---------------------------------------------------------------- fast: the C law alone

@pytest.mark.parametrize("fsw", ["c", "c-float"])
def test_c_row_holds_the_settings_and_the_solver_after_the_plan(fsw):
    """pdg_allocate writes allocate's settings into the same PG block and lays the solver out
    in the row itself (no process-wide statics: runs in threads share nothing); fsw_reset
    leaves everything after FS_LEN alone."""
    s = _settings()
    fs = fsw_c.pdg_allocate(fsw, **s)
    b = FS_LEN
    assert fs[b + G.PG_NODES] == s["nodes"] and fs[b + G.PG_M_DRY] == pytest.approx(s["m_dry"], rel=1e-7)
    N = s["nodes"]
    assert (fs[b + G.PG_NNZ_K], fs[b + G.PG_NNZ_L]) == (64 * N - 68, 237 * N - 289)  # pdg.h's counts: the symbolic step ran
    assert len(fs) > _plan_end(s["nodes"])                               # the solver's memory follows the plan
    tail = fs[FS_LEN:].tobytes()         # bytes: the solver's memory read as doubles holds NaN patterns
    fsw_c.reset(fsw, fs)
    assert fs[FS_LEN:].tobytes() == tail


def test_c_row_refuses_more_nodes_than_the_build_holds():
    """The scenario allows 200 nodes, the host C builds' structs hold PDG_N_MAX (100): a run
    asking more is a scenario error before anything flies, and the set-up refuses it too."""
    n = fsw_c.module("c").lib.PDG_N_MAX + 1
    with pytest.raises(ValueError, match="PDG_N_MAX"):
        fsw_c.pdg_allocate("c", **{**_settings(), "nodes": n})
    with pytest.raises(ScenarioError, match="pdg_nodes"):
        run(load("descent", ["guidance.law=pdg", f"guidance.pdg_nodes={n}"]), seed=0, fsw="c")


def test_c_plan_is_the_solvers_optimum_at_the_searched_final_time():
    """One plan_arc in C (a final-time search, as an arc's start plans): the stored plan is
    the optimum the C solver finds alone on the same problem at the final time the search
    chose, unscaled as numba's _store does; the counters count the search's solves."""
    fs, cfg = _c_approach_row()
    N, b = int(fs[FS_LEN + G.PG_NODES]), FS_LEN
    assert _c_plan_arc("c", fs, cfg, 730.0, R0, V0, M0, 100.0) == 1
    tf = fs[b + G.PG_TF]
    assert G.TF_LO * 100.0 <= tf <= G.TF_HI * 100.0
    assert fs[b + G.PG_T_PLAN] == 730.0 and fs[b + G.PG_STATUS] == so.OPTIMAL and fs[b + G.PG_WARM] == 1.0
    assert fs[b + G.PG_SOLVES] == G.SEARCH_GRID + 2 + G.SEARCH_GOLDEN + 1
    st = fs[b + G.PG_ST:b + G.PG_ST + pr.N_ST].copy()
    lim = fs[b + G.PG_LIM:b + G.PG_LIM + pr.N_LIM].copy()
    assert lim[pr.LIM_POINT_END] == G.POINT_END and lim[pr.LIM_THROTTLE_RATE] == G.THROTTLE_RATE
    C = CSolver("c", N, st, lim, tf)
    assert C.solve() == so.OPTIMAL
    want = _unscaled(C.x, C.scale, N)
    plan = fs[b + G.PG_LEN:_plan_end(N)].reshape(N, G.PN_LEN)
    assert np.array_equal(plan[:, G.PN_R:G.PN_R + 3], want["r"])
    assert np.array_equal(plan[:, G.PN_V:G.PN_V + 3], want["v"])
    assert np.array_equal(plan[:-1, G.PN_U:G.PN_U + 3], want["u"]) and not plan[-1, G.PN_U:].any()
    assert np.allclose(plan[:, G.PN_M], want["m"], rtol=1e-14, atol=0.0)      # libm's exp against numpy's
    assert plan[0, G.PN_R:G.PN_R + 3] == pytest.approx(R0, abs=1e-6)      # the plan starts where the vehicle is


@pytest.mark.parametrize("fsw", ["c", "c-float"])
def test_c_infeasible_plan_is_counted_and_keeps_the_old_plan(fsw):
    """tests/test_pdg_law.py's case in C: a re-plan with the mass estimate at the dry mass
    ends without an optimum, counted; the stored plan stays the previous optimum's, and the
    next re-plan is cold."""
    fs, cfg = _c_approach_row(fsw)
    N, b = int(fs[FS_LEN + G.PG_NODES]), FS_LEN
    assert _c_plan_arc(fsw, fs, cfg, 730.0, R0, V0, M0, 100.0) == 1
    plan = fs[b + G.PG_LEN:_plan_end(N)].copy()
    before = G.counters(fs)
    assert _c_plan_arc(fsw, fs, cfg, 731.0, R0, V0, fs[b + G.PG_M_DRY] + 1.0, 0.0) == 0
    assert fs[b + G.PG_STATUS] != so.OPTIMAL
    after = G.counters(fs)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1
    assert np.array_equal(fs[b + G.PG_LEN:_plan_end(N)], plan)
    assert fs[b + G.PG_WARM] == 0.0 and fs[b + G.PG_FAILS] == 1.0
    assert fs[b + G.PG_T_NEXT] == 731.0 + fs[b + G.PG_REPLAN_S]


def test_float_plan_is_the_double_plan_within_the_solvers_float_bound():
    """The float build's plan from the same start, held to tests/test_pdg_c.py's float bounds:
    its propellant within twice FLOAT_OBJ of the double plan's (each search's pick is within
    one objective error of the least over tf), its end at the target within FLOAT_VIOL of the
    problem's length scale (the constraints are met to FLOAT_VIOL in scaled units)."""
    fd, cfg = _c_approach_row("c")
    ff, _ = _c_approach_row("c-float")
    assert _c_plan_arc("c", fd, cfg, 730.0, R0, V0, M0, 100.0) == 1
    assert _c_plan_arc("c-float", ff, cfg, 730.0, R0, V0, M0, 100.0) == 1
    N, b = int(fd[FS_LEN + G.PG_NODES]), FS_LEN
    pd = fd[b + G.PG_LEN:_plan_end(N)].reshape(N, G.PN_LEN)
    pf = ff[b + G.PG_LEN:_plan_end(N)].reshape(N, G.PN_LEN)
    used_d, used_f = pd[0, G.PN_M] - pd[-1, G.PN_M], pf[0, G.PN_M] - pf[-1, G.PN_M]
    assert used_f == pytest.approx(used_d, rel=2 * FLOAT_OBJ)
    L = CSolver("c", N, fd[b + G.PG_ST:b + G.PG_ST + pr.N_ST], fd[b + G.PG_LIM:b + G.PG_LIM + pr.N_LIM],
                fd[b + G.PG_TF]).scale[pr.SC_L]
    assert np.abs(pf[-1, G.PN_R:G.PN_R + 3] - fd[b + G.PG_RF:b + G.PG_RF + 3]).max() <= FLOAT_VIOL * L


@pytest.mark.parametrize("fsw", ["c", "c-float"])
def test_c_pdg_step_answers_other_programs_config_bad(fsw):
    """The pdg step flies the descent only (numba's fsw_step_pdg answers the ascent and the
    rendezvous config_bad), and a row whose set-up was refused is never stepped into."""
    fs = fsw_c.pdg_allocate(fsw, **_settings())
    m = fsw_c.module(fsw)
    entry = getattr(m.lib, "gnc_fsw_step_pdg_d" if fsw == "c" else "gnc_fsw_step_pdg_f64io")
    d = functools.partial(m.ffi.from_buffer, "double[]")
    cfg = assemble(SC, 0, False).cfg.copy()
    cfg[CF_PROGRAM] = PROGRAM_ASCENT
    sf, af = np.zeros(SF_LEN), np.zeros(AF_LEN)
    entry(d(sf), d(cfg), d(fs), d(af))
    assert int(af[AF_HEALTH]) == HEALTH_CONFIG_BAD
    bad = np.zeros(_plan_end(3))
    entry(d(sf), d(assemble(SC, 0, False).cfg), d(bad), d(af))
    assert int(af[AF_HEALTH]) == HEALTH_CONFIG_BAD and not bad.any()


# ---------------------------------------------------------------- long: against numba

def _replay_loop(step):
    @numba.njit
    def replay(frames, cfg, fs, fs_out, af_out):
        af = np.zeros(af_out.shape[1])
        for k in range(frames.shape[0]):
            step(frames[k], cfg, fs, af)
            fs_out[k] = fs[:fs_out.shape[1]]
            af_out[k] = af
    return replay


@functools.cache
def _reference(overrides=()):
    """A numba pdg flight of seed 0 (SC with these overrides): its recorded sensor frames and config."""
    sc = load("descent", ["guidance.law=pdg", *overrides])
    r = run(sc, seed=0)
    cols = telemetry_columns()
    frames = np.ascontiguousarray(np.column_stack([r.telemetry[c] for c in cols[T_SF:T_AF]]))
    return r, frames, assemble(sc, 0, False).cfg


def replay(fsw, frames, cfg):
    """(actuator frames, the rows up to the plan's end) after each step, from a fresh row laid
    out from the config's settings."""
    fs = fsw_c.pdg_allocate(fsw, **pdg_settings(cfg))
    fsw_c.reset(fsw, fs)
    n = _plan_end(int(fs[FS_LEN + G.PG_NODES]))
    fs_out, af_out = np.zeros((len(frames), n)), np.zeros((len(frames), AF_LEN))
    _replay_loop(fsw_c.pdg_step_kernel(fsw))(frames, cfg, fs, fs_out, af_out)
    return af_out, fs_out


def _first_difference(c, ref):
    diff = ~((c == ref) | (np.isnan(c) & np.isnan(ref)))
    k, field = np.argwhere(diff)[0]
    return f"step {k}, field {field}: {c[k, field]!r} against {ref[k, field]!r} ({diff.sum()} values differ)"


@pytest.mark.long
@pytest.mark.parametrize("budget", [0, 8])
def test_double_build_flies_the_numba_law_bit_for_bit(budget):
    """A numba pdg flight's sensor frames, open loop through numba's fsw_step_pdg and the C
    double build's: the same actuator frames and the same state (navigation, the PG block, the
    plan) at every step, as tests/test_c_build.py holds the default law's double build; with
    no planning budget (a plan ends in its step) and with 8 iterations a step (solves and
    searches carried over steps, the workspace between them)."""
    r, frames, cfg = _reference((f"guidance.pdg_step_iters={budget}",) if budget else ())
    ref_af, ref_fs = replay("numba", frames, cfg)
    cols = telemetry_columns()
    assert np.array_equal(ref_af, np.column_stack([r.telemetry[c] for c in cols[T_AF:]])), \
        "the open-loop replay must reproduce the run's own actuator frames"
    c_af, c_fs = replay("c", frames, cfg)
    assert np.array_equal(c_af, ref_af, equal_nan=True), "actuator frames: " + _first_difference(c_af, ref_af)
    assert np.array_equal(c_fs, ref_fs, equal_nan=True), "states: " + _first_difference(c_fs, ref_fs)
    assert G.counters(c_fs[-1]) == G.counters(ref_fs[-1]) and G.counters(c_fs[-1])[0] > 50
    # every actuator frame carries the state's counters as they stand after its step (protocol 9: a host
    # sees a board's only there)
    assert all(G.reported(ref_af[k]) == G.counters(ref_fs[k]) for k in range(len(frames)))
    # and the summary of the run's last recorded frame (a link's) is the one of its state
    last_af = np.array([r.telemetry[c][-1] for c in cols[T_AF:]])
    assert guidance_summary(G.reported(last_af)) == guidance_summary(G.counters(ref_fs[-1])) == r.summary["guidance"]
    if budget:
        # the budget held, and it did spread: solves left open at a step's end
        assert ref_fs[-1, FS_LEN + G.PG_STEP_ITER_MAX] == budget
        assert (ref_fs[:, FS_LEN + G.PG_SOLVING] == 1.0).sum() > 100


@pytest.mark.long
def test_double_build_plan_arc_is_numbas():
    """One final-time search from the same start in numba and in C: the same plan, bit for bit."""
    a = assemble(SC, 0, False)
    fn = G.allocate(**a.pdg)
    G.start_arc(fn, a.cfg, G.ARC_APPROACH)
    assert G.plan_arc(fn, a.cfg, 730.0, R0, V0, M0, 1.0, 1.62, 100.0)
    fc, _ = _c_approach_row("c")
    assert _c_plan_arc("c", fc, a.cfg, 730.0, R0, V0, M0, 100.0) == 1
    n = _plan_end(a.pdg["nodes"])
    assert np.array_equal(fc[FS_LEN:n], fn[FS_LEN:n])


@pytest.mark.long
@pytest.mark.parametrize("fsw", ["c", "c-float"])
def test_c_builds_land_with_the_pdg_law(fsw):
    """`gnc run descent --set guidance.law=pdg --fsw c` lands seed 0, its solver counters in
    the summary; the double build's flight is numba's (the same propellant and counters)."""
    s = run(SC, seed=0, tel_every=NO_TELEMETRY, fsw=fsw).summary
    assert s["outcome"] == "landed", s["failures"]
    g = s["guidance"]
    assert g["law"] == "pdg" and g["fallbacks"] == 0 and g["solves"] > 50
    assert g["iterations_max"] <= so.MAX_ITERS
    if fsw == "c":
        ref = _reference()[0].summary
        assert s["guidance"] == ref["guidance"]
        assert s["propellant_used_kg"] == ref["propellant_used_kg"]


@pytest.mark.long
def test_c_runs_flown_side_by_side_in_threads_are_the_runs_flown_alone():
    """A campaign's --jobs flies runs in threads (the loops release the GIL): each C run's law
    and solver live in its own state row, so two flown at once answer as each flown alone."""
    from concurrent.futures import ThreadPoolExecutor

    def fly(seed):
        return run(SC, seed=seed, disperse=True, tel_every=NO_TELEMETRY, fsw="c").summary

    alone = [fly(s) for s in (3, 4)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(fly, (3, 4)))
    for a, b in zip(alone, together):
        assert a["guidance"] == b["guidance"] and a["propellant_used_kg"] == b["propellant_used_kg"]
        assert a["touchdown"] == b["touchdown"]


@pytest.mark.long
def test_the_float_build_at_a_boards_planning_budget_lands():
    """The emulated STM32F405's settings (float, N = 21, 10 Hz) with 6 iterations a step, the
    most at which its worst step fits a 10 Hz step at 168 MHz (docs/guidance_pdg.md "Planning
    over steps"): every search and re-plan spread over steps, the default law flying each arc
    until its first plan, and it lands."""
    sc = load("descent", ["guidance.law=pdg", "guidance.pdg_nodes=21", "sim.fsw_rate_hz=10",
                          "guidance.pdg_step_iters=6"])
    s = run(sc, seed=0, tel_every=NO_TELEMETRY, fsw="c-float").summary
    assert s["outcome"] == "landed", s["failures"]
    g = s["guidance"]
    assert g["step_iterations_max"] == 6 and g["solves"] > 50, g
