"""One entry point per flight program: which runner flies a scenario, which writer and
report show its result, which outcome counts as success, and each program's compiled
closed loop.

    descent      gnc.programs.descent.run.run                  outputs gnc.output
    ascent       gnc.programs.ascent.run.run           outputs gnc.programs.rendezvous.report
    rendezvous   gnc.programs.rendezvous.run.run       (flies the scenario's ascent first)
    mission      gnc.programs.mission.run.run              descent, surface stay, ascent, rendezvous

Every runner takes (scenario, seed, disperse, tel_every=..., fsw=...) and returns a result with
`.summary` (JSON-serialisable) and `.telemetry` (column -> 1-D array).

Each flying program has a plant, gnc/programs/<program>/plant.py (the vehicle side:
sense, record, advance), which gnc.core.loop binds to a flight-software build.
"""
from __future__ import annotations

import contextlib
import functools
import importlib

from gnc.core import fsw_c
from gnc.core import loop as core_loop

RUNNERS = {"descent": "gnc.programs.descent.run", "ascent": "gnc.programs.ascent.run", "rendezvous": "gnc.programs.rendezvous.run",
           "mission": "gnc.programs.mission.run"}
SUCCESS = {"descent": "landed", "ascent": "inserted", "rendezvous": "captured", "mission": "captured"}
PLANTS = ("descent", "ascent", "rendezvous")
_BUILD_TAG = {"numba": "numba", "c": "c", "c-float": "cf"}     # cache names are identifiers
_OVERRIDES: dict[str, object] = {}


def plant(program: str):
    """The plant module of a flying program."""
    if program not in PLANTS:
        raise ValueError(f"no plant for {program!r} (one of {', '.join(PLANTS)})")
    return importlib.import_module(f"gnc.programs.{program}.plant")


@functools.cache
def _compiled(program: str, fsw: str):
    return core_loop.bind(plant(program), fsw_c.step_kernel(fsw), f"{program}_{_BUILD_TAG[fsw]}")


def loop(program: str, fsw: str = "numba"):
    """The compiled closed loop of a program flying a build (gnc.core.loop's _fly signature);
    raises ValueError for an unknown build, CBuildUnavailable for a missing C build."""
    fsw_c.require(fsw)
    if program in _OVERRIDES and fsw == "numba":
        return _OVERRIDES[program]
    return _compiled(program, fsw)


@contextlib.contextmanager
def flying_with(program: str, step):
    """Within the block, the program's numba runs fly the step kernel `step` instead (a test's
    or a bench's recorder, say); its loop compiles uncached: the binding is this process's."""
    _OVERRIDES[program] = core_loop.bind(plant(program), step, f"{program}_override", cache=False)
    try:
        yield
    finally:
        del _OVERRIDES[program]


def run(sc, seed: int = 0, disperse: bool = False, tel_every: int = 1, fsw: str = "numba"):
    """Fly any scenario with its program's runner on the flight-software build fsw."""
    return importlib.import_module(RUNNERS[sc.program]).run(sc, seed, disperse, tel_every=tel_every, fsw=fsw)


def succeeded(result) -> bool:
    return result.summary["outcome"] == SUCCESS[result.scenario.program]
