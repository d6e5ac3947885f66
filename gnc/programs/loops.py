"""Each flying program's compiled closed loop: its plant (gnc/programs/<program>/plant.py:
sense, record, advance) bound by gnc.core.loop to a flight-software build, compiled once per
process and cached on disk."""
from __future__ import annotations

import contextlib
import functools
import importlib

from gnc.core import fsw_c
from gnc.core import loop as core_loop

PLANTS = ("descent", "ascent", "rendezvous")    # the mission flies these in turn
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
