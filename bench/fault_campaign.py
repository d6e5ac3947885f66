"""Fault campaigns: per fault type, what the flight software did about it (docs/faults.md).

    python bench/fault_campaign.py [--runs N] [--seed S] [--jobs J] [--kinds a,b] [--json PATH]

For each kind of gnc.core.faults, N dispersed descents with the fault (onset, size and
axis drawn per seed from the descent scenario's [faults] ranges) and, for the kinds a
health flag can show, the same N seeds with the fault's size (a dropout: its duration) set to 0: its twin, flying
the same noise with nothing wrong.  A run *detected* its fault when it raised the kind's
flags after onset on more steps than its twin; *isolated* when the flight software put the
faulty unit out or flew around it (an altimeter step removed, a velocimeter beam isolated or
the beams' biases estimated, guidance on the estimated thrust), counted for the twins too (a
false isolation); *flown through* = landed, *lost* = not landed (crashed, unsafe ground, no
touchdown).  The descent has no abort mode, so *aborted* is 0 by construction; *site moved* counts the runs whose main braking, on a short
engine, moved the landing site downrange (they land long, and count as flown through when they
land).  Prints the table and writes JSON (default
bench/results/fault_campaign.json), which also has, per kind, the runs whose filter opened the
velocimeter beams' biases and how close its estimates came to the injected ones
(beam_bias_error_*), and the twins that opened them.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from gnc import montecarlo, scenario
from gnc.core.faults import FLAG_MASK, KINDS
from gnc.programs.descent.assemble import FAULT_SIZE_KEYS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine  # noqa: E402  (a sibling script, not a package)

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "fault_campaign.json"


def fly(kind: str, runs: int, seed: int, jobs: int, zero_size: bool = False) -> list[dict]:
    overrides = [f"faults.kind={kind}"]
    if zero_size:
        # a kind with no size (a dropout) is nothing wrong for a duration of 0
        overrides.append(f"faults.{FAULT_SIZE_KEYS[kind]}=[0.0, 0.0]" if kind in FAULT_SIZE_KEYS
                         else "faults.duration_s=0.0")
    return montecarlo.campaign(scenario.load("descent", overrides), runs, seed=seed, jobs=jobs).runs


def r0_isolates(runs: list[dict]) -> bool:
    """Whether the flight software has an isolation for this kind at all."""
    return bool(runs and runs[0]["fault"].get("isolation"))


def lost_run(r: dict) -> dict:
    """What a lost run had injected and what the flight software did, to diagnose it from."""
    f = r["fault"]
    return {"seed": r["seed"], "outcome": r["outcome"], "failures": r["failures"],
            **{k: f[k] for k in ("onset_s", "size", "axis", "first_flag_s", "isolated_s")}}


def beam_bias_errors(kind: str, runs: list[dict]) -> dict:
    """The runs whose filter opened the velocimeter beams' biases, and how far its estimates at
    the end were from the injected ones (a beam's injected bias is the fault's size on its axis
    for a velocimeter bias, 0 otherwise): per run the worst beam, then the worst and the median
    run (tests/test_faults.py's BEAM_BIAS_TOL is twice the velocimeter bias's worst)."""
    errs = []
    for r in runs:
        if not r["nav"]["reopens"]["beam_bias"]:
            continue
        truth = [0.0, 0.0, 0.0]
        if kind == "velocimeter_bias":
            truth[int(r["fault"]["axis"])] = r["fault"]["size"]
        errs.append((max(abs(e - t) for e, t in zip(r["nav"]["beam_bias_m_s"], truth)), r["seed"]))
    if not errs:
        return {"beam_bias_opened": 0}
    worst, seed = max(errs)
    return {"beam_bias_opened": len(errs), "beam_bias_error_worst_m_s": worst, "beam_bias_error_worst_seed": seed,
            "beam_bias_error_median_m_s": statistics.median(e for e, _ in errs)}


def row(kind: str, runs: list[dict], twins: list[dict] | None) -> dict:
    lost = [r for r in runs if r["outcome"] != "landed"]
    out = {"kind": kind, "runs": len(runs), "flown_through": len(runs) - len(lost), "aborted": 0, "lost": len(lost),
           "lost_seeds": [r["seed"] for r in lost], "lost_outcomes": sorted({r["outcome"] for r in lost}),
           "lost_runs": [lost_run(r) for r in lost],
           "site_shifted": sum(1 for r in runs if r.get("site_shift_m")),
           "site_shift_km": sorted(round(r["site_shift_m"] / 1e3, 1) for r in runs if r.get("site_shift_m")),
           "site_shifted_landed": sum(1 for r in runs if r.get("site_shift_m") and r["outcome"] == "landed"),
           **beam_bias_errors(kind, runs)}
    if twins is None:
        out.update(detected=None, lost_undetected=None, latency_s=None, isolated=None, twin_isolated=None,
                   twin_isolated_seeds=None, twins_lost_seeds=None, twins_site_shifted_seeds=None,
                   twins_beam_bias_opened_seeds=None)
        return out
    twin = {r["seed"]: r["fault"]["flagged_steps"] for r in twins}
    detected = [r for r in runs if r["fault"]["flagged_steps"] > twin[r["seed"]]]
    latency = [r["fault"]["first_flag_s"] - r["fault"]["onset_s"] for r in detected
               if r["fault"]["first_flag_s"] is not None]
    isolated = [r for r in runs if r["fault"].get("isolated_s") is not None]
    false_alarms = [r["seed"] for r in twins if r["fault"].get("isolated_s") is not None]
    out.update(isolated=len(isolated) if r0_isolates(runs) else None,
               twin_isolated=len(false_alarms) if r0_isolates(runs) else None,
               twin_isolated_seeds=false_alarms,
               twins_lost_seeds=[r["seed"] for r in twins if r["outcome"] != "landed"],
               twins_site_shifted_seeds=[r["seed"] for r in twins if r.get("site_shift_m")],
               twins_beam_bias_opened_seeds=[r["seed"] for r in twins if r["nav"]["reopens"]["beam_bias"]],
               detected=len(detected),
               lost_undetected=sum(1 for r in lost if r["fault"]["flagged_steps"] <= twin[r["seed"]]),
               latency_s=statistics.median(latency) if latency else None)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--runs", type=int, default=100, help="runs per fault type (default 100)")
    ap.add_argument("--seed", type=int, default=24680, help="campaign seed (default 24680)")
    ap.add_argument("--jobs", type=int, default=2, help="threads (default 2)")
    ap.add_argument("--kinds", default=",".join(KINDS[1:]), help="fault types, comma separated (default: all)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS[1:]]
    if unknown:
        ap.error(f"unknown fault type {unknown[0]!r} (known: {', '.join(KINDS[1:])})")
    t0 = time.perf_counter()
    rows = []
    for kind in kinds:
        runs = fly(kind, args.runs, args.seed, args.jobs)
        twins = fly(kind, args.runs, args.seed, args.jobs, zero_size=True) if FLAG_MASK[KINDS.index(kind)] else None
        rows.append(row(kind, runs, twins))
        print(f"  {kind}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    print(f"Fault campaign: {args.runs} dispersed descents per type, campaign seed {args.seed}")
    print(f"  {'fault':<22}{'detected':>9}{'isolated':>9}{'(twin)':>7}{'flown through':>15}{'aborted':>9}{'lost':>6}"
          f"{'lost undetected':>17}{'latency s':>11}{'site moved':>12}")
    for r in rows:
        det = "n/a" if r["detected"] is None else str(r["detected"])
        und = "n/a" if r["lost_undetected"] is None else str(r["lost_undetected"])
        lat = "-" if r["latency_s"] is None else f"{r['latency_s']:.1f}"
        iso = "n/a" if r["isolated"] is None else str(r["isolated"])
        twi = "n/a" if r["twin_isolated"] is None else str(r["twin_isolated"])
        print(f"  {r['kind']:<22}{det:>9}{iso:>9}{twi:>7}{r['flown_through']:>15}{r['aborted']:>9}{r['lost']:>6}"
              f"{und:>17}{lat:>11}{r['site_shifted']:>12}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"runs": args.runs, "seed": args.seed, "jobs": args.jobs, "machine": machine(),
                                     "wall_s": time.perf_counter() - t0, "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
