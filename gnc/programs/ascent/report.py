"""The report printed after an ascent: burn, delta-v, propellant, the insertion orbit against its target."""
from __future__ import annotations

from gnc.output import headline


def lines(s: dict) -> list[str]:
    ins = s["insertion"]
    e, tg, err = ins["elements"], ins["target"], ins["errors"]
    lines = [f"ascent     {s['outcome'].upper()}   burn {s['burn_duration_s'] or 0:.1f} s, "
             f"delta-v {s['delta_v_mps']:.0f} m/s (main engine), propellant {s['propellant_used_kg']:.1f} kg "
             f"(RCS {s['propellant_rcs_kg']:.1f})"]
    lines += [f"           - {f}" for f in s["failures"]]
    lines += [f"  {'insertion':<20}{'orbit':>12}{'target':>12}{'error':>12}",
              f"  {'semi-major axis km':<20}{e['a_m'] / 1e3:>12.3f}{tg['a_m'] / 1e3:>12.3f}{err['a_m']:>10.0f} m",
              f"  {'perilune alt km':<20}{ins['perilune_alt_m'] / 1e3:>12.3f}{tg['perilune_alt_m'] / 1e3:>12.3f}"
              f"{err['perilune_alt_m']:>10.0f} m",
              f"  {'apolune alt km':<20}{ins['apolune_alt_m'] / 1e3:>12.3f}{tg['apolune_alt_m'] / 1e3:>12.3f}"
              f"{err['apolune_alt_m']:>10.0f} m",
              f"  {'inclination deg':<20}{e['i_deg']:>12.4f}{tg['i_deg']:>12.4f}{err['i_deg']:>12.4f}"]
    return lines


def report(summary: dict, scenario) -> str:
    return "\n".join([headline(summary)] + lines(summary))
