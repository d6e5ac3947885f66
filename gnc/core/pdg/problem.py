"""The 3-DOF fuel-optimal powered descent as a second-order cone programme in a fixed layout.

Lossless convexification (Acikmese & Ploen 2007): the thrust T over the mass m becomes the
control u with a slack sigma >= |u| standing for |T|/m, and the mass its logarithm z, so the
mass flow z' = -alpha sigma is linear and the thrust bounds rho1 <= |T| <= rho2 become
rho1 e^-z <= sigma <= rho2 e^-z, kept convex by expanding e^-z about z0(t) = ln(m0 - alpha
rho2 t): second order below (a cone), first order above (a line); both are conservative.

N nodes over the final time tf, dt = tf / (N - 1), the control held over each interval:
    r+ = r + dt v + dt^2/2 (u + g),   v+ = v + dt (u + g),   z+ = z - alpha dt sigma
(exact for a constant u and sigma), which makes the mass at every node the rocket equation
of the thrust profile flown.  Minimise sum(sigma dt), i.e. maximise the landed mass.

Everything is scaled to O(1): lengths by L = |r0 - rf| (at least 1 m), times by tf, positions
from the target, z from ln m0.  The programme is

    min c'x   s.t.   A x = b,   h - G x = s in K,   K = R+^l x SOC(d_1) x ... x SOC(d_q)

with the variables node by node, [r(3) v(3) z u(3) sigma] (NV = 11) at nodes 0..N-2 and
[r v z] (7) at the last; A and G row-compressed (at most 4 entries a row); the l linear rows
first, then the cones in node order.  Rows of A: the initial state (7), the dynamics of
each interval (7), the final position and velocity (6).  Rows of G, per interval node k:
    linear   sigma <= mu2 (1 - (z - z0)),   u_z >= cos(theta) sigma
             (theta = LIM_POINT; at the last interval node LIM_POINT_END where set, so that the
             plan ends with its thrust near the vertical and hands the next phase a vehicle
             that is not still turning out of a tilted brake)
    linear   sigma(k+1) <= (1 + rho dt) sigma(k),  sigma(k) <= (1 + rho dt) sigma(k+1)
             (nodes 0..N-3: the throttle ramps at about rho = LIM_THROTTLE_RATE at most, so
             that a tilted thrust is not turned upright by its growth faster than the attitude
             turns: the turn-rate cone below bounds the horizontal part only)
    SOC(4)   |u| <= sigma
    SOC(3)   mu1 (1 - (z - z0) + (z - z0)^2 / 2) <= sigma     (as |(d, (w-1)/v2)| <= (w+1)/v2)
    SOC(3)   glide slope |r_xy - rf_xy| tan(gamma) <= r_z - rf_z    (nodes 1..N-2: node 0 is
             given and the last one is the cone's apex, where no interior exists)
    SOC(3)   turn rate |u_xy(k+1) - u_xy(k)| <= omega dt sigma(k)    (nodes 0..N-3: the thrust
             turns at about omega = LIM_RATE at most, so the attitude loop can follow the plan;
             in node k's rows, so that every variable a cone bounds comes after it in the
             solver's KKT order, which the float build's factor of a cone relies on)
and one linear row at the last node: z >= ln(m_dry).  The vertical is +z (the landing frame).

`layout(N)` allocates the arrays once; `fill` (numba, allocation-free) writes a state, target,
limits and tf into them; the pattern never changes for a given N.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from gnc.core.jit import kernel

NV = 11                           # variables per interval node: r v z u sigma
NVL = 7                           # at the last node: r v z
IR, IV, IZ, IU, IS = 0, 3, 6, 7, 10

# limits[]: the vehicle and world as the problem sees them (SI; LIM_RATE: the turn rate, rad/s;
# LIM_THROTTLE_RATE: the throttle's relative change, 1/s; LIM_POINT_END: the last interval's
# pointing limit, rad, 0: LIM_POINT's)
(LIM_TMIN, LIM_TMAX, LIM_ISP, LIM_GLIDE, LIM_POINT, LIM_MDRY, LIM_G, LIM_G0, LIM_RATE, LIM_THROTTLE_RATE,
 LIM_POINT_END) = range(11)
N_LIM = 11
# state[]: the start and the target
ST_R, ST_V, ST_M, ST_RF, ST_VF = 0, 3, 6, 7, 10
N_ST = 13
# scale[]: what fill used, to undo the scaling (SI)
SC_L, SC_T, SC_M0, SC_ALPHA, SC_RF = 0, 1, 2, 3, 4
N_SC = 7


class Socp(NamedTuple):
    """One problem in its layout: the data the solver reads, and its cones."""
    c: np.ndarray
    b: np.ndarray
    h: np.ndarray
    a_ptr: np.ndarray
    a_idx: np.ndarray
    a_val: np.ndarray
    g_ptr: np.ndarray
    g_idx: np.ndarray
    g_val: np.ndarray
    soc_start: np.ndarray          # first row of each cone (after the n_lin linear rows)
    soc_dim: np.ndarray
    dims: np.ndarray               # N, n, p, m, n_lin, n_soc, ok (0: the start is outside the glide cone)
    scale: np.ndarray
    cols: np.ndarray               # scratch: one row's pattern while filling
    vals: np.ndarray


D_N, D_NVAR, D_NEQ, D_NROW, D_NLIN, D_NSOC, D_OK = range(7)


@kernel
def sizes(N):
    """(n, p, m, n_lin, n_soc) of the programme with N nodes (compiled: the law's `views`
    lays its workspace out by it too)."""
    n = NV * (N - 1) + NVL
    p = 7 + 7 * (N - 1) + 6
    n_lin = 2 * (N - 1) + 1 + 2 * max(N - 2, 0)
    n_soc = 2 * (N - 1) + 2 * max(N - 2, 0)
    m = n_lin + 7 * (N - 1) + 6 * max(N - 2, 0)
    return n, p, m, n_lin, n_soc


@kernel
def cone_pairs(N):
    """Entries of the cones' W^2 blocks below their diagonals: 6 in each of the N - 1 |u|
    cones (4 rows), 3 in each of the 3 N - 5 three-row cones (csrc/pdg.h PDG_CPAIRS)."""
    return 6 * (N - 1) + 3 * (3 * N - 5)


def layout(N: int) -> Socp:
    """The arrays of an N-node problem, zeroed (fill writes them)."""
    if N < 3:
        raise ValueError("at least 3 nodes")
    n, p, m, n_lin, n_soc = sizes(N)
    dims = np.array([N, n, p, m, n_lin, n_soc, 1], dtype=np.int64)
    return Socp(np.zeros(n), np.zeros(p), np.zeros(m),
                np.zeros(p + 1, np.int64), np.zeros(4 * p, np.int64), np.zeros(4 * p),
                np.zeros(m + 1, np.int64), np.zeros(3 * m, np.int64), np.zeros(3 * m),
                np.zeros(n_soc, np.int64), np.zeros(n_soc, np.int64), dims, np.zeros(N_SC),
                np.zeros(4, np.int64), np.zeros(4))


@kernel
def var(N, k, j):
    """Index of variable j (IR.., IS) of node k."""
    return NV * k + j


@kernel
def _row(ptr, idx, val, row, nz, cols, vals, count):
    """Write one compressed row; returns the next free entry."""
    ptr[row] = nz
    for i in range(count):
        idx[nz + i] = cols[i]
        val[nz + i] = vals[i]
    ptr[row + 1] = nz + count
    return nz + count


@kernel
def fill(P, state, lim, tf):
    """Write the problem from state (ST_*), limits (LIM_*) and the final time tf [s] into P.
    P.dims[D_OK] = 0 when the start lies outside the glide cone (then no node-0 cone exists
    to say so, and the caller must not solve)."""
    N = P.dims[D_N]
    cols = P.cols
    vals = P.vals
    dx = state[ST_R] - state[ST_RF]
    dy = state[ST_R + 1] - state[ST_RF + 1]
    dz = state[ST_R + 2] - state[ST_RF + 2]
    L = max(math.sqrt(dx * dx + dy * dy + dz * dz), 1.0)
    T = tf
    V = L / T
    ACC = L / (T * T)
    m0 = state[ST_M]
    alpha = 1.0 / (lim[LIM_ISP] * lim[LIM_G0])
    P.scale[SC_L] = L
    P.scale[SC_T] = T
    P.scale[SC_M0] = m0
    P.scale[SC_ALPHA] = alpha
    for i in range(3):
        P.scale[SC_RF + i] = state[ST_RF + i]
    tan_gs = math.tan(lim[LIM_GLIDE])
    P.dims[D_OK] = 1 if math.sqrt(dx * dx + dy * dy) * tan_gs <= dz else 0
    h = 1.0 / (N - 1)
    gz = -lim[LIM_G] / ACC
    beta = alpha * L / T
    cos_pt = math.cos(lim[LIM_POINT])
    cos_end = math.cos(lim[LIM_POINT_END]) if lim[LIM_POINT_END] > 0.0 else cos_pt
    P.c[:] = 0.0
    for k in range(N - 1):
        P.c[var(N, k, IS)] = h
    # equalities
    nz = 0
    row = 0
    for i in range(7):
        cols[0] = i
        vals[0] = 1.0
        nz = _row(P.a_ptr, P.a_idx, P.a_val, row, nz, cols, vals, 1)
        if i < 3:
            P.b[row] = (state[ST_R + i] - state[ST_RF + i]) / L
        elif i < 6:
            P.b[row] = state[ST_V + i - 3] / V
        else:
            P.b[row] = 0.0
        row += 1
    for k in range(N - 1):
        for i in range(3):
            cols[0] = var(N, k + 1, IR + i)
            cols[1] = var(N, k, IR + i)
            cols[2] = var(N, k, IV + i)
            cols[3] = var(N, k, IU + i)
            vals[0] = 1.0
            vals[1] = -1.0
            vals[2] = -h
            vals[3] = -0.5 * h * h
            nz = _row(P.a_ptr, P.a_idx, P.a_val, row, nz, cols, vals, 4)
            P.b[row] = 0.5 * h * h * gz if i == 2 else 0.0
            row += 1
        for i in range(3):
            cols[0] = var(N, k + 1, IV + i)
            cols[1] = var(N, k, IV + i)
            cols[2] = var(N, k, IU + i)
            vals[0] = 1.0
            vals[1] = -1.0
            vals[2] = -h
            nz = _row(P.a_ptr, P.a_idx, P.a_val, row, nz, cols, vals, 3)
            P.b[row] = h * gz if i == 2 else 0.0
            row += 1
        cols[0] = var(N, k + 1, IZ)
        cols[1] = var(N, k, IZ)
        cols[2] = var(N, k, IS)
        vals[0] = 1.0
        vals[1] = -1.0
        vals[2] = beta * h
        nz = _row(P.a_ptr, P.a_idx, P.a_val, row, nz, cols, vals, 3)
        P.b[row] = 0.0
        row += 1
    for i in range(6):
        cols[0] = var(N, N - 1, i)
        vals[0] = 1.0
        nz = _row(P.a_ptr, P.a_idx, P.a_val, row, nz, cols, vals, 1)
        P.b[row] = 0.0 if i < 3 else state[ST_VF + i - 3] / V
        row += 1
    # cones: linear rows first
    nz = 0
    row = 0
    for k in range(N - 1):
        t = k * h * T
        mz0 = max(m0 - alpha * lim[LIM_TMAX] * t, lim[LIM_MDRY])
        z0 = math.log(mz0 / m0)
        mu2 = lim[LIM_TMAX] / mz0 / ACC
        cols[0] = var(N, k, IZ)
        cols[1] = var(N, k, IS)
        vals[0] = mu2
        vals[1] = 1.0
        nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 2)
        P.h[row] = mu2 * (1.0 + z0)
        row += 1
        cols[0] = var(N, k, IU + 2)
        cols[1] = var(N, k, IS)
        vals[0] = -1.0
        vals[1] = cos_end if k == N - 2 else cos_pt
        nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 2)
        P.h[row] = 0.0
        row += 1
        if k <= N - 3:
            # the throttle's ramp into the next interval, up and down
            ramp = 1.0 + lim[LIM_THROTTLE_RATE] * h * T
            cols[0] = var(N, k, IS)
            cols[1] = var(N, k + 1, IS)
            vals[0] = -ramp
            vals[1] = 1.0
            nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 2)
            P.h[row] = 0.0
            row += 1
            vals[0] = 1.0
            vals[1] = -ramp
            nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 2)
            P.h[row] = 0.0
            row += 1
    cols[0] = var(N, N - 1, IZ)
    vals[0] = -1.0
    nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 1)
    P.h[row] = -math.log(lim[LIM_MDRY] / m0)
    row += 1
    q = 0
    r2 = 1.0 / math.sqrt(2.0)
    for k in range(N - 1):
        t = k * h * T
        mz0 = max(m0 - alpha * lim[LIM_TMAX] * t, lim[LIM_MDRY])
        z0 = math.log(mz0 / m0)
        mu1 = lim[LIM_TMIN] / mz0 / ACC
        # |u| <= sigma
        P.soc_start[q] = row
        P.soc_dim[q] = 4
        q += 1
        cols[0] = var(N, k, IS)
        vals[0] = -1.0
        nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 1)
        P.h[row] = 0.0
        row += 1
        for i in range(3):
            cols[0] = var(N, k, IU + i)
            nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 1)
            P.h[row] = 0.0
            row += 1
        # the lower thrust bound: w = sigma / mu1 - 1 + d, d = z - z0
        P.soc_start[q] = row
        P.soc_dim[q] = 3
        q += 1
        cols[0] = var(N, k, IS)
        cols[1] = var(N, k, IZ)
        vals[0] = -r2 / mu1
        vals[1] = -r2
        nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 2)
        P.h[row] = -r2 * z0
        row += 1
        cols[0] = var(N, k, IZ)
        vals[0] = -1.0
        nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 1)
        P.h[row] = -z0
        row += 1
        cols[0] = var(N, k, IS)
        cols[1] = var(N, k, IZ)
        vals[0] = -r2 / mu1
        vals[1] = -r2
        nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 2)
        P.h[row] = -r2 * (z0 + 2.0)
        row += 1
        if 1 <= k:
            # glide slope, from the target (the origin of the scaled positions)
            P.soc_start[q] = row
            P.soc_dim[q] = 3
            q += 1
            cols[0] = var(N, k, IR + 2)
            vals[0] = -1.0 / tan_gs
            nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 1)
            P.h[row] = 0.0
            row += 1
            for i in range(2):
                cols[0] = var(N, k, IR + i)
                vals[0] = -1.0
                nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 1)
                P.h[row] = 0.0
                row += 1
        if k <= N - 3:
            # the thrust direction's turn into the next interval (node k's rows, so that every
            # variable they bound comes after them: the float build factors cones alone)
            P.soc_start[q] = row
            P.soc_dim[q] = 3
            q += 1
            cols[0] = var(N, k, IS)
            vals[0] = -lim[LIM_RATE] * h * T
            nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 1)
            P.h[row] = 0.0
            row += 1
            for i in range(2):
                cols[0] = var(N, k, IU + i)
                cols[1] = var(N, k + 1, IU + i)
                vals[0] = 1.0
                vals[1] = -1.0
                nz = _row(P.g_ptr, P.g_idx, P.g_val, row, nz, cols, vals, 2)
                P.h[row] = 0.0
                row += 1


def unscale(P: Socp, x: np.ndarray) -> dict[str, np.ndarray]:
    """The trajectory of a solution x in SI: r (N,3), v (N,3), m (N), u (N-1,3), sigma (N-1),
    thrust (N-1,3) = m u at the interval's start, t (N)."""
    N = int(P.dims[D_N])
    L, T, m0 = P.scale[SC_L], P.scale[SC_T], P.scale[SC_M0]
    nodes = np.concatenate([x, np.zeros(NV - NVL)]).reshape(N, NV)
    r = P.scale[SC_RF:SC_RF + 3] + L * nodes[:, IR:IR + 3]
    v = nodes[:, IV:IV + 3] * L / T
    m = m0 * np.exp(nodes[:, IZ])
    u = nodes[:-1, IU:IU + 3] * L / T**2
    sigma = nodes[:-1, IS] * L / T**2
    return {"t": np.linspace(0.0, T, N), "r": r, "v": v, "m": m, "u": u, "sigma": sigma,
            "thrust": m[:-1, None] * u}
