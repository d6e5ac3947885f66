"""Outputs of ascent, rendezvous and mission runs: a directory and a terminal report.

    summary.json    one JSON document; a mission's has a section per phase (descent,
                    surface, ascent, rendezvous) and the timeline, propellant per
                    vehicle and wall time per phase
    telemetry.npz   one array per column (a mission's prefixed "descent.", "ascent.",
                    "rendezvous."; the phases' lengths differ), plus `columns`
    *.png           gnc.programs.rendezvous.plots (and a mission's descent plots, gnc.programs.descent.plots)

Files are replaced atomically and summary.json is written last, as gnc.output does
for the descent (its helpers are reused).
"""
from __future__ import annotations

from pathlib import Path

from gnc.output import write_summary, write_telemetry
from gnc.programs.rendezvous import plots as orbit_plots


def _strip(telemetry: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in telemetry.items() if k.startswith(prefix)}


def write_run(result, out_dir, plots: bool = True) -> dict[str, Path]:
    """Write summary.json, telemetry.npz and the plots of an AscentResult,
    RendezvousResult or MissionResult; returns {label: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"telemetry": write_telemetry(out, result.telemetry)}
    if plots:
        written.update(_plots(result, out))
    written["summary"] = write_summary(out, result.summary)
    return written


def _plots(result, out: Path) -> dict[str, Path]:
    program = result.scenario.program
    if program == "ascent":
        return orbit_plots.plot_ascent(result.telemetry, result.summary, result.scenario, out)
    if program == "rendezvous":
        return orbit_plots.plot_rendezvous(result.telemetry, result.summary, out)
    from gnc.programs.descent import plots as descent_plots

    written = {}
    ph = result.phases
    d = ph["descent"]
    written.update(descent_plots.plot_run(d.telemetry, d.summary, d.scenario, out))
    if "ascent" in ph:
        a = ph["ascent"]
        written.update(orbit_plots.plot_ascent(a.telemetry, a.summary, a.scenario, out))
    if "rendezvous" in ph:
        r = ph["rendezvous"]
        written.update(orbit_plots.plot_rendezvous(r.telemetry, r.summary, out))
    return written


def _ascent_lines(s: dict) -> list[str]:
    ins = s["insertion"]
    e, tg, err = ins["elements"], ins["target"], ins["errors"]
    lines = [f"ascent     {s['outcome'].upper()}   burn {s['burn_duration_s'] or 0:.1f} s, "
             f"delta-v {s['delta_v_mps']:.0f} m/s, propellant {s['propellant_used_kg']:.1f} kg"]
    lines += [f"           - {f}" for f in s["failures"]]
    lines += [f"  {'insertion':<20}{'orbit':>12}{'target':>12}{'error':>12}",
              f"  {'semi-major axis km':<20}{e['a_m'] / 1e3:>12.3f}{tg['a_m'] / 1e3:>12.3f}{err['a_m']:>10.0f} m",
              f"  {'perilune alt km':<20}{ins['perilune_alt_m'] / 1e3:>12.3f}{tg['perilune_alt_m'] / 1e3:>12.3f}"
              f"{err['perilune_alt_m']:>10.0f} m",
              f"  {'apolune alt km':<20}{ins['apolune_alt_m'] / 1e3:>12.3f}{tg['apolune_alt_m'] / 1e3:>12.3f}"
              f"{err['apolune_alt_m']:>10.0f} m",
              f"  {'inclination deg':<20}{e['i_deg']:>12.4f}{tg['i_deg']:>12.4f}{err['i_deg']:>12.4f}"]
    return lines


def _rendezvous_lines(s: dict) -> list[str]:
    lines = [f"rendezvous {s['outcome'].upper()}   {s['duration_h']:.1f} h after insertion"]
    lines += [f"           - {f}" for f in s["failures"]]
    for name, b in s["far_range"]["burns"].items():
        lines.append(f"  far range {name}  at {b['t_s'] / 3600:6.2f} h (ascent clock)  delta-v {b['dv_mps']:6.2f} m/s")
    ho = s["far_range"]["handover"]
    if ho:
        x, y, z = (v / 1e3 for v in ho["relative_lvlh_m"])
        lines.append(f"  go at {ho['t_s'] / 3600:.2f} h: orbiter-returner at R {x:.1f}, V {y:.1f}, H {z:.1f} km (LVLH)")
    c = s["capture"]
    if c:
        env = c["envelope"]
        lines += [f"  {'at contact':<22}{'value':>10}{'limit':>14}{'margin':>9}",
                  f"  {'lateral offset m':<22}{c['lateral_m']:>10.3f}{'<= %g' % env['max_lateral_m']:>14}"
                  f"{c['margins']['lateral']:>9.2f}",
                  f"  {'closing speed m/s':<22}{c['closing_mps']:>10.3f}"
                  f"{'%g..%g' % tuple(env['closing_mps']):>14}{c['margins']['closing']:>9.2f}",
                  f"  {'lateral speed m/s':<22}{c['lateral_rate_mps']:>10.4f}"
                  f"{'<= %g' % env['max_lateral_rate_mps']:>14}{c['margins']['lateral_rate']:>9.2f}",
                  f"  {'rel. attitude deg':<22}{c['attitude_deg']:>10.3f}{'<= %g' % env['max_attitude_deg']:>14}"
                  f"{c['margins']['attitude']:>9.2f}",
                  f"  {'rel. rate deg/s':<22}{c['rate_deg_s']:>10.3f}{'<= %g' % env['max_rate_deg_s']:>14}"
                  f"{c['margins']['rate']:>9.2f}"]
    lines.append(f"  propellant: orbiter-returner {s['chaser']['propellant_used_kg']:.1f} kg, "
                 f"ascender {s['target']['propellant_used_kg']:.1f} kg")
    return lines


def report(summary: dict, program: str) -> str:
    """The report printed after a run."""
    head = [f"scenario   {summary['scenario']}   seed {summary['seed']}"
            + ("   (dispersed)" if summary.get("dispersed") else "")]
    if program == "ascent":
        return "\n".join(head + _ascent_lines(summary))
    if program == "rendezvous":
        return "\n".join(head + _rendezvous_lines(summary))
    lines = head + [f"mission    {summary['outcome'].upper()}"] + [f"           - {f}" for f in summary["failures"]]
    d = summary["descent"]
    lines.append(f"descent    {d['outcome'].upper()}   {d['duration_s']:.1f} s, propellant {d['propellant_used_kg']:.1f} kg")
    if summary["surface"]:
        sf = summary["surface"]
        lines.append(f"surface    {sf['stay_s'] / 3600:.1f} h at {abs(sf['lat_deg']):.4f} "
                     f"{'N' if sf['lat_deg'] >= 0 else 'S'}, {sf['lon_deg']:.4f} E, tilt {sf['tilt_deg']:.2f} deg")
    if summary["ascent"]:
        lines += _ascent_lines(summary["ascent"])
    if summary["rendezvous"]:
        lines += _rendezvous_lines(summary["rendezvous"])
    if summary.get("timeline_h"):
        lines.append("timeline   " + ", ".join(f"{k} {v:.2f} h" for k, v in summary["timeline_h"].items()
                                                if v is not None) + " (from powered descent initiation)")
        lines.append("wall time  " + ", ".join(f"{k} {v:.2f} s" for k, v in summary["wall_s"].items()))
    return "\n".join(line.rstrip() for line in lines)
