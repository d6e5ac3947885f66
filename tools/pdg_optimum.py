"""The fuel optimum from a flight's approach start to its touchdown, computed offline, against
the propellant the flight used over the same stretch (issue #15: "within 2 % of the optimum
computed offline for the same state").

    python tools/pdg_optimum.py                                   # seed 0, the default law
    python tools/pdg_optimum.py --set guidance.law=pdg            # the fuel-optimal law
    python tools/pdg_optimum.py --seed 3 --disperse --nodes 60

It flies the run as `gnc run` does, takes the truth state (position, ground-relative velocity,
mass, landing frame) at the approach's first step and at touchdown, and solves the powered
descent between the two (gnc.core.pdg.problem: the same start, the same touchdown point and
velocity) with the vehicle's own limits only: the engine's range, the tilt limit as the
thrust's pointing limit, the attitude loop's rate limit as the turn rate, no throttle ramp,
no glide slope (the path only kept above a 1 deg cone over the touchdown point), a flat Moon with the
site's gravity.  Chang'e's hover at hover_alt for the hazard scan, and the law's margins, are
what the flight has and the optimum has not.  The final time is searched (a grid, then a
golden section) and each problem solved by Clarabel, a test dependency: analysis, never
flown.  Wall time: the flight (seconds warm; the law's compile on a first pdg run) plus
~30 solves.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import numpy as np

from gnc.core import layout as L
from gnc.core.pdg import problem as pr
from gnc.pdg_reference import clarabel_solver
from gnc.programs.descent.assemble import assemble
from gnc.programs.descent.run import run
from gnc.scenario import ScenarioError, load

GRID = 12                  # final-time grid points over [GRID_LO, GRID_HI] x the flown time
GRID_LO, GRID_HI = 0.4, 1.6
GOLDEN = 14                # golden-section steps about the grid's best point
MIN_GLIDE = math.radians(1.0)   # rad: the path above a 1 deg cone over the touchdown point (0 deg
                                # degenerates the cone: Clarabel ends in numerical errors)
NO_RAMP = 10.0             # 1/s: a throttle-rate bound no interval of seconds reaches


@dataclass
class Optimum:
    t_start: float         # s: the approach's start
    t_touchdown: float     # s
    flown_kg: float        # truth propellant from t_start to touchdown
    optimum_kg: float      # the offline optimum's propellant over the same stretch (nan: none found)
    tf: float              # s: its final time
    start: np.ndarray      # the problem's start and target (problem.ST_*)
    limits: np.ndarray     # its limits (problem.LIM_*)

    @property
    def excess(self) -> float:
        """What the flight used over the optimum, as a fraction of the optimum."""
        return self.flown_kg / self.optimum_kg - 1.0


def problem_limits(cfg: np.ndarray, m_dry: float) -> np.ndarray:
    """The vehicle's own limits from the flight software's config (the nominal vehicle)."""
    lim = np.zeros(pr.N_LIM)
    lim[pr.LIM_TMIN], lim[pr.LIM_TMAX] = cfg[L.CF_THRUST_MIN], cfg[L.CF_THRUST_MAX]
    lim[pr.LIM_ISP], lim[pr.LIM_G0] = cfg[L.CF_ISP], 1.0          # CF_ISP is the exhaust velocity
    lim[pr.LIM_GLIDE], lim[pr.LIM_POINT] = MIN_GLIDE, cfg[L.CF_MAX_TILT]
    lim[pr.LIM_MDRY] = m_dry
    lim[pr.LIM_G] = cfg[L.CF_MU] / cfg[L.CF_R_SITE] ** 2
    lim[pr.LIM_RATE], lim[pr.LIM_THROTTLE_RATE] = cfg[L.CF_ATT_RATE_MAX], NO_RAMP
    return lim


def propellant(P: pr.Socp, st: np.ndarray, lim: np.ndarray, tf: float) -> float:
    """The optimum's propellant with final time tf (inf where Clarabel finds none)."""
    pr.fill(P, st, lim, tf)
    s = clarabel_solver(P)
    sol = s.solve()
    if str(sol.status) not in ("Solved", "AlmostSolved"):
        return math.inf
    m = pr.unscale(P, np.asarray(sol.x))["m"]
    return float(m[0] - m[-1])


