"""What the registry knows of one flight program, and the calls every caller makes on it.

A program is a folder gnc/programs/<name>/ whose __init__ declares PROGRAM and whose
modules the calls below import on first use (so `gnc --help` stays free of numba):

    run.py       run(sc, seed, disperse, *, tel_every, fsw, progress[, link], telemetry) -> a result
                 with .scenario, .summary (JSON-serialisable) and .telemetry (column -> array);
                 HIL programs take link, a gnc.hil.session.Session to fly their flights over;
                 telemetry: a gnc.telemetry.Recorder to stream it to (None: kept in memory)
    report.py    report(summary, scenario) -> the text printed after a run
    plots.py     NAMES (the PNG names it may write) and plot(result, out_dir, only=None) ->
                 {name: path}; optionally prepare(scenario, seed) (gnc.plotworkers)
    campaign.py  (campaign programs) fly_one, statistics, report, plots: gnc.montecarlo
    plant.py     (flying programs) sense, record, advance: gnc.core.loop binds them
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable


@dataclass(frozen=True)
class Program:
    name: str
    about: str             # one line, for --help
    success: str           # the summary's outcome that counts as success
    campaign: bool = False  # gnc montecarlo can fly it
    loops: tuple[str, ...] = ()   # the programs whose compiled loops it flies (default: its own)

    @property
    def flies(self) -> tuple[str, ...]:
        return self.loops or (self.name,)

    def part(self, module: str) -> ModuleType:
        """One of the program's modules (run, report, plots, campaign, plant)."""
        return importlib.import_module(f"gnc.programs.{self.name}.{module}")

    def run(self, sc, seed: int = 0, disperse: bool = False, *, tel_every: int = 1, fsw: str = "numba",
            progress: Callable[[float, str], None] | None = None, link=None, telemetry=None):
        """Fly scenario sc; progress(fraction done, status) between chunks of the flight;
        link: a HIL session (gnc.hil.session) whose board flies the program's flight software;
        telemetry: a gnc.telemetry.Recorder the telemetry streams to as it flies."""
        kw = {} if link is None else {"link": link}
        return self.part("run").run(sc, seed, disperse, tel_every=tel_every, fsw=fsw, progress=progress,
                                    telemetry=telemetry, **kw)

    def report(self, summary: dict, scenario) -> str:
        return self.part("report").report(summary, scenario)

    @property
    def plot_names(self) -> tuple[str, ...]:
        return self.part("plots").NAMES

    def plot(self, result, out_dir: Path) -> dict[str, Path]:
        return self.part("plots").plot(result, Path(out_dir))

    def succeeded(self, summary: dict) -> bool:
        return summary["outcome"] == self.success
