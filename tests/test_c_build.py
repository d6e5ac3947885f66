"""The C flight build (csrc/) against the numba reference, back to back.

A reference closed-loop descent records its sensor frames (telemetry columns "sf.*");
the same frames, with the run's config, go open loop from a reset state through the
numba fsw_step and through each C build, and every actuator field and the state array
are compared at every step.  The metrics (figures and reasons in docs/c_build.md):

- double build: bit for bit the reference's actuator frames and states (NaN where the
  reference has NaN), on every step: both use the portable math (gnc.core.pmath,
  csrc/pmath.c) and round every operation alike (-ffp-contract=off).
- float build, one step: every step starts from the reference state (rounded to
  float), so the difference is one step's arithmetic; discrete disagreements (phase,
  health, an RCS thruster firing in one build only) must be rare, everything else
  tight.  The bounds (ONE_STEP, FLOAT_ORBIT) are twice the worst over several seeds,
  rounded up to 1, 2 or 5 in their decade: `python bench/float_build_spread.py` measures
  them, for this machine and as an older x86-64 flies it (a run is the same bits on
  every CPU: tests/test_reproducible.py).
- float build, free running over a whole recorded descent: how far a float and a
  double build drift apart on a closed-loop trajectory is not a property of the
  flight software, so it is not bounded; the float filter is held instead to the
  reference's own requirement (tests/test_descent.py): its estimate inside its own
  3 sigma of the truth on >= 99 % of steps, each axis.
- closed loop: both C builds land within the scenario's touchdown limits.

The orbit programs get the same treatment: an ascent's sensor frames (one config), and
a rendezvous's frames of both vehicles (the orbiter-returner's rendezvous program and
the ascender's orbit operations), each with the config in force at that step (the
ground uplinks new ones), recorded from the reference closed loop by a recording
fsw_step and replayed from the state each vehicle started with.  The double build
must be bit-identical to the reference; the float build is held one step at a time to
FLOAT_ORBIT, and in closed loop to what the flight must achieve: the C builds insert
within the ascent's tolerance, the double build captures with the very same numbers,
and the float build captures too (nominal and dispersed seeds) with every capture
margin positive, its relative filter inside its own 3 sigma.

The C sources also compile as strict C99 for both `real` types and with the avr-gcc and
arm-none-eabi-gcc cross compilers (skipped if absent, failed instead if CI=true), and
include nothing beyond math.h, stdint.h, stddef.h and their own headers.
"""
from __future__ import annotations

import ctypes
import functools
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from gnc import scenario
from gnc.core import fsw_c
from gnc.core.fsw.nav import N as NAV_N
from gnc.core.fsw.relnav import N as RELNAV_N
from gnc.core.fsw.step import fsw_step
from gnc.core.layout import (
    AF_HEALTH,
    AF_LEN,
    AF_NAV_POS,
    AF_NAV_Q,
    AF_NAV_VEL,
    AF_PHASE,
    AF_RCS_ON,
    AF_T,
    AF_THRUST_CMD,
    CF_DT,
    CF_LEN,
    CF_PROGRAM,
    CF_THRUST_MAX,
    FS_ALT_BIAS,
    FS_ALT_REF,
    FS_ATT_QUIET,
    FS_BURN_ON,
    FS_COV,
    FS_LEN,
    FS_MASS,
    FS_ORB_POS,
    FS_ORB_VEL,
    FS_POS,
    FS_Q_IB,
    FS_REOPENS,
    FS_SITE_SHIFT,
    FS_STARTED,
    FS_THRUST_LAST,
    FS_VEL,
    HEALTH_ALT_BIAS,
    HEALTH_ALT_LOST,
    HEALTH_ALT_REJECTED,
    HEALTH_CONFIG_BAD,
    HEALTH_HDU_USED,
    HEALTH_IMU_MISSING,
    HEALTH_NAV_REOPENED,
    HEALTH_RETARGETED,
    HEALTH_VEL_BIAS,
    HEALTH_VEL_REJECTED,
    PHASE_ASCENT_COAST,
    PHASE_CAPTURE,
    PHASE_CLOSING,
    PHASE_FINAL_APPROACH,
    PHASE_HOMING,
    PHASE_ORBIT_INJECTION,
    PHASE_PHASING,
    PHASE_PITCH_OVER,
    PHASE_VERTICAL_RISE,
    PROGRAM_ASCENT,
    PROGRAM_IDLE,
    PROGRAM_RENDEZVOUS,
    SF_ALT_RANGE,
    SF_CMD,
    SF_CAM_REL,
    SF_HDU_REL,
    SF_IMU_DV,
    SF_LEN,
    SF_T,
    SF_VALID,
    SF_VEL_BEAM,
    VALID_ALT,
    VALID_CAM,
    VALID_HDU,
    VALID_IMU,
    VALID_VEL0,
)
from gnc.programs import loops
from gnc.programs.ascent.assemble import assemble as assemble_ascent
from gnc.programs.ascent.run import run as run_ascent
from gnc.programs.descent.assemble import assemble
from gnc.programs.descent.plant import T_AF, T_SF
from gnc.programs.descent.run import run, telemetry_columns
from gnc.programs.rendezvous import run as run_rendezvous

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
BUILD = runpy.run_path(str(CSRC / "build_cffi.py"))
KERNELS, PROTOCOL = BUILD["KERNELS"], BUILD["PROTOCOL"]     # PROTOCOL: the host board and its HIL protocol
CI = os.environ.get("CI") == "true"
SC = scenario.load("descent")
RUNS = [(0, False), (1, True)]         # (seed, disperse) of the recorded reference runs
NO_TELEMETRY = 10**7
STRESS_ALT_STEP = 20.0                 # m: the altimeter's range step in stressed_frames

