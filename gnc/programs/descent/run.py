"""run(): fly one scenario in closed loop and return telemetry and a summary."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gnc import linalg3 as la
from gnc.arrays import layouts
from gnc.core import fsw_c, pmath
from gnc.core import moon as M
from gnc.core import vehicle as V
from gnc.core.fsw import nav, pdg_law
from gnc.core.layout import FS_COV, FS_LEN, FS_REOPENS, FS_SITE_SHIFT, FS_VEL_BIAS
from gnc.flight import Flight
from gnc.frames import phase_name
from gnc.programs import loops
from gnc.programs.descent import plant as P
from gnc.programs.descent.assemble import Assembly, assemble, file_map_of, resume_config
from gnc.programs.descent.fault_report import fault_summary
from gnc.programs.descent.hazard_report import hdu_summary, touchdown_verdict
from gnc.rotations import quat_to_matrix
from gnc.scenario import Scenario, ScenarioError
from gnc.telemetry import Recorder

CHUNK = 1000     # flight-software steps per call into compiled code


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    summary: dict
    telemetry: Mapping[str, np.ndarray] = field(repr=False)  # column -> array (gnc.telemetry.Columns when streamed)
    # (hdu params, state, map) for the safety-map picture; keyword-only so subclasses keep their positions
    hazard: tuple | None = field(default=None, repr=False, kw_only=True)


def telemetry_columns() -> list[str]:
    """Names of the columns of the descent's and ascent's telemetry rows (gnc.programs.descent.plant T_*)."""
    return layouts()["descent_telemetry"].column_names()


def fly(a: Assembly, progress: Callable[[float, str], None] | None = None, tel_every: int = 1,
        fsw: str = "numba", link=None, telemetry: Recorder | None = None) -> Flight:
    """Fly an assembly to touchdown or the end of its time; the Flight holds the outcome
    (its plant: truth, contact state, hazard unit; its telemetry).

    progress(fraction of the longest flight, status) is called between chunks.  tel_every > 1 keeps
    one telemetry row in that many steps (Monte Carlo keeps few).  fsw names the
    flight-software build ("numba", "c", "c-float"; gnc.core.fsw_c), which raises
    CBuildUnavailable for a C build that is not installed.  link: a HIL session whose board
    flies the flight software instead (gnc.hil.session).  telemetry: where the telemetry
    streams to as it flies (gnc.telemetry), None to keep it in memory."""
    check_law(a.law, fsw, link, a.pdg.get("nodes"))
    # over a link the board lays the law out from the config it is sent: the host's row of the
    # board's flight computer stays unused (gnc.hil.flight)
    fs = (fsw_c.pdg_allocate(fsw, **a.pdg)[None, :] if a.law == "pdg" and link is None
          else np.zeros((1, FS_LEN)))
    fsw_c.reset(fsw, fs[0])
    sink = None if telemetry is None else telemetry.open(telemetry_columns())
    if link is None:
        f = Flight(loops.loop("descent", fsw, a.law), a.plant(), a.cfg[None, :], fs, P.T_LEN, tel_every, a.seed, sink)
    else:
        f = link.flight("descent", P, a.plant(), a.cfg[None, :], fs, tel_cols=P.T_LEN, sink=sink,
                        tel_every=tel_every, seed=a.seed, fsw=fsw, dt=a.dt, resume=resume_config)
    f.until(a.n_steps, CHUNK, None if progress is None else
            lambda fl: progress(fl.k / a.n_steps, f"altitude {fl.last_row()[P.T_ALT]:9,.0f} m"))
    return f


def check_law(law: str, fsw: str, link=None, nodes: int | None = None) -> None:
    """A ScenarioError for a guidance law the chosen flight software cannot fly: the fuel-optimal
    law ("pdg") flies in process in every build (numba, c, c-float) within the build's room,
    and on a board (HIL), whose config carries the law and its settings; a board without room
    for the nodes refuses that config, which the session raises as its error (gnc.hil.session
    send_config).  Flying the default law instead would be a different flight under the same
    scenario."""
    if law == "pdg" and link is None and fsw != "numba" and nodes is not None \
            and nodes > fsw_c.module(fsw).lib.PDG_N_MAX:
        raise ScenarioError(f"guidance.pdg_nodes: {nodes} exceeds the {fsw} build's room for "
                            f"{fsw_c.module(fsw).lib.PDG_N_MAX} nodes (csrc/build_cffi.py PDG_N_MAX); "
                            "fly it with --fsw numba or fewer nodes")


def guidance_summary(counts: tuple) -> dict:
    """The fuel-optimal law's solver figures: pdg_law.counters of its state in process; over a
    link, the board's, pdg_law.reported by its last actuator frame (counted since the board
    last laid the law out, so since its last reset)."""
    solves, failures, iters, iter_max, fallbacks, step_max = counts
    return {"law": "pdg", "solves": solves, "failures": failures, "iterations": iters,
            "iterations_mean": iters / solves if solves else 0.0, "iterations_max": iter_max,
            "step_iterations_max": step_max, "fallbacks": fallbacks}


def nav_summary(fs: np.ndarray) -> dict:
    """How often the filter reopened its covariance (gnc/core/fsw/nav.py), by state, and its
    velocimeter beams' bias estimates with their 1-sigma (0 and 0 while those states are closed)."""
    var = fs[FS_COV + (nav.N + 1) * (nav.NB + np.arange(3))]
    return {"reopens": {name: int(fs[FS_REOPENS + i])
                        for i, name in enumerate(("position", "velocity", "bias", "beam_bias"))},
            "beam_bias_m_s": [float(b) for b in fs[FS_VEL_BIAS:FS_VEL_BIAS + 3]],
            "beam_bias_sigma_m_s": [float(s) for s in np.sqrt(np.maximum(var, 0.0))]}


