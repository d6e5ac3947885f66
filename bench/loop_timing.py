"""Loop timing: the closed-loop descent beside its floor, the bare 6-DOF RK4 step.

Measures, in one run and side by side:
  - one closed-loop descent (gnc.programs.descent.run.run on the shipped "descent" scenario), with
    telemetry on every step and with none, as wall time and real-time factor;
  - the bare vehicle-model step (gnc.core.vehicle.rk4_step) in a compiled loop: the floor;
  - the flight-software step alone (fsw_step) replayed on the sensor frames a descent
    recorded, as a compiled loop (mean) and called per step from Python (distribution);
  - the cold start of a descent run in a new process with a warm numba cache.

    python bench/loop_timing.py [--runs N] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

import gnc.programs.descent.run
import gnc.scenario
from gnc.core import vehicle as V
from gnc.core.fsw.step import fsw_reset, fsw_step
from gnc.core.layout import AF_LEN, FS_LEN
from gnc.programs.descent import plant as P
from gnc.programs.descent.assemble import assemble
from gnc.programs.gravity import plant_field

SCENARIO = "descent"
SEED = 0
RK4_STEPS = 1_000_000
TARGET_RTF = 10_000.0       # closed-loop descent, times real time
TARGET_COLD_S = 3.0         # `gnc run descent` from a new shell, warm cache
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "loop_timing.json"
COLD_PY = "import gnc.programs.descent.run, gnc.scenario; gnc.programs.descent.run.run(gnc.scenario.load('descent'))"


# The bench kernels are not cached on purpose: numba's cache checks only this file, so a
# cached copy would go on timing old core code after gnc/core changes.
@numba.njit(cache=False)
def rk4_loop(x, vp, w, field, thrust_cmd, duty, h, n, work):
    for i in range(n):
        V.rk4_step(x, i * h, vp, w, field, thrust_cmd, duty, h, work)


@numba.njit(cache=False)
def fsw_replay(frames, cfg, fs, af, out, keep):
    """Feed every recorded sensor frame to fsw_step from a fresh state; keep=True also
    copies each actuator frame to out (for the replay check, not while timing)."""
    fsw_reset(fs)
    for k in range(frames.shape[0]):
        fsw_step(frames[k], cfg, fs, af)
        if keep:
            out[k, :] = af


@numba.njit(cache=False)
def noop4(sf, cfg, fs, af):
    """fsw_step's argument types and nothing else: the cost of calling into numba."""


def percentile(samples, p):
    """Nearest rank, so p99 of fewer than 100 samples is the max."""
    s = np.sort(np.asarray(samples, float))
    return float(s[max(0, math.ceil(p / 100.0 * len(s)) - 1)])


def summarise(samples):
    return {"median": float(np.median(samples)), "p99": percentile(samples, 99),
            "max": float(np.max(samples)), "n": len(samples)}


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu_model": cpu, "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__}


def time_descent(sc, runs, tel_every):
    gnc.programs.descent.run.run(sc, SEED, tel_every=tel_every)          # warm-up: JIT load or compile
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = gnc.programs.descent.run.run(sc, SEED, tel_every=tel_every)
        walls.append(time.perf_counter() - t0)
    return walls, result


def time_rk4(a, runs):
    """ns per step; coasting from the PDI state (engine and RCS off: a burn does the same
    arithmetic, the engine only scales a vector) at the scenario's model step."""
    work = np.zeros(V.WORK_LEN)
    duty = np.zeros(V.N_RCS)
    h = a.dt / a.substeps
    rk4_loop(a.x0.copy(), a.vp, a.world, plant_field(a.field), 0.0, duty, h, 10, work)    # compile
    ns = []
    for _ in range(runs):
        x = a.x0.copy()
        t0 = time.perf_counter_ns()
        rk4_loop(x, a.vp, a.world, plant_field(a.field), 0.0, duty, h, RK4_STEPS, work)
        ns.append((time.perf_counter_ns() - t0) / RK4_STEPS)
    return ns


def recorded_frames(result):
    """The sensor frames the flight software read and the actuator frames it answered,
    one row per step, in schema order."""
    cols = gnc.programs.descent.run.telemetry_columns()
    tel = result.telemetry
    sf = np.ascontiguousarray(np.column_stack([tel[c] for c in cols[P.T_SF:P.T_AF]]))
    af = np.column_stack([tel[c] for c in cols[P.T_AF:P.T_LEN]])
    return sf, af


