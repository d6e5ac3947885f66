"""Portable math (gnc.core.pmath and its C twin csrc/pmath.c).

- Its constants are the correctly rounded values they name, re-derived here from
  integer arithmetic (pi by Machin's formula, ln 2 by its atanh series, sqrt 3 by an
  integer square root, Taylor coefficients as exact fractions), and the C file holds
  the same bits.
- Accuracy against the machine's libm over random arguments: within MAX_ULP.  libm is
  itself up to 1 ulp off (glibc's documented bounds for these functions on x86-64),
  and the worst case measured for ours against it, over the draws below with seeds
  0-9, is 3 ulp (tan, asin, acos, atan2): `python tests/test_pmath.py` prints it.
- The C twin compiled with different optimisation and CPU flags (contraction off)
  gives the numba functions' bits on every argument, special values included.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numba
import numpy as np
import pytest

from gnc.core import pmath as P

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI") == "true"
MAX_ULP = 4
N = 20000

UNARY = {   # name -> (libm function, argument ranges)
    "sin": (math.sin, [(-10, 10), (-1e5, 1e5), (-1e-3, 1e-3)]),
    "cos": (math.cos, [(-10, 10), (-1e5, 1e5)]),
    "tan": (math.tan, [(-1.5, 1.5), (-100, 100)]),
    "atan": (math.atan, [(-3, 3), (-1e6, 1e6), (-0.3, 0.3)]),
    "asin": (math.asin, [(-1, 1)]),
    "acos": (math.acos, [(-1, 1)]),
    "exp": (math.exp, [(-700, 700), (-1, 1), (-1e-8, 1e-8)]),
    "log": (math.log, [(1e-300, 10), (0.9, 1.1), (1, 1e300)]),
    "sinh": (math.sinh, [(-5, 5), (-1, 1), (-700, 700)]),
    "cosh": (math.cosh, [(-5, 5), (-700, 700)]),
}
BINARY = {"atan2": (math.atan2, (-5, 5)), "hypot": (math.hypot, (-1e3, 1e3))}
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, math.pi, -math.pi, math.pi / 2, 1e-300, 5e-324, 1e300, -1e300, 710.0, -746.0,
           math.inf, -math.inf, math.nan, 2.0 ** 60, -(2.0 ** 60)]


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between doubles of the same sign (0 where both are NaN)."""
    ia, ib = (np.where(v < 0, np.int64(-2**63) - v, v) for v in (a.view(np.int64), b.view(np.int64)))
    d = np.abs(ia - ib).astype(float)
    return np.where(np.isnan(a) & np.isnan(b), 0.0, d)


def draws(seed, ranges, n=N):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(lo, hi, n) for lo, hi in ranges])


def worst_ulp(seed: int) -> dict[str, float]:
    out = {}
    for name, (libm, ranges) in UNARY.items():
        x = draws(seed, ranges)
        out[name] = float(ulp_distance(np.array([getattr(P, name)(v) for v in x]), np.array([libm(v) for v in x])).max())
    for name, (libm, (lo, hi)) in BINARY.items():
        rng = np.random.default_rng(seed)
        y, x = rng.uniform(lo, hi, N), rng.uniform(lo, hi, N)
        ours = np.array([getattr(P, name)(a, b) for a, b in zip(y, x)])
        out[name] = float(ulp_distance(ours, np.array([libm(a, b) for a, b in zip(y, x)])).max())
    return out


def test_within_max_ulp_of_libm():
    worst = worst_ulp(0)
    assert max(worst.values()) <= MAX_ULP, worst


def libm_c():
    """The C library's libm, with C's answers (NaN, inf) where Python's math raises."""
    path = ctypes.util.find_library("m")
    if path is None:
        if CI:
            pytest.fail("no C libm to load (CI=true requires it)")
        pytest.skip("no C libm to load")
    so = ctypes.CDLL(path)
    for name in list(UNARY) + list(BINARY):
        fn = getattr(so, name)
        fn.restype = ctypes.c_double
        fn.argtypes = [ctypes.c_double] * (2 if name in BINARY else 1)
    return so


def agree(got: float, want: float) -> bool:
    if math.isnan(want) or math.isinf(want) or want == 0.0:
        return same_bits(got, want)
    return math.copysign(1.0, got) == math.copysign(1.0, want) and \
        ulp_distance(np.array([got]), np.array([want]))[0] <= MAX_ULP


