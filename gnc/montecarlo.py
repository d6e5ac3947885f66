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

import json
import shutil
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
from gnc.output import RUN, RUN_FORMAT, build, finish_run, finite, versions, write_json, write_telemetry, write_text
from gnc.runfolder import JOURNAL, run_folder
from gnc.scenario import Scenario

RESULT = "montecarlo.json"
FAILED = "failed"       # a campaign's kept failed runs: failed/<seed>/, each as `gnc run` writes one


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
    kept: list[int] = field(default_factory=list)   # seeds of the failed runs kept (keep_failed)

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


def _execute_threads(sc, seeds, jobs, fsw, finished):
    """finished(run) as each run ends; True when interrupted: on Ctrl-C (or SIGTERM,
    gnc.interrupt) the queued runs are cancelled, not flown; the ones in flight end with the process."""
    pool = ThreadPoolExecutor(max_workers=jobs)
    futures = [pool.submit(fly_one, sc, s, fsw) for s in seeds]
    try:
        for fut in as_completed(futures):
            finished(fut.result())
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        return True
    pool.shutdown()
    return False


def _execute_dask(sc, seeds, address, fsw, finished):
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise RuntimeError("--scheduler needs Dask: python -m pip install 'lunar-gnc[dask]'") from None
    with Client(address) as client:
        futures = client.map(fly_one, [sc] * len(seeds), seeds, [fsw] * len(seeds), pure=False)
        try:
            for fut in dask_completed(futures):
                finished(fut.result())
        except KeyboardInterrupt:
            client.cancel(futures)
            return True
    return False


def campaign(sc: Scenario, n: int, seed: int = 0, jobs: int = 1, scheduler: str | None = None, fsw: str = "numba",
             progress: Callable[[int, int], None] | None = None,
             on_run: Callable[[dict], None] | None = None) -> Campaign:
    """n dispersed runs of sc on jobs threads (or a Dask scheduler); on_run(run) and
    progress(done, n) as each run ends (on the calling thread)."""
    if n < 1:
        raise ValueError("a campaign needs at least one run")
    program = programs.get(sc.program)
    if not program.campaign:
        raise ValueError(f"program {sc.program!r} has no campaign (campaigns: {', '.join(programs.with_campaign())})")
    part = program.part("campaign")
    seeds = run_seeds(seed, n)
    part.fly_one(sc, seeds[0], fsw)           # compile (or load the cache) once, not per worker
    runs = []

    def finished(run: dict) -> None:
        runs.append(run)
        if on_run:
            on_run(run)
        if progress:
            progress(len(runs), n)

    t0 = time.perf_counter()
    if scheduler:
        interrupted = _execute_dask(sc, seeds, scheduler, fsw, finished)
    else:
        interrupted = _execute_threads(sc, seeds, max(1, jobs), fsw, finished)
    if interrupted and not runs:
        raise KeyboardInterrupt
    wall = time.perf_counter() - t0
    order = {s: i for i, s in enumerate(seeds)}
    runs.sort(key=lambda r: order[r["seed"]])
    c = Campaign(sc, seed, runs, wall, jobs, fsw, requested=n, interrupted=interrupted)
    c.stats = part.statistics(c)
    return c


def keep_failed(c: Campaign, folder: Path, most: int) -> list[int]:
    """Fly again the first `most` runs of c (in seed order) that did not succeed, telemetry and
    all, into folder/failed/<seed>/ as `gnc run SCENARIO --seed S --disperse --no-plots` writes
    a run (`gnc rerun` on it draws the plots).  A campaign flies without telemetry; a run is the
    same bits flown again (docs/reproducibility.md), so a failed run's telemetry costs a second
    flight of that run, not a recording in every run.  c.kept lists the runs written whole, also
    when Ctrl-C (KeyboardInterrupt, re-raised) stops it: the run it was writing is removed."""
    c.kept = []
    for seed in [r["seed"] for r in c.runs if r["outcome"] != c.program.success][:max(0, most)]:
        run_dir = folder / FAILED / str(seed)
        try:
            result = c.program.run(c.scenario, seed=seed, disperse=True, fsw=c.fsw)
            run_dir.mkdir(parents=True)
            write_telemetry(run_dir, result)
            finish_run(result, run_dir, False, provenance={"fsw": c.fsw, "campaign_seed": c.seed})
        except KeyboardInterrupt:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        c.kept.append(seed)
    return c.kept


def report(c: Campaign) -> str:
    text = c.program.part("campaign").report(c)
    if c.kept:
        text += (f"\n  failed runs   {len(c.kept)} kept with their telemetry in {FAILED}/<seed>/ "
                 f"(gnc rerun on one draws its plots)")
    return text


def record(sc: Scenario, seed: int, runs: int, jobs: int, fsw: str, provenance: dict | None = None) -> dict:
    """run.json of a campaign: what reproduces it, as gnc.output.run_record does for a run."""
    return {"format": RUN_FORMAT, "kind": "montecarlo", "command": list(sys.argv), "program": sc.program,
            "scenario": sc.name, "source": sc.source, "overrides": list(sc.overrides), "seed": seed,
            "runs": runs, "jobs": jobs, "fsw": fsw, **(provenance or {}),
            "build": build(fsw), "versions": versions(), "resolved": sc.data}


class Journal:
    """A campaign's runs.jsonl: each finished run appended as one JSON line the moment it ends
    (call it with the run), so a campaign killed outright keeps every finished run in its
    folder's temporary name, which the next write to the folder keeps as .NAME.partial-PID
    (gnc.runfolder).  The file exists once a run has ended; write_results deletes it once
    montecarlo.json holds the runs.  `pd.read_json(path, lines=True)` reads it."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / JOURNAL
        self._file = None

    def __call__(self, run: dict) -> None:
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        # flushed per run: a SIGKILL loses the process's buffers, never what the kernel holds
        self._file.write(json.dumps(finite(run), allow_nan=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_results(c: Campaign, folder: Path, plots: bool = True, min_success: Fraction = Fraction(1)) -> list[Path]:
    """Into a campaign's folder (its temporary name): montecarlo.json (statistics, every run),
    unless plots=False the campaign's PNGs, and report.html (gnc.html_report, judged against
    min_success as --junit judges); the journal goes, as montecarlo.json now holds its runs."""
    doc = {"scenario": c.scenario.name, "campaign_seed": c.seed, "fsw": c.fsw, "runs_requested": c.requested,
           "interrupted": c.interrupted, "statistics": c.stats, "failed_kept": c.kept, "runs": c.runs}
    written = [write_json(folder / RESULT, doc)]
    if plots:
        written += c.program.part("campaign").plots(c, folder)
    written.append(write_text(folder / REPORT, campaign_page(c, folder, min_success)))
    (folder / JOURNAL).unlink(missing_ok=True)
    return written


def write(c: Campaign, out_dir, plots: bool = True, provenance: dict | None = None,
          min_success: Fraction = Fraction(1)) -> list[Path]:
    """A campaign flown in memory written as a folder that replaces out_dir whole
    (gnc.runfolder): run.json (record) and write_results' files.  `gnc montecarlo` instead
    writes run.json first and journals the runs as they end (Journal)."""
    out = Path(out_dir)
    sc = c.scenario
    with run_folder(out) as folder:
        written = [write_json(folder / RUN, record(sc, c.seed, c.requested, c.jobs, c.fsw, provenance))]
        written += write_results(c, folder, plots, min_success)
    return [out / p.name for p in written]
