"""Portable math: the elementary functions the flight and the vehicle model need, giving
the same bits on every CPU.

libm is not portable to the last bit: glibc picks an FMA or a plain variant of sin,
exp, atan2 & co. by CPU at load time (over 2 million random arguments each of them
gave other bits for some), other libcs use other algorithms, and numba's np.random.standard_normal
draws through libm's log.  A run that differs in one bit of one sensor draw differs
everywhere after it.  These functions use only +, -, *, /, sqrt, floor, frexp and
ldexp, which IEEE 754 defines exactly, so a seed flies the same run on any machine;
csrc/pmath.c is the C twin, operation for operation, for the double C build
(tests/test_pmath.py holds both to each other bit for bit and to libm within 4 ulp, 3 measured;
the constants are the correctly rounded values of pi, ln 2, sqrt 3 and 1/k!,
re-derived there from integer arithmetic).

Arguments of sin, cos and tan are reduced with a three-part pi/2, exact for
|x| < 2^19 pi/2 (8.2e5 rad); beyond that they stay deterministic but lose accuracy.
"""
import math

import numpy as np

from gnc.core.jit import kernel

_h = float.fromhex

PI = _h("0x1.921fb54442d18p+1")
PI_LO = _h("0x1.1a62633145c07p-53")            # pi - PI
PIO2 = _h("0x1.921fb54442d18p+0")
PIO2_LO = _h("0x1.1a62633145c07p-54")
PIO4 = _h("0x1.921fb54442d18p-1")
PIO6 = _h("0x1.0c152382d7366p-1")
PIO6_LO = _h("-0x1.ee6913347c2a6p-55")
INV_PIO2 = _h("0x1.45f306dc9c883p-1")
# pi/2 in three parts of 33 significant bits: n * part is exact for |n| < 2^20
PIO2_1 = _h("0x1.921fb54400000p+0")
PIO2_2 = _h("0x1.0b4611a600000p-34")
PIO2_3 = _h("0x1.3198a2e037073p-69")
LN2_HI = _h("0x1.62e42fee00000p-1")           # 32 significant bits: n * LN2_HI is exact
LN2_LO = _h("0x1.a39ef35793c76p-33")
INV_LN2 = _h("0x1.71547652b82fep+0")
SQRT3 = _h("0x1.bb67ae8584caap+0")
TAN_PI12 = _h("0x1.126145e9ecd56p-2")          # 2 - sqrt 3
SQRT1_2 = _h("0x1.6a09e667f3bcdp-1")
EXP_MAX = 709.782712893384                     # above: exp overflows
EXP_MIN = -745.1332191019412                   # below: exp is 0
HYPOT_SAFE = 1e150                             # x*x + y*y neither overflows nor loses y below this
HALF_E_BIG = 700.0                             # sinh, cosh: from here as (e^(x/2)/2) e^(x/2)
TINY = _h("0x1p-27")                           # below: sin x = tan x = sinh x = x to the last bit (and -0 stays -0)

