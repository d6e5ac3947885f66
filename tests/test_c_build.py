"""The C flight build (csrc/) against the numba reference, back to back.

A reference closed-loop descent records its sensor frames (telemetry columns "sf.*");
the same frames, with the run's config, go open loop from a reset state through the
numba fsw_step and through each C build, and every actuator field and the state array
are compared at every step.  The metrics (figures and reasons in docs/c_build.md):

- double build: |c - ref| <= 1e-9 * max(|ref|, unit), unit the field's natural size
  (thrust_max for thrust, dt for RCS on-times, 1 for everything else); a covariance
  entry against sqrt(P_ii P_jj).  Integer fields (phase, health) must then be equal.
- float build, free running: errors accumulate in the state, so discrete decisions
  eventually flip.  Compared up to the first flip that changes the state (phase, or a
  health bit other than the output-only thrust-saturated flag); the navigation error
  is measured against the filter's own sigma.  RCS fire/no-fire flips feed nothing
  back in an open-loop replay, so they are counted, not a divergence.
- float build, one step: every step starts from the reference state (rounded to
  float), so the difference is one step's arithmetic; discrete disagreements (phase,
  health, an RCS thruster firing in one build only) must be rare, everything else tight.
- closed loop: both C builds land within the scenario's touchdown limits.

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
from gnc.assemble import assemble
from gnc.core import fsw_c
from gnc.core.layout import (AF_HEALTH, AF_LEN, AF_NAV_POS, AF_NAV_Q, AF_NAV_VEL, AF_PHASE, AF_RCS_ON, AF_T,
                             AF_THRUST_CMD, CF_DT, CF_LEN, CF_PROGRAM, CF_THRUST_MAX, FS_COV, FS_LEN, FS_MASS, FS_POS,
                             FS_Q_IB, FS_THRUST_LAST, FS_VEL, HEALTH_ALT_REJECTED, HEALTH_CONFIG_BAD, HEALTH_HDU_USED,
                             HEALTH_IMU_MISSING, HEALTH_THRUST_SATURATED, HEALTH_VEL_REJECTED, PROGRAM_IDLE,
                             SF_ALT_RANGE, SF_CMD, SF_HDU_REL, SF_LEN, SF_T, SF_VALID, SF_VEL_BEAM, VALID_ALT,
                             VALID_HDU, VALID_IMU, VALID_VEL0)
from gnc.core.loop import T_AF, T_SF
from gnc.run import run, telemetry_columns

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
KERNELS = runpy.run_path(str(CSRC / "build_cffi.py"))["KERNELS"]
CI = os.environ.get("CI") == "true"
SC = scenario.load("descent")
RUNS = [(0, False), (1, True)]         # (seed, disperse) of the recorded reference runs
NO_TELEMETRY = 10**7

DOUBLE_BOUND = 1e-9
# float build, free running, up to the first state-changing divergence
FREE = {"t": 1e-7,              # relative: the time tag rounded to float (2^-24)
        "thrust": 0.02,         # of thrust_max
        "nav_pos": 2.0,         # filter sigmas; the altimeter's datum-sphere range in float, near the ground
        "nav_vel": 0.25,        # filter sigmas
        "attitude": 1e-5,       # quaternion components
        "rcs_both_on": 0.25,    # of dt, where both builds fire the thruster
        "cov": 0.01,            # against sqrt(P_ii P_jj)
        "mass": 1e-3,           # relative
        "state_rest": 0.01,     # the other state fields (times, rate, aim, t_go, ground height...), relative
        "reach": 0.9}           # the comparison must cover at least this fraction of the run
# float build, one step from the reference state (same units as FREE); discrete: the
# fraction of steps with a flipped decision (phase, health bit, an RCS thruster)
ONE_STEP = {"thrust": 2e-3, "nav_pos": 0.25, "nav_vel": 0.1, "attitude": 5e-6, "rcs_both_on": 0.05, "cov": 0.01,
            "mass": 1e-6, "state_rest": 0.01, "discrete": 0.02}
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
    def replay(frames, cfg, fs, starts, fs_out, af_out):
        af = np.zeros(af_out.shape[1])
        for k in range(frames.shape[0]):
            if starts.shape[0] > 0:
                fs[:] = starts[k]
            step(frames[k], cfg, fs, af)
            fs_out[k] = fs
            af_out[k] = af
    return replay


@functools.cache
def _loop(kind):
    return _replay_loop(fsw_c.step_kernel(kind))


def replay(kind, frames, cfg, starts=None):
    """(actuator frames, states) after each step.  The state runs on from a reset, or
    with starts, step k starts from starts[k]."""
    fs = np.zeros(FS_LEN)
    fsw_c.reset(kind, fs)
    fs_out, af_out = np.zeros((len(frames), FS_LEN)), np.zeros((len(frames), AF_LEN))
    _loop(kind)(frames, cfg, fs, np.zeros((0, FS_LEN)) if starts is None else starts, fs_out, af_out)
    return af_out, fs_out


@functools.cache
def recording(seed, disperse):
    """Sensor frames of a reference closed-loop run, its config, and the numba replay."""
    r = run(SC, seed, disperse)
    cols = telemetry_columns()
    frames = np.ascontiguousarray(np.column_stack([r.telemetry[c] for c in cols[T_SF:T_AF]]))
    cfg = assemble(SC, seed, disperse).cfg
    ref_af, ref_fs = replay("numba", frames, cfg)
    assert np.array_equal(ref_af, np.column_stack([r.telemetry[c] for c in cols[T_AF:]])), \
        "the open-loop replay must reproduce the run's own actuator frames"
    return frames, cfg, ref_af, ref_fs


def one_step_starts(ref_fs):
    """The reference state before each step: reset, then the state after the step before."""
    reset = np.zeros((1, FS_LEN))
    fsw_c.reset("numba", reset[0])
    return np.vstack([reset, ref_fs[:-1]])


# ---------------------------------------------------------------- metrics

def af_error(c, ref, cfg):
    """Per step and field: |c - ref| / max(|ref|, unit)."""
    unit = np.ones(AF_LEN)
    unit[AF_THRUST_CMD] = cfg[CF_THRUST_MAX]
    unit[AF_RCS_ON:AF_RCS_ON + 12] = cfg[CF_DT]
    return np.abs(c - ref) / np.maximum(np.abs(ref), unit)


def _cov(fs):
    return fs[:, FS_COV:FS_COV + 36].reshape(-1, 6, 6)


def cov_error(c, ref):
    """|P_c - P_ref| / sqrt(P_ii P_jj) of the reference, per step and entry."""
    sig = np.sqrt(np.einsum("kii->ki", _cov(ref)))
    return np.abs(_cov(c) - _cov(ref)) / (sig[:, :, None] * sig[:, None, :])


def fs_error(c, ref):
    err = np.abs(c - ref) / np.maximum(np.abs(ref), 1.0)
    err[:, FS_COV:FS_COV + 36] = cov_error(c, ref).reshape(-1, 36)
    return err


def state_divergence(c_af, ref_af):
    """First step whose phase or state-changing health bits differ (len if none)."""
    health = (c_af[:, AF_HEALTH].astype(np.int64) ^ ref_af[:, AF_HEALTH].astype(np.int64)) & ~HEALTH_THRUST_SATURATED
    k = np.flatnonzero((c_af[:, AF_PHASE] != ref_af[:, AF_PHASE]) | (health != 0))
    return int(k[0]) if len(k) else len(c_af)


def rcs_flips(c_af, ref_af):
    """Per step: does some thruster fire in one build only?"""
    return ((c_af[:, AF_RCS_ON:AF_RCS_ON + 12] > 0) != (ref_af[:, AF_RCS_ON:AF_RCS_ON + 12] > 0)).any(axis=1)


# the state fields float_errors does not measure on their own scale: relative, floor 1
STATE_REST = np.setdiff1d(np.arange(FS_LEN), np.r_[FS_POS:FS_POS + 3, FS_VEL:FS_VEL + 3, FS_COV:FS_COV + 36,
                                                   FS_Q_IB:FS_Q_IB + 4, FS_MASS, FS_THRUST_LAST])


def float_errors(c_af, c_fs, ref_af, ref_fs, cfg, steps):
    """The float metrics (see FREE) over the selected steps."""
    sig = np.sqrt(ref_fs[steps][:, FS_COV + 7 * np.arange(6)])
    d_af = np.abs(c_af[steps] - ref_af[steps])
    d_fs = np.abs(c_fs[steps] - ref_fs[steps])
    rr, rc = ref_af[steps, AF_RCS_ON:AF_RCS_ON + 12], c_af[steps, AF_RCS_ON:AF_RCS_ON + 12]
    both = (rr > 0) & (rc > 0)
    return {
        "t": float((d_af[:, AF_T] / np.maximum(np.abs(ref_af[steps, AF_T]), 1.0)).max()),
        "thrust": float(max(d_af[:, AF_THRUST_CMD].max(), d_fs[:, FS_THRUST_LAST].max()) / cfg[CF_THRUST_MAX]),
        "nav_pos": float(max((d_af[:, AF_NAV_POS:AF_NAV_POS + 3] / sig[:, :3]).max(),
                             (d_fs[:, FS_POS:FS_POS + 3] / sig[:, :3]).max())),
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

@pytest.mark.parametrize("seed, disperse", RUNS)
def test_double_build_matches_reference_every_step(c_build, seed, disperse):
    frames, cfg, ref_af, ref_fs = recording(seed, disperse)
    c_af, c_fs = replay("c", frames, cfg)
    af_err, fs_err = af_error(c_af, ref_af, cfg), fs_error(c_fs, ref_fs)
    print(f"\ndouble build, seed {seed}: max error actuator {af_err.max():.3g}, state {fs_err.max():.3g} "
          f"over {len(frames)} steps")
    worst = np.unravel_index(np.argmax(af_err), af_err.shape)
    assert af_err.max() <= DOUBLE_BOUND, f"actuator field {worst[1]} at step {worst[0]}: {af_err[worst]:.3g}"
    worst = np.unravel_index(np.argmax(fs_err), fs_err.shape)
    assert fs_err.max() <= DOUBLE_BOUND, f"state field {worst[1]} at step {worst[0]}: {fs_err[worst]:.3g}"


def stressed_frames(frames):
    """The recorded frames with what a nominal run never shows: a late go command, a
    repeated time tag, IMU dropouts, altimeter and velocimeter outliers (gate rejections)
    and a hazard-detection site on every frame (taken at the end of hover)."""
    rng = np.random.default_rng(6)
    f = frames.copy()
    valid = f[:, SF_VALID].astype(np.int64)
    f[:50, SF_CMD] = 0.0
    f[50, SF_CMD] = 1.0
    f[100, SF_T] = f[99, SF_T]
    valid[rng.random(len(f)) < 0.02] &= ~VALID_IMU
    alt = np.flatnonzero(valid & VALID_ALT)
    f[rng.choice(alt, len(alt) // 30), SF_ALT_RANGE] *= 1.5
    vel = np.flatnonzero(valid & VALID_VEL0)
    f[rng.choice(vel, len(vel) // 30), SF_VEL_BEAM] += 30.0
    valid |= VALID_HDU
    f[:, SF_HDU_REL:SF_HDU_REL + 3] = (12.0, -7.0, 95.0)
    f[:, SF_VALID] = valid
    return f


def test_double_build_matches_reference_on_stressed_frames(c_build):
    frames, cfg, _, _ = recording(*RUNS[0])
    frames = stressed_frames(frames)
    ref_af, ref_fs = replay("numba", frames, cfg)
    seen = np.bitwise_or.reduce(ref_af[:, AF_HEALTH].astype(np.int64))
    for bit in (HEALTH_IMU_MISSING, HEALTH_ALT_REJECTED, HEALTH_VEL_REJECTED, HEALTH_HDU_USED):
        assert seen & bit, f"the stressed frames should exercise health bit {bit}"
    c_af, c_fs = replay("c", frames, cfg)
    assert af_error(c_af, ref_af, cfg).max() <= DOUBLE_BOUND
    assert fs_error(c_fs, ref_fs).max() <= DOUBLE_BOUND


@pytest.mark.parametrize("kind", ["numba", "c", "c-float"])
def test_bad_config_is_reported_by_every_build(c_build, kind):
    frames, cfg, _, _ = recording(*RUNS[0])
    bad = cfg.copy()
    bad[CF_PROGRAM] = PROGRAM_IDLE
    af, _ = replay(kind, frames[:3], bad)
    assert (af[:, AF_HEALTH] == HEALTH_CONFIG_BAD).all()
    assert np.allclose(af[:, AF_T], frames[:3, SF_T], rtol=FREE["t"], atol=0.0)


@pytest.mark.parametrize("seed, disperse", RUNS)
def test_float_build_free_running_within_bound(c_build, seed, disperse):
    frames, cfg, ref_af, ref_fs = recording(seed, disperse)
    c_af, c_fs = replay("c-float", frames, cfg)
    end = state_divergence(c_af, ref_af)
    measured = float_errors(c_af, c_fs, ref_af, ref_fs, cfg, slice(0, end))
    flips = rcs_flips(c_af[:end], ref_af[:end]).mean()
    print(f"\nfloat build, free running, seed {seed}: first state-changing divergence at step {end} of "
          f"{len(frames)} (phase {ref_af[min(end, len(frames) - 1), AF_PHASE]:.0f}); RCS flips in {flips:.1%} "
          f"of the steps before it; " + ", ".join(f"{k} {v:.3g}" for k, v in measured.items()))
    assert end >= FREE["reach"] * len(frames), f"diverged at step {end} of {len(frames)}"
    assert not within(measured, FREE), within(measured, FREE)


@pytest.mark.parametrize("seed, disperse", RUNS)
def test_float_build_one_step_within_bound(c_build, seed, disperse):
    frames, cfg, ref_af, ref_fs = recording(seed, disperse)
    c_af, c_fs = replay("c-float", frames, cfg, one_step_starts(ref_fs))
    discrete = ((c_af[:, AF_PHASE] != ref_af[:, AF_PHASE]) | (c_af[:, AF_HEALTH] != ref_af[:, AF_HEALTH])
                | rcs_flips(c_af, ref_af))
    measured = float_errors(c_af, c_fs, ref_af, ref_fs, cfg, ~discrete)
    measured["discrete"] = float(discrete.mean())
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


# ---------------------------------------------------------------- the build itself

def test_c_entry_points_are_the_only_exported_symbols(c_build):
    """Both libraries sit in one symbol namespace (RTLD_GLOBAL, for numba); a visible
    nav_init in each would let the float build call the double one."""
    if os.name != "posix":
        pytest.skip("symbol visibility is checked on POSIX hosts")
    for kind, entry in (("c", "gnc_fsw_step_d"), ("c-float", "gnc_fsw_step_f64io")):
        lib = ctypes.CDLL(fsw_c.module(kind).__file__)
        assert hasattr(lib, entry)
        for internal in ("fsw_step", "nav_init", "descent_step", "guidance_hold", "control_rcs_pulses"):
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
from gnc.run import run
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


def compile_or_fail(cc, flags, tmp_path):
    for src in KERNELS:
        cmd = [cc, *STRICT, *flags, f"-I{CSRC}", "-c", str(CSRC / src), "-o", str(tmp_path / (src + ".o"))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"


@pytest.mark.parametrize("real", ["double", "float"])
def test_sources_compile_as_strict_c99(real, tmp_path):
    cc = next((shutil.which(c) for c in (os.environ.get("CC"), "cc", "gcc") if c and shutil.which(c)), None)
    if cc is None:
        skip_or_fail("no C compiler ($CC, cc or gcc) on PATH")
    compile_or_fail(cc, ["-O2"] + (["-DGNC_REAL_FLOAT"] + NO_DOUBLE if real == "float" else []), tmp_path)


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