def time_fsw(frames, cfg, runs):
    fs, af = np.zeros(FS_LEN), np.zeros(AF_LEN)
    out = np.zeros((len(frames), AF_LEN))
    fsw_replay(frames, cfg, fs, af, out, True)
    replayed = out.copy()
    loop_ns = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fsw_replay(frames, cfg, fs, af, out, False)
        loop_ns.append((time.perf_counter_ns() - t0) / len(frames))

    rows = list(frames)                       # row views made before the clock starts
    clock = time.perf_counter_ns
    noop4(rows[0], cfg, fs, af)
    call_ns, noop_ns = [], []
    for _ in range(runs):
        per_call = np.empty(len(rows), np.int64)
        fsw_reset(fs)
        for k, sf in enumerate(rows):
            t0 = clock()
            fsw_step(sf, cfg, fs, af)
            per_call[k] = clock() - t0
        call_ns.append(per_call)
        per_noop = np.empty(len(rows), np.int64)
        for k, sf in enumerate(rows):
            t0 = clock()
            noop4(sf, cfg, fs, af)
            per_noop[k] = clock() - t0
        noop_ns.append(per_noop)
    return loop_ns, np.concatenate(call_ns), np.concatenate(noop_ns), replayed


def time_process(cmd, runs, ok_codes):
    """Wall seconds of cmd in a new process, runs times after one warming run; None and
    the error's last line if the warming run fails."""
    warm = subprocess.run(cmd, capture_output=True, text=True)
    if warm.returncode not in ok_codes:
        return None, (warm.stderr.strip().splitlines() or ["exit status %d" % warm.returncode])[-1]
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, capture_output=True).returncode
        walls.append(time.perf_counter() - t0)
        if rc not in ok_codes:
            return None, "exit status %d on a timed run" % rc
    return walls, ""


def cold_start(runs):
    """[(label, seconds or None, note)] for a descent run in a new process with a warm
    cache: the console script (exit 1 = ran but did not land, still a full run) and the
    same work through python -c, which needs no CLI."""
    out = []
    exe = shutil.which("gnc")
    with tempfile.TemporaryDirectory() as tmp:
        label = "gnc run descent --out <tmp> --no-plots --quiet"
        if exe and subprocess.run([exe, "run", "--help"], capture_output=True).returncode == 0:
            walls, note = time_process([exe, "run", "descent", "--out", tmp, "--no-plots", "--quiet"],
                                       runs, (0, 1))
        else:
            walls, note = None, "no working `gnc` console script (gnc run --help failed)"
        out.append((label, walls, note))
    walls, note = time_process([sys.executable, "-c", COLD_PY], runs, (0,))
    out.append((f'python -c "{COLD_PY}"', walls, note))
    return out


def row(name, unit, stats, floor=None, target=""):
    r = {"name": name, "unit": unit, **stats, "target": target}
    if floor is not None:
        r["x_floor"] = stats["median"] / floor
    return r


