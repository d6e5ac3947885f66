"""The report printed after a descent: outcome, propellant, touchdown against the limits, phases."""
from __future__ import annotations

from gnc.output import headline

# (summary touchdown key, label, unit, scenario [touchdown] limit key)
_TOUCHDOWN_CHECKS = (
    ("vertical_speed_mps", "vertical speed", "m/s", "max_vertical_m_s"),
    ("horizontal_speed_mps", "horizontal speed", "m/s", "max_horizontal_m_s"),
    ("tilt_deg", "tilt", "deg", "max_tilt_deg"),
    ("rate_dps", "body rate", "deg/s", "max_rate_deg_s"),
)


def report(summary: dict, scenario) -> str:
    """The short report table printed after a run."""
    lines = [headline(summary), f"outcome    {summary['outcome'].upper()}"]
    for why in summary.get("failures", []):
        lines.append(f"           - {why}")
    propellant = scenario.vehicle.propellant_kg
    used = summary["propellant_used_kg"]
    lines += [f"duration   {summary['duration_s']:.1f} s",
              f"propellant {used:.1f} kg used of {propellant:.1f} kg ({100 * used / propellant:.1f} %)"]
    f = summary.get("fault")
    if f:
        axis = "" if f["axis"] is None else f" on axis {f['axis']}"
        flagged = (f"flagged ({' or '.join(f['flags'])}) on {f['flagged_steps']} steps from {f['first_flag_s']:.1f} s"
                   if f["first_flag_s"] is not None else "never flagged" if f["flags"] else "no flag shows it")
        size = f" {f['size']:+.3g} {f['unit']}" if f["unit"] else ""
        isolated = (f"; isolated ({' or '.join(f['isolation'])}) at {f['isolated_s']:.1f} s"
                    if f.get("isolated_s") is not None else "")
        lines.append(f"fault      {f['kind']}{size}{axis} from {f['onset_s']:.1f} s: {flagged}{isolated}; "
                     f"{f['response']}")
    if (nav := summary.get("nav")) and nav["reopens"].get("beam_bias"):
        beams = ", ".join(f"beam {j} {b:+.3f} +- {sig:.3f}"
                          for j, (b, sig) in enumerate(zip(nav["beam_bias_m_s"], nav["beam_bias_sigma_m_s"])))
        lines.append(f"nav        velocimeter beam biases estimated once the beams disagreed: {beams} m/s "
                     "(gnc/core/fsw/nav.py)")
    if shift := summary.get("site_shift_m"):
        lines.append(f"site       moved {shift / 1e3:.1f} km downrange along the approach: main braking on a short "
                     "engine could not make its gate (gnc/core/fsw/descent.py)")
    if (ground := summary.get("terrain")) is not None:
        lo, hi = ground["track_covered_km"]
        lines += [f"terrain    {ground['dem_file']} ({ground['dem_posting_m']:g} m posting, resampled at "
                  f"{ground['map_resolution_m']:g} m)",
                  f"           covers the ground track {lo:.1f} to {hi:.1f} km uprange, "
                  f"{100 * ground['track_covered_fraction']:.0f} % of it from PDI; the datum sphere beyond"]
    lines.append("")
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
