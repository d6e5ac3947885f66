"""3-vectors, 3x3 matrices and quaternions as tuples of floats.

Tuples live in registers, so nothing here allocates.  Quaternions are scalar first,
q = (w, x, y, z), and `q_rot(q, v)` maps a vector from the frame q rotates from into
the frame it rotates to (body->inertial for an attitude quaternion).
"""
import math

from gnc.core import pmath
from gnc.core.jit import kernel


@kernel
def add(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


@kernel
def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


@kernel
def scale(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


@kernel
def axpy(s, a, b):
    """s*a + b"""
    return (s * a[0] + b[0], s * a[1] + b[1], s * a[2] + b[2])


@kernel
def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


@kernel
def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


@kernel
def norm(a):
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


@kernel
def unit(a):
    n = norm(a)
    if n == 0.0:
        return (0.0, 0.0, 0.0)
    return (a[0] / n, a[1] / n, a[2] / n)


@kernel
def reject(a, n):
    """Component of a perpendicular to unit vector n."""
    d = dot(a, n)
    return (a[0] - d * n[0], a[1] - d * n[1], a[2] - d * n[2])


@kernel
def load3(arr, i):
    return (arr[i], arr[i + 1], arr[i + 2])


@kernel
def store3(arr, i, v):
    arr[i] = v[0]
    arr[i + 1] = v[1]
    arr[i + 2] = v[2]


@kernel
def load4(arr, i):
    return (arr[i], arr[i + 1], arr[i + 2], arr[i + 3])


@kernel
def store4(arr, i, q):
    arr[i] = q[0]
    arr[i + 1] = q[1]
    arr[i + 2] = q[2]
    arr[i + 3] = q[3]


@kernel
def mat_vec(m, i, v):
    """m[i:i+9] is a row-major 3x3 matrix; returns m @ v."""
    return (m[i] * v[0] + m[i + 1] * v[1] + m[i + 2] * v[2],
            m[i + 3] * v[0] + m[i + 4] * v[1] + m[i + 5] * v[2],
            m[i + 6] * v[0] + m[i + 7] * v[1] + m[i + 8] * v[2])


@kernel
def mat_t_vec(m, i, v):
    """m[i:i+9] row-major 3x3; returns m.T @ v."""
    return (m[i] * v[0] + m[i + 3] * v[1] + m[i + 6] * v[2],
            m[i + 1] * v[0] + m[i + 4] * v[1] + m[i + 7] * v[2],
            m[i + 2] * v[0] + m[i + 5] * v[1] + m[i + 8] * v[2])


@kernel
def q_mul(a, b):
    return (a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
            a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
            a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
            a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0])


@kernel
def q_conj(q):
    return (q[0], -q[1], -q[2], -q[3])


@kernel
def q_normalize(q):
    n = math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    return (q[0] / n, q[1] / n, q[2] / n, q[3] / n)


@kernel
def q_rot(q, v):
    """Rotate v by q: v' = q v q*."""
    w, x, y, z = q
    tx = 2.0 * (y * v[2] - z * v[1])
    ty = 2.0 * (z * v[0] - x * v[2])
    tz = 2.0 * (x * v[1] - y * v[0])
    return (v[0] + w * tx + y * tz - z * ty,
            v[1] + w * ty + z * tx - x * tz,
            v[2] + w * tz + x * ty - y * tx)


@kernel
def q_rot_inv(q, v):
    return q_rot(q_conj(q), v)


@kernel
def q_from_rotvec(r):
    """Quaternion of a rotation by |r| about r/|r|."""
    a = norm(r)
    if a < 1e-12:
        return q_normalize((1.0, 0.5 * r[0], 0.5 * r[1], 0.5 * r[2]))
    s = pmath.sin(0.5 * a) / a
    return (pmath.cos(0.5 * a), r[0] * s, r[1] * s, r[2] * s)


@kernel
def q_to_rotvec(q):
    """Rotation vector of q (shortest way round)."""
    w, x, y, z = q
    if w < 0.0:
        w, x, y, z = -w, -x, -y, -z
    s = math.sqrt(x * x + y * y + z * z)
    if s < 1e-12:
        return (2.0 * x, 2.0 * y, 2.0 * z)
    a = 2.0 * pmath.atan2(s, w)
    return (x * a / s, y * a / s, z * a / s)


@kernel
def q_from_mat(m, i):
    """Quaternion of the row-major rotation matrix m[i:i+9] (Shepperd's method)."""
    m00, m01, m02 = m[i], m[i + 1], m[i + 2]
    m10, m11, m12 = m[i + 3], m[i + 4], m[i + 5]
    m20, m21, m22 = m[i + 6], m[i + 7], m[i + 8]
    tr = m00 + m11 + m22
    if tr > 0.0:
        s = 2.0 * math.sqrt(1.0 + tr)
        return q_normalize((0.25 * s, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s))
    if m00 > m11 and m00 > m22:
        s = 2.0 * math.sqrt(1.0 + m00 - m11 - m22)
        return q_normalize(((m21 - m12) / s, 0.25 * s, (m01 + m10) / s, (m02 + m20) / s))
    if m11 > m22:
        s = 2.0 * math.sqrt(1.0 + m11 - m00 - m22)
        return q_normalize(((m02 - m20) / s, (m01 + m10) / s, 0.25 * s, (m12 + m21) / s))
    s = 2.0 * math.sqrt(1.0 + m22 - m00 - m11)
    return q_normalize(((m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, 0.25 * s))


@kernel
def q_from_axes(x, y, z):
    """Quaternion body->frame of a body whose x, y, z axes are these unit vectors."""
    tr = x[0] + y[1] + z[2]
    if tr > 0.0:
        s = 2.0 * math.sqrt(1.0 + tr)
        return q_normalize((0.25 * s, (y[2] - z[1]) / s, (z[0] - x[2]) / s, (x[1] - y[0]) / s))
    if x[0] > y[1] and x[0] > z[2]:
        s = 2.0 * math.sqrt(1.0 + x[0] - y[1] - z[2])
        return q_normalize(((y[2] - z[1]) / s, 0.25 * s, (y[0] + x[1]) / s, (z[0] + x[2]) / s))
    if y[1] > z[2]:
        s = 2.0 * math.sqrt(1.0 + y[1] - x[0] - z[2])
        return q_normalize(((z[0] - x[2]) / s, (y[0] + x[1]) / s, 0.25 * s, (z[1] + y[2]) / s))
    s = 2.0 * math.sqrt(1.0 + z[2] - x[0] - y[1])
    return q_normalize(((x[1] - y[0]) / s, (z[0] + x[2]) / s, (z[1] + y[2]) / s, 0.25 * s))
