"""Flight-software timing: the numba reference and the two C builds side by side.

Measures, in one run:
  - fsw_step of each build ("numba", "c" double, "c-float") on the sensor frames a
    reference descent recorded, from a reset state with the run's config, in a
    compiled loop: each call timed on its own (p50/p99/max) and the loop as a whole (mean);
  - the same for the orbit programs: an ascent (lift-off to insertion) and both vehicles
    of a rendezvous (the orbiter-returner's rendezvous program, the ascender's orbit
    operations), their frames recorded from the reference closed loop with the config in
    force at each step, replayed from the state each started with;
  - the closed loop flown by each build (gnc.programs.descent.run.run, no telemetry) as wall time per
    flight-software step and real-time factor, after a warm-up run;
  - the vehicle-model step: the closed loop's time per step less its flight software
    (sensors, the RK4 substeps, RCS duty, touchdown checks, chunking), from the numba rows;
  - the bare 6-DOF RK4 step (gnc.core.vehicle.rk4_step), the floor every row is
    divided by ("x floor"); C rows are also divided by the numba row ("x numba").

Per-call clock: clock_gettime(CLOCK_MONOTONIC) called from the compiled loop itself
(declared to numba as an external function, a vDSO call on Linux), so no Python and
no dispatch sits inside the timed interval.  One clock pair costs ~20 ns: it is the
first row of the table and is included in every p50/p99/max (not subtracted); the
mean column comes from untimed tight loops and carries no clock cost.  POSIX only.

    python bench/fsw_timing.py [--runs N] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numba
import numpy as np
from loop_timing import machine, percentile
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

import gnc.programs.ascent.run
import gnc.programs.descent.run
import gnc.programs.rendezvous.run
import gnc.scenario
from gnc.core import fsw_c
from gnc.core import vehicle as V
from gnc.core.fsw.step import fsw_step
from gnc.core.layout import AF_LEN, CF_PROGRAM, FS_LEN, PROGRAM_ASCENT, PROGRAM_RENDEZVOUS
from gnc.programs import loops
from gnc.programs.descent import plant as P
from gnc.programs.descent.assemble import assemble

SCENARIO = "descent"
SEED = 0
RK4_STEPS = 1_000_000
CLOCK_PAIRS = 100_000
NO_TELEMETRY = 10**7
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "fsw_timing.json"
LABEL = {"numba": "numba reference", "c": "C double", "c-float": "C float"}

_clock_gettime = types.ExternalFunction("clock_gettime", types.int32(types.int32, types.voidptr))
CLOCK = time.CLOCK_MONOTONIC


@intrinsic
def _ptr(typingctx, arr):
    """Address of a C-contiguous array's data (the timespec for clock_gettime)."""
    if isinstance(arr, types.Array) and arr.layout == "C":
        def codegen(context, builder, signature, args):
            return builder.bitcast(context.make_array(arr)(context, builder, args[0]).data, cgutils.voidptr_t)
        return types.voidptr(arr), codegen
    return None


# Not cached on purpose: numba's cache checks only this file, so a cached loop would go
# on timing old core code after gnc/core changes.  Compiling happens before any clock runs.
@numba.njit(cache=False)
def now_ns(ts):
    _clock_gettime(CLOCK, _ptr(ts))
    return ts[0] * 1_000_000_000 + ts[1]


@numba.njit(cache=False)
def clock_pairs(ts, out):
    for i in range(out.shape[0]):
        t0 = now_ns(ts)
        out[i] = now_ns(ts) - t0


def fsw_loops(step):
    """(timed, tight) replay loops of one build's fsw_step; step k uses config cfgs[which[k]]."""
    @numba.njit(cache=False)
    def timed(frames, cfgs, which, fs, af, ts, out):
        for k in range(frames.shape[0]):
            t0 = now_ns(ts)
            step(frames[k], cfgs[which[k]], fs, af)
            out[k] = now_ns(ts) - t0

    @numba.njit(cache=False)
    def tight(frames, cfgs, which, fs, af):
        for k in range(frames.shape[0]):
            step(frames[k], cfgs[which[k]], fs, af)

    return timed, tight


