"""Gravity of a fully normalised spherical-harmonic field, at a Moon-fixed position.

    V = mu/r sum_n (R/r)^n sum_m Pbar_nm(sin lat) (Cbar_nm cos m lon + Sbar_nm sin m lon)

evaluated in Pines' singularity-free form (S. Pines, "Uniform representation of the
gravitational potential and its derivatives", AIAA J. 11(11), 1973): with s, t, u = x/r,
y/r, z/r and rho_m + i iota_m = (s + i t)^m, the term cos^m(lat) e^{i m lon} is
rho_m + i iota_m, so

    V = mu/r sum_n (R/r)^n sum_m Abar_nm(u) (Cbar_nm rho_m + Sbar_nm iota_m),
    Abar_nm(u) = Pbar_nm(u) / cos^m(lat)     (the normalised m-th derivative of P_n),

and the gradient, taking V as a function of r, s, t, u and the chain rule back to x, y, z
(grad s = (e_x - s r_hat)/r, ...), has no 1/cos(lat) anywhere: nothing is singular at
the poles.  Abar_nm is the normalised function of Holmes & Featherstone's "modified
forward column" recursion (S. A. Holmes, W. E. Featherstone, "A unified approach to the
Clenshaw summation and the recursive computation of very high degree and order normalised
associated Legendre functions", J. Geodesy 76, 2002, eqs. 11-13 and 28): the sectorals
Abar_mm = sqrt((2m+1)/(2m)) Abar_m-1,m-1 (Abar_11 = sqrt 3) carry no cos^m factor, so they
neither underflow near the poles nor vanish there; the columns follow

    Abar_nm = a_nm u Abar_n-1,m - b_nm Abar_n-2,m,
    a_nm = sqrt((2n-1)(2n+1) / ((n-m)(n+m))),
    b_nm = sqrt((2n+1)(n+m-1)(n-m-1) / ((n-m)(n+m)(2n-3))),

and d Abar_nm / du = d_nm Abar_n,m+1 with d_nm = sqrt((n-m)(n+m+1)) (times 1/sqrt 2 for
m = 0), from the ratio of the normalisations.  |Abar_nm| at the poles reaches 1e21 at
degree 100 and overflows a double near degree 1470: this evaluator is for degree <~ 1400.
Geodesy's convention: no Condon-Shortley phase; Cbar_20 = -J2 / sqrt 5.

The model array (sh_model) holds the coefficients and the recursion's factors as planes
[plane, m, n], so a column's loop over n runs along memory; the work array (sh_work) is
the per-call scratch: the radial factors and two Legendre columns.  No allocation per call.
"""
import math

import numpy as np

from gnc.core.jit import kernel

# planes of the model array, each [m, n] (n >= m used)
SH_C = 0        # Cbar_nm
SH_S = 1        # Sbar_nm
SH_A = 2        # a_nm for n > m; at n = m the sectoral factor Abar_mm / Abar_m-1,m-1
SH_B = 3        # b_nm
SH_D = 4        # d_nm: d Abar_nm / du = d_nm Abar_n,m+1 (0 at n = m)
SH_PLANES = 5

# rows of the work array, each of nmax + 1
WK_W = 0        # mu/r (R/r)^n
WK_COL = 1      # rows 1 and 2: Abar of columns m and m + 1, in turn
WK_ROWS = 3


@kernel
def sh_model(c, s):
    """The model array of coefficients c[n, m], s[n, m] (square, fully normalised): their
    degree and order is c.shape[0] - 1.  Allocates: call once per field, not per step."""
    nmax = c.shape[0] - 1
    model = np.zeros((SH_PLANES, nmax + 1, nmax + 1))
    for n in range(nmax + 1):
        for m in range(n + 1):
            model[SH_C, m, n] = c[n, m]
            model[SH_S, m, n] = s[n, m]
            if n > m:
                model[SH_A, m, n] = math.sqrt((2.0 * n - 1.0) * (2.0 * n + 1.0) / ((n - m) * (n + m)))
                model[SH_B, m, n] = math.sqrt((2.0 * n + 1.0) * (n + m - 1.0) * (n - m - 1.0)
                                              / ((n - m) * (n + m) * (2.0 * n - 3.0))) if n > m + 1 else 0.0
                d = (n - m) * (n + m + 1.0)
                model[SH_D, m, n] = math.sqrt(0.5 * d if m == 0 else d)
    for m in range(1, nmax + 1):
        # the factor 2 of the m > 0 normalisation enters once, at m = 1
        model[SH_A, m, m] = math.sqrt(3.0) if m == 1 else math.sqrt((2.0 * m + 1.0) / (2.0 * m))
    return model


