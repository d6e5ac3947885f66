"""Monte Carlo campaigns of any program that has one (gnc/programs/<program>/campaign.py):
many dispersed runs, their statistics, failure seeds, report and plots.

Run i of a campaign with seed S flies with its own seed, drawn from S by numpy's
SeedSequence, and records it: `gnc run SCENARIO --seed <run seed> --disperse`
replays that run exactly.  Runs go to a thread pool (the compiled loop releases
the GIL, so threads use every core without a process per job) or, with a
scheduler address, to a Dask cluster when the work outgrows one machine: a run is
the same bits wherever it flies (docs/reproducibility.md).

A program's campaign module holds fly_one(sc, seed, fsw) -> the dict a campaign keeps
of one run, statistics(campaign) -> dict, report(campaign) -> str and
plots(campaign, out_dir) -> [paths].
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from gnc import programs
from gnc.html_report import REPORT, campaign_page
from gnc.output import RUN, RUN_FORMAT, build, versions, write_json, write_text
from gnc.runfolder import run_folder
from gnc.scenario import Scenario

RESULT = "montecarlo.json"


def run_seeds(campaign_seed: int, n: int) -> list[int]:
    """The per-run seeds of a campaign (31-bit, so they are easy to type)."""
    state = np.random.SeedSequence(campaign_seed).generate_state(n, dtype=np.uint32)
    return [int(s) >> 1 for s in state]


@dataclass
class Campaign:
    scenario: Scenario
    seed: int
    runs: list[dict]
    wall_s: float
    jobs: int
    fsw: str = "numba"
    stats: dict = field(default_factory=dict)
    requested: int = 0          # runs asked for; more than len(runs) when interrupted
    interrupted: bool = False

    @property
    def program(self):
        return programs.get(self.scenario.program)

    def succeeded(self) -> bool:
        """Did every run end in the program's success?"""
        return all(r["outcome"] == self.program.success for r in self.runs)

    def success_fraction(self) -> Fraction:
        """The runs that ended in the program's success over the runs flown, exact: --min-success
        0.7 of 10 runs asks 7 runs, which a float's 0.7 * 10 = 7.000000000000001 would not."""
        return Fraction(sum(r["outcome"] == self.program.success for r in self.runs), len(self.runs))


def fly_one(sc: Scenario, seed: int, fsw: str = "numba") -> dict:
    """One dispersed run of sc's program, reduced to what its campaign keeps (a module-level
    function: a Dask worker gets it by name)."""
    return programs.get(sc.program).part("campaign").fly_one(sc, seed, fsw)


def _execute_threads(sc, seeds, jobs, fsw, progress):
    """(finished runs, interrupted): on Ctrl-C (or SIGTERM, gnc.interrupt)
    the queued runs are cancelled, not flown; the ones in flight end with the process."""
    out = []
    pool = ThreadPoolExecutor(max_workers=jobs)
    futures = [pool.submit(fly_one, sc, s, fsw) for s in seeds]
    try:
        for fut in as_completed(futures):
            out.append(fut.result())
            if progress:
                progress(len(out), len(seeds))
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        return out, True
    pool.shutdown()
    return out, False


def _execute_dask(sc, seeds, address, fsw, progress):
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise RuntimeError("--scheduler needs Dask: python -m pip install 'lunar-gnc[dask]'") from None
    out = []
    with Client(address) as client:
        futures = client.map(fly_one, [sc] * len(seeds), seeds, [fsw] * len(seeds), pure=False)
        try:
            for fut in dask_completed(futures):
                out.append(fut.result())
                if progress:
                    progress(len(out), len(seeds))
        except KeyboardInterrupt:
            client.cancel(futures)
            return out, True
    return out, False


def campaign(sc: Scenario, n: int, seed: int = 0, jobs: int = 1, scheduler: str | None = None, fsw: str = "numba",
             progress: Callable[[int, int], None] | None = None) -> Campaign:
    """n dispersed runs of sc on jobs threads (or a Dask scheduler); progress(done, n) as they end."""
    if n < 1:
        raise ValueError("a campaign needs at least one run")
    program = programs.get(sc.program)
    if not program.campaign:
        raise ValueError(f"program {sc.program!r} has no campaign (campaigns: {', '.join(programs.with_campaign())})")
    part = program.part("campaign")
    seeds = run_seeds(seed, n)
    part.fly_one(sc, seeds[0], fsw)           # compile (or load the cache) once, not per worker
    t0 = time.perf_counter()
    if scheduler:
        runs, interrupted = _execute_dask(sc, seeds, scheduler, fsw, progress)
    else:
        runs, interrupted = _execute_threads(sc, seeds, max(1, jobs), fsw, progress)
    if interrupted and not runs:
        raise KeyboardInterrupt
    wall = time.perf_counter() - t0
    order = {s: i for i, s in enumerate(seeds)}
    runs.sort(key=lambda r: order[r["seed"]])
    c = Campaign(sc, seed, runs, wall, jobs, fsw, requested=n, interrupted=interrupted)
    c.stats = part.statistics(c)
    return c


def report(c: Campaign) -> str:
    return c.program.part("campaign").report(c)


def write(c: Campaign, out_dir, plots: bool = True, provenance: dict | None = None,
          min_success: Fraction = Fraction(1)) -> list[Path]:
    """montecarlo.json (statistics, every run), run.json (what reproduces the campaign, as
    gnc.output.run_record does for a run), unless plots=False the campaign's PNGs, and
    report.html (gnc.html_report, judged against min_success as --junit judges), in a folder
    that replaces out_dir whole (gnc.runfolder)."""
    out = Path(out_dir)
    doc = {"scenario": c.scenario.name, "campaign_seed": c.seed, "fsw": c.fsw, "runs_requested": c.requested,
           "interrupted": c.interrupted, "statistics": c.stats, "runs": c.runs}
    sc = c.scenario
    record = {"format": RUN_FORMAT, "kind": "montecarlo", "command": list(sys.argv), "program": sc.program,
              "scenario": sc.name, "source": sc.source, "overrides": list(sc.overrides), "seed": c.seed,
              "runs": c.requested, "jobs": c.jobs, "fsw": c.fsw, **(provenance or {}),
              "build": build(c.fsw), "versions": versions(), "resolved": sc.data}
    with run_folder(out) as folder:
        written = [write_json(folder / RESULT, doc), write_json(folder / RUN, record)]
        if plots:
            written += c.program.part("campaign").plots(c, folder)
        written.append(write_text(folder / REPORT, campaign_page(c, folder, min_success)))
    return [out / p.name for p in written]
