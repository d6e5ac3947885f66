"""Where a step of the shipped descent's compiled loop goes (issue #16).

The loop is flown whole, then as variants bound with gnc.core.loop.bind in which the flight
software is a replay of the actuator frames the whole loop recorded (so truth flies the same
trajectory: checked, the vehicle's final state must be equal) and one of the plant's parts is
stubbed: sense, record, advance, or only the hazard unit's scan (the replay with the unit
disabled: hdu.enabled = false in the variant's plant, the replayed commands unchanged).
Differences of CPU time between variants give each part's share.  A measurement only: no
variant is shipped.

    python bench/loop_profile.py                      # 100 Hz vehicle model (2 substeps), 5 rounds
    python bench/loop_profile.py --substeps 20 --rounds 3
"""
from __future__ import annotations

import argparse
import time
import types

import numpy as np

import gnc.scenario
from gnc.core import loop as core_loop
from gnc.core.jit import kernel
from gnc.core.layout import AF_LEN, FS_LEN
from gnc.flight import Flight
from gnc.programs import loops
from gnc.programs.descent import plant as P
from gnc.programs.descent.assemble import assemble


@kernel
def replay(sf, cfg, fs, af):
    """The flight software replaced by its own recording: fs[0] the next frame, then the frames."""
    i = int(fs[0])
    for j in range(af.shape[0]):
        af[j] = fs[1 + i * af.shape[0] + j]
    fs[0] = i + 1


@kernel
def no_sense(k, p, sf, af):
    sf[0, 0] = k * p.dt


@kernel
def no_record(row, k, k_end, p, sf, af):
    row[0] = k * p.dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--substeps", type=int, default=2, help="RK4 substeps per 50 Hz step (2: a 100 Hz vehicle model)")
    ap.add_argument("--rounds", type=int, default=5, help="timed runs of every variant, taking turns (default 5)")
    args = ap.parse_args()

    def assembled(*sets):
        return assemble(gnc.scenario.load("descent", [f"sim.substeps={args.substeps}", *sets]), 0)

    a = assembled()
    no_hdu = assembled("hdu.enabled=false")

    def fly(lp, fs, asm=a):
        f = Flight(lp, asm.plant(), asm.cfg[None, :], fs, P.T_LEN, 1, asm.seed, None, tel_rows=100_000)
        c0 = time.process_time()
        f.until(a.n_steps)
        return f, time.process_time() - c0

    full = loops.loop("descent")
    truth, _ = fly(full, np.zeros((1, FS_LEN)))
    tel = truth.telemetry()
    n = len(tel)
    frames = tel[:, P.T_AF:P.T_AF + AF_LEN].ravel()

    def recording():
        fs = np.zeros((1, 1 + frames.size))
        fs[0, 1:] = frames
        return fs

    variants = [("full loop", full, lambda: np.zeros((1, FS_LEN)), a)]
    for name, parts, asm in [("flight software replayed", {}, a),
                             ("replayed, no hazard unit", {}, no_hdu),
                             ("replayed, no sense", {"sense": no_sense}, a),
                             ("replayed, no record", {"record": no_record}, a),
                             ("replayed, advance only", {"sense": no_sense, "record": no_record}, a)]:
        plant = types.SimpleNamespace(**{"sense": P.sense, "record": P.record, "advance": P.advance, **parts})
        lp = core_loop.bind(plant, replay, "profile_" + name.replace(",", "").replace(" ", "_"), cache=False)
        variants.append((name, lp, recording, asm))
    cpu = {}
    for name, lp, fs, asm in variants:          # the first flight of each compiles it
        f, _ = fly(lp, fs(), asm)
        if lp is not full and not np.array_equal(f.plant.x, truth.plant.x):
            raise SystemExit(f"{name}: truth flew another trajectory than the full loop's; its times mean nothing")
        cpu[name] = []
    for _ in range(args.rounds):
        for name, lp, fs, asm in variants:
            cpu[name].append(fly(lp, fs(), asm)[1])
    print(f"{args.substeps} substeps, {n} flight-software steps; CPU time of one whole loop")
    print(f"{'variant':<28}{'median ms':>11}{'min ms':>9}{'ns/step':>9}")
    for name, v in cpu.items():
        print(f"{name:<28}{np.median(v) * 1e3:11.1f}{min(v) * 1e3:9.1f}{np.median(v) / n * 1e9:9.0f}")


if __name__ == "__main__":
    main()