# Taylor coefficients, correctly rounded: (-1)^k/(2k+1)!, k = 1..9
S1, S2, S3 = _h("-0x1.5555555555555p-3"), _h("0x1.1111111111111p-7"), _h("-0x1.a01a01a01a01ap-13")
S4, S5, S6 = _h("0x1.71de3a556c734p-19"), _h("-0x1.ae64567f544e4p-26"), _h("0x1.6124613a86d09p-33")
S7, S8, S9 = _h("-0x1.ae7f3e733b81fp-41"), _h("0x1.952c77030ad4ap-49"), _h("-0x1.2f49b46814157p-57")
# (-1)^k/(2k)!, k = 2..11
C2, C3, C4 = _h("0x1.5555555555555p-5"), _h("-0x1.6c16c16c16c17p-10"), _h("0x1.a01a01a01a01ap-16")
C5, C6, C7 = _h("-0x1.27e4fb7789f5cp-22"), _h("0x1.1eed8eff8d898p-29"), _h("-0x1.93974a8c07c9dp-37")
C8, C9, C10 = _h("0x1.ae7f3e733b81fp-45"), _h("-0x1.6827863b97d97p-53"), _h("0x1.e542ba4020225p-62")
C11 = _h("-0x1.0ce396db7f853p-70")
# 1/k!, k = 2..13
E2, E3, E4 = _h("0x1.0000000000000p-1"), _h("0x1.5555555555555p-3"), _h("0x1.5555555555555p-5")
E5, E6, E7 = _h("0x1.1111111111111p-7"), _h("0x1.6c16c16c16c17p-10"), _h("0x1.a01a01a01a01ap-13")
E8, E9, E10 = _h("0x1.a01a01a01a01ap-16"), _h("0x1.71de3a556c734p-19"), _h("0x1.27e4fb7789f5cp-22")
E11, E12, E13 = _h("0x1.ae64567f544e4p-26"), _h("0x1.1eed8eff8d898p-29"), _h("0x1.6124613a86d09p-33")
# (-1)^k/(2k+1), k = 1..14
A1, A2, A3 = _h("-0x1.5555555555555p-2"), _h("0x1.999999999999ap-3"), _h("-0x1.2492492492492p-3")
A4, A5, A6 = _h("0x1.c71c71c71c71cp-4"), _h("-0x1.745d1745d1746p-4"), _h("0x1.3b13b13b13b14p-4")
A7, A8, A9 = _h("-0x1.1111111111111p-4"), _h("0x1.e1e1e1e1e1e1ep-5"), _h("-0x1.af286bca1af28p-5")
A10, A11, A12 = _h("0x1.8618618618618p-5"), _h("-0x1.642c8590b2164p-5"), _h("0x1.47ae147ae147bp-5")
A13, A14 = _h("-0x1.2f684bda12f68p-5"), _h("0x1.1a7b9611a7b96p-5")
# 2/(2k+1), k = 1..11
L1, L2, L3 = _h("0x1.5555555555555p-1"), _h("0x1.999999999999ap-2"), _h("0x1.2492492492492p-2")
L4, L5, L6 = _h("0x1.c71c71c71c71cp-3"), _h("0x1.745d1745d1746p-3"), _h("0x1.3b13b13b13b14p-3")
L7, L8, L9 = _h("0x1.1111111111111p-3"), _h("0x1.e1e1e1e1e1e1ep-4"), _h("0x1.af286bca1af28p-4")
L10, L11 = _h("0x1.8618618618618p-4"), _h("0x1.642c8590b2164p-4")
# 1/(2k+1)!, k = 1..11
H1, H2, H3 = _h("0x1.5555555555555p-3"), _h("0x1.1111111111111p-7"), _h("0x1.a01a01a01a01ap-13")
H4, H5, H6 = _h("0x1.71de3a556c734p-19"), _h("0x1.ae64567f544e4p-26"), _h("0x1.6124613a86d09p-33")
H7, H8, H9 = _h("0x1.ae7f3e733b81fp-41"), _h("0x1.952c77030ad4ap-49"), _h("0x1.2f49b46814157p-57")
H10, H11 = _h("0x1.71b8ef6dcf572p-66"), _h("0x1.761b41316381ap-75")


# the same, highest power first, for _horner
SIN = (S9, S8, S7, S6, S5, S4, S3, S2, S1)
COS = (C11, C10, C9, C8, C7, C6, C5, C4, C3, C2)
EXP = (E13, E12, E11, E10, E9, E8, E7, E6, E5, E4, E3, E2)
ATAN = (A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1)
LOG = (L11, L10, L9, L8, L7, L6, L5, L4, L3, L2, L1)
SINH = (H11, H10, H9, H8, H7, H6, H5, H4, H3, H2, H1)


@kernel
def _horner(coeffs, z):
    """The polynomial with these coefficients (highest power first) at z; the first
    step, 0 z + c, is exact, so this is Horner's rule from the leading coefficient."""
    p = 0.0
    for c in coeffs:
        p = p * z + c
    return p


