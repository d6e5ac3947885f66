"""The registry of flight programs: every caller (the CLI, run, Monte Carlo, HIL, the
mission) finds a program here by name.  Adding a program is one folder
gnc/programs/<name>/ (gnc.programs.program says what it holds) and one line below.

Importing the registry imports no numba: a program's modules load on first use.
"""
from __future__ import annotations

from gnc.programs.ascent import PROGRAM as ASCENT
from gnc.programs.descent import PROGRAM as DESCENT
from gnc.programs.mission import PROGRAM as MISSION
from gnc.programs.program import Program
from gnc.programs.rendezvous import PROGRAM as RENDEZVOUS

PROGRAMS: dict[str, Program] = {p.name: p for p in (DESCENT, ASCENT, RENDEZVOUS, MISSION)}
NAMES = tuple(PROGRAMS)


def get(name: str) -> Program:
    try:
        return PROGRAMS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a flight program (one of {', '.join(NAMES)})") from None


def with_campaign() -> tuple[str, ...]:
    """The programs gnc montecarlo can fly."""
    return tuple(n for n, p in PROGRAMS.items() if p.campaign)
