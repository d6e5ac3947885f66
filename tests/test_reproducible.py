"""A run is the same run on every machine: the same scenario, overrides, seed and build
give the same summary.json and telemetry.arrow, byte for byte.

What decided it before (docs/reproducibility.md): the assembly's numpy `@` and
linalg.norm ran on OpenBLAS kernels picked per CPU; glibc picks an FMA or a plain
variant of sin, exp, atan2 & co. per CPU, and the core, numba's standard_normal and
the assembly called them.  Now the core and everything that feeds a flight use
gnc.core.pmath (portable math) and gnc.linalg3 (fixed-order small algebra).

Each case is flown twice, each time in a fresh process: on this machine as it is, and
as an older x86-64 would fly it: numba compiling for a baseline x86-64 without AVX,
glibc's libm without its FMA and AVX2 variants, OpenBLAS on its generic (Prescott)
kernels, numpy's AVX2/AVX-512 loops off.  The outputs must be the same bytes, but for
the wall-clock fields of summary.json.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from gnc.telemetry import Columns

OLDER_X86_64 = {
    "NUMBA_CPU_NAME": "x86-64",
    "NUMBA_CPU_FEATURES": "+64bit,+cx8,+fxsr,+mmx,+sse,+sse2",
    "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F",
    "OPENBLAS_CORETYPE": "Prescott",
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL",
}
CASES = {   # name -> gnc run arguments
    "mission-numba": ["mission", "--seed", "3", "--disperse"],
    "descent-c-float": ["descent", "--seed", "5", "--disperse", "--fsw", "c-float",
                        "--set", "guidance.hover_time_s=12", "--set", "sensors.imu.accel_bias_sigma=1e-3"],
    "ascent-c": ["ascent", "--seed", "1", "--disperse", "--fsw", "c"],
}
WALL_CLOCK = {"wall_s"}

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64",
                                reason="the older-CPU environment names x86-64 features")


def fly(case: str, out: Path, env: dict) -> None:
    cmd = [sys.executable, "-m", "gnc.cli", "run", *CASES[case], "--no-plots", "-q", "--out", str(out)]
    p = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=1200)
    assert p.returncode in (0, 1), f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr}"


def without_wall_clock(node):
    if isinstance(node, dict):
        return {k: without_wall_clock(v) for k, v in node.items() if k not in WALL_CLOCK}
    if isinstance(node, list):
        return [without_wall_clock(v) for v in node]
    return node


def differences(a: Path, b: Path) -> list[str]:
    out = []
    sa, sb = (without_wall_clock(json.loads((d / "summary.json").read_text())) for d in (a, b))
    if sa != sb:
        out.append("summary.json differs")
    files = sorted(f.name for f in a.glob("telemetry*.arrow"))     # a mission: one per phase
    if not files or files != sorted(f.name for f in b.glob("telemetry*.arrow")):
        return out + [f"telemetry files {files}"]
    for name in files:
        ta, tb = Columns(a / name), Columns(b / name)
        for k in ta:
            if ta[k].tobytes() != tb[k].tobytes():
                out.append(f"{name} column {k}")
        if not out and (a / name).read_bytes() != (b / name).read_bytes():
            out.append(f"{name}'s bytes (its values are the same)")
    return out


@pytest.mark.parametrize("case", CASES)
def test_a_run_is_the_same_bytes_on_an_older_x86_64(case, tmp_path):
    fly(case, tmp_path / "here", {})
    fly(case, tmp_path / "older", OLDER_X86_64)
    diff = differences(tmp_path / "here", tmp_path / "older")
    assert not diff, diff[:10]


PROBE = """
import hashlib, math, numpy as np, numba
from numba.core import codegen
x = np.random.default_rng(1).uniform(-10, 10, 100000)
libm = hashlib.sha256(np.array([math.sin(v) + math.exp(v) + math.atan2(v, 1.5) for v in x]).tobytes()).hexdigest()
cpu = numba.core.registry.cpu_target.target_context.codegen()._get_host_cpu_name()
print(libm, cpu)
"""


def test_the_older_environment_really_is_another_machine():
    """Otherwise the test above compares a machine with itself: on a CPU with FMA,
    glibc's libm gives other bits for some inputs without it, and numba compiles for
    another CPU."""
    has_fma = "fma" in Path("/proc/cpuinfo").read_text().split()
    here, older = (subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True,
                                  text=True, check=True).stdout.split() for env in ({}, OLDER_X86_64))
    assert older[1] == "x86-64" and here[1] != "x86-64"
    if has_fma:
        assert here[0] != older[0], "GLIBC_TUNABLES did not change libm's variant"