def search(P: pr.Socp, st: np.ndarray, lim: np.ndarray, around: float) -> tuple[float, float]:
    """(propellant, tf): the least over a grid of final times about `around`, refined by a
    golden section (the propellant is unimodal in tf where feasible)."""
    grid = np.linspace(GRID_LO * around, GRID_HI * around, GRID)
    costs = [propellant(P, st, lim, tf) for tf in grid]
    j = int(np.argmin(costs))
    if not math.isfinite(costs[j]):
        return math.nan, math.nan
    step = grid[1] - grid[0]
    a, c = max(grid[j] - step, 1.0), grid[j] + step
    g = (math.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = c - g * (c - a), a + g * (c - a)
    f1, f2 = propellant(P, st, lim, x1), propellant(P, st, lim, x2)
    for _ in range(GOLDEN):
        if f1 <= f2:
            c, x2, f2 = x2, x1, f1
            x1 = c - g * (c - a)
            f1 = propellant(P, st, lim, x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + g * (c - a)
            f2 = propellant(P, st, lim, x2)
    best = min((costs[j], grid[j]), (f1, x1), (f2, x2))
    return best


def optimum(overrides: list[str], seed: int = 0, disperse: bool = False, nodes: int = 40) -> Optimum:
    sc = load("descent", overrides)
    r = run(sc, seed=seed, disperse=disperse)
    if r.summary["outcome"] != "landed":
        raise SystemExit(f"the flight did not land ({r.summary['outcome']}): no touchdown to compare with")
    start = {p["name"]: p["start_s"] for p in r.summary["phases"]}["approach"]
    tel = r.telemetry
    t = np.asarray(tel["t"])
    k0 = int(np.searchsorted(t, start))
    pos = np.column_stack([tel[c] for c in ("pos_e", "pos_n", "pos_u")])
    vel = np.column_stack([tel[c] for c in ("vel_e", "vel_n", "vel_u")])
    mass = np.asarray(tel["mass"])
    st = np.zeros(pr.N_ST)
    st[pr.ST_R:pr.ST_R + 3], st[pr.ST_V:pr.ST_V + 3], st[pr.ST_M] = pos[k0], vel[k0], mass[k0]
    st[pr.ST_RF:pr.ST_RF + 3], st[pr.ST_VF:pr.ST_VF + 3] = pos[-1], vel[-1]
    a = assemble(sc, seed, disperse)
    lim = problem_limits(a.cfg, sc.vehicle.mass_kg - sc.vehicle.propellant_kg)
    P = pr.layout(nodes)
    kg, tf = search(P, st, lim, t[-1] - t[k0])
    return Optimum(float(t[k0]), float(t[-1]), float(mass[k0] - mass[-1]), kg, tf, st, lim)


def report(o: Optimum) -> str:
    lines = [f"approach start {o.t_start:.2f} s, touchdown {o.t_touchdown:.2f} s ({o.t_touchdown - o.t_start:.1f} s)",
             f"  start  r {np.round(o.start[pr.ST_R:pr.ST_R + 3], 1)} m, v {np.round(o.start[pr.ST_V:pr.ST_V + 3], 2)}"
             f" m/s, {o.start[pr.ST_M]:.1f} kg",
             f"  end    r {np.round(o.start[pr.ST_RF:pr.ST_RF + 3], 1)} m, v "
             f"{np.round(o.start[pr.ST_VF:pr.ST_VF + 3], 2)} m/s",
             f"flown:   {o.flown_kg:.1f} kg"]
    if math.isfinite(o.optimum_kg):
        lines += [f"optimum: {o.optimum_kg:.1f} kg in {o.tf:.1f} s",
                  f"the flight used {o.flown_kg - o.optimum_kg:.1f} kg ({100.0 * o.excess:.1f} %) over the optimum"]
    else:
        lines.append("optimum: none found over the final-time search")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    ap.add_argument("--disperse", action="store_true", help="the Monte Carlo's vehicle dispersions")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a scenario override, as `gnc run --set` (repeatable)")
    ap.add_argument("--nodes", type=int, default=40, help="the optimum's nodes (default 40)")
    args = ap.parse_args(argv)
    if args.nodes < 3:
        ap.error("--nodes must be at least 3")
    try:
        o = optimum(args.set, args.seed, args.disperse, args.nodes)
    except ScenarioError as e:
        print(f"pdg_optimum: {e}", file=sys.stderr)
        return 2
    print(report(o))
    return 0


if __name__ == "__main__":
    sys.exit(main())