def site_shift(fs: np.ndarray) -> float:
    """How far downrange main braking moved the landing site on a short engine, m (0: it did
    not; gnc/core/fsw/descent.py)."""
    return float(fs[FS_SITE_SHIFT])


def touchdown_summary(a: Assembly, touch: np.ndarray) -> dict:
    """The touchdown report of a contact state: speeds, tilt, rate, distance to the target, site."""
    t = touch[V.X_LEN]
    w = a.world
    th = w[M.W_THETA0] + w[M.W_OMEGA] * t
    c, s = pmath.cos(th), pmath.sin(th)
    rz = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])             # MCI -> MCMF
    C = w[M.W_C_LF:M.W_C_LF + 9].reshape(3, 3)
    r_i, v_i = touch[V.X_R:V.X_R + 3], touch[V.X_V:V.X_V + 3]
    om = np.array([0.0, 0.0, w[M.W_OMEGA]])
    r_f = la.mv(rz, r_i)
    r_l = la.mv(C, r_f - w[M.W_P_SITE:M.W_P_SITE + 3])
    v_l = la.mv(C, la.mv(rz, v_i - np.cross(om, r_i)))
    up = r_f / la.norm(r_f)
    up_l = la.mv(C, up)
    v_vert = -la.dot(v_l, up_l)
    v_hor = float(la.norm(v_l + v_vert * up_l))
    z_body_l = la.mv(C, la.mv(rz, quat_to_matrix(touch[V.X_Q:V.X_Q + 4])[:, 2]))
    tilt = math.degrees(pmath.acos(max(-1.0, min(1.0, la.dot(z_body_l, up_l)))))
    rate = math.degrees(float(la.norm(touch[V.X_W:V.X_W + 3])))
    return {
        "time_s": float(t),
        "vertical_speed_mps": v_vert,
        "horizontal_speed_mps": v_hor,
        "tilt_deg": tilt,
        "rate_dps": rate,
        "distance_to_target_m": float(pmath.hypot(r_l[0], r_l[1])),
        "east_m": float(r_l[0]),
        "north_m": float(r_l[1]),
        "lat_deg": math.degrees(pmath.asin(up[2])),
        "lon_deg": math.degrees(pmath.atan2(up[1], up[0])) % 360.0,
    }


def phases(t: np.ndarray, phase: np.ndarray) -> list[dict]:
    out = []
    if len(t) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, phase[1:] != phase[:-1]])
    for i, s in enumerate(starts):
        end = t[starts[i + 1]] if i + 1 < len(starts) else t[-1]
        out.append({"name": phase_name(int(phase[s])), "start_s": float(t[s]), "end_s": float(end)})
    return out


