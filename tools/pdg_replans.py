"""Trace the fuel-optimal law's approach (guidance.law = "pdg", docs/guidance_pdg.md): the
first plan node by node, then every re-plan that failed or moved the plan's end, with how
far the navigation estimate stood from the plan when it did and, for a failed one, the least
final time its problem had an optimum for (the time left was short of it by that much), and
the propellant flown against the propellant planned.

    python tools/pdg_replans.py                                   # seed 0, as scenario descent
    python tools/pdg_replans.py --seed 3 --disperse --set guidance.pdg_point_deg=30
    python tools/pdg_replans.py --set sim.fsw_rate_hz=10 --set guidance.pdg_step_iters=6   # a board's budget:
                                                  # the first plan comes when its search, spread over steps, ends

It flies the descent in compiled chunks to the approach, then one flight-software step at a
time through it (the law's state is read between steps; the flight software itself sees
only its sensor frames, as ever), and stops at the hover.  Wall time: the flight to the
approach (~15 s) plus the compile of the law's loop on a first run (about a minute).
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field

import numpy as np

from gnc.core.fsw import pdg_law as G
from gnc.core.layout import AF_NAV_POS, AF_NAV_VEL, AF_PHASE, FS_LEN, FS_MASS, FS_T_PHASE, PHASE_APPROACH
from gnc.core.pdg import problem as pr
from gnc.core.pdg import solver as so
from gnc.flight import Flight
from gnc.programs import loops
from gnc.programs.descent import plant as P
from gnc.programs.descent.assemble import assemble
from gnc.scenario import ScenarioError, load

B = FS_LEN
MOVED_S = 0.05        # s: a re-plan that moves the plan's end by more than this is listed
WINDOW_S = 60.0       # s: a failed re-plan's least feasible final time is sought up to this past the time left
BISECT_S = 0.05       # s: to this resolution
CHUNK_S = 5.0         # s: compiled chunks to quick adjustment, shorter than it (~17 s), so none runs into the approach


@dataclass
class Event:
    """A re-plan that failed or moved the plan's end."""
    t: float                  # s: when
    ttg: float                # s: the old plan's time left
    end_before: float         # s: the plan's end before and after
    end_after: float
    status: int               # the solve's (gnc.core.pdg.solver)
    dr: np.ndarray            # m: navigation estimate minus the old plan, landing frame
    dv: np.ndarray            # m/s
    tf_min: float = math.nan  # s: a failed re-plan's least feasible final time (nan: none within WINDOW_S)


@dataclass
class Trace:
    start: float              # s: the first plan's epoch (the approach's start, or later when
                              # guidance.pdg_step_iters spreads its search over steps)
    tf: float                 # s: the first plan's length
    nodes: np.ndarray         # the first plan, N x PN_LEN (gnc.core.fsw.pdg_law PN_*)
    est_minus_truth: tuple    # kg: the mass estimate minus the truth mass at the first plan and at the hover
    approach: float = 0.0     # s: the approach's start
    end: float = 0.0          # s: the approach's end (the hover's start)
    truth_used: float = 0.0   # kg: truth propellant over the approach
    counters: tuple = ()      # pdg_law.counters at the end
    events: list = field(default_factory=list)


def least_feasible_tf(fs, lo: float, hi: float) -> float:
    """The least final time for which the problem the law last filled (its start and limits,
    PG_ST and PG_LIM) has an optimum, by bisection on [lo, hi] to BISECT_S; nan if hi has none.
    Solved cold on a workspace of its own: the law's state is not touched."""
    N = int(fs[B + G.PG_NODES])
    st = fs[B + G.PG_ST:B + G.PG_ST + pr.N_ST].copy()
    lim = fs[B + G.PG_LIM:B + G.PG_LIM + pr.N_LIM].copy()
    P_, W = so.setup(N, st, lim, hi)

    def ok(tf):
        pr.fill(P_, st, lim, tf)
        return so.solve(P_, W, False) == so.OPTIMAL
    if not ok(hi):
        return math.nan
    while hi - lo > BISECT_S:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def _plan_end(fs):
    return fs[B + G.PG_T_PLAN] + fs[B + G.PG_TF]