# float build, one step from the reference state: "t" relative (the time tag rounded to
# float: at most half a float ulp, 2^-24), "thrust" of thrust_max, "nav_pos"/"nav_vel" in
# filter sigmas, "attitude" quaternion components, "rcs_both_on" of dt where both builds
# fire, "cov" against sqrt(P_ii P_jj), "mass" relative, "state_rest" the other state fields
# relative (floor 1), "discrete" the fraction of steps with a flipped decision (phase,
# health bit, thruster).  All but "t": twice the worst of descent seeds 0-7 (odd seeds
# dispersed), rounded up to 1-2-5, the same on this CPU and on an older x86-64:
# python bench/float_build_spread.py --program descent --older-x86-64.  "nav_vel" grew with
# the accelerometer-bias states (#17): the same float error in m/s (seed 0's worst 6.8e-5
# m/s, in the slow descent) against a velocity sigma of 0.002 m/s there, ~15 times smaller.
# "nav_pos" takes in the altimeter step detector's reference (#17) against the altitude
# sigma: seeds 0-7's worst 0.00217 with it (this CPU only), the bound unchanged.
FLOAT_T = 2.0 ** -24
ONE_STEP = {"t": FLOAT_T, "thrust": 0.002, "nav_pos": 0.005, "nav_vel": 0.1, "attitude": 5e-06,
            "rcs_both_on": 0.05, "cov": 0.0001, "mass": 5e-07, "state_rest": 0.0005, "discrete": 0.05}
INSIDE_3_SIGMA = 0.99      # tests/test_descent.py's requirement on the reference filter
STRICT = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"]
NO_DOUBLE = ["-Wdouble-promotion"]      # no silent double arithmetic in the float build (soft on an MCU)
CROSS = {"avr-gcc": ["-mmcu=atmega2560", "-Os"],     # avr double is float: its libm "promotes" needlessly
         "arm-none-eabi-gcc": ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard", "-O2",
                               "-ffreestanding"] + NO_DOUBLE}
ALLOWED_SYSTEM_HEADERS = {"math.h", "stdint.h", "stddef.h"}


