"""Where a step of the shipped descent's compiled loop goes (issue #16): the loop flown whole, then
variants bound with gnc.core.loop.bind in which the flight software is replaced by a replay of the
actuator frames it recorded (so truth flies the same trajectory, checked) and the plant's sense, record
or advance (or advance's foot-pad contact check) is stubbed out.  Differences of CPU time between
variants give each part's share.  A measurement only: no variant is shipped.

    python bench/loop_profile.py [SUBSTEPS [ROUNDS]]     # default 2 (100 Hz model) and 5
"""
import sys
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

substeps = int(sys.argv[1]) if len(sys.argv) > 1 else 2
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
sc = gnc.scenario.load("descent", [f"sim.substeps={substeps}"])
a = assemble(sc, 0)

def fly(lp, fs, tel_every=1):
    f = Flight(lp, a.plant(), a.cfg[None, :], fs, P.T_LEN, tel_every, a.seed, None, tel_rows=100000)
    t0 = time.perf_counter(); c0 = time.process_time()
    f.until(a.n_steps)
    return f, time.perf_counter() - t0, time.process_time() - c0

full = loops.loop("descent")
f, _, _ = fly(full, np.zeros((1, FS_LEN)))
tel = f.telemetry()
n = len(tel)
print("steps", n, "event", f.event)
afs = tel[:, P.T_AF:P.T_AF + AF_LEN].copy()

@kernel
def replay(sf, cfg, fs, af):
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

from gnc.core.vehicle import rcs_duty, rk4_step, accumulate_imu, X_W
from gnc.core import vec, faults
from gnc.core.layout import AF_THRUST_CMD

@kernel
def adv_nocontact(k, k_end, p, af):
    h = p.dt / p.substeps
    t = k * p.dt
    x = p.x
    thrust_cmd = af[0, AF_THRUST_CMD] * faults.thrust_factor(t, p.faults)
    for j in range(p.substeps):
        rcs_duty(af[0], j * h, h, p.duty)
        w0 = vec.load3(x, X_W)
        f_b = rk4_step(x, t + j * h, p.vp, p.w, p.field, thrust_cmd, p.duty, h, p.work)
        accumulate_imu(p.imu, f_b, w0, vec.load3(x, X_W), h)
    return 1, 1 if k + 1 >= n_steps_g else 0

n_steps_g = n
@kernel
def no_advance(k, k_end, p, af):
    return 1, 1 if k + 1 >= n_steps_g else 0

def fs_replay():
    fs = np.zeros((1, 1 + n * AF_LEN))
    fs[0, 1:] = afs.ravel()
    return fs

def variant(name, sense=P.sense, record=P.record, advance=P.advance, step=None):
    pl = types.SimpleNamespace(sense=sense, record=record, advance=advance)
    return name, core_loop.bind(pl, step or replay, "v_" + name, cache=False)

variants = [("full", full, lambda: np.zeros((1, FS_LEN)))]
for name, kw in [("replay_fsw", {}),
                 ("replay_nosense", dict(sense=no_sense)),
                 ("replay_norecord", dict(record=no_record)),
                 ("replay_nocontact", dict(advance=adv_nocontact)),
                 ("replay_onlyadv_nocontact", dict(sense=no_sense, record=no_record, advance=adv_nocontact)),
                 ("replay_onlyadv", dict(sense=no_sense, record=no_record)),
                 ("replay_only_sense", dict(record=no_record, advance=no_advance)),
                 ("replay_nothing", dict(sense=no_sense, record=no_record, advance=no_advance)),
                 ]:
    nm, lp = variant(name, **kw)
    variants.append((nm, lp, fs_replay))
res = {}
for nm, lp, mk in variants:
    fl, w, c = fly(lp, mk())         # warm / compile
    if nm.startswith("replay_fsw") or nm == "replay_norecord" or nm == "replay_nocontact":
            print(nm, "same x as full:", np.array_equal(fl.plant.x, f.plant.x), fl.k, fl.event)
    res[nm] = []
for r in range(reps):
    for nm, lp, mk in variants:
        _, w, c = fly(lp, mk())
        res[nm].append(c)
print(f"substeps {substeps}, {n} fsw steps; CPU s per run (median, min) and ns per fsw step")
for nm, v in res.items():
    print(f"{nm:28s} {np.median(v)*1e3:8.1f} ms  min {min(v)*1e3:8.1f} ms  {np.median(v)/n*1e9:8.0f} ns/step")
