"""Write the outputs of one run of any program to a directory.

A run directory holds:

    summary.json    outcome, duration, propellant, touchdown figures, phases, seed, scenario
    telemetry.npz   one float64 array per column, one row per flight-software step,
                    plus `columns`: the column names in order (see gnc.programs.descent.run.telemetry_columns)
    *.png           the program's plots (gnc/programs/<program>/plots.py)

Reading the telemetry:

    import numpy as np
    tel = np.load("runs/descent-seed0/telemetry.npz")
    t, alt = tel["t"], tel["alt"]
    names = list(tel["columns"])

    import pandas as pd                   # optional, not a dependency
    df = pd.DataFrame({c: tel[c] for c in tel["columns"]})

Column groups: truth (t, pos_e/n/u, vel_e/n/u, alt, q_w..q_z, rate_x..z, mass, thrust),
the filter's 1-sigma (nav_sig_*), the sensor frame the flight software read ("sf.*")
and the actuator frame it answered ("af.*": thrust_cmd, rcs_on[i], phase, health,
nav_pos[i], nav_vel[i], nav_q[i], ...).  Phase codes -> names: gnc.frames.phase_name.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from gnc import programs

SUMMARY = "summary.json"
TELEMETRY = "telemetry.npz"


def write_run(result, out_dir, plots: bool = True) -> dict[str, Path]:
    """Write telemetry.npz, the program's PNGs (unless plots=False) and summary.json, last,
    into out_dir.

    Files of the same names are replaced, each atomically.  PNGs of the program's names that
    this run did not draw are removed, so the directory never mixes two runs.  Returns
    {label: path} of what was written.  Raises OSError if the directory is unusable.
    """
    program = programs.get(result.scenario.program)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"telemetry": write_telemetry(out, result.telemetry)}
    if plots:
        written.update(program.plot(result, out))
    for name in program.plot_names:
        if name not in written:
            (out / f"{name}.png").unlink(missing_ok=True)
    written["summary"] = write_summary(out, result.summary)
    return written


def headline(summary: dict) -> str:
    """The first line of every program's report."""
    return (f"scenario   {summary['scenario']}   seed {summary['seed']}"
            + ("   (dispersed)" if summary.get("dispersed") else ""))


def write_telemetry(out: Path, telemetry: dict) -> Path:
    """out/telemetry.npz, replaced atomically: every column, and their names in order.
    NaNs are written as the one quiet NaN: the sign and payload an operation gives a NaN
    differ by CPU and compiler, and the file should be the same bytes on every machine."""
    path = out / TELEMETRY
    columns = {k: canonical_nans(v) for k, v in telemetry.items()}
    with replacing(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, columns=np.array(list(columns)), **columns)
    return path


def canonical_nans(a):
    a = np.asarray(a)
    if a.dtype.kind != "f" or not np.isnan(a).any():
        return a
    return np.where(np.isnan(a), np.nan, a)


def write_summary(out: Path, summary: dict) -> Path:
    """out/summary.json, replaced atomically.  Written last by every run writer: a
    summary.json on disk means the whole run directory is complete."""
    path = out / SUMMARY
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(finite(summary), indent=2, allow_nan=False) + "\n")
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