def test_special_values_agree_with_libm():
    so = libm_c()
    for name in UNARY:
        for x in SPECIAL:
            if name in ("sin", "cos", "tan") and abs(x) > 8.2e5:      # beyond the exact reduction
                continue
            assert agree(getattr(P, name)(x), getattr(so, name)(x)), (name, x, getattr(P, name)(x))
    for name in BINARY:
        for y in SPECIAL:
            for x in SPECIAL:
                assert agree(getattr(P, name)(y, x), getattr(so, name)(y, x)), (name, y, x, getattr(P, name)(y, x))


def test_log_and_exp_edges():
    assert P.log(0.0) == -math.inf and math.isnan(P.log(-1.0)) and P.log(math.inf) == math.inf
    assert P.exp(710.0) == math.inf and P.exp(-746.0) == 0.0 and P.exp(0.0) == 1.0
    assert P.sin(-0.0) == 0.0 and math.copysign(1.0, P.sin(-0.0)) == -1.0


def test_normal_draws_are_standard_normal_and_replay_by_seed():
    import numba

    @numba.njit
    def sample(seed, n):
        np.random.seed(seed)
        out = np.empty(n)
        for i in range(n):
            out[i] = P.normal()
        return out
    n = 200000
    x = sample(7, n)
    assert np.array_equal(x, sample(7, n))
    # mean and variance inside 5 standard errors (1/sqrt(n), sqrt(2/n))
    assert abs(x.mean()) < 5 / math.sqrt(n) and abs(x.var() - 1.0) < 5 * math.sqrt(2 / n)
    # tails: P(|x| > 3) = 0.0027, its count binomial
    tail = np.mean(np.abs(x) > 3.0)
    assert abs(tail - 0.0026998) < 5 * math.sqrt(0.0027 / n)


# ---------------------------------------------------------------- constants


