"""Write the outputs of one run of any program to a directory.

A run directory holds one run: it is written under a temporary name beside it and renamed
into place whole when complete (gnc.runfolder).  It holds:

    telemetry.arrow one float64 column per quantity, one row per flight-software step, streamed
                    into the temporary folder as the vehicle flies (gnc.telemetry: Arrow IPC, a
                    record batch per chunk); a mission writes telemetry-descent.arrow,
                    telemetry-ascent.arrow and telemetry-rendezvous.arrow
    summary.json    outcome, duration, propellant, touchdown figures, phases, seed, scenario
    run.json        what reproduces the run (run_record): resolved scenario, overrides, command
                    line, seed, build, versions; `gnc rerun DIR` flies it again
    *.png           the program's plots (gnc/programs/<program>/plots.py)
    report.html     the one page to read: outcome, every limit judged, phases, plots embedded,
                    a HIL session's link report; self-contained, opens offline (gnc.html_report)

Reading the telemetry (pyarrow is a dependency; pandas and polars are not):

    import pandas as pd
    df = pd.read_feather("runs/descent-seed0/telemetry.arrow")
    import polars as pl
    df = pl.read_ipc("runs/descent-seed0/telemetry.arrow")
    import pyarrow as pa
    table = pa.ipc.open_file("runs/descent-seed0/telemetry.arrow").read_all()
    from gnc.telemetry import read            # also a file a kill cut short: every whole chunk
    t = read(".descent-seed0.partial-1234/telemetry.arrow").column("t").to_numpy()

Column groups: truth (t, pos_e/n/u, vel_e/n/u, alt, q_w..q_z, rate_x..z, mass, thrust),
the filter's 1-sigma (nav_sig_*), the sensor frame the flight software read ("sf.*")
and the actuator frame it answered ("af.*": thrust_cmd, rcs_on[i], phase, health,
nav_pos[i], nav_vel[i], nav_q[i], ...).  Phase codes -> names: gnc.frames.phase_name.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np

from gnc import programs, telemetry
from gnc.html_report import REPORT, run_page
from gnc.plotworkers import PlotWorkers
from gnc.runfolder import run_folder

SUMMARY = "summary.json"
TELEMETRY = telemetry.file_name()     # a mission's: telemetry.file_name(phase)
RUN = "run.json"
RUN_FORMAT = 1          # of run.json; gnc rerun refuses a newer one


def write_run(result, out_dir, plots: bool | PlotWorkers = True, *, provenance: dict | None = None,
              extra: Callable[[Path], dict[str, Path]] | None = None) -> dict[str, Path]:
    """Write a run flown with its telemetry in memory into out_dir, which it replaces whole
    (gnc.runfolder: a kill never leaves two runs mixed): its telemetry file(s) as a streamed
    flight would have written them (write_telemetry), then what finish_run writes.  Returns
    {label: path} of what was written, under out_dir.  Raises OSError if out_dir is unusable."""
    out = Path(out_dir)
    with run_folder(out) as folder:
        write_telemetry(folder, result)
        written = finish_run(result, folder, plots, provenance=provenance, extra=extra)
    return {label: out / path.name for label, path in written.items()}


def finish_run(result, folder: Path, plots: bool | PlotWorkers = True, *, provenance: dict | None = None,
               extra: Callable[[Path], dict[str, Path]] | None = None) -> dict[str, Path]:
    """The rest of a run whose telemetry is in folder (streamed there as it flew, or written by
    write_telemetry): the program's PNGs (unless plots=False; drawn by plots while the rest is
    written when it is a gnc.plotworkers.PlotWorkers), run.json (what reproduces the run:
    run_record) and summary.json, last.

    provenance: what only the caller knows, merged into run.json (the build flown: "fsw",
    "disperse"; the command line defaults to sys.argv).  extra(folder) -> {label: path} writes
    files of the caller's into the run's folder first (a HIL session's link files).  Then
    report.html (gnc.html_report: the page a person reads, the PNGs embedded).  Returns
    {label: path} of every file in folder, the telemetry first."""
    program = programs.get(result.scenario.program)
    written = {f"telemetry{p.name[len('telemetry'):-len(telemetry.SUFFIX)]}": p
               for p in sorted(folder.glob(f"telemetry*{telemetry.SUFFIX}"))}
    written.update(extra(folder) if extra is not None else {})
    if isinstance(plots, PlotWorkers):
        plots.start(result, folder)
        written.update(plots.wait())
    elif plots:
        written.update(program.plot(result, folder))
    written["run"] = write_json(folder / RUN, run_record(result, provenance or {}))
    written["report"] = write_text(folder / REPORT, run_page(result, folder))
    written["summary"] = write_summary(folder, result.summary)
    return written


def run_record(result, provenance: dict) -> dict:
    """run.json: the resolved scenario (every key after its bases and the overrides), the
    overrides and command line, the seed, the flight-software build, the versions of the
    package and its dependencies and a mission's wall time per phase; `gnc rerun DIR` flies it again."""
    sc = result.scenario
    record = {
        "format": RUN_FORMAT,
        "kind": "run",
        "command": list(sys.argv),
        "program": sc.program,
        "scenario": sc.name,
        "source": sc.source,
        "overrides": list(sc.overrides),
        "seed": int(result.seed),
        "disperse": bool(result.summary.get("dispersed", False)),
        "fsw": "numba",
    }
    record.update(provenance)
    record["build"] = build(record["fsw"])
    record["versions"] = versions()
    record["inputs"] = inputs(sc)
    record["resolved"] = sc.data
    phases = {name: r.scenario.data for name, r in getattr(result, "phases", {}).items() if hasattr(r, "scenario")}
    if phases:
        record["phase_scenarios"] = phases   # as each phase flew (the mission loads them by name)
    if getattr(result, "wall_s", None):
        record["wall_s"] = result.wall_s     # a mission's per phase: here, as it varies from run to run
    return record


def inputs(sc) -> dict:
    """The files the scenario reads (a gravity field, ...): key -> path and SHA-256, so a
    rerun can tell a file that changed since."""
    from gnc.scenario import input_files
    return {key: {"path": path, "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}
            for key, path in input_files(sc).items()}


def build(fsw: str) -> dict:
    """The flight-software build flown: its name and, for a C build, its library's SHA-256."""
    if fsw not in ("c", "c-float"):
        return {"fsw": fsw}
    from gnc.core.fsw_c import module
    library = Path(module(fsw).__file__)
    return {"fsw": fsw, "library": library.name, "sha256": hashlib.sha256(library.read_bytes()).hexdigest()}


def versions() -> dict:
    """Python, the package (with its git commit when run from a checkout) and the dependencies
    whose arithmetic or output a run depends on."""
    import numba

    # matplotlib's from its metadata: importing it costs a run drawn without plots 0.3 s
    out = {"python": platform.python_version(), "platform": platform.platform(),
           "numpy": np.__version__, "numba": numba.__version__, "llvmlite": _version("llvmlite"),
           "matplotlib": _version("matplotlib"), "pyarrow": _version("pyarrow"), "lunar-gnc": _version("lunar-gnc")}
    commit = _git("rev-parse", "HEAD")
    if commit:
        out["git_commit"] = commit
        out["git_dirty"] = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return out


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str:
    """git's output in the package's own checkout, "" outside one or without git."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return ""
    try:
        p = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return p.stdout.strip() if p.returncode == 0 else ""


def headline(summary: dict) -> str:
    """The first line of every program's report."""
    return (f"scenario   {summary['scenario']}   seed {summary['seed']}"
            + ("   (dispersed)" if summary.get("dispersed") else ""))


def write_telemetry(folder: Path, result) -> list[Path]:
    """A run's telemetry held in memory into folder, as the flight would have streamed it
    (gnc.telemetry.write): telemetry.arrow, or a file per phase of a mission (result.phases)."""
    phases = getattr(result, "phases", None)
    flights = phases.items() if phases else [("", result)]
    return [telemetry.write(folder / telemetry.file_name(name), r.telemetry) for name, r in flights]


def write_summary(out: Path, summary: dict) -> Path:
    """out/summary.json, replaced atomically.  Written last by every run writer: a
    summary.json on disk means the whole run directory is complete."""
    return write_json(out / SUMMARY, summary)


def write_json(path: Path, doc: dict) -> Path:
    """path, replaced atomically; NaN and infinities as null."""
    return write_text(path, json.dumps(finite(doc), indent=2, allow_nan=False) + "\n")


def write_text(path: Path, text: str) -> Path:
    """path, replaced atomically, UTF-8."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


class replacing:
    """Context manager yielding a temporary path that replaces `path` on success."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


def finite(node):
    """JSON has no NaN or infinity: those become null."""
    if isinstance(node, dict):
        return {k: finite(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [finite(v) for v in node]
    if isinstance(node, (float, np.floating)):
        return float(node) if math.isfinite(node) else None
    if isinstance(node, np.integer):
        return int(node)
    return node
