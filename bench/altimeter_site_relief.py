"""How far a sound altimeter's ground height strays from the hazard unit's site: the data
behind alt_lost's limit (docs/faults.md, "The altimeter lost, for the cut-off").

    python bench/altimeter_site_relief.py [--descent N] [--rough N] [--seed S] [--seeds A,B,...]

Flies dispersed runs without faults and, at every step with both an altimeter sample and a
site report, takes the flight software's own view (its attitude estimate, the sensor frames):
the ground height the altimeter gives less the site's, and the distance from the site of the
point where the altimeter's beam would meet the level ground through the site.  Over each 5
samples in a row (alt_lost's count) it keeps the least |difference| and the largest distance,
and prints, for allowances A, the least k with  least |difference| <= A + k x distance  over
every window: a limit A + k d with k above that never fires on these runs.  --seeds flies
those descent seeds instead (a campaign's false alarms, say).
"""
from __future__ import annotations

import argparse

import numpy as np

from gnc import montecarlo, scenario
from gnc.core import layout as L
from gnc.core import vec
from gnc.programs.descent.assemble import assemble
from gnc.programs.descent.run import run

WINDOW = 5


def windows(name: str, seed: int) -> np.ndarray:
    """Rows (least |difference| m, largest distance m) per 5 samples in a row with a site."""
    sc = scenario.load(name)
    tel = run(sc, seed, disperse=True).telemetry
    bore = assemble(sc, seed, True).cfg[L.CF_ALT_BORE:L.CF_ALT_BORE + 3]
    valid = tel["sf.valid"].astype(int)
    rows = []
    for k in np.nonzero(((valid & L.VALID_HDU) != 0) & ((valid & L.VALID_ALT) != 0))[0]:
        q = np.array([tel[f"af.nav_q[{i}]"][k] for i in range(4)])
        b = np.array(vec.q_rot(q, bore))
        c = -b[2]                     # the landing frame's up is z
        if c < 0.2:                   # as the flight software: too shallow a look is not used
            continue
        s = np.array(vec.q_rot(q, np.array([tel[f"sf.hdu_rel[{i}]"][k] for i in range(3)])))
        rows.append((tel["sf.alt_range"][k] * c + s[2], np.linalg.norm(-s[2] / c * b - s)))
    rows = np.array(rows).reshape(-1, 2)
    diff = np.abs(rows[:, 0])
    return np.array([(diff[i:i + WINDOW].min(), rows[i:i + WINDOW, 1].max())
                     for i in range(len(rows) - WINDOW + 1)]).reshape(-1, 2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--descent", type=int, default=20, help="dispersed descent runs (default 20)")
    ap.add_argument("--rough", type=int, default=10, help="dispersed rough runs (default 10)")
    ap.add_argument("--seed", type=int, default=13579, help="campaign seed of the runs (default 13579)")
    ap.add_argument("--seeds", help="comma-separated descent seeds to fly instead")
    args = ap.parse_args(argv)
    if args.seeds:
        flights = [("descent", int(s)) for s in args.seeds.split(",")]
    else:
        flights = [(name, s) for name, n in (("descent", args.descent), ("rough", args.rough))
                   for s in montecarlo.run_seeds(args.seed, n)]
    every = []
    for name, seed in flights:
        w = windows(name, seed)
        every.append(w)
        worst = f"worst {w[:, 0].max():.2f} m at {w[w[:, 0].argmax(), 1]:.1f} m" if len(w) else "no site reported"
        print(f"{name} {seed}: {worst}", flush=True)
    w = np.concatenate(every)
    for a in (2.0, 3.0, 5.0):
        print(f"A {a:.0f} m: least k {max(0.0, ((w[:, 0] - a) / np.maximum(w[:, 1], 1e-9)).max()):.3f} m per m")
    for lo, hi in ((0, 10), (10, 20), (20, 40), (40, 80), (80, 1000)):
        sel = (w[:, 1] >= lo) & (w[:, 1] < hi)
        worst = w[sel, 0].max() if sel.any() else float("nan")
        print(f"distance {lo}-{hi} m: {sel.sum()} windows, worst {worst:.2f} m")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
