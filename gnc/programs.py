"""One entry point per flight program: which runner flies a scenario, which writer and
report show its result, and which outcome counts as success.

    descent      gnc.run.run                  outputs gnc.results
    ascent       gnc.run_ascent.run           outputs gnc.orbit_results
    rendezvous   gnc.run_rendezvous.run       (flies the scenario's ascent first)
    mission      gnc.mission.run              descent, surface stay, ascent, rendezvous

Every runner takes (scenario, seed, disperse, tel_every=..., fsw=...) and returns a result with
`.summary` (JSON-serialisable) and `.telemetry` (column -> 1-D array).
"""
from __future__ import annotations

import importlib

RUNNERS = {"descent": "gnc.run", "ascent": "gnc.run_ascent", "rendezvous": "gnc.run_rendezvous",
           "mission": "gnc.mission"}
SUCCESS = {"descent": "landed", "ascent": "inserted", "rendezvous": "captured", "mission": "captured"}


def run(sc, seed: int = 0, disperse: bool = False, tel_every: int = 1, fsw: str = "numba"):
    """Fly any scenario with its program's runner on the flight-software build fsw."""
    return importlib.import_module(RUNNERS[sc.program]).run(sc, seed, disperse, tel_every=tel_every, fsw=fsw)


def succeeded(result) -> bool:
    return result.summary["outcome"] == SUCCESS[result.scenario.program]