def judge(sc: Scenario, td: dict | None) -> tuple[str, list[str]]:
    """Outcome from the touchdown state against the scenario's limits: landed, crashed (a
    speed, the attitude or a tip-over), unsafe_ground (set down gently on a slope or a rock
    beyond the limits), no_touchdown."""
    if td is None:
        return "no_touchdown", ["the run ended before any foot pad touched the ground"]
    lim = sc.touchdown
    failures = []
    if td["vertical_speed_mps"] > lim.max_vertical_m_s:
        failures.append(f"vertical speed {td['vertical_speed_mps']:.2f} m/s > {lim.max_vertical_m_s:g}")
    if td["horizontal_speed_mps"] > lim.max_horizontal_m_s:
        failures.append(f"horizontal speed {td['horizontal_speed_mps']:.2f} m/s > {lim.max_horizontal_m_s:g}")
    if td["tilt_deg"] > lim.max_tilt_deg:
        failures.append(f"tilt {td['tilt_deg']:.2f} deg > {lim.max_tilt_deg:g}")
    if td["rate_dps"] > lim.max_rate_deg_s:
        failures.append(f"body rate {td['rate_dps']:.2f} deg/s > {lim.max_rate_deg_s:g}")
    if td.get("tipped"):
        failures.append("tipped over on the ground it touched")
    crashed = bool(failures)
    # the ground is a limit too: a body set down on a rock or a slope beyond the design's is lost
    if td.get("slope_deg", 0.0) > lim.max_slope_deg:
        failures.append(f"ground slope {td['slope_deg']:.1f} deg > {lim.max_slope_deg:g} under the foot pads")
    if td.get("max_rock_m", 0.0) > lim.max_rock_m:
        failures.append(f"rock {td['max_rock_m']:.3f} m > {lim.max_rock_m:g} under the body")
    return ("crashed" if crashed else "unsafe_ground" if failures else "landed"), failures


def dem_file_summary(fm) -> dict:
    """What the run's DEM file (gnc.terrain_file.FileMap) covers of the ground track: beyond
    that stretch the ground is the datum sphere (and the synthetic maps)."""
    return {"dem_file": fm.source, "dem_posting_m": fm.posting, "map_resolution_m": fm.res,
            "track_covered_km": [fm.track_m[0] / 1000.0, fm.track_m[1] / 1000.0],
            "track_covered_fraction": fm.track_fraction}


def run(sc: Scenario, seed: int = 0, disperse: bool = False, *, tel_every: int = 1, fsw: str = "numba",
        progress: Callable[[float, str], None] | None = None, link=None,
        telemetry: Recorder | None = None) -> RunResult:
    """Fly one scenario.  seed fixes every random draw; disperse adds the vehicle
    dispersions of the Monte Carlo; tel_every thins telemetry; fsw picks the
    flight-software build; link flies it over HIL; telemetry streams it to a file (see fly)."""
    check_law(sc.guidance.law, fsw, link, int(sc.guidance.pdg_nodes))
    a = assemble(sc, seed, disperse)
    f = fly(a, progress, tel_every, fsw, link, telemetry)
    p = f.plant
    touch, x, hs, hmap = p.touch, p.x, p.hs, p.hmap
    event = f.event
    last = f.last_row()
    telemetry = f.columns(telemetry_columns())
    td = touchdown_summary(a, touch) if event == P.EV_CONTACT else None
    if td is not None:
        td.update(touchdown_verdict(sc, a.vp, a.world, a.dem, touch))
    outcome, failures = judge(sc, td)
    m_end = touch[V.X_M] if td is not None else x[V.X_M]
    summary = {
        "outcome": outcome,
        "failures": failures,
        "duration_s": float(td["time_s"] if td else last[P.T_T]),
        "propellant_used_kg": float(a.x0[V.X_M] - m_end),
        "touchdown": td,
        "hdu": hdu_summary(a.hdu, hs, hmap),
        "fault": fault_summary(p.faults, outcome),
        "phases": phases(telemetry["t"], telemetry["af.phase"]),
        "seed": int(seed),
        "dispersed": bool(disperse),
        "scenario": sc.name,
    }
    if link is None:
        summary["nav"] = nav_summary(f.fs[0])
        summary["site_shift_m"] = site_shift(f.fs[0])
    if a.law == "pdg":
        summary["guidance"] = guidance_summary(
            pdg_law.counters(f.fs[0]) if link is None else pdg_law.reported(last[P.T_AF:]))
    if (fm := file_map_of(sc)) is not None:
        summary["terrain"] = dem_file_summary(fm)
    return RunResult(sc, seed, summary, telemetry, hazard=(a.hdu, hs, hmap))