@numba.njit(cache=False)
def rk4_loop(p, h, n, ts, out, timed):
    """n RK4 steps of plant p's vehicle with the main engine off, each timed when timed."""
    for i in range(n):
        t0 = now_ns(ts) if timed else 0
        V.rk4_step(p.x, i * h, p.vp, p.w, p.field, 0.0, p.duty, h, p.work)
        if timed:
            out[i] = now_ns(ts) - t0


def summary(mean, samples):
    return {"mean": float(mean), "p50": percentile(samples, 50), "p99": percentile(samples, 99),
            "max": float(np.max(samples)), "n": int(len(samples))}


def recorded(result):
    cols = gnc.programs.descent.run.telemetry_columns()
    tel = result.telemetry
    return np.ascontiguousarray(np.column_stack([tel[c] for c in cols[P.T_SF:P.T_AF]]))


def one_config(frames, cfg):
    """A replay (frames, configs, config index per step, starting state: None = reset) on one config."""
    return frames, cfg[None], np.zeros(len(frames), np.int64), None


_RECORDED: dict[int, dict] = {}      # program -> frames, configs and starting state its vehicle saw


def _record(sf, cfg, fs):
    rec = _RECORDED.setdefault(int(cfg[CF_PROGRAM]), {"frames": [], "cfgs": [], "which": [], "fs0": fs.copy()})
    if not rec["cfgs"] or not np.array_equal(rec["cfgs"][-1], cfg):
        rec["cfgs"].append(cfg.copy())
    rec["frames"].append(sf.copy())
    rec["which"].append(len(rec["cfgs"]) - 1)


@numba.njit(cache=False)
def _recording_step(sf, cfg, fs, af):
    with numba.objmode():
        _record(sf, cfg, fs)
    fsw_step(sf, cfg, fs, af)


def record_rendezvous(sc):
    """Both vehicles' replays of a reference rendezvous, flown by a loop whose fsw_step
    copies out what it is given (the ground uplinks new configs on the way); and its outcome."""
    _RECORDED.clear()
    with loops.flying_with("rendezvous", _recording_step):
        outcome = gnc.programs.rendezvous.run.run(sc, SEED, tel_every=NO_TELEMETRY).summary["outcome"]
    return {p: (np.array(r["frames"]), np.array(r["cfgs"]), np.array(r["which"]), r["fs0"])
            for p, r in _RECORDED.items()}, outcome


def time_fsw(kind, replay, runs, ts):
    """(mean ns from tight loops, per-call ns pooled over runs) of a replay (one_config)."""
    frames, cfgs, which, fs0 = replay
    timed, tight = fsw_loops(fsw_c.step_kernel(kind))
    fs, af = np.zeros(FS_LEN), np.zeros(AF_LEN)
    out = np.zeros(len(frames), np.int64)

    def start():
        if fs0 is None:
            fsw_c.reset(kind, fs)
        else:
            fs[:] = fs0

    start()
    timed(frames[:2], cfgs, which, fs, af, ts, out)          # compile both before any clock runs
    tight(frames[:2], cfgs, which, fs, af)
    means, calls = [], []
    for _ in range(runs):
        start()
        t0 = time.perf_counter_ns()
        tight(frames, cfgs, which, fs, af)
        means.append((time.perf_counter_ns() - t0) / len(frames))
        start()
        timed(frames, cfgs, which, fs, af, ts, out)
        calls.append(out.copy())
    return float(np.median(means)), np.concatenate(calls)


