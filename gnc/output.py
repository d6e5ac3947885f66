"""Write the outputs of one run to a directory, and the report table for the terminal.

A run directory holds:

    summary.json    outcome, duration, propellant, touchdown figures, phases, seed, scenario
    telemetry.npz   one float64 array per column, one row per flight-software step,
                    plus `columns`: the column names in order (see gnc.programs.descent.run.telemetry_columns)
    *.png           plots (gnc.programs.descent.plots)

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

SUMMARY = "summary.json"
TELEMETRY = "telemetry.npz"


def write_run(result, out_dir, plots: bool = True) -> dict[str, Path]:
    """Write summary.json, telemetry.npz and (unless plots=False) the PNGs into out_dir.

    Files of the same names are replaced, each atomically.  Without plots, PNGs an
    earlier run left under our names are removed so the directory never mixes two runs.
    Returns {label: path} of what was written.  Raises OSError if the directory is unusable.
    """
    from gnc.programs.descent import plots as P

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"telemetry": write_telemetry(out, result.telemetry)}
    safety_png = out / "safety_map.png"
    if plots:
        written.update(P.plot_run(result.telemetry, result.summary, result.scenario, out))
        hazard = getattr(result, "hazard", None)
        if hazard is not None and scanned(hazard[1]):
            from gnc.programs.descent.hazard_plots import safety_map
            written["safety_map"] = safety_map(safety_png, *hazard, result.summary["touchdown"])
        else:
            safety_png.unlink(missing_ok=True)
    else:
        for name in P.PLOT_NAMES:
            (out / f"{name}.png").unlink(missing_ok=True)
        safety_png.unlink(missing_ok=True)
    written["summary"] = write_summary(out, result.summary)
    return written


def write_telemetry(out: Path, telemetry: dict) -> Path:
    """out/telemetry.npz, replaced atomically: every column, and their names in order.
    NaNs are written as the one quiet NaN: the sign and payload an operation gives a NaN
    differ by CPU and compiler, and the file should be the same bytes on every machine."""
    path = out / TELEMETRY
    columns = {k: canonical_nans(v) for k, v in telemetry.items()}
    with _replacing(path) as tmp:
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
    with _replacing(path) as tmp:
        tmp.write_text(json.dumps(_finite(summary), indent=2, allow_nan=False) + "\n")
    return path


def scanned(hs) -> bool:
    """Did the hazard-detection unit make a map in this run (state array hs)?"""
    from gnc.core import hdu
    return hs[hdu.HS_STATUS] not in (hdu.ST_IDLE, hdu.ST_SCANNING)


class _replacing:
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


def _finite(node):
    """JSON has no NaN or infinity: those become null."""
    if isinstance(node, dict):
        return {k: _finite(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_finite(v) for v in node]
    if isinstance(node, (float, np.floating)):
        return float(node) if math.isfinite(node) else None
    if isinstance(node, np.integer):
        return int(node)
    return node


# (summary touchdown key, label, unit, scenario [touchdown] limit key)
_TOUCHDOWN_CHECKS = (
    ("vertical_speed_mps", "vertical speed", "m/s", "max_vertical_m_s"),
    ("horizontal_speed_mps", "horizontal speed", "m/s", "max_horizontal_m_s"),
    ("tilt_deg", "tilt", "deg", "max_tilt_deg"),
    ("rate_dps", "body rate", "deg/s", "max_rate_deg_s"),
)


def report(summary: dict, scenario) -> str:
    """The short report table printed after a run."""
    lines = [f"scenario   {summary['scenario']}   seed {summary['seed']}"
             + ("   (dispersed)" if summary.get("dispersed") else ""),
             f"outcome    {summary['outcome'].upper()}"]
    for why in summary.get("failures", []):
        lines.append(f"           - {why}")
    propellant = scenario.vehicle.propellant_kg
    used = summary["propellant_used_kg"]
    lines += [f"duration   {summary['duration_s']:.1f} s",
              f"propellant {used:.1f} kg used of {propellant:.1f} kg ({100 * used / propellant:.1f} %)", ""]
    td = summary.get("touchdown")
    if td is None:
        lines.append("touchdown  none")
    else:
        lines.append(f"{'touchdown':<22}{'value':<14}{'limit':<14}")
        for key, label, unit, limit_key in _TOUCHDOWN_CHECKS:
            value, limit = td[key], getattr(scenario.touchdown, limit_key)
            mark = "PASS" if value <= limit else "FAIL"
            lines.append(f"  {label:<20}{f'{value:.2f} {unit}':<14}{f'<= {limit:g} {unit}':<14}{mark}")
        lat, lon = td["lat_deg"], td["lon_deg"]
        lines += [f"  {'distance to target':<20}{td['distance_to_target_m']:.2f} m",
                  f"  {'position':<20}{abs(lat):.5f} {'N' if lat >= 0 else 'S'}, {lon:.5f} E (deg)"]
    lines += ["", f"{'phase':<22}{'start s':>9}{'end s':>9}{'length s':>10}"]
    for p in summary["phases"]:
        lines.append(f"  {p['name']:<20}{p['start_s']:>9.1f}{p['end_s']:>9.1f}{p['end_s'] - p['start_s']:>10.1f}")
    return "\n".join(line.rstrip() for line in lines)