@kernel
def _sin_r(r):
    """sin on |r| <= pi/4: Taylor to r^19 (the next term is below 2^-70 of the result)."""
    z = r * r
    p = _horner(SIN, z)
    return r + r * z * p


@kernel
def _cos_r(r):
    """cos on |r| <= pi/4: Taylor to r^22; 1 - r^2/2 split so its rounding error is kept."""
    z = r * r
    q = _horner(COS, z)
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + z * (z * q))


@kernel
def _reduce(x):
    """(r, quadrant): x = r + n pi/2, |r| <= ~pi/4, quadrant = n mod 4."""
    n = np.floor(x * INV_PIO2 + 0.5)
    r = ((x - n * PIO2_1) - n * PIO2_2) - n * PIO2_3
    return r, int(n - 4.0 * np.floor(0.25 * n))     # n mod 4, exact and in range for any n


@kernel
def _sin_quadrant(r, q):
    """sin(r + q pi/2) for |r| <= ~pi/4: cos(x) is sin in the next quadrant."""
    if q == 0:
        return _sin_r(r)
    if q == 1:
        return _cos_r(r)
    if q == 2:
        return -_sin_r(r)
    return -_cos_r(r)


@kernel
def sin(x):
    if not math.isfinite(x):
        return x - x
    if abs(x) < TINY:
        return x
    r, q = _reduce(x)
    return _sin_quadrant(r, q)


@kernel
def cos(x):
    if not math.isfinite(x):
        return x - x
    r, q = _reduce(x)
    return _sin_quadrant(r, (q + 1) & 3)


@kernel
def tan(x):
    if not math.isfinite(x):
        return x - x
    if abs(x) < TINY:
        return x
    r, q = _reduce(x)
    if q & 1:
        return -_cos_r(r) / _sin_r(r)
    return _sin_r(r) / _cos_r(r)


@kernel
def _atan_r(t):
    """atan on |t| <= 2 - sqrt 3: Taylor to t^29 (the next term is below 2^-58 of t)."""
    z = t * t
    p = _horner(ATAN, z)
    return t + t * z * p


@kernel
def _atan_01(a):
    """atan on 0 <= a <= 1: above tan(pi/12), atan a = pi/6 + atan((a sqrt3 - 1)/(a + sqrt3))."""
    if a <= TAN_PI12:
        return _atan_r(a)
    return PIO6 + (_atan_r((a * SQRT3 - 1.0) / (a + SQRT3)) + PIO6_LO)


@kernel
def atan(x):
    if math.isnan(x):
        return x
    a = abs(x)
    if a <= 1.0:
        r = _atan_01(a)
    elif math.isinf(a):
        r = PIO2
    else:
        r = PIO2 - (_atan_01(1.0 / a) - PIO2_LO)
    return math.copysign(r, x)


@kernel
def atan2(y, x):
    if math.isnan(x) or math.isnan(y):
        return x + y
    ax, ay = abs(x), abs(y)
    if math.isinf(ax) or math.isinf(ay):
        if math.isinf(ax) and math.isinf(ay):
            r = PIO4 if x > 0.0 else 3.0 * PIO4
        elif math.isinf(ax):
            r = 0.0 if x > 0.0 else PI
        else:
            r = PIO2
        return math.copysign(r, y)
    if ay == 0.0:
        r = PI if math.copysign(1.0, x) < 0.0 else 0.0
        return math.copysign(r, y)
    if ay <= ax:
        r = _atan_01(ay / ax)
    else:
        r = PIO2 - (_atan_01(ax / ay) - PIO2_LO)
    if x < 0.0:
        r = PI - (r - PI_LO)
    return math.copysign(r, y)


@kernel
def asin(x):
    return atan2(x, math.sqrt((1.0 - x) * (1.0 + x)))


@kernel
def acos(x):
    return atan2(math.sqrt((1.0 - x) * (1.0 + x)), x)