def sh_work(nmax):
    """A work array for evaluations up to degree nmax (host side, once)."""
    return np.zeros((WK_ROWS, nmax + 1))


@kernel
def sh_potential_gravity(r, mu, rref, nmax, model, work):
    """(V, ax, ay, az): potential (m^2/s^2, positive: V = mu/r for a point mass) and
    acceleration (m/s^2) at r (m, Moon-fixed; r != 0) of the model truncated to degree and
    order nmax (<= the model's)."""
    if nmax > model.shape[1] - 1 or work.shape[1] < nmax + 1 or work.shape[0] < WK_ROWS:
        raise ValueError("sh_gravity: nmax beyond the model's degree or the work array's size")
    # arrays are indexed in full, never sliced: a view costs two atomic reference counts
    x, y, z = r[0], r[1], r[2]
    rn = math.sqrt(x * x + y * y + z * z)
    s, t, u = x / rn, y / rn, z / rn
    work[WK_W, 0] = mu / rn
    q = rref / rn
    for n in range(1, nmax + 1):
        work[WK_W, n] = work[WK_W, n - 1] * q
    cur, nxt = WK_COL, WK_COL + 1
    work[cur, 0] = 1.0
    if nmax > 0:
        work[cur, 1] = model[SH_A, 0, 1] * u
    for n in range(2, nmax + 1):
        work[cur, n] = model[SH_A, 0, n] * u * work[cur, n - 1] - model[SH_B, 0, n] * work[cur, n - 2]
    # f = V and its partial derivatives in r, s, t, u (s, t, u taken as independent)
    f = 0.0
    f_r = 0.0
    f_s = 0.0
    f_t = 0.0
    f_u = 0.0
    rho_m, iota_m = 1.0, 0.0           # Re, Im (s + i t)^m
    rho_p, iota_p = 0.0, 0.0           # the same at m - 1
    for m in range(nmax + 1):
        # column m is in row cur; column m + 1 goes into row nxt in the same pass over n
        m1 = m + 1
        # sums over n of w A C, w A S, (n+1) w A C, (n+1) w A S, w dA/du C, w dA/du S
        wa = work[WK_W, m] * work[cur, m]
        sc, ss = wa * model[SH_C, m, m], wa * model[SH_S, m, m]
        rc, rs = (m + 1.0) * sc, (m + 1.0) * ss
        uc, us = 0.0, 0.0
        # the recursion runs in registers (p1, p2: Abar_n-1,m+1 and Abar_n-2,m+1), not
        # through memory: its chain of dependent operations is this loop's critical path
        p2 = 0.0                       # Abar_m,m+1 = 0
        p1 = model[SH_A, m1, m1] * work[cur, m] if m1 <= nmax else 0.0
        for n in range(m1, nmax + 1):
            if n > m1:
                p1, p2 = model[SH_A, m1, n] * u * p1 - model[SH_B, m1, n] * p2, p1
            work[nxt, n] = p1
            wn = work[WK_W, n]
            wa = wn * work[cur, n]
            cn, sn = model[SH_C, m, n], model[SH_S, m, n]
            ac, as_ = wa * cn, wa * sn
            sc += ac
            ss += as_
            rc += (n + 1.0) * ac
            rs += (n + 1.0) * as_
            wd = wn * model[SH_D, m, n] * p1
            uc += wd * cn
            us += wd * sn
        f += rho_m * sc + iota_m * ss
        f_r -= rho_m * rc + iota_m * rs
        f_u += rho_m * uc + iota_m * us
        if m > 0:
            # d(s + i t)^m / ds = m (s + i t)^(m-1), d/dt = i m (s + i t)^(m-1)
            f_s += m * (rho_p * sc + iota_p * ss)
            f_t += m * (rho_p * ss - iota_p * sc)
        rho_p, iota_p = rho_m, iota_m
        rho_m, iota_m = s * rho_p - t * iota_p, s * iota_p + t * rho_p
        cur, nxt = nxt, cur
    f_r /= rn                          # the (n+1) sums are r df/dr
    a1, a2, a3 = f_s / rn, f_t / rn, f_u / rn
    a4 = f_r - (s * a1 + t * a2 + u * a3)
    return f, a1 + a4 * s, a2 + a4 * t, a3 + a4 * u


@kernel
def sh_gravity(r, mu, rref, nmax, model, work):
    """Acceleration (m/s^2) at r (m, Moon-fixed) of the model truncated to degree nmax."""
    _, ax, ay, az = sh_potential_gravity(r, mu, rref, nmax, model, work)
    return ax, ay, az
