"""The report printed after a mission: each phase's lines and the timeline."""
from __future__ import annotations

from gnc.output import headline
from gnc.programs.ascent import report as ascent
from gnc.programs.rendezvous import report as rendezvous


def report(summary: dict, scenario) -> str:
    lines = [headline(summary), f"mission    {summary['outcome'].upper()}"] + [f"           - {f}" for f in summary["failures"]]
    d = summary["descent"]
    lines.append(f"descent    {d['outcome'].upper()}   {d['duration_s']:.1f} s, propellant {d['propellant_used_kg']:.1f} kg")
    if summary["surface"]:
        sf = summary["surface"]
        lines.append(f"surface    {sf['stay_s'] / 3600:.1f} h at {abs(sf['lat_deg']):.4f} "
                     f"{'N' if sf['lat_deg'] >= 0 else 'S'}, {sf['lon_deg']:.4f} E, tilt {sf['tilt_deg']:.2f} deg")
    if summary["ascent"]:
        lines += ascent.lines(summary["ascent"])
    if summary["rendezvous"]:
        lines += rendezvous.lines(summary["rendezvous"])
    if summary.get("timeline_h"):
        lines.append("timeline   " + ", ".join(f"{k} {v:.2f} h" for k, v in summary["timeline_h"].items()
                                                if v is not None) + " (from powered descent initiation)")
    return "\n".join(line.rstrip() for line in lines)
