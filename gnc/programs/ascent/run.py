"""Fly one ascent: lift-off to orbit insertion; summary with the insertion orbit and its errors.

The result has `.summary` (JSON-serialisable) and `.telemetry` (column -> array) like
gnc.programs.descent.run.RunResult, plus `.final`: the truth and flight-software state at the end, which
the rendezvous phase of a mission continues from.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gnc import linalg3 as la
from gnc.core import fsw_c, orbit, pmath
from gnc.core import moon as M
from gnc.core import vehicle as V
from gnc.core.layout import FS_LEN
from gnc.flight import Flight
from gnc.programs import loops
from gnc.programs.ascent import plant as AL
from gnc.programs.ascent.assemble import AscentAssembly, Pad, assemble
from gnc.programs.burnt import burnt
from gnc.programs.descent import plant as DP
from gnc.programs.descent.run import phases, telemetry_columns
from gnc.scenario import Scenario
from gnc.telemetry import Recorder

CHUNK = 2000


@dataclass
class AscentResult:
    scenario: Scenario
    seed: int
    summary: dict
    telemetry: Mapping[str, np.ndarray] = field(repr=False)  # column -> array (gnc.telemetry.Columns when streamed)
    final: dict = field(repr=False, default_factory=dict)


def fly(a: AscentAssembly, tel_every: int = 1, fsw: str = "numba",
        progress: Callable[[float, str], None] | None = None, link=None, telemetry: Recorder | None = None) -> Flight:
    """Fly an assembly to insertion, a fall or the end of its time; the Flight holds the
    outcome (its plant: truth and the pad's times; its fs: the flight software's state).
    fsw names the flight-software build (gnc.core.fsw_c); progress(fraction, status) between
    chunks; link: a HIL session whose board flies the flight software (gnc.hil.session;
    the state then stays on the board); telemetry: where the telemetry streams to (gnc.telemetry),
    None to keep it in memory."""
    fs = np.zeros((1, FS_LEN))
    fsw_c.reset(fsw, fs[0])
    sink = None if telemetry is None else telemetry.open(telemetry_columns())
    if link is None:
        f = Flight(loops.loop("ascent", fsw), a.plant(), a.cfg[None, :], fs, DP.T_LEN, tel_every, a.seed, sink)
    else:
        f = link.flight("ascent", AL, a.plant(), a.cfg[None, :], fs, tel_cols=DP.T_LEN, sink=sink,
                        tel_every=tel_every, seed=a.seed, fsw=fsw, dt=a.dt)
    f.until(a.n_steps, CHUNK, None if progress is None else
            lambda fl: progress(fl.k / a.n_steps, f"altitude {fl.last_row()[DP.T_ALT]:9,.0f} m"))
    return f


def insertion_figures(x: np.ndarray, mu: float, radius: float, target: dict) -> dict:
    a, e, i, raan, argp, nu = orbit.elements(x[V.X_R:V.X_R + 3], x[V.X_V:V.X_V + 3], mu)
    rp, ra = a * (1.0 - e), a * (1.0 + e)
    n = np.cross(x[V.X_R:V.X_R + 3], x[V.X_V:V.X_V + 3])
    plane_error = math.degrees(pmath.acos(min(1.0, la.dot(n, target["plane_normal"]) / la.norm(n))))
    return {
        "elements": {"a_m": a, "e": e, "i_deg": math.degrees(i), "raan_deg": math.degrees(raan),
                     "argp_deg": math.degrees(argp), "true_anomaly_deg": math.degrees(nu)},
        "perilune_alt_m": rp - radius, "apolune_alt_m": ra - radius,
        "target": {"a_m": target["a_m"], "e": target["e"], "i_deg": target["i_deg"],
                   "perilune_alt_m": target["perilune_radius_m"] - radius,
                   "apolune_alt_m": target["apolune_radius_m"] - radius},
        "errors": {"a_m": a - target["a_m"], "i_deg": math.degrees(i) - target["i_deg"],
                   "perilune_alt_m": rp - target["perilune_radius_m"],
                   "apolune_alt_m": ra - target["apolune_radius_m"], "plane_deg": plane_error},
    }


def run(sc: Scenario, seed: int = 0, disperse: bool = False, *, tel_every: int = 1, fsw: str = "numba",
        progress: Callable[[float, str], None] | None = None, pad: Pad | None = None, link=None,
        telemetry: Recorder | None = None) -> AscentResult:
    """Fly the ascent from the scenario's pad, or from `pad` (the mission's landing site);
    link: over HIL; telemetry: streamed to a file (see fly)."""
    a = assemble(sc, seed, disperse, pad)
    f = fly(a, tel_every, fsw, progress, link, telemetry)
    n, event, x, fs, padv = f.k, f.event, f.plant.x, f.fs[0], f.plant.pad
    telemetry = f.columns(telemetry_columns())
    ins = insertion_figures(x, sc.moon.mu, sc.moon.radius_m, a.target)
    t_lift, t_cut = float(padv[AL.PAD_T_LIFTOFF]), float(padv[AL.PAD_T_CUTOFF])
    failures = []
    if event == AL.EV_FELL:
        outcome = "fell"
        failures.append("the ascender came back down after lift-off")
    elif event != AL.EV_INSERTED:
        outcome = "no_cutoff"
        failures.append(f"no engine cut-off within {sc.sim.max_duration_s:g} s")
    else:
        outcome = "inserted"
        if abs(ins["errors"]["a_m"]) > sc.target.max_sma_error_m:
            failures.append(f"semi-major axis error {ins['errors']['a_m']:.0f} m > {sc.target.max_sma_error_m:g}")
        if abs(ins["errors"]["i_deg"]) > sc.target.max_inc_error_deg:
            failures.append(f"inclination error {ins['errors']['i_deg']:.4f} deg > {sc.target.max_inc_error_deg:g}")
        if failures:
            outcome = "off_target"
    m1 = float(x[V.X_M])
    p_site = a.world[M.W_P_SITE:M.W_P_SITE + 3]
    summary = {
        "outcome": outcome,
        "site": {"lat_deg": math.degrees(pmath.asin(p_site[2] / la.norm(p_site))),
                 "lon_deg": math.degrees(pmath.atan2(p_site[1], p_site[0])) % 360.0,
                 "elevation_m": float(a.world[M.W_SITE_R] - sc.moon.radius_m)},
        "failures": failures,
        "liftoff_s": t_lift,
        "cutoff_s": t_cut,
        "burn_duration_s": t_cut - t_lift if t_cut >= 0.0 and t_lift >= 0.0 else None,
        "insertion": ins,
        **burnt(a.x0, x),
        "mass_at_insertion_kg": m1,
        "phases": phases(telemetry["t"], telemetry["af.phase"]),
        "seed": int(seed),
        "dispersed": bool(disperse),
        "scenario": sc.name,
    }
    final = {"x": x, "fs": fs, "cfg": a.cfg, "t": n * a.dt, "world": a.world, "vp": a.vp, "sp": a.sp,
             "target": a.target}
    return AscentResult(sc, seed, summary, telemetry, final)
