"""Small-vector algebra in a fixed order of operations: the same bits on every CPU.

numpy's `@`, np.dot and np.linalg go through BLAS/LAPACK, whose kernels OpenBLAS picks
per CPU at load time (Haswell on one machine, SkylakeX on another, with other
summation orders and fused multiply-adds), so an initial state assembled with them
differs in its last bits from machine to machine, and a closed-loop flight amplifies
that.  Whatever feeds a flight (assembly, ground uplinks) or a summary uses these;
elementwise numpy arithmetic and np.sqrt are exact per element and stay as they are.
"""
from __future__ import annotations

import math

import numpy as np


def dot(a, b) -> float:
    s = 0.0
    for x, y in zip(a, b):
        s += float(x) * float(y)
    return s


def norm(v) -> float:
    return math.sqrt(dot(v, v))


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / norm(v)


def mv(m, v) -> np.ndarray:
    """Matrix times vector."""
    return np.array([dot(row, v) for row in np.asarray(m, dtype=float)])


def mm(a, b) -> np.ndarray:
    """Matrix times matrix."""
    bt = np.asarray(b, dtype=float).T
    return np.array([[dot(row, col) for col in bt] for row in np.asarray(a, dtype=float)])


def solve2(m, f) -> np.ndarray:
    """x with m x = f for a 2x2 m (Cramer's rule)."""
    det = m[0][0] * m[1][1] - m[0][1] * m[1][0]
    return np.array([(f[0] * m[1][1] - m[0][1] * f[1]) / det, (m[0][0] * f[1] - f[0] * m[1][0]) / det])
