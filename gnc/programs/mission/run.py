"""The whole mission in one run: descent -> surface stay -> ascent -> rendezvous -> capture.

Each phase flies its own scenario with the same seed; what passes between them is what
the vehicles would carry:
    descent -> ascent      where the lander came to rest (latitude, longitude, ground
                           elevation under it), its attitude (the ascender stands on it,
                           axes aligned), and the descent navigation's error there
                           (the ascent's knowledge of its pad);
    ascent -> rendezvous   the ascender's truth and flight-software state at insertion
                           (gnc.programs.rendezvous.run continues it).
Each phase keeps its own clock and inertial frame (Moon-fixed = inertial at its own
t = 0), so only Moon-fixed quantities cross from the descent to the ascent; the
surface stay only shifts the mission clock.  The orbiter-returner's plane is the one
the ascent aims at (the mission's launch window).

Result: `.summary` with a section per phase (and the mission timeline and propellant of
each), `.wall_s` the wall time of each phase (run.json's: it varies from run to run), `.telemetry` with each phase's columns prefixed by its name
("descent.alt", "ascent.alt", "rendezvous.range"; lengths differ between phases).  Streamed,
each phase's telemetry is a file of its own (telemetry-descent.arrow, ...: gnc.telemetry).
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gnc import linalg3 as la
from gnc.core import pmath
from gnc.programs import loops
from gnc.programs.ascent import run as run_ascent
from gnc.programs.ascent.assemble import Pad
from gnc.programs.descent import run as run_descent
from gnc.programs.descent.assemble import world_array
from gnc.programs.rendezvous import run as run_rendezvous
from gnc.rotations import quat_from_matrix, quat_to_matrix
from gnc.scenario import Scenario, ScenarioError, load
from gnc.telemetry import Recorder


@dataclass
class MissionResult:
    scenario: Scenario
    seed: int
    summary: dict
    telemetry: Mapping[str, np.ndarray] = field(repr=False)
    phases: dict = field(repr=False, default_factory=dict)
    wall_s: dict = field(default_factory=dict)      # each phase's wall time: run.json's, not the summary's


def pad_from_descent(descent_sc: Scenario, result) -> Pad:
    """Where and how the lander came to rest, and what its navigation thought."""
    td = result.summary["touchdown"]
    tel = result.telemetry
    c_lf = world_array(descent_sc)[6:15].reshape(3, 3)              # Moon-fixed -> landing (ENU at the target)
    q_lb = np.array([tel["q_w"][-1], tel["q_x"][-1], tel["q_y"][-1], tel["q_z"][-1]])
    q_body_fixed = quat_from_matrix(la.mm(c_lf.T, quat_to_matrix(q_lb)))
    ground_up = tel["pos_u"][-1] - tel["alt"][-1]                   # ground under the lander, landing frame
    error = np.array([tel[f"af.nav_pos[{i}]"][-1] - tel[f"pos_{a}"][-1] for i, a in enumerate("enu")])
    return Pad(td["lat_deg"], td["lon_deg"], descent_sc.site.elevation_m + ground_up, q_body_fixed, error)


class _Prefixed(Mapping):
    """The phases' telemetry as one mapping, each column named "phase.column" (read on use)."""

    def __init__(self, phases: dict):
        self.phases = phases

    def __getitem__(self, key: str) -> np.ndarray:
        name, _, column = key.partition(".")
        if name not in self.phases:
            raise KeyError(key)
        return self.phases[name].telemetry[column]

    def __iter__(self):
        return (f"{name}.{c}" for name, r in self.phases.items() for c in r.telemetry)

    def __len__(self) -> int:
        return sum(len(r.telemetry) for r in self.phases.values())


