"""The report printed after a rendezvous: far-range burns, the hand-over, the capture against its envelope."""
from __future__ import annotations

from gnc.output import headline


def lines(s: dict) -> list[str]:
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
    for name, v in (("orbiter-returner", s["chaser"]), ("ascender", s["target"])):
        lines.append(f"  {name}: delta-v {v['delta_v_mps']:.1f} m/s main engine + {v['delta_v_rcs_mps']:.1f} m/s RCS, "
                     f"propellant {v['propellant_main_kg']:.1f} + {v['propellant_rcs_kg']:.1f} kg")
    return lines


def report(summary: dict, scenario) -> str:
    return "\n".join([headline(summary)] + lines(summary))