@kernel
def exp(x):
    if math.isnan(x):
        return x
    if x > EXP_MAX:
        return math.inf
    if x < EXP_MIN:
        return 0.0
    n = np.floor(x * INV_LN2 + 0.5)
    r = (x - n * LN2_HI) - n * LN2_LO                # |r| <= ln2/2: Taylor to r^13
    p = _horner(EXP, r)
    return math.ldexp(1.0 + (r + r * r * p), int(n))


@kernel
def log(x):
    if math.isnan(x) or x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    if math.isinf(x):
        return x
    m, e = math.frexp(x)
    if m < SQRT1_2:
        m *= 2.0
        e -= 1
    f = m - 1.0                                      # exact, |f| < 0.42
    s = f / (2.0 + f)                                # log(1+f) = 2 atanh(s) = f - s (f - R)
    z = s * s
    p = _horner(LOG, z)
    rr = z * p
    k = float(e)
    return k * LN2_HI + (f - (s * (f - rr) - k * LN2_LO))


@kernel
def sinh(x):
    a = abs(x)
    if a < TINY:
        return x
    if a < 1.0:                                      # Taylor to x^23: exp's cancellation avoided
        z = x * x
        p = _horner(SINH, z)
        return x + x * z * p
    if a > HALF_E_BIG:                               # e^a overflows before e^a/2 does
        h = exp(0.5 * a)
        return math.copysign((0.5 * h) * h, x)
    e = exp(a)
    return math.copysign(0.5 * (e - 1.0 / e), x)


@kernel
def cosh(x):
    a = abs(x)
    if a > HALF_E_BIG:
        h = exp(0.5 * a)
        return (0.5 * h) * h
    e = exp(a)
    return 0.5 * (e + 1.0 / e)


@kernel
def hypot(x, y):
    a, b = abs(x), abs(y)
    if math.isinf(a) or math.isinf(b):
        return math.inf
    if b > a:
        a, b = b, a
    if a == 0.0 or math.isnan(a) or math.isnan(b):
        return a + b
    if a < HYPOT_SAFE and a > 1.0 / HYPOT_SAFE:
        return math.sqrt(a * a + b * b)
    r = b / a
    return a * math.sqrt(1.0 + r * r)


@kernel
def normal():
    """A standard normal draw from numba's uniform generator (np.random.seed seeds it),
    by the polar method with this module's log."""
    u, s = polar_draw()
    return polar_normal(u, s)


# normal() in two halves, for a caller drawing several: their uniforms drawn first (the stream
# is one chain), then their logarithms and square roots side by side (independent chains the
# core overlaps): the same numbers in the same order, twice as fast for three
@kernel
def polar_draw():
    """The uniforms of one normal(): (u, s), s = u^2 + v^2 in (0, 1)."""
    while True:
        u = 2.0 * np.random.random() - 1.0
        v = 2.0 * np.random.random() - 1.0
        s = u * u + v * v
        if 0.0 < s < 1.0:
            return u, s


@kernel
def polar_normal(u, s):
    """The normal() a polar_draw() gave."""
    return u * math.sqrt(-2.0 * log(s) / s)


@kernel
def normal3():
    """(normal(), normal(), normal()), drawn in that order."""
    u0, s0 = polar_draw()
    u1, s1 = polar_draw()
    u2, s2 = polar_draw()
    return polar_normal(u0, s0), polar_normal(u1, s1), polar_normal(u2, s2)


@kernel
def pow(x, y):
    """x^y for x > 0 as exp(y log x): its relative error grows with |y ln x| (a few ulp
    for the exponents used here); x <= 0 gives NaN, except 0^y = 0 for y > 0."""
    if x == 0.0 and y > 0.0:
        return 0.0
    return exp(y * log(x))


@kernel
def exp_each(x):
    """exp of every element of a 1-D array."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = exp(x[i])
    return out


@kernel
def cos_each(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = cos(x[i])
    return out


@kernel
def pow_each(x, y):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = pow(x[i], y)
    return out