def trace(overrides: list[str], seed: int = 0, disperse: bool = False) -> Trace:
    sc = load("descent", ["guidance.law=pdg"] + overrides)
    a = assemble(sc, seed, disperse)
    fs = G.allocate(**a.pdg)[None, :]
    f = Flight(loops.loop("descent", "numba", "pdg"), a.plant(), a.cfg[None, :], fs, P.T_LEN, 1, a.seed, None)

    def phase():
        return int(f.af[0][AF_PHASE])
    chunk = max(1, round(CHUNK_S / a.dt))
    while phase() < PHASE_APPROACH - 1 and f.k < a.n_steps and f.event == 0:      # to quick adjustment
        f.until(min(f.k + chunk, a.n_steps))
    while phase() < PHASE_APPROACH and f.k < a.n_steps and f.event == 0:          # to the approach's first step
        f.until(f.k + 1)
    if phase() != PHASE_APPROACH:
        raise SystemExit(f"the descent never flew an approach (phase {phase()} at {f.k * a.dt:.1f} s)")
    fsr = fs[0]
    approach, m_start = fsr[FS_T_PHASE], f.last_row()[P.T_MASS]     # the phase's start as the flight software keeps it
    while fsr[B + G.PG_TF] == 0.0 and fsr[B + G.PG_FALLBACK] == 0.0 and phase() == PHASE_APPROACH and f.event == 0:
        f.until(f.k + 1)          # a search spread over steps (guidance.pdg_step_iters): to its plan
    if fsr[B + G.PG_TF] == 0.0:
        raise SystemExit(f"the approach's first plan failed at {f.k * a.dt:.1f} s: the default law flew it")
    N = int(fsr[B + G.PG_NODES])
    nodes = np.array([fsr[B + G.PG_LEN + G.PN_LEN * k:B + G.PG_LEN + G.PN_LEN * (k + 1)] for k in range(N)])
    tr = Trace(fsr[B + G.PG_T_PLAN], fsr[B + G.PG_TF], nodes, (fsr[FS_MASS] - f.last_row()[P.T_MASS],),
               approach=approach)
    end, failures = _plan_end(fsr), fsr[B + G.PG_FAILURES]
    while phase() == PHASE_APPROACH and f.event == 0:
        t = f.k * a.dt
        rp, vp, _, _ = G.plan_state(fsr, t)
        f.until(f.k + 1)
        new_end, new_failures = _plan_end(fsr), fsr[B + G.PG_FAILURES]
        if new_failures != failures or abs(new_end - end) > MOVED_S:
            nr = f.af[0][AF_NAV_POS:AF_NAV_POS + 3]
            nv = f.af[0][AF_NAV_VEL:AF_NAV_VEL + 3]
            ev = Event(t, end - t, end, new_end, int(fsr[B + G.PG_STATUS]), nr - np.array(rp), nv - np.array(vp))
            if new_failures != failures and fsr[B + G.PG_STATUS] != so.BAD_START:
                ev.tf_min = least_feasible_tf(fsr, 0.0, ev.ttg + WINDOW_S)
            tr.events.append(ev)
            end, failures = new_end, new_failures
    m_end = f.last_row()[P.T_MASS]       # the row of the step the hover began in, as the run's phases
    tr.end = t
    tr.truth_used = m_start - m_end
    tr.est_minus_truth += (fsr[FS_MASS] - m_end,)
    tr.counters = G.counters(fsr)
    return tr


def report(tr: Trace) -> str:
    n = tr.nodes
    planned = n[0, G.PN_M] - n[-1, G.PN_M]
    dtn = tr.tf / (len(n) - 1)
    out = [f"first plan at {tr.start:.2f} s: {tr.tf:.2f} s, {planned:.1f} kg to the hover point "
           f"(mass estimate {n[0, G.PN_M]:.1f} kg, {tr.est_minus_truth[0]:+.1f} kg off the truth)",
           "  node     t   |u| m/s2   thrust N   tilt deg   step deg"]
    prev = None
    for k in range(len(n) - 1):
        u = n[k, G.PN_U:G.PN_U + 3]
        mag = float(np.linalg.norm(u))
        step = math.degrees(math.acos(min(1.0, float(u @ prev) / (mag * np.linalg.norm(prev))))) if prev is not None else 0.0
        out.append(f"  {k:4d} {k * dtn:6.1f} {mag:10.2f} {mag * n[k, G.PN_M]:10.0f} "
                   f"{math.degrees(math.acos(u[2] / mag)):10.1f} {step:10.1f}")
        prev = u
    out.append("re-plans that failed or moved the plan's end (nav - plan at the re-plan):")
    out.append("        t    ttg    end before -> after   status      least tf - ttg   dr m (E N U)          dv m/s (E N U)")
    for e in tr.events:
        edge = "" if e.status == so.OPTIMAL else ("none" if math.isnan(e.tf_min) else f"{e.tf_min - e.ttg:+.2f} s")
        status = so.STATUS.get(e.status, str(e.status))
        out.append(f"  {e.t:7.2f} {e.ttg:6.1f} {e.end_before:9.2f} -> {e.end_after:7.2f}   {status:10s}"
                   f"  {edge:>12s}   {np.array2string(e.dr, precision=1, suppress_small=True):22s}"
                   f"{np.array2string(e.dv, precision=2, suppress_small=True)}")
    solves, fails, iters, it_max, fallbacks, step_max = tr.counters
    out.append(f"approach flown {tr.approach:.2f}-{tr.end:.2f} s ({tr.end - tr.approach:.1f} s; the first plan ended at "
               f"{tr.start + tr.tf:.2f} s), truth propellant {tr.truth_used:.1f} kg; mass estimate "
               f"{tr.est_minus_truth[1]:+.1f} kg off the truth at its end")
    out.append(f"solves {solves}, not optimal {fails}, iterations {iters} (at most {it_max}; at most {step_max} "
               f"in one step), fallbacks {fallbacks}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    ap.add_argument("--disperse", action="store_true", help="the Monte Carlo's vehicle dispersions")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a scenario override, as `gnc run --set` (repeatable); guidance.law=pdg is always set")
    args = ap.parse_args(argv)
    try:
        tr = trace(args.set, args.seed, args.disperse)
    except ScenarioError as e:
        print(f"pdg_replans: {e}", file=sys.stderr)
        return 2
    print(report(tr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
