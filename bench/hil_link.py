"""HIL link timing: round trips over a real pseudo-terminal against the wire-time limit,
and the loop period of a real-time session.

Measures, in one run:
  - round trips of real frames (the sensor frames a descent recorded, 125 bytes on the
    wire; actuator frames back, 158 bytes) between this process (pyserial on a pty) and
    a board process (`python -m gnc.hil.board --pty`, numba flight software), after the
    session handshake.  A pty ignores the baud rate: it measures the host's and the
    board's own overhead (codec, syscalls, the flight-software step, scheduling).  The
    wire time of the two frames at 115200 and 921600 baud (8N1) is arithmetic; a real
    UART adds it to the overhead.
  - the same round trips through the in-process stub without wire time: the codec and
    the flight software alone, no kernel, no second process.
  - a real-time session on the stub at 100 Hz (921600 baud emulated): loop period,
    jitter, how late each frame left, overruns.
  - per program (descent, ascent, rendezvous), the first --program-seconds of mission
    time flown over the pty board (each at its own rate), once in lockstep and once in
    real time: round trip against the wire time, loop period p50/p99/max, overruns,
    held steps.  The rendezvous flies its ascent in process first; its board flies the
    orbiter-returner.

    python bench/hil_link.py [--round-trips N] [--seconds S] [--rate HZ] [--program-seconds S] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import gnc.programs.descent.run
import gnc.scenario
from gnc import wire
from gnc.core.layout import AF_STEP_CYCLES
from gnc.hil.link import round_trip_wire_time
from gnc.hil.session import Link, handshake, run_session
from gnc.hil.transport import SerialTransport, StubTransport
from gnc.programs.descent import plant as P
from gnc.programs.descent.assemble import assemble

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine, summarise  # noqa: E402  (a sibling script, not a package)

SCENARIO = "descent"
SEED = 0
WARM_UP = 50                 # round trips before the clock starts (first calls, page faults)
BAUDS = (115200, 921600)
STUB_BAUD = 921600
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "hil_link.json"
PROGRAMS = ("descent", "ascent", "rendezvous")


def start_board() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "gnc.hil.board", "--pty"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    if not select.select([proc.stdout], [], [], 60.0)[0]:
        proc.kill()
        sys.exit("the board did not start within 60 s")
    line = proc.stdout.readline().decode()
    if not line.startswith("PTY "):
        proc.kill()
        sys.exit(f"the board did not print its pty: {line!r}")
    return proc, line.split()[1]


def stop_board(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(5)


def round_trips(link: Link, frames: np.ndarray, n: int) -> tuple[list[float], list[float]]:
    """(round trip s, board step s) of n sensor frames, each answered before the next."""
    rtt, board = [], []
    for i in range(WARM_UP + n):
        seq = link.next_seq()
        packet = wire.encode_sensor(seq, frames[i % len(frames)])
        t0 = time.perf_counter()
        link.send(packet)
        while (msg := link.receive(t0 + 1.0)) is not None and not (msg.kind == "actuator" and msg.seq == seq):
            pass
        if msg is None:
            sys.exit(f"no answer to frame {i} within 1 s")
        t1 = time.perf_counter()
        if i >= WARM_UP:
            rtt.append(t1 - t0)
            board.append(msg.payload[AF_STEP_CYCLES] * 1e-9)
    return rtt, board


def codec_costs(frames: np.ndarray, n: int) -> tuple[list[float], list[float]]:
    """Host-side seconds per encode_sensor and per decoding of an actuator frame."""
    reply = wire.encode_actuator(1, np.zeros(wire.LAYOUTS["actuator"].length))
    enc, dec = [], []
    for i in range(n):
        t0 = time.perf_counter()
        wire.encode_sensor(i, frames[i % len(frames)])
        t1 = time.perf_counter()
        wire.Decoder().feed(reply)
        t2 = time.perf_counter()
        enc.append(t1 - t0)
        dec.append(t2 - t1)
    return enc, dec


def row(name, unit, stats, target=""):
    return {"name": name, "unit": unit, **stats, "target": target}


def scaled(samples, k):
    return summarise([k * s for s in samples])


def in_ms(spread: dict) -> dict:
    """A gnc.hil.link spread (seconds, p50) as a table row's stats (ms, median)."""
    return {"median": spread["p50"] * 1e3, "p99": spread["p99"] * 1e3, "max": spread["max"] * 1e3, "n": spread["n"]}


