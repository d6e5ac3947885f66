"""Fly one rendezvous: ground-planned far range, autonomous homing and closing, final
approach and capture; summary with the burns, the hand-over, the relative state at
capture and its margins, and the propellant of both vehicles.

A rendezvous starts from a flown ascent (the scenario's `ascent`, same seed and
dispersions) unless one is given (gnc.programs.mission.run passes its own).  The compiled loop
(gnc.core.loop over gnc.programs.rendezvous.plant) runs between ground events; at each the ground (gnc.programs.rendezvous.ground)
tracks both vehicles and uplinks a plan to the ascender (command 3) or, after the last
manoeuvre, the go with both state vectors to the orbiter-returner (command 1).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gnc import linalg3 as la
from gnc import scenario as scenario_mod
from gnc.arrays import layouts
from gnc.core import capture as CP
from gnc.core import layout as L
from gnc.core import pmath
from gnc.core import vehicle as V
from gnc.core.orbit import to_lvlh
from gnc.flight import Flight
from gnc.programs import loops
from gnc.programs.ascent.run import AscentResult
from gnc.programs.ascent.run import run as run_ascent
from gnc.programs.burnt import burnt
from gnc.programs.descent.run import phases
from gnc.programs.gravity import plant_field
from gnc.programs.rendezvous import plant as RL
from gnc.programs.rendezvous.assemble import RendezvousAssembly, assemble
from gnc.programs.rendezvous.ground import Ground
from gnc.scenario import Scenario
from gnc.telemetry import Recorder

BOARD_ROWS = {"chaser": 0, "target": 1}    # over HIL: the vehicle whose flight software the board flies
MIN_BURN_MPS = 0.1         # the ground does not uplink smaller burns

REFUSALS = {CP.REFUSE_LATERAL: "lateral offset", CP.REFUSE_SLOW: "closing too slow", CP.REFUSE_FAST: "closing too fast",
            CP.REFUSE_LATERAL_RATE: "lateral speed", CP.REFUSE_ATTITUDE: "relative attitude",
            CP.REFUSE_RATE: "relative rate"}


@dataclass
class RendezvousResult:
    scenario: Scenario
    seed: int
    summary: dict
    telemetry: Mapping[str, np.ndarray] = field(repr=False)  # column -> array (gnc.telemetry.Columns when streamed)
    ascent: AscentResult | None = field(repr=False, default=None)


def telemetry_columns() -> list[str]:
    """Names of the columns of the rendezvous' telemetry rows (gnc.programs.rendezvous.plant R_*)."""
    return layouts()["rendezvous_telemetry"].column_names()


def _plant(a: RendezvousAssembly, sim) -> RL.Plant:
    """The plant over the assembly's own truth arrays (the ground tracks them between calls)."""
    return RL.Plant(a.xc, a.xt, a.vpc, a.vpt, a.world, np.zeros((1, 1)), a.spc, a.spt, a.rp, a.dp, np.zeros(6),
                    np.zeros(6), np.zeros(V.WORK_LEN), np.zeros(V.N_RCS), plant_field(a.field),
                    np.zeros(RL.OUT_LEN), np.zeros(2),
                    np.full(1, a.dt), a.t0, a.dt, a.substeps, int(round(sim.fsw_rate_hz)),
                    int(round(sim.coast_step_max_s / a.dt)), sim.coast_substep_s)


