"""Each flying program's compiled closed loop: its plant (gnc/programs/<program>/plant.py:
sense, record, advance) bound by gnc.core.loop to a flight-software build, compiled once per
process and cached on disk."""
from __future__ import annotations

import contextlib
import functools

from gnc import programs
from gnc.core import fsw_c
from gnc.core import loop as core_loop
from gnc.core.cache_state import loop_name

_OVERRIDES: dict[str, object] = {}


def plant(program: str):
    """The plant module of a flying program (the registry's; the mission flies its phases' plants)."""
    try:
        return programs.get(program).part("plant")
    except ModuleNotFoundError as e:
        if e.name != f"gnc.programs.{program}.plant":
            raise
        raise ValueError(f"{program!r} has no plant of its own") from None


@functools.cache
def _compiled(program: str, fsw: str):
    return core_loop.bind(plant(program), fsw_c.step_kernel(fsw), loop_name(program, fsw))


@functools.cache
def _compiled_pdg(program: str):
    from gnc.core.fsw.step import fsw_step_pdg
    return core_loop.bind(plant(program), fsw_step_pdg, f"{loop_name(program, 'numba')}_pdg")


def loop(program: str, fsw: str = "numba", law: str = "phases"):
    """The compiled closed loop of a program flying a build (gnc.core.loop's _fly signature)
    with a guidance law (guidance.law; "pdg": the descent's fuel-optimal law, numba only);
    raises ValueError for an unknown build or a law the build cannot fly,
    CBuildUnavailable for a missing C build."""
    fsw_c.require(fsw)
    if law == "pdg":
        if fsw != "numba" or program != "descent":
            raise ValueError(f"guidance.law 'pdg' flies the numba build's descent only (not {fsw!r}, {program!r})")
        return _compiled_pdg(program)
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