def print_table(rows):
    head = f"{'':58} {'median':>10} {'p99':>10} {'max':>10}  {'unit':<6}  note"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['name']:58} {r['median']:10.4g} {r['p99']:10.4g} {r['max']:10.4g}  {r['unit']:<6}  {r['target']}")


def program_sessions(pty: str, seconds: float) -> dict[str, dict[str, dict]]:
    """{program: {mode: link report}} of the first `seconds` of each program over the pty board."""
    out = {}
    for name in PROGRAMS:
        sc = gnc.scenario.load(name, [f"sim.max_duration_s={seconds:g}"])
        out[name] = {mode: run_session(sc, SerialTransport(pty, BAUDS[-1]), SEED, mode=mode).link
                     for mode in ("lockstep", "realtime")}
    return out


def program_rows(sessions: dict[str, dict[str, dict]]) -> list[dict]:
    rows = []
    for name, by_mode in sessions.items():
        lock, rt = by_mode["lockstep"], by_mode["realtime"]
        rate = 1.0 / lock["period_s"]
        rows += [
            row(f"{name} ({rate:g} Hz), lockstep over the pty: round trip", "ms", in_ms(lock["round_trip_s"]),
                f"{lock['steps']} exchanges; wire time {round_trip_wire_time(BAUDS[0]) * 1e3:.2f} ms at {BAUDS[0]}"),
            row("  real time: loop period", "ms", in_ms(rt["loop_period_s"]),
                f"nominal {1e3 / rate:g} ms; overruns {rt['overruns']}, held {rt['frames']['held_steps']}"),
            row("  real time: round trip", "ms", in_ms(rt["round_trip_s"]), f"{rt['steps']} exchanges"),
        ]
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--round-trips", type=int, default=1000, help="timed round trips per link (default 1000)")
    ap.add_argument("--seconds", type=float, default=30.0,
                    help="mission seconds of the real-time stub session (default 30)")
    ap.add_argument("--rate", type=float, default=100.0, help="rate of the real-time session, Hz (default 100)")
    ap.add_argument("--program-seconds", type=float, default=30.0,
                    help="mission seconds of each program's lockstep and real-time sessions (default 30)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    args = ap.parse_args(argv)
    if args.round_trips < 1 or args.seconds <= 0 or args.rate <= 0 or args.program_seconds <= 0:
        ap.error("--round-trips, --seconds, --rate and --program-seconds must be positive")

    host = machine()
    load_start = os.getloadavg()[0]
    sc = gnc.scenario.load(SCENARIO)
    recorded = gnc.programs.descent.run.run(sc, SEED)
    cols = gnc.programs.descent.run.telemetry_columns()
    frames = np.ascontiguousarray(np.column_stack([recorded.telemetry[c] for c in cols[P.T_SF:P.T_AF]]))
    cfg = assemble(sc, SEED).cfg

    proc, pty = start_board()
    try:
        link = Link(SerialTransport(pty, BAUDS[-1]))
        hello = handshake(link, cfg)
        pty_rtt, pty_board = round_trips(link, frames, args.round_trips)
        link.transport.close()
        by_program = program_sessions(pty, args.program_seconds)
    finally:
        stop_board(proc)
    stub = Link(StubTransport())
    handshake(stub, cfg)
    stub_rtt, stub_board = round_trips(stub, frames, args.round_trips)
    enc, dec = codec_costs(frames, args.round_trips)

    rt_sc = gnc.scenario.load(SCENARIO, [f"sim.fsw_rate_hz={args.rate:g}", f"sim.max_duration_s={args.seconds:g}"])
    rt = run_session(rt_sc, StubTransport(baud=STUB_BAUD), SEED, mode="realtime").link
    load_end = os.getloadavg()[0]

    sensor_b, actuator_b = wire.wire_size(wire.MSG["sensor"]), wire.wire_size(wire.MSG["actuator"])
    wire_s = {b: round_trip_wire_time(b) for b in BAUDS}
    pty_p50 = float(np.median(pty_rtt))
    rows = [
        row("pty + board process, round trip", "ms", scaled(pty_rtt, 1e3),
            "host + board overhead; a pty ignores the baud rate"),
        row("  board's flight-software step (its step_cycles)", "ms", scaled(pty_board, 1e3)),
        row("in-process stub, round trip (no wire time)", "ms", scaled(stub_rtt, 1e3), "codec + fsw only"),
        row("  host encode_sensor", "us", scaled(enc, 1e6)),
        row("  host decode of an actuator frame", "us", scaled(dec, 1e6)),
    ]
    for b in BAUDS:
        rows.append(row(f"wire time, {sensor_b} + {actuator_b} B at {b} baud (8N1, arithmetic)", "ms",
                        {"median": wire_s[b] * 1e3, "p99": wire_s[b] * 1e3, "max": wire_s[b] * 1e3, "n": 1},
                        f"pty overhead p50 = {100 * pty_p50 / wire_s[b]:.1f}% of it"))
    rows += [
        row(f"real-time stub session at {args.rate:g} Hz: loop period", "ms", in_ms(rt["loop_period_s"]),
            f"nominal {1e3 / args.rate:g} ms"),
        row("  |period - nominal|", "ms", in_ms(rt["period_jitter_s"])),
        row("  sensor frame sent after its tick", "ms", in_ms(rt["send_late_s"])),
        row(f"  round trip (stub, {STUB_BAUD} baud emulated)", "ms", in_ms(rt["round_trip_s"])),
    ] + program_rows(by_program)

    print(f"lunar-gnc HIL link: {args.round_trips} round trips per link; {host['cpu_model']}, "
          f"{host['cpu_count']} CPUs, Python {host['python']}, numba {host['numba']}")
    print(f"board: {hello.name}; frames: sensor {sensor_b} B, actuator {actuator_b} B on the wire\n")
    print_table(rows)
    print(f"\nreal-time session: {rt['steps']} steps at {args.rate:g} Hz, overruns {rt['overruns']}, "
          f"slips {rt['slips']}, held steps {rt['frames']['held_steps']}, late answers {rt['frames']['late']}, "
          f"smallest margin before the next tick {rt['margin_s']['min'] * 1e3:.3f} ms")
    print(f"1-min load average {load_start:.2f} at start, {load_end:.2f} at end "
          "(other work on the machine inflates every figure)")
    print("p99 is nearest-rank.  Estimated round trip over a real UART = wire time + the pty overhead.")

    report = {
        "machine": {**host, "load_avg_1min_start": load_start, "load_avg_1min_end": load_end},
        "config": {"scenario": SCENARIO, "seed": SEED, "round_trips": args.round_trips, "warm_up": WARM_UP,
                   "pty_board": hello.name, "sensor_wire_bytes": sensor_b, "actuator_wire_bytes": actuator_b,
                   "realtime_rate_hz": args.rate, "realtime_seconds": args.seconds, "stub_baud": STUB_BAUD,
                   "program_seconds": args.program_seconds},
        "figures": rows,
        "wire_time_round_trip_s": {str(b): wire_s[b] for b in BAUDS},
        "estimated_uart_round_trip_p50_s": {str(b): wire_s[b] + pty_p50 for b in BAUDS},
        "realtime_session": {k: rt[k] for k in ("steps", "loop_period_s", "period_jitter_s", "send_late_s",
                                                "margin_s", "overruns", "slips", "frames", "round_trip_s",
                                                "board_step_s")},
        "programs": {name: {mode: {k: link[k] for k in ("steps", "period_s", "round_trip_s", "loop_period_s",
                                                         "period_jitter_s", "margin_s", "overruns", "slips", "frames")}
                            for mode, link in by_mode.items()} for name, by_mode in by_program.items()},
        "samples_s": {"pty_round_trip": pty_rtt, "stub_round_trip": stub_rtt},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
