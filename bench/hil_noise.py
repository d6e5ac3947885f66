"""A HIL link with byte errors (gnc.hil.noise): what a session makes of it, across seeds.

Per byte error rate (per direction) and seed:
  - lockstep, 20 s of descent (1000 steps) on the stub: retransmissions, the board->host
    message error rate the host measured, events;
  - real time, 20 s on the stub: held steps, noisy and empty waits, the runs of misses
    the session needed before judging a link silent or noisy, events;
  - with --full: the whole lockstep descent, over ptys with the relay
    (`python -m gnc.hil.board --pty`, `python -m gnc.hil.noise`), outcome and wall time.

    python bench/hil_noise.py [--rates 1e-4,1e-3] [--seeds 0-4] [--full] [--json PATH]

The spreads are what the bounds in tests/test_hil_noise.py are derived from.
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

import gnc.scenario
from gnc.hil.session import run_session
from gnc.hil.transport import SerialTransport, StubTransport

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_timing import machine  # noqa: E402  (a sibling script, not a package)

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "hil_noise.json"


def _pty_of(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    if not select.select([proc.stdout], [], [], 300.0)[0]:
        proc.kill()
        sys.exit(f"{' '.join(cmd)}: no pty within 300 s")
    return proc, proc.stdout.readline().decode().split()[1]


def _row(r, wall: float) -> dict:
    f, n = r.link["frames"], r.link["noise"]
    return {"outcome": r.summary["outcome"], "wall_s": round(wall, 1), "steps": r.link["steps"],
            "retransmitted": f["retransmitted"], "held_steps": f["held_steps"], "waits": n["waits"],
            "board_to_host_message_error_rate": n["board_to_host_message_error_rate"],
            "run_needed": n["run_needed"], "events": [(e["event"], e["step"]) for e in r.link["events"]]}


def fly(sc, transport, seed: int, mode: str) -> dict:
    t0 = time.perf_counter()
    r = run_session(sc, transport, seed=seed, mode=mode)
    return _row(r, time.perf_counter() - t0)


def fly_pty(sc, rate: float, seed: int) -> dict:
    board, board_pty = _pty_of([sys.executable, "-m", "gnc.hil.board", "--pty"])
    relay, relay_pty = _pty_of([sys.executable, "-m", "gnc.hil.noise", "--board", board_pty,
                                "--byte-errors", str(rate), "--seed", str(seed)])
    try:
        return fly(sc, SerialTransport(relay_pty, 921600), seed, "lockstep")
    finally:
        for proc in (relay, board):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rates", default="1e-4,1e-3", help="byte error rates per direction (default 1e-4,1e-3)")
    p.add_argument("--seeds", type=_seeds, default=_seeds("0-4"), help="seeds, e.g. 0-4 (default)")
    p.add_argument("--full", action="store_true", help="also the whole lockstep descent over ptys and the relay")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = p.parse_args()
    short = gnc.scenario.load("descent", ["sim.max_duration_s=20"])
    results = {"machine": machine(), "load_average_start": os.getloadavg(), "runs": []}
    cases = [("stub, lockstep, 20 s", "lockstep"), ("stub, realtime, 20 s", "realtime")]
    for rate in map(float, args.rates.split(",")):
        for label, mode in cases:
            for seed in args.seeds:
                row = {"case": label, "byte_error_rate": rate, "seed": seed,
                       **fly(short, StubTransport(byte_errors=rate, seed=seed), seed, mode)}
                results["runs"].append(row)
                print(json.dumps(row), flush=True)
        if args.full:
            for seed in args.seeds:
                row = {"case": "ptys + relay, lockstep, whole descent", "byte_error_rate": rate, "seed": seed,
                       **fly_pty(gnc.scenario.load("descent"), rate, seed)}
                results["runs"].append(row)
                print(json.dumps(row), flush=True)
    results["load_average_end"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