def time_rk4(a, runs, ts):
    h = a.dt / a.substeps
    out = np.zeros(RK4_STEPS, np.int64)
    rk4_loop(a.plant(), h, 10, ts, out, True)
    rk4_loop(a.plant(), h, 10, ts, out, False)
    means, calls = [], []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        rk4_loop(a.plant(), h, RK4_STEPS, ts, out, False)
        means.append((time.perf_counter_ns() - t0) / RK4_STEPS)
        rk4_loop(a.plant(), h, RK4_STEPS, ts, out, True)
        calls.append(out.copy())
    return float(np.median(means)), np.concatenate(calls)


def time_closed_loop(sc, kind, runs):
    """(ns per flight-software step of each run, real-time factors, outcome)."""
    gnc.programs.descent.run.run(sc, SEED, tel_every=NO_TELEMETRY, fsw=kind)        # warm-up: cache load or compile
    per_step, rtf = [], []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        r = gnc.programs.descent.run.run(sc, SEED, tel_every=NO_TELEMETRY, fsw=kind)
        wall = time.perf_counter_ns() - t0
        per_step.append(wall / (r.summary["duration_s"] * sc.sim.fsw_rate_hz))
        rtf.append(r.summary["duration_s"] / (wall * 1e-9))
    return per_step, rtf, r.summary["outcome"]