def skip_or_fail(reason: str):
    if CI:
        pytest.fail(reason + " (CI=true requires it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def c_build():
    for kind in ("c", "c-float"):
        try:
            fsw_c.require(kind)
        except fsw_c.CBuildUnavailable as e:
            skip_or_fail(str(e))


# ---------------------------------------------------------------- replay

def _replay_loop(step):
    @numba.njit
    def replay(frames, cfgs, which, fs, starts, fs_out, af_out):
        af = np.zeros(af_out.shape[1])
        for k in range(frames.shape[0]):
            if starts.shape[0] > 0:
                fs[:] = starts[k]
            step(frames[k], cfgs[which[k]], fs, af)
            fs_out[k] = fs
            af_out[k] = af
    return replay


@functools.cache
def _loop(kind):
    return _replay_loop(fsw_c.step_kernel(kind))


def replay(kind, frames, cfg, starts=None, which=None, fs0=None):
    """(actuator frames, states) after each step.  cfg is the config, or with `which`
    a stack of configs, step k using cfg[which[k]].  The state runs on from fs0 (a
    reset if None), or with starts, step k starts from starts[k]."""
    if which is None:
        cfg, which = cfg[None], np.zeros(len(frames), np.int64)
    fs = np.zeros(FS_LEN)
    if fs0 is None:
        fsw_c.reset(kind, fs)
    else:
        fs[:] = fs0
    fs_out, af_out = np.zeros((len(frames), FS_LEN)), np.zeros((len(frames), AF_LEN))
    _loop(kind)(frames, cfg, which, fs, np.zeros((0, FS_LEN)) if starts is None else starts, fs_out, af_out)
    return af_out, fs_out


def _recorded(r, cfg):
    """A reference run's sensor frames, its config, and the numba replay of them."""
    cols = telemetry_columns()
    frames = np.ascontiguousarray(np.column_stack([r.telemetry[c] for c in cols[T_SF:T_AF]]))
    ref_af, ref_fs = replay("numba", frames, cfg)
    assert np.array_equal(ref_af, np.column_stack([r.telemetry[c] for c in cols[T_AF:]])), \
        "the open-loop replay must reproduce the run's own actuator frames"
    return frames, cfg, ref_af, ref_fs


@functools.cache
def descent_run(seed, disperse):
    """A reference descent (closed loop) with its telemetry: truth and frames."""
    return run(SC, seed, disperse)


@functools.cache
def recording(seed, disperse):
    """A reference descent, recorded."""
    return _recorded(descent_run(seed, disperse), assemble(SC, seed, disperse).cfg)


def one_step_starts(ref_fs, fs0=None):
    """The reference state before each step: fs0 (a reset if None), then the state after
    the step before."""
    first = np.zeros((1, FS_LEN))
    if fs0 is None:
        fsw_c.reset("numba", first[0])
    else:
        first[0] = fs0
    return np.vstack([first, ref_fs[:-1]])


# ---------------------------------------------------------------- metrics

def _cov(fs):
    return fs[:, FS_COV:FS_COV + NAV_N * NAV_N].reshape(-1, NAV_N, NAV_N)


def cov_error(c, ref):
    """|P_c - P_ref| / sqrt(P_ii P_jj) of the reference, per step and entry; a state the
    reference holds exactly (the ascent's bias: variance 0) must be held exactly."""
    sig = np.sqrt(np.einsum("kii->ki", _cov(ref)))
    num, den = np.abs(_cov(c) - _cov(ref)), sig[:, :, None] * sig[:, None, :]
    return np.divide(num, den, out=np.where(num > 0.0, np.inf, 0.0), where=den > 0.0)


def fs_error(c, ref):
    err = np.abs(c - ref) / np.maximum(np.abs(ref), 1.0)
    err[:, FS_COV:FS_COV + NAV_N * NAV_N] = cov_error(c, ref).reshape(-1, NAV_N * NAV_N)
    return err


def rcs_flips(c_af, ref_af):
    """Per step: does some thruster fire in one build only?"""
    return ((c_af[:, AF_RCS_ON:AF_RCS_ON + 12] > 0) != (ref_af[:, AF_RCS_ON:AF_RCS_ON + 12] > 0)).any(axis=1)


# the state fields float_errors does not measure on their own scale: relative, floor 1
STATE_REST = np.setdiff1d(np.arange(FS_LEN), np.r_[FS_POS:FS_POS + 3, FS_VEL:FS_VEL + 3, FS_COV:FS_COV + NAV_N * NAV_N,
                                                   FS_Q_IB:FS_Q_IB + 4, FS_MASS, FS_THRUST_LAST, FS_ALT_REF])


def float_errors(c_af, c_fs, ref_af, ref_fs, cfg, steps):
    """The float metrics (see ONE_STEP) over the selected steps."""
    sig = np.sqrt(ref_fs[steps][:, FS_COV + (NAV_N + 1) * np.arange(6)])
    d_af = np.abs(c_af[steps] - ref_af[steps])
    d_fs = np.abs(c_fs[steps] - ref_fs[steps])
    rr, rc = ref_af[steps, AF_RCS_ON:AF_RCS_ON + 12], c_af[steps, AF_RCS_ON:AF_RCS_ON + 12]
    both = (rr > 0) & (rc > 0)
    return {
        "t": float((d_af[:, AF_T] / np.maximum(np.abs(ref_af[steps, AF_T]), 1.0)).max()),
        "thrust": float(max(d_af[:, AF_THRUST_CMD].max(), d_fs[:, FS_THRUST_LAST].max()) / cfg[CF_THRUST_MAX]),
        # the altimeter step detector's reference is a predicted range less a measured one, tens of km each in
        # braking: its float error is the altitude's, and goes with the altitude's sigma
        "nav_pos": float(max((d_af[:, AF_NAV_POS:AF_NAV_POS + 3] / sig[:, :3]).max(),
                             (d_fs[:, FS_POS:FS_POS + 3] / sig[:, :3]).max(), (d_fs[:, FS_ALT_REF] / sig[:, 2]).max())),
        "nav_vel": float(max((d_af[:, AF_NAV_VEL:AF_NAV_VEL + 3] / sig[:, 3:]).max(),
                             (d_fs[:, FS_VEL:FS_VEL + 3] / sig[:, 3:]).max())),
        "attitude": float(max(d_af[:, AF_NAV_Q:AF_NAV_Q + 4].max(), d_fs[:, FS_Q_IB:FS_Q_IB + 4].max())),
        "rcs_both_on": float(np.abs(rr - rc)[both].max(initial=0.0) / cfg[CF_DT]),
        "cov": float(cov_error(c_fs[steps], ref_fs[steps]).max()),
        "mass": float((d_fs[:, FS_MASS] / ref_fs[steps, FS_MASS]).max()),
        "state_rest": float(fs_error(c_fs[steps], ref_fs[steps])[:, STATE_REST].max()),
    }


def within(measured: dict, bounds: dict) -> list[str]:
    return [f"{k} {measured[k]:.3g} > {bounds[k]:g}" for k in measured if k in bounds and measured[k] > bounds[k]]


# ---------------------------------------------------------------- back to back

def identical(c, ref) -> bool:
    return np.array_equal(c, ref, equal_nan=True)


def first_difference(c, ref) -> str:
    """Where two recordings first differ, for a failure message."""
    diff = ~((c == ref) | (np.isnan(c) & np.isnan(ref)))
    k, field = np.argwhere(diff)[0]
    return f"step {k}, field {field}: {c[k, field]!r} against {ref[k, field]!r} ({diff.sum()} values differ)"


def assert_identical(c_af, c_fs, ref_af, ref_fs):
    assert identical(c_af, ref_af), "actuator frames: " + first_difference(c_af, ref_af)
    assert identical(c_fs, ref_fs), "states: " + first_difference(c_fs, ref_fs)


@pytest.mark.parametrize("seed, disperse", RUNS)
def test_double_build_matches_reference_every_step(c_build, seed, disperse):
    frames, cfg, ref_af, ref_fs = recording(seed, disperse)
    c_af, c_fs = replay("c", frames, cfg)
    assert_identical(c_af, c_fs, ref_af, ref_fs)


def stressed_frames(frames):
    """The recorded frames with what a nominal run never shows: a late go command, a
    repeated time tag, IMU dropouts, altimeter and velocimeter outliers (gate rejections),
    a crater swept by the altimeter's footprint ~2 km up (its range rising 100 m over 3 s
    and falling back in one sample: the ground, not a step), a step in the altimeter's range
    below 300 m (the step detector), a hazard-detection
    site on every frame (taken at the end of hover), and what reopens the filter: all three
    beams 5 m/s off for 1 s, camera fixes 2 km off in x for 2 s, and an accelerometer bias
    step of 0.01 m/s^2 in body x from the camera's first fix on."""
    rng = np.random.default_rng(6)
    f = frames.copy()
    valid = f[:, SF_VALID].astype(np.int64)
    f[:50, SF_CMD] = 0.0
    f[50, SF_CMD] = 1.0
    f[100, SF_T] = f[99, SF_T]
    valid[rng.random(len(f)) < 0.02] &= ~VALID_IMU
    alt = np.flatnonzero(valid & VALID_ALT)
    f[rng.choice(alt, len(alt) // 30), SF_ALT_RANGE] *= 1.5
    crater = alt[f[alt, SF_ALT_RANGE] < 2000.0][:30]
    f[crater, SF_ALT_RANGE] += np.linspace(0.0, 100.0, len(crater))
    low = alt[f[alt, SF_ALT_RANGE] < 300.0]
    f[low[0]:, SF_ALT_RANGE] -= STRESS_ALT_STEP
    vel = np.flatnonzero(valid & VALID_VEL0)
    f[rng.choice(vel, len(vel) // 30), SF_VEL_BEAM] += 30.0
    all_beams = VALID_VEL0 * 7
    three = np.flatnonzero(valid & all_beams == all_beams)
    f[three[100:110], SF_VEL_BEAM:SF_VEL_BEAM + 3] += 5.0
    cam = np.flatnonzero(valid & VALID_CAM)
    f[cam[10:14], SF_CAM_REL] += 2000.0
    f[cam[0]:, SF_IMU_DV] += 0.01 * (f[cam[0]:, SF_T] - f[cam[0] - 1:-1, SF_T])
    valid |= VALID_HDU
    f[:, SF_HDU_REL:SF_HDU_REL + 3] = (12.0, -7.0, 95.0)
    f[:, SF_VALID] = valid
    return f


def test_double_build_matches_reference_on_stressed_frames(c_build):
    frames, cfg, _, _ = recording(*RUNS[0])
    frames = stressed_frames(frames)
    ref_af, ref_fs = replay("numba", frames, cfg)
    # the step found is the one below 300 m, not the crater's way out (tests/test_faults.py); its estimate is the
    # mean of 5 jumps, each off the step by the range noise (0.2 % of < 300 m: < 0.6 m)
    assert ref_fs[-1, FS_ALT_BIAS] == pytest.approx(-STRESS_ALT_STEP, abs=5.0)
    seen = np.bitwise_or.reduce(ref_af[:, AF_HEALTH].astype(np.int64))
    for bit in (HEALTH_IMU_MISSING, HEALTH_ALT_REJECTED, HEALTH_VEL_REJECTED, HEALTH_HDU_USED, HEALTH_ALT_BIAS,
                HEALTH_ALT_LOST, HEALTH_NAV_REOPENED):
        assert seen & bit, f"the stressed frames should exercise health bit {bit}"
    assert np.all(ref_fs[-1, FS_REOPENS:FS_REOPENS + 3] > 0), "the camera, velocimeter and bias reopenings all"
    c_af, c_fs = replay("c", frames, cfg)
    assert_identical(c_af, c_fs, ref_af, ref_fs)


def test_double_build_matches_reference_when_braking_moves_the_site(c_build):
    # a dispersed descent whose engine is 13 % short from 90.7 s: main braking keeps lift first,
    # passes the target, and the site moves 16.6 km downrange (gnc/core/fsw/descent.py)
    sc = scenario.load("descent", ["faults.kind=thrust_shortfall"])
    frames, cfg, ref_af, ref_fs = _recorded(run(sc, 1021782328, True), assemble(sc, 1021782328, True).cfg)
    seen = np.bitwise_or.reduce(ref_af[:, AF_HEALTH].astype(np.int64))
    assert seen & HEALTH_RETARGETED and seen & HEALTH_HDU_USED
    assert ref_fs[-1, FS_SITE_SHIFT] > 10_000.0
    c_af, c_fs = replay("c", frames, cfg)
    assert_identical(c_af, c_fs, ref_af, ref_fs)


@pytest.mark.parametrize("seed", [1051012377, 255040846])
def test_double_build_matches_reference_when_the_beams_biases_open(c_build, seed):
    # a dispersed descent with velocimeter beam 0 biased (-0.99 m/s from 180.2 s, +1.94 m/s from 346.1 s) before
    # the velocimeter first ranges: the beams' biases open at a would-be isolation (the first) or at the second
    # velocity reopening (the second), and the filter estimates them from then on (gnc/core/fsw/nav.py)
    sc = scenario.load("descent", ["faults.kind=velocimeter_bias"])
    frames, cfg, ref_af, ref_fs = _recorded(run(sc, seed, True), assemble(sc, seed, True).cfg)
    seen = np.bitwise_or.reduce(ref_af[:, AF_HEALTH].astype(np.int64))
    assert seen & HEALTH_VEL_BIAS and ref_fs[-1, FS_REOPENS + 3] == 1.0
    c_af, c_fs = replay("c", frames, cfg)
    assert_identical(c_af, c_fs, ref_af, ref_fs)


@pytest.mark.parametrize("kind", ["numba", "c", "c-float"])
@pytest.mark.parametrize("program, dt_ok", [(PROGRAM_IDLE, True), (7, True), (PROGRAM_ASCENT, False)])
def test_bad_config_is_reported_by_every_build(c_build, kind, program, dt_ok):
    """An unknown program, or a known one with dt <= 0."""
    frames, cfg, _, _ = recording(*RUNS[0])
    bad = cfg.copy()
    bad[CF_PROGRAM] = program
    if not dt_ok:
        bad[CF_DT] = 0.0
    af, _ = replay(kind, frames[:3], bad)
    assert (af[:, AF_HEALTH] == HEALTH_CONFIG_BAD).all()
    assert np.allclose(af[:, AF_T], frames[:3, SF_T], rtol=ONE_STEP["t"], atol=0.0)


@pytest.mark.parametrize("seed, disperse", RUNS)
def test_float_build_filter_free_running_stays_inside_its_own_three_sigma(c_build, seed, disperse):
    """The float build replays a whole recorded descent from a reset, on its own state."""
    frames, cfg, _, _ = recording(seed, disperse)
    c_af, c_fs = replay("c-float", frames, cfg)
    truth = descent_run(seed, disperse).telemetry
    inside = {}
    for kind, af_at, cov_at in (("pos", AF_NAV_POS, 0), ("vel", AF_NAV_VEL, 3)):
        for axis, name in enumerate("enu"):
            err = c_af[:, af_at + axis] - truth[f"{kind}_{name}"]
            sig = np.sqrt(np.maximum(c_fs[:, FS_COV + (NAV_N + 1) * (cov_at + axis)], 0.0))
            inside[f"{kind}_{name}"] = float(np.mean(np.abs(err) <= 3.0 * sig))
    print(f"\nfloat build, free running, seed {seed}: inside its own 3 sigma " +
          ", ".join(f"{k} {v:.4f}" for k, v in inside.items()))
    assert min(inside.values()) >= INSIDE_3_SIGMA, inside


def descent_one_step(seed, disperse) -> dict:
    """The float metrics of a recorded descent replayed one step at a time."""
    frames, cfg, ref_af, ref_fs = recording(seed, disperse)
    c_af, c_fs = replay("c-float", frames, cfg, one_step_starts(ref_fs))
    discrete = ((c_af[:, AF_PHASE] != ref_af[:, AF_PHASE]) | (c_af[:, AF_HEALTH] != ref_af[:, AF_HEALTH])
                | rcs_flips(c_af, ref_af))
    measured = float_errors(c_af, c_fs, ref_af, ref_fs, cfg, ~discrete)
    measured["discrete"] = float(discrete.mean())
    return measured


@pytest.mark.parametrize("seed, disperse", RUNS)
def test_float_build_one_step_within_bound(c_build, seed, disperse):
    measured = descent_one_step(seed, disperse)
    print(f"\nfloat build, one step, seed {seed}: " + ", ".join(f"{k} {v:.3g}" for k, v in measured.items()))
    assert not within(measured, ONE_STEP), within(measured, ONE_STEP)


@functools.cache
def reference_outcome(seed, disperse):
    return run(SC, seed, disperse, tel_every=NO_TELEMETRY).summary["outcome"]


@pytest.mark.parametrize("fsw", ["c", "c-float"])
@pytest.mark.parametrize("seed, disperse", [(0, False), (1, False), (2, False), (3, True), (4, True)])
def test_closed_loop_lands_like_reference(c_build, fsw, seed, disperse):
    assert reference_outcome(seed, disperse) == "landed"
    summary = run(SC, seed, disperse, tel_every=NO_TELEMETRY, fsw=fsw).summary
    assert summary["outcome"] == "landed", summary["failures"]


# ---------------------------------------------------------------- the orbit programs

SC_ASCENT = scenario.load("ascent")
SC_RDV = scenario.load("rendezvous")
ASCENT_RUNS = [(0, False), (1, True)]
RDV_RUNS = [(0, False)]
FLOAT_RDV_RUNS = [(0, False), (1, False), (2, True), (3, True)]
# Float build on the orbit programs, one step from the reference state: units as
# ONE_STEP, and for the rendezvous the orbit estimate in m and m/s, the chaser's relative
# position also in m ("nav_pos_m").  The chaser's relative state is propagated in its own
# right and its time step counted (gnc.core.fsw.relnav, orbit_ops.step_length).
# Twice the worst of ascent seeds 0-7 and rendezvous seeds 0-3 (odd seeds dispersed),
# rounded up to 1-2-5, the same on this CPU and on an older x86-64 ("t" as ONE_STEP's;
# the ascent engine's thrust is a constant that float holds exactly):
# python bench/float_build_spread.py --program ascent --program rendezvous --older-x86-64
FLOAT_ORBIT = {"ascent": {"t": FLOAT_T, "thrust": 0.0, "nav_pos": 0.05, "nav_vel": 0.02, "attitude": 5e-07,
                          "rcs_both_on": 0.0001, "cov": 5e-07, "mass": 2e-07, "state_rest": 0.01, "discrete": 0.1},
               "rendezvous-chaser": {"orb_pos_m": 0.5, "orb_vel_mps": 0.0005, "attitude": 5e-07,
                                     "rcs_both_on": 0.0001, "mass": 2e-07, "nav_pos_m": 0.2, "nav_pos": 0.02,
                                     "nav_vel": 0.01, "discrete": 0.0001},
               "rendezvous-target": {"orb_pos_m": 1.0, "orb_vel_mps": 0.0005, "attitude": 5e-07,
                                     "rcs_both_on": 0.0002, "mass": 1e-07, "discrete": 0.0002}}


@functools.cache
def ascent_recording(seed, disperse):
    """A reference ascent (lift-off to insertion), recorded."""
    return _recorded(run_ascent(SC_ASCENT, seed, disperse), assemble_ascent(SC_ASCENT, seed, disperse).cfg)


_RECORDED: dict[int, dict] = {}      # program -> what its vehicle's fsw_step saw and answered


def _record_in(sf, cfg, fs):
    rec = _RECORDED.setdefault(int(cfg[CF_PROGRAM]), {"frames": [], "cfgs": [], "which": [], "af": [],
                                                       "fs0": fs.copy()})
    if not rec["cfgs"] or not np.array_equal(rec["cfgs"][-1], cfg):
        rec["cfgs"].append(cfg.copy())
    rec["frames"].append(sf.copy())
    rec["which"].append(len(rec["cfgs"]) - 1)


def _record_out(cfg, af):
    _RECORDED[int(cfg[CF_PROGRAM])]["af"].append(af.copy())


@numba.njit
def _recording_step(sf, cfg, fs, af):
    """The reference fsw_step, its inputs and outputs copied out (object mode, per call)."""
    with numba.objmode():
        _record_in(sf, cfg, fs)
    fsw_step(sf, cfg, fs, af)
    with numba.objmode():
        _record_out(cfg, af)


@functools.cache
def rendezvous_recording(seed, disperse):
    """A reference rendezvous flown with the recording fsw_step: per program (the
    chaser's PROGRAM_RENDEZVOUS, the target's PROGRAM_ASCENT) its frames, configs and
    config index per step, starting state and numba replay; and the run's summary."""
    _RECORDED.clear()
    with loops.flying_with("rendezvous", _recording_step):
        summary = run_rendezvous.run(SC_RDV, seed, disperse, tel_every=NO_TELEMETRY).summary
    out = {}
    for program, rec in _RECORDED.items():
        frames, cfgs, which = np.array(rec["frames"]), np.array(rec["cfgs"]), np.array(rec["which"])
        ref_af, ref_fs = replay("numba", frames, cfgs, which=which, fs0=rec["fs0"])
        assert np.array_equal(ref_af, np.array(rec["af"]), equal_nan=True), \
            "the open-loop replay must reproduce the run's own actuator frames"
        out[program] = (frames, cfgs, which, rec["fs0"], ref_af, ref_fs)
    return out, summary


def test_rendezvous_recording_covers_both_programs_and_their_uplinks(c_build):
    rec, summary = rendezvous_recording(*RDV_RUNS[0])
    assert summary["outcome"] == "captured"
    assert set(rec) == {PROGRAM_ASCENT, PROGRAM_RENDEZVOUS}
    phases = {p: set(np.unique(rec[p][4][:, AF_PHASE]).astype(int)) for p in rec}
    assert {PHASE_HOMING, PHASE_CLOSING, PHASE_FINAL_APPROACH, PHASE_CAPTURE} <= phases[PROGRAM_RENDEZVOUS]
    assert {PHASE_ASCENT_COAST, PHASE_PHASING} <= phases[PROGRAM_ASCENT]
    assert len(rec[PROGRAM_ASCENT][1]) > 2 and len(rec[PROGRAM_RENDEZVOUS][1]) >= 2     # ground uplinks


@pytest.mark.parametrize("seed, disperse", ASCENT_RUNS)
def test_double_build_matches_reference_ascent(c_build, seed, disperse):
    frames, cfg, ref_af, ref_fs = ascent_recording(seed, disperse)
    c_af, c_fs = replay("c", frames, cfg)
    assert_identical(c_af, c_fs, ref_af, ref_fs)
    assert {PHASE_VERTICAL_RISE, PHASE_PITCH_OVER, PHASE_ORBIT_INJECTION, PHASE_ASCENT_COAST} <= \
        set(ref_af[:, AF_PHASE].astype(int))


@pytest.mark.parametrize("program", [PROGRAM_RENDEZVOUS, PROGRAM_ASCENT])
def test_double_build_matches_reference_rendezvous(c_build, program):
    frames, cfgs, which, fs0, ref_af, ref_fs = rendezvous_recording(*RDV_RUNS[0])[0][program]
    c_af, c_fs = replay("c", frames, cfgs, which=which, fs0=fs0)
    assert_identical(c_af, c_fs, ref_af, ref_fs)


ORBIT_CASES = {"ascent-0": ("ascent", 0, False), "ascent-1-dispersed": ("ascent", 1, True),
               "rendezvous-chaser": ("rendezvous-chaser", 0, False),
               "rendezvous-target": ("rendezvous-target", 0, False)}
PROGRAM_OF = {"rendezvous-chaser": PROGRAM_RENDEZVOUS, "rendezvous-target": PROGRAM_ASCENT}


def orbit_recording(kind, seed, disperse):
    """(frames, configs, config index per step, starting state, reference af, fs) of a
    recording: kind "ascent", "rendezvous-chaser" or "rendezvous-target"."""
    if kind == "ascent":
        frames, cfg, ref_af, ref_fs = ascent_recording(seed, disperse)
        return frames, cfg[None], np.zeros(len(frames), np.int64), None, ref_af, ref_fs
    return rendezvous_recording(seed, disperse)[0][PROGRAM_OF[kind]]


def _finite(ref_af, ref_fs):
    """Steps whose reference is all numbers (not the chaser's state before the go)."""
    return np.isfinite(ref_af).all(axis=1) & np.isfinite(ref_fs).all(axis=1)


def orbit_discrete(c_af, c_fs, ref_af, ref_fs):
    """Per step: a decision differs (phase, health, an RCS thruster, the engine on or off,
    the burn state, the attitude-hold quiet flag)."""
    return ((c_af[:, AF_PHASE] != ref_af[:, AF_PHASE]) | (c_af[:, AF_HEALTH] != ref_af[:, AF_HEALTH])
            | rcs_flips(c_af, ref_af) | ((c_af[:, AF_THRUST_CMD] > 0) != (ref_af[:, AF_THRUST_CMD] > 0))
            | (c_fs[:, FS_BURN_ON] != ref_fs[:, FS_BURN_ON]) | (c_fs[:, FS_ATT_QUIET] != ref_fs[:, FS_ATT_QUIET]))


def rendezvous_errors(c_af, c_fs, ref_af, ref_fs, cfg, steps, program):
    """The float metrics of a rendezvous vehicle over the selected steps: the chaser's
    relative navigation against its filter's sigma, the orbit estimate (the target's,
    which both vehicles carry) in metres, attitude, RCS on-times, mass."""
    d_fs = np.abs(c_fs[steps] - ref_fs[steps])
    rr, rc = ref_af[steps, AF_RCS_ON:AF_RCS_ON + 12], c_af[steps, AF_RCS_ON:AF_RCS_ON + 12]
    both = (rr > 0) & (rc > 0)
    m = {"orb_pos_m": float(d_fs[:, FS_ORB_POS:FS_ORB_POS + 3].max()),
         "orb_vel_mps": float(d_fs[:, FS_ORB_VEL:FS_ORB_VEL + 3].max()),
         "attitude": float(d_fs[:, FS_Q_IB:FS_Q_IB + 4].max()),
         "rcs_both_on": float(np.abs(rr - rc)[both].max(initial=0.0) / cfg[CF_DT]),
         "mass": float((d_fs[:, FS_MASS] / ref_fs[steps, FS_MASS]).max())}
    if program == PROGRAM_RENDEZVOUS:
        sig = np.sqrt(ref_fs[steps][:, FS_COV + (RELNAV_N + 1) * np.arange(6)])
        m["nav_pos_m"] = float(d_fs[:, FS_POS:FS_POS + 3].max())
        m["nav_pos"] = float((d_fs[:, FS_POS:FS_POS + 3] / sig[:, :3]).max())
        m["nav_vel"] = float((d_fs[:, FS_VEL:FS_VEL + 3] / sig[:, 3:]).max())
    return m


def orbit_one_step(kind, seed, disperse) -> dict:
    """The float metrics of an orbit recording replayed one step at a time."""
    frames, cfgs, which, fs0, ref_af, ref_fs = orbit_recording(kind, seed, disperse)
    c_af, c_fs = replay("c-float", frames, cfgs, starts=one_step_starts(ref_fs, fs0), which=which, fs0=fs0)
    if kind == "ascent":
        discrete = ((c_af[:, AF_PHASE] != ref_af[:, AF_PHASE]) | (c_af[:, AF_HEALTH] != ref_af[:, AF_HEALTH])
                    | rcs_flips(c_af, ref_af))
        measured = float_errors(c_af, c_fs, ref_af, ref_fs, cfgs[0], ~discrete)
    else:
        program = PROGRAM_OF[kind]
        discrete = orbit_discrete(c_af, c_fs, ref_af, ref_fs)
        # the chaser from the go command on (its state before it is the reference's NaN)
        valid = _finite(ref_af, ref_fs) & (ref_fs[:, FS_STARTED] > 0 if program == PROGRAM_RENDEZVOUS else True)
        measured = rendezvous_errors(c_af, c_fs, ref_af, ref_fs, cfgs[0], valid & ~discrete, program)
    measured["discrete"] = float(discrete.mean())
    return measured


@pytest.mark.parametrize("case", ORBIT_CASES)
def test_float_build_orbit_programs_one_step_within_bound(c_build, case):
    kind, seed, disperse = ORBIT_CASES[case]
    measured = orbit_one_step(kind, seed, disperse)
    print(f"\nfloat build, one step, {case}: " + ", ".join(f"{k} {v:.3g}" for k, v in measured.items()))
    assert not within(measured, FLOAT_ORBIT[kind]), within(measured, FLOAT_ORBIT[kind])


@pytest.mark.parametrize("fsw", ["c", "c-float"])
@pytest.mark.parametrize("seed, disperse", ASCENT_RUNS)
def test_closed_loop_ascent_inserts_like_reference(c_build, fsw, seed, disperse):
    """Within tests/test_ascent.py's insertion tolerance, as the reference is."""
    for kind in ("numba", fsw):
        s = run_ascent(SC_ASCENT, seed, disperse, tel_every=NO_TELEMETRY, fsw=kind).summary
        err = s["insertion"]["errors"]
        print(f"\n{kind} ascent seed {seed}: {s['outcome']}, a error {err['a_m']:.1f} m, i error {err['i_deg']:.5f} deg")
        assert s["outcome"] == "inserted", s["failures"]
        assert abs(err["a_m"]) <= 1000.0 and abs(err["i_deg"]) <= 0.05


def test_closed_loop_rendezvous_double_build_captures_with_the_reference_numbers(c_build):
    ref = rendezvous_recording(*RDV_RUNS[0])[1]
    s = run_rendezvous.run(SC_RDV, RDV_RUNS[0][0], RDV_RUNS[0][1], tel_every=NO_TELEMETRY, fsw="c").summary
    assert s["outcome"] == "captured"
    assert s["capture"] == ref["capture"] and s["loop_iterations"] == ref["loop_iterations"]


@pytest.mark.parametrize("seed, disperse", FLOAT_RDV_RUNS)
def test_closed_loop_rendezvous_float_build_captures(c_build, seed, disperse):
    """Captured inside the envelope, and the relative filter honest in float: from radar
    acquisition to capture >= 95 % of steps inside 3 sigma on every axis, as
    tests/test_rendezvous.py asks of the reference (a filter whose covariance had gone
    indefinite would accept anything and fail this long before it missed the target)."""
    r = run_rendezvous.run(SC_RDV, seed, disperse, fsw="c-float")
    s, tel = r.summary, r.telemetry
    assert s["outcome"] == "captured", s["failures"]
    assert min(s["capture"]["margins"].values()) > 0.0, s["capture"]
    acquired = ((tel["t"] > s["far_range"]["handover"]["t_s"] + SC_RDV.guidance.acq_time_s)
                & (tel["phase_chaser"] >= PHASE_HOMING))
    inside = {a: float(np.mean(np.abs(tel[f"nav_err_pos_{a}"][acquired])
                               <= 3.0 * tel[f"nav_sig_pos_{a}"][acquired])) for a in "xyz"}
    print(f"\nc-float rendezvous seed {seed}{' dispersed' if disperse else ''}: captured "
          f"{s['capture']['hours_after_insertion']:.2f} h after insertion, lateral {s['capture']['lateral_m']:.3f} m, "
          f"inside 3 sigma " + ", ".join(f"{a} {v:.3f}" for a, v in inside.items()))
    assert min(inside.values()) >= 0.95, inside


def test_rendezvous_monte_carlo_on_the_double_build_repeats_the_reference_runs(c_build):
    from gnc import montecarlo
    runs = {fsw: montecarlo.campaign(SC_RDV, 2, seed=3, fsw=fsw).runs for fsw in ("numba", "c")}
    assert runs["c"] == runs["numba"]
    assert all(r["outcome"] == "captured" for r in runs["c"])


def test_cli_flies_the_ascent_on_the_float_build(c_build, tmp_path):
    from gnc.cli import main
    assert main(["run", "ascent", "--fsw", "c-float", "-q", "--no-plots", "--out", str(tmp_path)]) == 0


def test_cli_rendezvous_monte_carlo_on_the_float_build(c_build, tmp_path):
    import json

    from gnc.cli import main
    assert main(["montecarlo", "rendezvous", "-n", "2", "--seed", "5", "--jobs", "1", "--fsw", "c-float", "-q",
                 "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "montecarlo.json").read_text())["statistics"]["captured"] == 2


# ---------------------------------------------------------------- the build itself

def test_c_entry_points_are_the_only_exported_symbols(c_build):
    """Both libraries sit in one symbol namespace (RTLD_GLOBAL, for numba); a visible
    nav_init in each would let the float build call the double one."""
    if os.name != "posix":
        pytest.skip("symbol visibility is checked on POSIX hosts")
    for kind, suffix in (("c", "d"), ("c-float", "f64io")):
        lib = ctypes.CDLL(fsw_c.module(kind).__file__)
        assert hasattr(lib, f"gnc_fsw_step_{suffix}") and hasattr(lib, f"gnc_fsw_step_pdg_{suffix}")
        for internal in ("fsw_step", "nav_init", "descent_step", "guidance_hold", "control_rcs_pulses",
                         "fsw_step_pdg", "pdg_law_step", "pdg_law_setup", "pdg_solve", "descent_prepare",
                         "hil_protocol_poll", "board_read", "gnc_host_feed", "gnc_host_hook_step", "gnc_cobs_decode"):
            assert not hasattr(lib, internal), f"{kind}: {internal} is exported"


def test_layout_lengths_match():
    for kind in ("c", "c-float"):
        try:
            lib = fsw_c.module(kind).lib
        except fsw_c.CBuildUnavailable as e:
            skip_or_fail(str(e))
        assert (lib.SF_LEN, lib.CF_LEN, lib.FS_LEN, lib.AF_LEN) == (SF_LEN, CF_LEN, FS_LEN, AF_LEN)
        assert lib.GNC_REAL_BYTES == (8 if kind == "c" else 4)


def test_missing_c_build_fails_with_one_line_and_numba_still_flies():
    code = """
import sys
sys.modules["gnc._fsw_c"] = None              # as if the build had found no compiler
from gnc import scenario
from gnc.core.fsw_c import CBuildUnavailable
from gnc.programs.descent.run import run
sc = scenario.load("descent")
try:
    run(sc, 0, tel_every=10**7, fsw="c")
except CBuildUnavailable as e:
    print(e)
print(run(sc, 0, tel_every=10**7).summary["outcome"])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2, out.stdout
    assert lines[0].startswith("the C flight build is unavailable: gnc._fsw_c is not built")
    assert lines[1] == "landed"


def compile_or_fail(cc, flags, tmp_path, sources=KERNELS):
    for src in sources:
        cmd = [cc, *STRICT, *flags, f"-I{CSRC}", "-c", str(CSRC / src), "-o", str(tmp_path / (Path(src).name + ".o"))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"


@pytest.mark.parametrize("real", ["double", "float"])
def test_sources_compile_as_strict_c99(real, tmp_path):
    cc = next((shutil.which(c) for c in (os.environ.get("CC"), "cc", "gcc") if c and shutil.which(c)), None)
    if cc is None:
        skip_or_fail("no C compiler ($CC, cc or gcc) on PATH")
    compile_or_fail(cc, ["-O2"] + (["-DGNC_REAL_FLOAT"] + NO_DOUBLE if real == "float" else []), tmp_path,
                    KERNELS + PROTOCOL)


@pytest.mark.parametrize("cc", sorted(CROSS))
def test_sources_cross_compile(cc, tmp_path):
    if shutil.which(cc) is None:
        skip_or_fail(f"{cc} not on PATH")
    compile_or_fail(cc, CROSS[cc] + ["-DGNC_REAL_FLOAT"], tmp_path)


def test_sources_include_only_math_and_project_headers():
    project = {p.name for p in CSRC.glob("*.h")}
    for path in sorted(CSRC.glob("*.[ch]")):
        for name in re.findall(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', path.read_text(), re.M):
            assert name in ALLOWED_SYSTEM_HEADERS | project, f"{path.name} includes {name}"


# ---------------------------------------------------------------- another architecture

REPLAY_MAIN = r"""
#include <stdio.h>
#include "fsw_step.h"
#include "layout.h"
/* argv[1]: the config, then one sensor frame after another (doubles); argv[2]: per step
 * the actuator frame and the state after it */
int main(int argc, char **argv)
{
    double cfg[CF_LEN], sf[SF_LEN], fs[FS_LEN], af[AF_LEN];
    FILE *in, *out;
    if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb"))) return 2;
    if (fread(cfg, sizeof cfg, 1, in) != 1) return 3;
    fsw_reset(fs);
    while (fread(sf, sizeof sf, 1, in) == 1) {
        fsw_step(sf, cfg, fs, af);
        fwrite(af, sizeof af, 1, out);
        fwrite(fs, sizeof fs, 1, out);
    }
    return fclose(out) != 0;
}
"""


def test_double_build_on_aarch64_answers_like_the_reference_bit_for_bit(tmp_path):
    """The double flight build cross-compiled for AArch64 and run under qemu-aarch64
    replays a recorded descent with the x86-64 numba reference's very bits
    (docs/reproducibility.md).  Contraction off, as the host build has it: in GNU C mode
    GCC fuses a*b + c on AArch64, and 416,836 of the values then differ."""
    cc, qemu = shutil.which("aarch64-linux-gnu-gcc"), shutil.which("qemu-aarch64")
    if cc is None or qemu is None:
        skip_or_fail("aarch64-linux-gnu-gcc or qemu-aarch64 not on PATH (Debian: gcc-aarch64-linux-gnu "
                     "libc6-dev-arm64-cross qemu-user)")
    (tmp_path / "replay.c").write_text(REPLAY_MAIN)
    exe = tmp_path / "replay"
    cmd = [cc, "-std=c99", "-O2", "-ffp-contract=off", "-static", f"-I{CSRC}", str(tmp_path / "replay.c"),
           *[str(CSRC / k) for k in KERNELS], "-o", str(exe), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    frames, cfg, ref_af, ref_fs = recording(*RUNS[1])
    (tmp_path / "in.bin").write_bytes(cfg.astype("<f8").tobytes() + frames.astype("<f8").tobytes())
    subprocess.run([qemu, str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], check=True, timeout=600)
    out = np.frombuffer((tmp_path / "out.bin").read_bytes(), "<f8").reshape(len(frames), AF_LEN + FS_LEN)
    assert_identical(out[:, :AF_LEN], out[:, AF_LEN:], ref_af, ref_fs)
