"""Rotations on the API side (assembly, ground segment, summaries): rotation matrices,
scalar-first quaternions, Rodrigues' formula.  In a fixed order of operations
(gnc.linalg3, gnc.core.pmath), so they give the same bits on every CPU.  The compiled
core has its own, on tuples (gnc.core.vec)."""
from __future__ import annotations

import math

import numpy as np

from gnc import linalg3 as la
from gnc.core import pmath


def rz(a: float) -> np.ndarray:
    """Rotation by a about z."""
    c, s = pmath.cos(a), pmath.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def quat_from_matrix(m: np.ndarray) -> np.ndarray:
    """Scalar-first quaternion of a rotation matrix (columns = rotated basis), w >= 0."""
    tr = np.trace(m)
    if tr > 0:
        s = 2.0 * math.sqrt(1.0 + tr)
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * math.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0, 0.0, 0.0, 0.0]
        q[0] = (m[k, j] - m[j, k]) / s
        q[1 + i] = 0.25 * s
        q[1 + j] = (m[j, i] + m[i, j]) / s
        q[1 + k] = (m[k, i] + m[i, k]) / s
    q = np.array(q)
    return q / la.norm(q) * (1 if q[0] >= 0 else -1)


def quat_to_matrix(q) -> np.ndarray:
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def _rodrigues(k: np.ndarray, angle: float) -> np.ndarray:
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + pmath.sin(angle) * K + (1 - pmath.cos(angle)) * la.mm(K, K)


def rotation_about(axis, angle: float) -> np.ndarray:
    """Rotation by angle about axis (any length)."""
    return _rodrigues(la.unit(axis), angle)


def rotation_matrix(rotvec) -> np.ndarray:
    """Rotation of a rotation vector (axis times angle)."""
    angle = la.norm(rotvec)
    if angle == 0.0:
        return np.eye(3)
    return _rodrigues(np.asarray(rotvec) / angle, angle)


def small_rotation(rng: np.random.Generator, sigma: float) -> np.ndarray:
    """A random rotation, its rotation vector drawn N(0, sigma^2) per axis."""
    return rotation_matrix(rng.normal(0.0, sigma, 3))