def print_table(rows):
    head = f"{'':46} {'median':>11} {'p99':>11} {'max':>11}  {'unit':<8} {'x floor':>8}  target"
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = f"{r['x_floor']:8.1f}" if "x_floor" in r else " " * 8
        print(f"{r['name']:46} {r['median']:11.4g} {r['p99']:11.4g} {r['max']:11.4g}  {r['unit']:<8} {ratio}  "
              f"{r['target']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="repetitions of every timed item (default 5)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    host = machine()
    load_start = os.getloadavg()[0]
    sc = gnc.scenario.load(SCENARIO)
    a = assemble(sc, SEED)
    walls_tel, result = time_descent(sc, args.runs, tel_every=1)
    walls_bare, _ = time_descent(sc, args.runs, tel_every=1_000_000)
    flight_s = result.summary["duration_s"]
    fsw_steps = len(result.telemetry["t"])
    model_steps = fsw_steps * a.substeps

    rk4_ns = time_rk4(a, args.runs)
    floor = float(np.median(rk4_ns))
    frames, recorded_af = recorded_frames(result)
    loop_ns, call_ns, noop_ns, replayed_af = time_fsw(frames, a.cfg, args.runs)
    replay_diff = float(np.max(np.abs(replayed_af - recorded_af)))
    cold = cold_start(args.runs)
    load_end = os.getloadavg()[0]

    def rtf(walls):
        # flight time over the median, p99 and max wall: the p99 and max columns are the slow end
        w = summarise(walls)
        return {"median": flight_s / w["median"], "p99": flight_s / w["p99"], "max": flight_s / w["max"],
                "n": w["n"]}

    def per_model_step_ns(walls):
        return summarise([1e9 * s / model_steps for s in walls])

    def verdict(met):
        return "met" if met else "MISSED"

    rtf_tel, rtf_bare = rtf(walls_tel), rtf(walls_bare)
    rows = [
        row("rk4_step, njit loop of 1e6 (floor)", "ns/step", summarise(rk4_ns), floor),
        row("descent run, telemetry every step", "ms", summarise([1e3 * s for s in walls_tel])),
        row("descent run, no telemetry", "ms", summarise([1e3 * s for s in walls_bare])),
        row("  real-time factor, telemetry every step", "x", rtf_tel,
            target=f">= {TARGET_RTF:,.0f} ({verdict(rtf_tel['median'] >= TARGET_RTF)})"),
        row("  real-time factor, no telemetry", "x", rtf_bare,
            target=f">= {TARGET_RTF:,.0f} ({verdict(rtf_bare['median'] >= TARGET_RTF)})"),
        row("  per model step, telemetry every step", "ns/step", per_model_step_ns(walls_tel), floor),
        row("  per model step, no telemetry", "ns/step", per_model_step_ns(walls_bare), floor),
        row("fsw_step, njit replay loop (mean per step)", "ns/step", summarise(loop_ns), floor),
        row("fsw_step, per call from Python (+dispatch)", "ns/call", summarise(call_ns), floor),
        row("  njit no-op, same 4 arrays (dispatch only)", "ns/call", summarise(noop_ns)),
    ]
    for label, walls, _ in cold:
        if walls is not None:
            gnc_cli = label.startswith("gnc ")
            rows.append(row("cold start, " + ("gnc run descent" if gnc_cli else "python -c run descent"), "s",
                            summarise(walls),
                            target=f"<= {TARGET_COLD_S:g} s ({verdict(np.median(walls) <= TARGET_COLD_S)})"
                            if gnc_cli else ""))
    telemetry_share = 1.0 - np.median(walls_bare) / np.median(walls_tel)
    # Where one flight-software step's time goes, from the medians above.
    step_ns = 1e9 * float(np.median(walls_bare)) / fsw_steps
    budget = {"fsw_step_total_ns": step_ns, "rk4_ns": a.substeps * floor, "fsw_ns": float(np.median(loop_ns))}
    budget["rest_ns"] = step_ns - budget["rk4_ns"] - budget["fsw_ns"]

    print(f"lunar-gnc loop timing: {args.runs} runs each; {host['cpu_model']}, {host['cpu_count']} CPUs, "
          f"Python {host['python']}, numba {host['numba']}")
    print(f"descent: {flight_s:.1f} s of flight, {fsw_steps} flight-software steps x {a.substeps} model steps, "
          f"outcome {result.summary['outcome']}\n")
    print_table(rows)
    print(f"\ntelemetry costs {100 * telemetry_share:.0f}% of a run's wall time")
    print(f"one flight-software step without telemetry: {step_ns:.0f} ns = {a.substeps} x rk4_step "
          f"{budget['rk4_ns']:.0f} + fsw_step {budget['fsw_ns']:.0f} + the rest {budget['rest_ns']:.0f} "
          "(sensors, foot-pad contact check, RCS duty, run set-up)")
    print(f"fsw replay reproduces the recorded actuator frames: max |difference| = {replay_diff:.3g}")
    for label, walls, note in cold:
        print(f"cold start: {label}" + ("" if walls is not None else f": NOT MEASURED ({note})"))
    print(f"1-min load average {load_start:.2f} at start, {load_end:.2f} at end "
          "(other work on the machine inflates every figure)")
    print("p99 is nearest-rank: with fewer than 100 samples it equals the max. Per-call figures from "
          "Python include ~40 ns of perf_counter_ns; 'x floor' = median / median rk4_step.")

    report = {
        "machine": {**host, "load_avg_1min_start": load_start, "load_avg_1min_end": load_end},
        "config": {"scenario": SCENARIO, "seed": SEED, "runs": args.runs, "rk4_steps": RK4_STEPS,
                   "flight_s": flight_s, "fsw_steps": fsw_steps, "substeps": a.substeps,
                   "model_step_s": a.dt / a.substeps},
        "figures": rows,
        "telemetry_share_of_wall": telemetry_share,
        "fsw_step_budget_ns": budget,
        "fsw_replay_max_abs_diff": replay_diff,
        "cold_start": [{"command": label, "samples_s": walls, "note": note} for label, walls, note in cold],
        "descent_wall_samples_s": {"telemetry_every_step": walls_tel, "no_telemetry": walls_bare},
        "targets": {"real_time_factor_min": TARGET_RTF, "cold_start_max_s": TARGET_COLD_S},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