class _Timeline:
    """The flight between ground events, on the clock of the assembly; over a HIL link
    (gnc.hil.session) the board flies one vehicle (BOARD_ROWS), the host the other."""

    def __init__(self, a: RendezvousAssembly, sim, tel_every: int, fsw: str, progress, link=None,
                 board: str = "chaser", continues: bool = False, telemetry: Recorder | None = None):
        self.a, self.progress = a, progress
        sink = None if telemetry is None else telemetry.open(telemetry_columns())
        if link is None:
            self.flight = Flight(loops.loop("rendezvous", fsw), _plant(a, sim), a.cfg, a.fs, RL.R_LEN,
                                 tel_every, a.seed, sink)
        else:
            self.flight = link.flight("rendezvous", RL, _plant(a, sim), a.cfg, a.fs, tel_cols=RL.R_LEN,
                                      sink=sink, tel_every=tel_every, seed=a.seed, fsw=fsw, dt=a.dt,
                                      board_row=BOARD_ROWS[board], continues=continues)
        self.out = self.flight.plant.out

    def t(self) -> float:
        return self.a.t0 + self.flight.k * self.a.dt

    def command(self, chaser: float = 0.0, target: float = 0.0) -> None:
        """Ground commands for the next sensor frames (gnc.frames cmd codes)."""
        self.flight.plant.cmd[:] = chaser, target

    def until(self, t_stop: float) -> int:
        """Fly to t_stop (or an event); returns the loop's event."""
        a, f = self.a, self.flight
        k_stop = min(a.n_steps, max(f.k + 1, int(math.ceil((t_stop - a.t0) / a.dt))))
        event = f.until(k_stop)
        if self.progress is not None:      # at ground events only: a chunk boundary would cut a coast in two
            self.progress(f.k / a.n_steps, f"{(self.t() - a.t0) / 3600:6.2f} h after insertion")
        return event


def _uplink_burns(cfg: np.ndarray, t: float, state, burns) -> list:
    """The ascender's config after a ground pass: its tracked state and the burns to come."""
    cfg[L.CF_ORB_EPOCH] = t
    cfg[L.CF_ORB_POS:L.CF_ORB_POS + 3], cfg[L.CF_ORB_VEL:L.CF_ORB_VEL + 3] = state
    cfg[L.CF_BURN_T:L.CF_BURN_T + 4] = 0.0
    cfg[L.CF_BURN_DV:L.CF_BURN_DV + 12] = 0.0
    sent = [b for b in burns if la.norm(b.dv) >= MIN_BURN_MPS]
    for i, b in enumerate(sent):
        cfg[L.CF_BURN_T + i] = b.t
        cfg[L.CF_BURN_DV + 3 * i:L.CF_BURN_DV + 3 * i + 3] = b.dv
    return sent


def _truth(x):
    return x[V.X_R:V.X_R + 3].copy(), x[V.X_V:V.X_V + 3].copy()


def fly(sc: Scenario, a: RendezvousAssembly, rng: np.random.Generator, tel_every: int = 1, fsw: str = "numba",
        progress: Callable[[float, str], None] | None = None, link=None, board: str = "chaser",
        continues: bool = False, telemetry: Recorder | None = None):
    """The whole rendezvous timeline: ground passes between compiled-loop stretches, both
    vehicles on the flight-software build fsw (gnc.core.fsw_c), or one of them (board) on
    a HIL link's board; continues: the board goes on with the ascent it flew; telemetry:
    streamed there (gnc.telemetry), None: kept in memory."""
    f = _Timeline(a, sc.sim, tel_every, fsw, progress, link, board, continues, telemetry)
    ground = Ground(sc.ground, sc.moon.mu, sc.moon.radius_m, a.world, a.field, rng)
    t_ins = a.t0
    plan_log = {}
    t_end = a.t0 + sc.sim.max_duration_s
    event = f.until(ground.first_plan_time(a.t0, *_truth(a.xt), t_ins))
    stages = ["A", "B", "C", "D"]
    while event == RL.EV_NONE and stages and f.t() < t_end:
        stage = stages.pop(0)
        args = (f.t(), *_truth(a.xt), *_truth(a.xc))
        if stage == "A":
            burns, state = ground.plan_a(*args, t_ins)
            if ground.t2 <= ground.t1:
                stages.remove("B")                     # a single phasing revolution: no room to trim
        elif stage == "B":
            burns, state = ground.plan_b(*args)
        elif stage == "C":
            burns, state = ground.plan_c(*args)
        else:
            burns, state = ground.plan_d(*args)
            a.cfgt[L.CF_HOLD_BW] = sc.target_hold.docking_bandwidth     # docking attitude mode from now on
        sent = _uplink_burns(a.cfgt, f.t(), state, burns)
        for b in burns:
            plan_log[_burn_name(ground, b.t)] = {"t_s": float(b.t), "dv_mps": float(la.norm(b.dv)),
                                                "uplinked": any(b is s for s in sent), "plan": stage}
        f.command(target=3.0)
        nxt = {"B": ground.t2, "C": ground.t3, "D": ground.t_h}.get(stages[0]) if stages else None
        if nxt is None:
            break
        event = f.until(nxt - sc.ground.uplink_lead_s)
    handover = None
    planned = ground.t_h is not None       # a scenario shorter than the far range ends before the go
    if event == RL.EV_NONE and planned:
        event = f.until(ground.t_h + sc.ground.go_delay_s)
    if event == RL.EV_NONE and planned and f.t() < t_end:
        # the go: both vehicles tracked, the orbiter-returner's config uplinked
        t = f.t()
        rc, vc = ground.track(*_truth(a.xc))
        rt, vt = ground.track(*_truth(a.xt))
        a.cfgc[L.CF_ORB_EPOCH] = t
        a.cfgc[L.CF_ORB_POS:L.CF_ORB_POS + 3], a.cfgc[L.CF_ORB_VEL:L.CF_ORB_VEL + 3] = rc, vc
        a.cfgc[L.CF_ORB_TGT_POS:L.CF_ORB_TGT_POS + 3], a.cfgc[L.CF_ORB_TGT_VEL:L.CF_ORB_TGT_VEL + 3] = rt, vt
        f.command(chaser=1.0)
        handover = {"t_s": t, "relative_lvlh_m": _relative(a)[0].tolist(), "relative_lvlh_mps": _relative(a)[1].tolist()}
        event = f.until(t_end)
    return f, event, plan_log, handover, ground