def run(sc: Scenario, seed: int = 0, disperse: bool = False, *, tel_every: int = 1, fsw: str = "numba",
        progress: Callable[[float, str], None] | None = None, link=None,
        telemetry: Recorder | None = None) -> MissionResult:
    """Fly the whole mission; fsw names the flight-software build of every phase (gnc.core.fsw_c);
    progress(fraction, status) sees each phase as a third of the mission.

    link: over one HIL link (gnc.hil.session), the board is the lander-ascender's flight
    computer: it flies the descent, is configured afresh for the ascent at the end of the
    surface stay (a new program and its pad, as in process), and flies the ascender through
    the rendezvous, its state going on from the ascent; the orbiter-returner flies in process.
    telemetry: each phase's streamed to a file of its own there (gnc.telemetry)."""
    def phase(i: int, name: str):
        return None if progress is None else lambda x, s: progress((i + x) / 3, f"{name}: {s}")

    def compiling(i: int, name: str):
        return None if progress is None else lambda: progress(i / 3, f"{name}: compiling")

    names = sc.phases
    descent_sc, ascent_sc, rdv_sc = load(names.descent), load(names.ascent), load(names.rendezvous)
    if descent_sc.orbit.inclination_deg != ascent_sc.target.inclination_deg:
        # one orbit from descent to capture: the lander comes down from the orbiter's
        raise ScenarioError(f"the descent's orbit.inclination_deg {descent_sc.orbit.inclination_deg:g} differs from "
                            f"the ascent's target.inclination_deg {ascent_sc.target.inclination_deg:g}")
    # a cold cache: the later phases' loops compile while the descent flies (over HIL the board flies them)
    with loops.compiled_ahead(("ascent", "rendezvous") if link is None else (), fsw) as ready:
        wall = {}
        t = time.perf_counter()
        # every descent row is kept whatever tel_every: its last one is the lander's state at rest
        descent = run_descent.run(descent_sc, seed, disperse, tel_every=1, fsw=fsw, progress=phase(0, "descent"),
                                  link=link, telemetry=_named(telemetry, "descent"))
        wall["descent"] = time.perf_counter() - t
        summary = {"outcome": "descent_failed", "failures": [], "seed": int(seed), "dispersed": bool(disperse),
                   "scenario": sc.name, "descent": descent.summary, "surface": None, "ascent": None,
                   "rendezvous": None}
        phases = {"descent": descent}
        prefixed = _Prefixed(phases)
        if descent.summary["outcome"] != "landed":
            summary["failures"] = ["descent: " + f for f in descent.summary["failures"]]
            return MissionResult(sc, seed, summary, prefixed, phases, wall)

        pad = pad_from_descent(descent_sc, descent)
        tilt = math.degrees(pmath.acos(min(1.0, la.dot(quat_to_matrix(pad.q_body_fixed)[:, 2],
                                                          _up(pad.lat_deg, pad.lon_deg)))))
        summary["surface"] = {"stay_s": sc.surface.stay_s, "lat_deg": pad.lat_deg, "lon_deg": pad.lon_deg,
                              "ground_elevation_m": pad.elevation_m, "tilt_deg": tilt,
                              "pad_knowledge_error_m": pad.knowledge_error_m.tolist()}
        ready("ascent", compiling(1, "ascent"))
        t = time.perf_counter()
        ascent = run_ascent.run(ascent_sc, seed, disperse, tel_every=tel_every, fsw=fsw, progress=phase(1, "ascent"),
                                pad=pad, link=link, telemetry=_named(telemetry, "ascent"))
        wall["ascent"] = time.perf_counter() - t
        summary["ascent"] = ascent.summary
        phases["ascent"] = ascent
        if ascent.summary["outcome"] not in ("inserted", "off_target"):
            summary["outcome"] = "ascent_failed"
            summary["failures"] = ["ascent: " + f for f in ascent.summary["failures"]]
            return MissionResult(sc, seed, summary, prefixed, phases, wall)

        ready("rendezvous", compiling(2, "rendezvous"))
        t = time.perf_counter()
        rdv = run_rendezvous.run(rdv_sc, seed, disperse, tel_every=tel_every, fsw=fsw, progress=phase(2, "rendezvous"),
                                 ascent=ascent, link=link, board="target", telemetry=_named(telemetry, "rendezvous"))
        wall["rendezvous"] = time.perf_counter() - t
    summary["rendezvous"] = rdv.summary
    phases["rendezvous"] = rdv
    summary["outcome"] = rdv.summary["outcome"]
    summary["failures"] = ["rendezvous: " + f for f in rdv.summary["failures"]]
    if ascent.summary["outcome"] == "off_target":
        summary["failures"] += ["ascent: " + f for f in ascent.summary["failures"]]

    # the mission clock: PDI at 0; each phase's clock starts at its own origin
    td_s = descent.summary["duration_s"]
    liftoff = td_s + sc.surface.stay_s
    asc_origin = liftoff - ascent.summary["liftoff_s"]
    capture = rdv.summary["capture"]
    summary["timeline_h"] = {
        "touchdown": td_s / 3600.0,
        "liftoff": liftoff / 3600.0,
        "insertion": (asc_origin + ascent.summary["cutoff_s"]) / 3600.0,
        "handover": (asc_origin + rdv.summary["far_range"]["handover"]["t_s"]) / 3600.0
        if rdv.summary["far_range"]["handover"] else None,
        "capture": (asc_origin + capture["time_s"]) / 3600.0 if capture else None,
    }
    summary["propellant_kg"] = {"lander": descent.summary["propellant_used_kg"],
                                "ascender": ascent.summary["propellant_used_kg"] + rdv.summary["target"]["propellant_used_kg"],
                                "orbiter_returner": rdv.summary["chaser"]["propellant_used_kg"]}
    return MissionResult(sc, seed, summary, prefixed, phases, wall)


def _named(telemetry: Recorder | None, phase: str) -> Recorder | None:
    return None if telemetry is None else telemetry.named(phase)


def _up(lat_deg: float, lon_deg: float) -> np.ndarray:
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    return np.array([pmath.cos(lat) * pmath.cos(lon), pmath.cos(lat) * pmath.sin(lon), pmath.sin(lat)])