def _pi(bits: int) -> Fraction:
    def arctan_inv(n):
        x = (1 << bits) // n
        s, k, sign = x, 1, -1
        while x:
            x //= n * n
            s += sign * (x // (2 * k + 1))
            sign, k = -sign, k + 1
        return s
    return Fraction(4 * (4 * arctan_inv(5) - arctan_inv(239)), 1 << bits)


def _ln2(bits: int) -> Fraction:
    x = (1 << bits) // 3
    s, k = x, 1
    while x:
        x //= 9
        s += x // (2 * k + 1)
        k += 1
    return Fraction(2 * s, 1 << bits)


def _split(v: Fraction, parts: int, bits: int) -> list[float]:
    """v as `parts` doubles, each but the last holding `bits` leading significant bits."""
    out = []
    for _ in range(parts - 1):
        e = math.floor(math.log2(float(v))) - bits + 1
        hi = Fraction(math.floor(v / Fraction(2) ** e)) * Fraction(2) ** e
        out.append(float(hi))
        v -= hi
    return out + [float(v)]


def expected_constants() -> dict[str, float]:
    pi, ln2, f = _pi(400), _ln2(400), math.factorial
    sqrt3 = Fraction(math.isqrt(3 << 800), 1 << 400)
    c = {"PI": float(pi), "PI_LO": float(pi - Fraction(float(pi))),
         "PIO2": float(pi / 2), "PIO2_LO": float(pi / 2 - Fraction(float(pi / 2))), "PIO4": float(pi / 4),
         "PIO6": float(pi / 6), "PIO6_LO": float(pi / 6 - Fraction(float(pi / 6))), "INV_PIO2": float(2 / pi),
         "LN2_LO": _split(ln2, 2, 32)[1], "LN2_HI": _split(ln2, 2, 32)[0], "INV_LN2": float(1 / ln2),
         "SQRT3": float(sqrt3), "TAN_PI12": float(2 - sqrt3),
         "SQRT1_2": float(Fraction(math.isqrt(2 << 800), 1 << 400) / 2)}
    c.update(zip(("PIO2_1", "PIO2_2", "PIO2_3"), _split(pi / 2, 3, 33)))
    c.update({f"S{k}": float(Fraction((-1) ** k, f(2 * k + 1))) for k in range(1, 10)})
    c.update({f"C{k}": float(Fraction((-1) ** k, f(2 * k))) for k in range(2, 12)})
    c.update({f"E{k}": float(Fraction(1, f(k))) for k in range(2, 14)})
    c.update({f"A{k}": float(Fraction((-1) ** k, 2 * k + 1)) for k in range(1, 15)})
    c.update({f"L{k}": float(Fraction(2, 2 * k + 1)) for k in range(1, 12)})
    c.update({f"H{k}": float(Fraction(1, f(2 * k + 1))) for k in range(1, 12)})
    return c


def test_constants_are_the_correctly_rounded_values_they_name():
    for name, want in expected_constants().items():
        assert getattr(P, name) == want, (name, getattr(P, name).hex(), want.hex())


def test_c_twin_holds_the_same_constants():
    text = (ROOT / "csrc" / "pmath.c").read_text()
    for name, want in expected_constants().items():
        line = next(ln for ln in text.splitlines() if ln.startswith(f"#define PM_{name} "))
        assert float.fromhex(line.split(None, 2)[2].strip("()")) == want, line


# ---------------------------------------------------------------- the C twin

C_FLAGS = {"O2": ["-O2"], "O3-native": ["-O3", "-march=native"], "O0": ["-O0"]}


def c_twin(tmp_path: Path, flags: list[str]):
    cc = next((shutil.which(c) for c in (os.environ.get("CC"), "cc", "gcc") if c and shutil.which(c)), None)
    if cc is None:
        if CI:
            pytest.fail("no C compiler (CI=true requires it)")
        pytest.skip("no C compiler ($CC, cc or gcc) on PATH")
    lib = tmp_path / "libpmath.so"
    cmd = [cc, "-std=c99", "-shared", "-fPIC", "-ffp-contract=off", *flags, "-I", str(ROOT / "csrc"),
           str(ROOT / "csrc" / "pmath.c"), "-o", str(lib), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True)
    so = ctypes.CDLL(str(lib))
    for name in list(UNARY) + list(BINARY):
        fn = getattr(so, f"pm_{name}")
        fn.restype = ctypes.c_double
        fn.argtypes = [ctypes.c_double] * (2 if name in BINARY else 1)
    return so


def same_bits(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or np.float64(a).tobytes() == np.float64(b).tobytes()


@pytest.mark.parametrize("flags", C_FLAGS)
def test_c_twin_gives_the_same_bits(flags, tmp_path):
    so = c_twin(tmp_path, C_FLAGS[flags])
    for name, (_, ranges) in UNARY.items():
        x = np.concatenate([draws(1, ranges, 4000), SPECIAL])
        c_fn, py_fn = getattr(so, f"pm_{name}"), getattr(P, name)
        bad = [v for v in x if not same_bits(c_fn(v), py_fn(v))]
        assert not bad, (name, bad[:3])
    for name in BINARY:
        y = np.concatenate([draws(2, [(-5, 5)], 4000), SPECIAL * 2])
        x = np.concatenate([draws(3, [(-5, 5)], 4000), SPECIAL, SPECIAL[::-1]])
        c_fn, py_fn = getattr(so, f"pm_{name}"), getattr(P, name)
        bad = [(a, b) for a, b in zip(y, x) if not same_bits(c_fn(a, b), py_fn(a, b))]
        assert not bad, (name, bad[:3])


@numba.njit
def _normals_three_ways(seed, n):
    out = np.empty((3, 3 * n))
    np.random.seed(seed)
    for i in range(3 * n):
        out[0, i] = P.normal()
    np.random.seed(seed)
    for i in range(n):
        a, b, c = P.normal3()
        out[1, 3 * i], out[1, 3 * i + 1], out[1, 3 * i + 2] = a, b, c
    np.random.seed(seed)
    for i in range(n):             # all the draws first, then the normals, as the lidar scan does
        u0, s0 = P.polar_draw()
        u1, s1 = P.polar_draw()
        u2, s2 = P.polar_draw()
        out[2, 3 * i], out[2, 3 * i + 1] = P.polar_normal(u0, s0), P.polar_normal(u1, s1)
        out[2, 3 * i + 2] = P.polar_normal(u2, s2)
    return out


def test_normals_drawn_three_at_once_or_in_halves_are_the_normal_stream_bit_for_bit():
    """normal3 and polar_draw + polar_normal (their logarithms side by side: faster) draw the
    same numbers as normal() one at a time, so a seed's run is the same run (the polar method
    rejects about a fifth of its pairs: the halves must consume the stream alike)."""
    out = _normals_three_ways(12345, 20000)
    assert np.array_equal(out[0].view(np.int64), out[1].view(np.int64))
    assert np.array_equal(out[0].view(np.int64), out[2].view(np.int64))
    assert abs(out[0].mean()) < 0.02 and abs(out[0].std() - 1.0) < 0.02     # 60,000 draws: ~5 sigma


if __name__ == "__main__":
    # the worst case over seeds 0-9, for the MAX_ULP note above
    worst: dict[str, float] = {}
    for seed in range(10):
        for k, v in worst_ulp(seed).items():
            worst[k] = max(worst.get(k, 0.0), v)
    print("worst ulp against libm, seeds 0-9:", worst)
    sys.exit(0)