def _burn_name(ground: Ground, t: float) -> str:
    for name, tb in (("B1", ground.t1), ("B2", ground.t2), ("B3", ground.t3), ("B4", ground.t_h)):
        if tb is not None and abs(t - tb) < 1.0:
            return name
    return f"burn@{t:.0f}"


def _relative(a: RendezvousAssembly):
    rho, rho_dot = to_lvlh(*(tuple(v) for v in _truth(a.xt)), *(tuple(v) for v in _truth(a.xc)))
    return np.array(rho), np.array(rho_dot)


def _capture_summary(out: np.ndarray, dp: np.ndarray, sc: Scenario, t_ins: float) -> dict:
    s = out[RL.OUT_STATE:RL.OUT_STATE + 6]
    bits = int(out[RL.OUT_VERDICT])
    m = CP.margins(s[CP.S_LATERAL], s[CP.S_CLOSING], s[CP.S_LATERAL_RATE], s[CP.S_ATT], s[CP.S_RATE], dp)
    return {
        "time_s": float(out[RL.OUT_T]),
        "hours_after_insertion": float((out[RL.OUT_T] - t_ins) / 3600.0),
        "lateral_m": float(s[CP.S_LATERAL]),
        "closing_mps": float(s[CP.S_CLOSING]),
        "lateral_rate_mps": float(s[CP.S_LATERAL_RATE]),
        "attitude_deg": math.degrees(s[CP.S_ATT]),
        "rate_deg_s": math.degrees(s[CP.S_RATE]),
        "margins": {"lateral": m[0], "closing": m[1], "lateral_rate": m[2], "attitude": m[3], "rate": m[4]},
        "refused_for": [name for bit, name in REFUSALS.items() if bits & bit],
        "envelope": {"max_lateral_m": sc.capture.max_lateral_m, "closing_mps": [sc.capture.min_closing_m_s,
                     sc.capture.max_closing_m_s], "max_lateral_rate_mps": sc.capture.max_lateral_rate_m_s,
                     "max_attitude_deg": sc.capture.max_attitude_deg, "max_rate_deg_s": sc.capture.max_rate_deg_s},
    }