def print_table(rows):
    head = (f"{'ns per call':44} {'mean':>9} {'p50':>9} {'p99':>9} {'max':>9}  {'x floor':>7} {'x numba':>7}  "
            f"{'real-time':>9}")
    print(head + "\n" + "-" * len(head))
    for r in rows:
        cells = [f"{r[k]:9.0f}" if k in r else " " * 9 for k in ("mean", "p50", "p99", "max")]
        x_floor = f"{r['x_floor']:7.1f}" if "x_floor" in r else " " * 7
        x_numba = f"{r['x_numba']:7.2f}" if "x_numba" in r else " " * 7
        rtf = f"{r['rtf']:8,.0f}x" if "rtf" in r else ""
        print(f"{r['name']:44} {' '.join(cells)}  {x_floor} {x_numba}  {rtf:>9}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="repetitions of every timed item (default 5)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    host = machine()
    load_start = os.getloadavg()[0]
    kinds, missing = [], {}
    for kind in fsw_c.FSW_KINDS:
        try:
            fsw_c.require(kind)
            kinds.append(kind)
        except fsw_c.CBuildUnavailable as e:
            missing[kind] = str(e)
    sc = gnc.scenario.load(SCENARIO)
    a = assemble(sc, SEED)
    result = gnc.programs.descent.run.run(sc, SEED)
    frames = recorded(result)
    ts = np.zeros(2, np.int64)

    pairs = np.zeros(CLOCK_PAIRS, np.int64)
    clock_pairs(ts, pairs)
    clock_pairs(ts, pairs)
    rk4_mean, rk4_calls = time_rk4(a, args.runs, ts)
    floor = rk4_mean
    rows = [{"name": "clock_gettime pair (in every p50/p99/max)", **summary(np.median(pairs), pairs)},
            {"name": "rk4_step: one 6-DOF RK4 model step (floor)", **summary(rk4_mean, rk4_calls)}]
    fsw_rows, loop_rows = {}, {}
    for kind in kinds:
        fsw_rows[kind] = {"name": f"fsw_step, {LABEL[kind]}",
                          **summary(*time_fsw(kind, one_config(frames, a.cfg), args.runs, ts))}
    outcomes = {}
    for kind in kinds:
        per_step, rtf, outcomes[kind] = time_closed_loop(sc, kind, args.runs)
        loop_rows[kind] = {"name": f"closed loop per fsw step, {LABEL[kind]}", **summary(np.mean(per_step), per_step),
                           "rtf": float(np.median(rtf)), "rtf_min": float(np.min(rtf))}
    if "numba" in kinds:
        rows.append({"name": f"vehicle model per fsw step ({a.substeps} RK4 + rest)",
                     "mean": loop_rows["numba"]["mean"] - fsw_rows["numba"]["mean"]})
    for group in (fsw_rows, loop_rows):
        for kind, r in group.items():
            if kind != "numba" and "numba" in group:
                r["x_numba"] = r["mean"] / group["numba"]["mean"]
        rows += group.values()
    for r in rows[1:]:
        r["x_floor"] = r["mean"] / floor

    # the orbit programs: fsw_step only (their closed loops are other vehicle models)
    asc_sc, rdv_sc = gnc.scenario.load("ascent"), gnc.scenario.load("rendezvous")
    ascent = gnc.programs.ascent.run.run(asc_sc, SEED)
    rdv, rdv_outcome = record_rendezvous(rdv_sc)
    orbit = {"ascent": ("ascent to insertion", one_config(recorded(ascent), ascent.final["cfg"])),
             "rendezvous": ("rendezvous, orbiter-returner", rdv[PROGRAM_RENDEZVOUS]),
             "orbit_ops": ("orbit operations, ascender", rdv[PROGRAM_ASCENT])}
    orbit_rows = []
    for program, (label, replay) in orbit.items():
        group = {kind: {"name": f"{label}, {LABEL[kind]}", "program": program,
                        **summary(*time_fsw(kind, replay, args.runs, ts))} for kind in kinds}
        for kind, r in group.items():
            if kind != "numba" and "numba" in group:
                r["x_numba"] = r["mean"] / group["numba"]["mean"]
        orbit_rows += group.values()
    load_end = os.getloadavg()[0]

    print(f"lunar-gnc flight-software timing: {args.runs} runs each; {host['cpu_model']}, {host['cpu_count']} CPUs, "
          f"Python {host['python']}, numba {host['numba']}")
    print(f"descent seed {SEED}: {result.summary['duration_s']:.1f} s of flight, {len(frames)} flight-software steps "
          f"at {sc.sim.fsw_rate_hz:g} Hz x {a.substeps} model steps; closed-loop outcomes "
          + ", ".join(f"{LABEL[k]} {o}" for k, o in outcomes.items()) + "\n")
    print_table(rows)
    print(f"\norbit programs, fsw_step per call: ascent seed {SEED} ({len(orbit['ascent'][1][0])} steps, "
          f"{ascent.summary['outcome']}); rendezvous seed {SEED} ({len(orbit['rendezvous'][1][0])} steps of each "
          f"vehicle, time-warped coasts included, {rdv_outcome})\n")
    print_table(orbit_rows)
    print("\nmean: untimed compiled loop / steps; p50/p99/max: each call between two clock_gettime calls in the "
          "compiled loop (pooled over runs; closed-loop rows: one sample per run); x floor = mean / rk4_step mean; "
          "x numba = mean / the numba row's mean; real-time = flight time / wall, median over runs; the vehicle-model "
          "row is the numba closed loop's mean less fsw_step's.")
    for kind, why in missing.items():
        print(f"{LABEL[kind]}: NOT MEASURED ({why})")
    print(f"1-min load average {load_start:.2f} at start, {load_end:.2f} at end "
          "(other work on the machine inflates every figure)")

    report = {
        "machine": {**host, "load_avg_1min_start": load_start, "load_avg_1min_end": load_end},
        "config": {"scenario": SCENARIO, "seed": SEED, "runs": args.runs, "rk4_steps": RK4_STEPS,
                   "fsw_steps": len(frames), "substeps": a.substeps, "flight_s": result.summary["duration_s"],
                   "clock": "clock_gettime(CLOCK_MONOTONIC) from the compiled loop"},
        "unit": "ns per call (closed loop: ns per flight-software step); rtf: flight time / wall",
        "figures": rows,
        "orbit_programs": {"ascent_steps": len(orbit["ascent"][1][0]), "rendezvous_steps": len(orbit["rendezvous"][1][0]),
                           "ascent_outcome": ascent.summary["outcome"], "rendezvous_outcome": rdv_outcome,
                           "figures": orbit_rows},
        "closed_loop_outcomes": outcomes,
        "not_measured": missing,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
