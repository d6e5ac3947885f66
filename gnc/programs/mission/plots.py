"""PNG plots of a mission run: each phase's own, from the phases it flew."""
from __future__ import annotations

from pathlib import Path

from gnc.programs.ascent import plots as ascent
from gnc.programs.descent import plots as descent
from gnc.programs.rendezvous import plots as rendezvous

PHASES = {"descent": descent, "ascent": ascent, "rendezvous": rendezvous}
NAMES = tuple(name for phase in PHASES.values() for name in phase.NAMES)
SLOW = descent.SLOW + ("ascent_profile",)


def prepare(scenario, seed: int) -> None:
    """The descent's prepare (gnc.plotworkers), for the descent scenario the mission flies."""
    from gnc.scenario import load

    descent.prepare(load(scenario.phases.descent), seed)


def plot(result, out: Path, only=None) -> dict[str, Path]:
    """Each phase's plots (or those of them in only) into out."""
    written = {}
    for name, phase in PHASES.items():
        if name in result.phases:
            written.update(phase.plot(result.phases[name], out, only))
    return written