def _burns_from_telemetry(t: np.ndarray, thrust: np.ndarray, mass: np.ndarray, isp: float) -> list[dict]:
    """Each main-engine firing (thrust above 1 N): start, duration, delta-v from the mass used."""
    on = thrust > 1.0
    out = []
    edges = np.flatnonzero(np.diff(np.r_[0, on.astype(int), 0]))
    for s, e in zip(edges[::2], edges[1::2]):
        e2 = min(e + 5, len(t) - 1)        # the tail-off
        out.append({"t_s": float(t[s]), "duration_s": float(t[e2] - t[s]),
                    "dv_mps": float(isp * pmath.log(mass[max(s - 1, 0)] / mass[e2]))})
    return out


def run(sc: Scenario, seed: int = 0, disperse: bool = False, *, tel_every: int = 1, fsw: str = "numba",
        progress: Callable[[float, str], None] | None = None, ascent: AscentResult | None = None, link=None,
        board: str = "chaser", telemetry: Recorder | None = None) -> RendezvousResult:
    """Fly the rendezvous; without `ascent`, the scenario's ascent is flown first (same seed
    and flight-software build).  link: over HIL, the board flying the `board` vehicle's
    flight software: the orbiter-returner's rendezvous program ("chaser"), or the
    ascender's ("target"), which goes on from the ascent it flew on the same board (the
    ascent is flown over the link too when not given).  telemetry: the rendezvous' streamed
    there (gnc.telemetry; not the ascent flown first)."""
    if board not in BOARD_ROWS:
        raise ValueError(f"board must be one of {', '.join(BOARD_ROWS)}, not {board!r}")
    ascent_sc = scenario_mod.load(sc.get("ascent"))
    if ascent is None:
        ascent = run_ascent(ascent_sc, seed, disperse, tel_every=10 ** 9, fsw=fsw,
                            progress=None if progress is None else lambda x, s: progress(0.0, f"ascent {s}"),
                            link=link if board == "target" else None)
    if ascent.summary["outcome"] not in ("inserted", "off_target"):
        raise ValueError(f"the ascent did not reach orbit ({ascent.summary['outcome']}): nothing to rendezvous with")
    a = assemble(sc, ascent_sc, ascent.final, seed, disperse)
    x0c, x0t = a.xc.copy(), a.xt.copy()     # the flight moves both in place
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    f, event, plan_log, handover, ground = fly(sc, a, rng, tel_every, fsw, progress, link, board,
                                              continues=link is not None and board == "target", telemetry=telemetry)
    telemetry = f.flight.columns(telemetry_columns())
    outcome = {RL.EV_CAPTURED: "captured", RL.EV_REFUSED: "refused"}.get(event, "no_capture")
    failures = []
    cap = None
    if event in (RL.EV_CAPTURED, RL.EV_REFUSED):
        cap = _capture_summary(f.out, a.dp, sc, a.t0)
        if event == RL.EV_REFUSED:
            failures.append("capture refused: " + ", ".join(cap["refused_for"]))
    else:
        failures.append(f"no contact within {sc.sim.max_duration_s / 3600:.0f} h of insertion")
    rho, rho_dot = _relative(a)
    summary = {
        "outcome": outcome,
        "failures": failures,
        "insertion_s": a.t0,
        "duration_h": float((f.t() - a.t0) / 3600.0),
        "far_range": {"burns": plan_log, "handover": handover,
                      "phasing_revolutions": ground.m},
        "capture": cap,
        "relative_state_at_end": {"lvlh_m": rho.tolist(), "lvlh_mps": rho_dot.tolist()},
        "chaser": {**burnt(x0c, a.xc),
                   "engine_burns": _burns_from_telemetry(telemetry["t"], telemetry["thrust_chaser"],
                                                         telemetry["mass_chaser"], sc.engine.isp_m_s)
                   if tel_every == 1 else None},
        "target": burnt(x0t, a.xt),
        "phases": phases(telemetry["t"], telemetry["phase_chaser"]),
        "loop_iterations": f.flight.iterations,
        "seed": int(seed),
        "dispersed": bool(disperse),
        "scenario": sc.name,
    }
    return RendezvousResult(sc, seed, summary, telemetry, ascent)
