"""A primal-dual interior-point method for the descent's SOCP (gnc.core.pdg.problem).

The homogeneous self-dual embedding (as in CVXOPT's conelp and ECOS, Domahidi, Chu & Boyd
2013) with Nesterov-Todd scaling and Mehrotra's predictor-corrector: an infeasible problem
ends in a certificate (tau -> 0) rather than a wrong answer.

Each iteration solves the KKT system [0 A' G'; A 0 0; G 0 -W^2] three times (the tau
column, predictor, corrector) with one factorisation.  Every cone involves one node's
variables and the dynamics tie node k to node k+1 only, so ordered node by node (a node's
cone rows, its variables, the dynamics rows to the next node) the matrix is banded with a
half-bandwidth independent of N; it is assembled into its own sparse pattern (through slots
the symbolic step fixes, as csrc/pdg.c does) and factorised as a sparse LDL' on a pattern
fixed once (QDLDL's up-looking algorithm on the elimination tree: 5636 entries in L at
N = 25, against 10310 in the band's envelope), O(N).  It is regularised
(+delta on the variables, -delta on the multipliers: quasi-definite, so LDL' exists without
pivoting) and the tau column's and corrector's solves are refined against the
unregularised matrix.  The cone rows are kept in the system rather than
eliminated into G' W^-2 G, whose entries grow like 1/mu near the solution and stalled the
residuals at ~1e-8.

`workspace(P)` allocates everything once; `solve` then allocates nothing.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from gnc.core.jit import kernel
from gnc.core.pdg.problem import D_NEQ, D_NLIN, D_NROW, D_NSOC, D_NVAR, D_OK, SC_L, SC_T, Socp, fill, layout

# No unbounded status: the objective, sum(sigma dt) with sigma >= |u|, is bounded below.
# RUNNING: begun (solve_begin), its iterations not yet ended (solve_iterate goes on with it)
OPTIMAL, INFEASIBLE, MAX_ITER, BAD_START, RUNNING = 0, 1, 2, 3, 4
STATUS = {OPTIMAL: "optimal", INFEASIBLE: "infeasible", MAX_ITER: "max_iter", BAD_START: "bad_start",
          RUNNING: "running"}

# info[]: what a solve reports (I_REFINE: refinement steps over all its KKT solves), then what a
# solve spread over calls carries between them (the embedding's tau and kappa, the norms the
# residuals are judged against)
I_STATUS, I_ITER, I_PCOST, I_PRES, I_DRES, I_GAP, I_REFINE, I_TAU, I_KAPPA, I_NRM_B, I_NRM_C = range(11)
N_INFO = 11

# settings (the scaled problem is O(1), so absolute tolerances)
FEASTOL = 1e-8
GAPTOL = 1e-8
MAX_ITERS = 60
STEP = 0.99
DELTA = 1e-8
REFINE = 10
REFINE_ABS = 1e-10
REFINE_REL = 1e-11
REFINE_RATIO = 5.0
# a warm start's cones are pushed this far inside (scaled units): measured on re-plans 1 s
# along the plan (N = 25, 20 draws), 3e-5..1e-4 took 7.8-8.4 iterations against 11.6 cold,
# 1e-2..0.5 took 9.8-10.3, 1e-8 took 12.7
WARM_MARGIN = 1e-4
# the predictor only sets the step length and the centring, so its direction is not refined
# (the same iterations on 60 draws, a tenth less time)
PREDICTOR_REFINE = False

# The workspace's indices are unsigned: numba fixes up a negative index on every access with a
# signed one (three instructions), which made the factor and the triangular solves half again
# as slow as C's (the same arithmetic); the elimination tree's roots point at nk, not -1.
IDX = np.uint64
ZERO, ONE = IDX(0), IDX(1)


class Work(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    s: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    dz: np.ndarray
    ds: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    z1: np.ndarray
    dza: np.ndarray
    dsa: np.ndarray
    rx: np.ndarray
    ry: np.ndarray
    rz: np.ndarray
    lam: np.ndarray              # the scaled point W z = W^-T s
    wbar: np.ndarray             # NT scaling: sqrt(s/z) on linear rows, w-bar on cones
    eta: np.ndarray
    t1: np.ndarray               # m-sized scratch
    t2: np.ndarray
    t3: np.ndarray
    kz: np.ndarray               # m-sized scratch of the KKT residual
    kw: np.ndarray
    pos: np.ndarray              # KKT position of variable j (j < n) and equality row i (n + i)
    sign: np.ndarray             # +1 for a variable's position, -1 for a multiplier's
    kd: np.ndarray               # K's diagonal (KKT order)
    kx: np.ndarray               # K's entries above the diagonal, aligned with ki
    a_slot: np.ndarray           # where each entry of A, of G and of a cone's W^2 below its
    g_slot: np.ndarray           # diagonal goes in kx
    c_slot: np.ndarray
    kp: np.ndarray               # K's pattern above the diagonal, by column (KKT order)
    ki: np.ndarray
    etree: np.ndarray            # elimination tree of K in KKT order
    lp: np.ndarray               # L's pattern by column (fixed: the symbolic factorisation)
    li: np.ndarray
    lx: np.ndarray               # L's values, D, and where each column's next entry goes
    d: np.ndarray
    lnext: np.ndarray
    yv: np.ndarray               # factor scratch: a row of L D, its pattern, tree walks
    yidx: np.ndarray
    ebuf: np.ndarray
    mark: np.ndarray
    kb: np.ndarray               # KKT right-hand side, solution, residual (permuted)
    ks: np.ndarray
    kr: np.ndarray
    kc: np.ndarray
    info: np.ndarray


def _ordering(P: Socp) -> np.ndarray:
    """The KKT position of each variable, equality row and cone row: node by node (the cone
    rows of a node, its variables, the dynamics rows to the next node).  Every variable
    follows the cone rows that bound it, so its pivot is G'W^-2G, not the regularisation
    (an order found by a swap search that broke this saved a third of the envelope
    factor's work but left 2 of 60 draws unsolved, NaN; kept to it, under 10 %)."""
    N, n, p, m = int(P.dims[0]), int(P.dims[D_NVAR]), int(P.dims[D_NEQ]), int(P.dims[D_NROW])
    node_rows = [[] for _ in range(N)]
    for r in range(m):
        node_rows[int(P.g_idx[P.g_ptr[r]]) // 11].append(n + p + r)
    order = list(range(n, n + 7))                       # initial-state rows
    for k in range(N):
        order += node_rows[k]
        width = 11 if k < N - 1 else 7
        order += range(11 * k, 11 * k + width)
        first = 7 + 7 * k
        order += range(n + first, n + first + (7 if k < N - 1 else 6))
    pos = np.empty(n + p + m, np.int64)
    pos[np.array(order)] = np.arange(n + p + m)
    return pos


def _pattern(P: Socp, pos: np.ndarray) -> list[set]:
    """For each KKT row, the columns left of the diagonal where K has an entry."""
    n, p, m = int(P.dims[D_NVAR]), int(P.dims[D_NEQ]), int(P.dims[D_NROW])
    rows = [set() for _ in range(n + p + m)]

    def link(i, j):
        if i != j:
            rows[max(i, j)].add(min(i, j))
    for i in range(p):
        for e in range(P.a_ptr[i], P.a_ptr[i + 1]):
            link(int(pos[n + i]), int(pos[P.a_idx[e]]))
    for r in range(m):
        for e in range(P.g_ptr[r], P.g_ptr[r + 1]):
            link(int(pos[n + p + r]), int(pos[P.g_idx[e]]))
    for a, d in zip(P.soc_start, P.soc_dim):
        cone = [int(i) for i in pos[n + p + a:n + p + a + d]]
        for i in cone:
            for j in cone:
                link(i, j)
    return rows


def _symbolic(rows: list[set]):
    """K's pattern by column above the diagonal, its elimination tree and L's column
    pointers (the counts of each column of L, as QDLDL's etree computes them)."""
    nk = len(rows)
    kp = np.zeros(nk + 1, np.int64)
    for k in range(nk):
        kp[k + 1] = kp[k] + len(rows[k])
    ki = np.array([i for k in range(nk) for i in sorted(rows[k])], np.int64)
    parent = -np.ones(nk, np.int64)
    count = np.zeros(nk, np.int64)
    flag = -np.ones(nk, np.int64)
    for k in range(nk):
        flag[k] = k
        for i in rows[k]:
            while flag[i] != k:
                if parent[i] == -1:
                    parent[i] = k
                count[i] += 1
                flag[i] = k
                i = parent[i]
    lp = np.zeros(nk + 1, np.int64)
    lp[1:] = np.cumsum(count)
    parent[parent == -1] = nk
    return kp.astype(IDX), ki.astype(IDX), parent.astype(IDX), lp.astype(IDX)


def _slots(P: Socp, pos: np.ndarray, kp: np.ndarray, ki: np.ndarray):
    """Where each entry of A, of G (both sized as P's arrays) and of the cones' W^2 blocks
    below their diagonals (no pair comes twice) lies in kx."""
    n, p, m = int(P.dims[D_NVAR]), int(P.dims[D_NEQ]), int(P.dims[D_NROW])
    col = {(k, int(ki[e])): e for k in range(len(kp) - 1) for e in range(kp[k], kp[k + 1])}

    def slot(a, b):
        return col[(max(a, b), min(a, b))]
    a_slot, g_slot = np.zeros(P.a_idx.size, IDX), np.zeros(P.g_idx.size, IDX)
    for i in range(p):
        for e in range(P.a_ptr[i], P.a_ptr[i + 1]):
            a_slot[e] = slot(int(pos[n + i]), int(pos[P.a_idx[e]]))
    for r in range(m):
        for e in range(P.g_ptr[r], P.g_ptr[r + 1]):
            g_slot[e] = slot(int(pos[n + p + r]), int(pos[P.g_idx[e]]))
    c_slot = np.array([slot(int(pos[n + p + r]), int(pos[n + p + t]))
                       for a, d in zip(P.soc_start, P.soc_dim) for r in range(a, a + d) for t in range(a, r)], IDX)
    return a_slot, g_slot, c_slot


def workspace(P: Socp) -> Work:
    """Everything solve needs for problems of P's layout (P filled once, for the pattern)."""
    n, p, m, nsoc = (int(P.dims[i]) for i in (D_NVAR, D_NEQ, D_NROW, D_NSOC))
    pos = _ordering(P)
    kp, ki, etree, lp = _symbolic(_pattern(P, pos))
    a_slot, g_slot, c_slot = _slots(P, pos, kp, ki)
    nk = n + p + m
    iz = lambda k: np.zeros(k, IDX)  # noqa: E731
    sign = np.ones(nk)
    sign[pos[n:]] = -1.0
    pos = pos.astype(IDX)
    z = np.zeros
    return Work(z(n), z(p), z(m), z(m), z(n), z(p), z(m), z(m), z(n), z(p), z(m), z(m), z(m),
                z(n), z(p), z(m), z(m), z(m), z(nsoc), z(m), z(m), z(m), z(m), z(m), pos, sign,
                z(nk), z(ki.size), a_slot, g_slot, c_slot, kp, ki, etree, lp, iz(lp[-1]), z(lp[-1]), z(nk), iz(nk),
                z(nk), iz(nk), iz(nk), iz(nk), z(nk), z(nk), z(nk), z(nk), z(N_INFO))


def setup(N: int, state: np.ndarray, lim: np.ndarray, tf: float) -> tuple[Socp, Work]:
    """A layout and its workspace, filled once with a problem for the pattern."""
    P = layout(N)
    fill(P, state, lim, tf)
    return P, workspace(P)


# ---- cone arithmetic --------------------------------------------------------------------

@kernel
def _cone(P, q):
    """Cone q's first row and its dimension, as workspace indices."""
    return IDX(P.soc_start[q]), IDX(P.soc_dim[q])


@kernel
def _soc_dot(u, v, a, d):
    acc = 0.0
    for i in range(a + ONE, a + d):
        acc += u[i] * v[i]
    return acc


@kernel
def scaling(P, W):
    """Nesterov-Todd scaling of (s, z) and lam = W z."""
    s, z = W.s, W.z
    for i in range(P.dims[D_NLIN]):
        W.wbar[i] = math.sqrt(s[i] / z[i])
        W.lam[i] = math.sqrt(s[i] * z[i])
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        sn = math.sqrt(max(s[a] * s[a] - _soc_dot(s, s, a, d), 1e-300))
        zn = math.sqrt(max(z[a] * z[a] - _soc_dot(z, z, a, d), 1e-300))
        W.eta[q] = math.sqrt(sn / zn)
        dot = s[a] * z[a] / (sn * zn) + _soc_dot(s, z, a, d) / (sn * zn)
        gam = math.sqrt(max((1.0 + dot) * 0.5, 1e-300))
        W.wbar[a] = (s[a] / sn + z[a] / zn) / (2.0 * gam)
        for i in range(a + ONE, a + d):
            W.wbar[i] = (s[i] / sn - z[i] / zn) / (2.0 * gam)
    _apply(P, W, z, W.lam, 1)


@kernel
def _apply(P, W, v, out, mode):
    """out = W v (mode 1), W^-1 v (mode -1), W^-2 v (mode -2) or W^2 v (mode 2)."""
    for i in range(P.dims[D_NLIN]):
        w = W.wbar[i]
        if mode == 1:
            out[i] = w * v[i]
        elif mode == -1:
            out[i] = v[i] / w
        elif mode == 2:
            out[i] = w * w * v[i]
        else:
            out[i] = v[i] / (w * w)
    wb = W.wbar
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        eta = W.eta[q]
        w0 = wb[a]
        if mode == 1 or mode == -1:
            sg = 1.0 if mode == 1 else -1.0
            w1v = _soc_dot(wb, v, a, d)
            v0 = v[a]
            f = (w1v / (1.0 + w0) + sg * v0)
            out[a] = eta ** mode * (w0 * v0 + sg * w1v)
            for i in range(a + ONE, a + d):
                out[i] = eta ** mode * (v[i] + f * wb[i])
        else:
            # W-bar^2 = 2 w w' - J;  W-bar^-2 = 2 (J w)(J w)' - J
            sg = 1.0 if mode == 2 else -1.0
            wv = w0 * v[a] + sg * _soc_dot(wb, v, a, d)
            sc = eta * eta if mode == 2 else 1.0 / (eta * eta)
            out[a] = sc * (2.0 * w0 * wv - v[a])
            for i in range(a + ONE, a + d):
                out[i] = sc * (2.0 * sg * wb[i] * wv + v[i])


@kernel
def _prod(P, u, v, out):
    """The Jordan product u o v."""
    for i in range(P.dims[D_NLIN]):
        out[i] = u[i] * v[i]
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        u0, v0 = u[a], v[a]
        out[a] = u0 * v0 + _soc_dot(u, v, a, d)
        for i in range(a + ONE, a + d):
            out[i] = u0 * v[i] + v0 * u[i]


@kernel
def _div(P, lam, v, out):
    """x with lam o x = v."""
    for i in range(P.dims[D_NLIN]):
        out[i] = v[i] / lam[i]
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        l0 = lam[a]
        det = l0 * l0 - _soc_dot(lam, lam, a, d)
        x0 = (l0 * v[a] - _soc_dot(lam, v, a, d)) / det
        out[a] = x0
        for i in range(a + ONE, a + d):
            out[i] = (v[i] - x0 * lam[i]) / l0


@kernel
def _max_step(P, u, du):
    """The largest step a <= 1/STEP with u + a du in the cone (u inside it)."""
    amax = 1e30
    for i in range(P.dims[D_NLIN]):
        if du[i] < 0.0:
            amax = min(amax, -u[i] / du[i])
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        # (u0 + t d0)^2 - |u1 + t d1|^2 >= 0 and u0 + t d0 >= 0
        qa = du[a] * du[a] - _soc_dot(du, du, a, d)
        qb = u[a] * du[a] - _soc_dot(u, du, a, d)
        qc = max(u[a] * u[a] - _soc_dot(u, u, a, d), 0.0)
        t = 1e30
        if du[a] < 0.0:
            t = -u[a] / du[a]
        if qa == 0.0:
            if qb < 0.0:
                t = min(t, -qc / (2.0 * qb))
        else:
            disc = qb * qb - qa * qc
            if disc >= 0.0:
                sq = math.sqrt(disc)
                # the smaller positive root of qa t^2 + 2 qb t + qc, computed stably
                r1 = -(qb + math.copysign(sq, qb))
                for root in ((r1 / qa) if r1 != 0.0 else 1e30, (qc / r1) if r1 != 0.0 else 1e30):
                    if root > 0.0:
                        t = min(t, root)
        amax = min(amax, t)
    return amax


@kernel
def _shift_into_cone(P, u):
    """u + (1 + a) e when u is not strictly inside (a its most negative eigenvalue)."""
    worst = 1e30
    for i in range(P.dims[D_NLIN]):
        worst = min(worst, u[i])
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        worst = min(worst, u[a] - math.sqrt(_soc_dot(u, u, a, d)))
    if worst <= 0.0:
        add = 1.0 - worst
        for i in range(P.dims[D_NLIN]):
            u[i] += add
        for q in range(P.dims[D_NSOC]):
            u[P.soc_start[q]] += add


@kernel
def _push_inside(P, u, margin):
    """Raise each cone's least eigenvalue (u_i; u0 - |u1|) to at least margin, cone by cone."""
    for i in range(P.dims[D_NLIN]):
        u[i] = max(u[i], margin)
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        u[a] = max(u[a], math.sqrt(_soc_dot(u, u, a, d)) + margin)


# ---- the KKT system ---------------------------------------------------------------------

@kernel
def _assemble(P, W):
    """K = [delta, A', G'; A, -delta, 0; G, 0, -W^2 - delta] in KKT order, into kd and kx.
    The cone rows stay in the system (not eliminated into G' W^-2 G): refining against it
    keeps the directions accurate when W^-2 grows large near the solution."""
    nz0 = IDX(P.dims[D_NVAR] + P.dims[D_NEQ])
    pos, kd, kx, wb = W.pos, W.kd, W.kx, W.wbar
    for i in range(kx.shape[0]):
        kx[i] = 0.0
    for i in range(kd.shape[0]):
        kd[i] = DELTA * W.sign[i]
    for e in range(P.a_ptr[P.dims[D_NEQ]]):
        kx[W.a_slot[e]] += P.a_val[e]
    for e in range(P.g_ptr[P.dims[D_NROW]]):
        kx[W.g_slot[e]] += P.g_val[e]
    for i in range(IDX(P.dims[D_NLIN])):
        kd[pos[nz0 + i]] -= wb[i] * wb[i]
    c = ZERO
    for q in range(P.dims[D_NSOC]):
        a, d = _cone(P, q)
        sc = W.eta[q] * W.eta[q]
        for r in range(a, a + d):
            for t in range(a, r + ONE):
                # W^2[r, t] = eta^2 (2 w_r w_t - J_rt)
                jj = 0.0 if r != t else (1.0 if r == a else -1.0)
                k = sc * (2.0 * wb[r] * wb[t] - jj)
                if r == t:
                    kd[pos[nz0 + r]] += -k
                else:
                    kx[W.c_slot[c]] += -k
                    c += ONE


@kernel
def _factor(W):
    """Sparse LDL' of K on the pattern fixed by the symbolic step, row by
    row up the elimination tree (QDLDL's algorithm, Goldfarb & Stellato); no pivoting
    (quasi-definite).  A pivot of the wrong sign or too small is replaced by DELTA with its
    sign (dynamic regularisation)."""
    kd, kx, sign = W.kd, W.kx, W.sign
    kp, ki, etree, lp, li, lx, d = W.kp, W.ki, W.etree, W.lp, W.li, W.lx, W.d
    yv, yidx, ebuf, mark, lnext = W.yv, W.yidx, W.ebuf, W.mark, W.lnext
    nk = IDX(kd.shape[0])
    for j in range(nk):
        lnext[j] = lp[j]
        mark[j] = nk
        yv[j] = 0.0
    for k in range(nk):
        # row k's pattern in L: K's entries of column k and their tree paths up to k (a root's
        # parent, nk, ends a path too)
        ny = ZERO
        for e in range(kp[k], kp[k + ONE]):
            i = ki[e]
            yv[i] = kx[e]
            ne = ZERO
            while i < k and mark[i] != k:
                mark[i] = k
                ebuf[ne] = i
                ne += ONE
                i = etree[i]
            while ne > ZERO:
                ne -= ONE
                yidx[ny] = ebuf[ne]
                ny += ONE
        dk = kd[k]
        t = ny
        while t > ZERO:
            t -= ONE
            c = yidx[t]
            yc = yv[c]
            for q in range(lp[c], lnext[c]):
                yv[li[q]] -= lx[q] * yc
            lkc = yc / d[c]
            li[lnext[c]] = k
            lx[lnext[c]] = lkc
            lnext[c] += ONE
            dk -= yc * lkc
            yv[c] = 0.0
        if dk * sign[k] < DELTA:
            dk = DELTA * sign[k]
        d[k] = dk


@kernel
def _ldl_solve(W, b, out):
    """out = (L D L')^-1 b."""
    lp, li, lx, d = W.lp, W.li, W.lx, W.d
    nk = IDX(d.shape[0])
    for i in range(nk):
        out[i] = b[i]
    for j in range(nk):
        xj = out[j]
        for q in range(lp[j], lp[j + ONE]):
            out[li[q]] -= lx[q] * xj
    for i in range(nk):
        out[i] /= d[i]
    j = nk
    while j > ZERO:
        j -= ONE
        acc = out[j]
        for q in range(lp[j], lp[j + ONE]):
            acc -= lx[q] * out[li[q]]
        out[j] = acc


@kernel
def _kkt_residual(P, W, sol, b, res):
    """res = b - K sol (KKT order) with the unregularised K, from A, G and W^2 (fewer
    entries than K's pattern)."""
    n = P.dims[D_NVAR]
    p = P.dims[D_NEQ]
    nz0 = n + p
    pos = W.pos
    for i in range(res.shape[0]):
        res[i] = b[i]
    for i in range(p):
        pi = pos[n + i]
        yi = sol[pi]
        acc = 0.0
        for e in range(IDX(P.a_ptr[i]), IDX(P.a_ptr[i + 1])):
            pj = pos[IDX(P.a_idx[e])]
            acc += P.a_val[e] * sol[pj]
            res[pj] -= P.a_val[e] * yi
        res[pi] -= acc
    for r in range(P.dims[D_NROW]):
        pr_ = pos[nz0 + r]
        zr = sol[pr_]
        W.kz[r] = zr
        acc = 0.0
        for e in range(IDX(P.g_ptr[r]), IDX(P.g_ptr[r + 1])):
            pj = pos[IDX(P.g_idx[e])]
            acc += P.g_val[e] * sol[pj]
            res[pj] -= P.g_val[e] * zr
        res[pr_] -= acc
    _apply(P, W, W.kz, W.kw, 2)
    for r in range(P.dims[D_NROW]):
        res[pos[nz0 + r]] += W.kw[r]


@kernel
def _kkt_solve(P, W, bx, by, bz, ox, oy, oz, refine):
    """[0 A' G'; A 0 0; G 0 -W^2] (ox, oy, oz) = (bx, by, bz) with the factorised K,
    refined against the unregularised K when refine; returns the refinement steps taken."""
    n = P.dims[D_NVAR]
    p = P.dims[D_NEQ]
    pos = W.pos
    kb = W.kb
    for j in range(n):
        kb[pos[j]] = bx[j]
    for i in range(p):
        kb[pos[n + i]] = by[i]
    for r in range(P.dims[D_NROW]):
        kb[pos[n + p + r]] = bz[r]
    _ldl_solve(W, kb, W.ks)
    # refine until the residual is at rounding level, or stops shrinking fast (as Clarabel
    # does): an absolute 1e-14 is below the rounding of entries as large as W^2's
    refined = 0
    tol = REFINE_ABS + REFINE_REL * _norm_inf(kb)
    worst = 0.0
    if refine:
        _kkt_residual(P, W, W.ks, kb, W.kr)
        worst = _norm_inf(W.kr)
    while refined < REFINE and worst > tol:
        _ldl_solve(W, W.kr, W.kc)
        for i in range(W.ks.shape[0]):
            W.kc[i] += W.ks[i]
        _kkt_residual(P, W, W.kc, kb, W.kr)
        new = _norm_inf(W.kr)
        if new >= worst:
            break
        refined += 1
        for i in range(W.ks.shape[0]):
            W.ks[i] = W.kc[i]
        if new * REFINE_RATIO > worst:
            break
        worst = new
    for j in range(n):
        ox[j] = W.ks[pos[j]]
    for i in range(p):
        oy[i] = W.ks[pos[n + i]]
    for r in range(P.dims[D_NROW]):
        oz[r] = W.ks[pos[n + p + r]]
    return refined


# ---- the iteration ----------------------------------------------------------------------

@kernel
def _dot(u, v):
    acc = 0.0
    for i in range(u.shape[0]):
        acc += u[i] * v[i]
    return acc


@kernel
def _norm_inf(u):
    acc = 0.0
    for i in range(u.shape[0]):
        acc = max(acc, abs(u[i]))
    return acc


@kernel
def _residuals(P, W, tau):
    """rx = A'y + G'z + c tau, ry = A x - b tau, rz = G x + s - h tau."""
    n = P.dims[D_NVAR]
    for j in range(n):
        W.rx[j] = P.c[j] * tau
    for i in range(P.dims[D_NEQ]):
        acc = -P.b[i] * tau
        for e in range(IDX(P.a_ptr[i]), IDX(P.a_ptr[i + 1])):
            col = IDX(P.a_idx[e])
            acc += P.a_val[e] * W.x[col]
            W.rx[col] += P.a_val[e] * W.y[i]
        W.ry[i] = acc
    for r in range(P.dims[D_NROW]):
        acc = W.s[r] - P.h[r] * tau
        for e in range(IDX(P.g_ptr[r]), IDX(P.g_ptr[r + 1])):
            col = IDX(P.g_idx[e])
            acc += P.g_val[e] * W.x[col]
            W.rx[col] += P.g_val[e] * W.z[r]
        W.rz[r] = acc


@kernel
def _cone_degree(P):
    return P.dims[D_NLIN] + P.dims[D_NSOC]


@kernel
def _start(P, W, warm):
    """The starting point: cold as in CVXOPT (least-squares primal and dual points shifted
    into the cones), or warm from the x, y, z, s already in W, each cone pushed WARM_MARGIN
    inside (a previous optimum sits on the cones' boundaries, where no step can be taken)."""
    if not warm:
        # W = I: unit w-bar on the linear rows, e = (1, 0, ..) and eta = 1 on each cone
        W.wbar[:] = 0.0
        for i in range(P.dims[D_NLIN]):
            W.wbar[i] = 1.0
        for q in range(P.dims[D_NSOC]):
            W.wbar[P.soc_start[q]] = 1.0
            W.eta[q] = 1.0
        _assemble(P, W)
        _factor(W)
        # primal: min |G x - h| s.t. A x = b  ->  s = h - G x
        W.dx[:] = 0.0
        _kkt_solve(P, W, W.dx, P.b, P.h, W.x, W.y, W.t1, True)
        for r in range(P.dims[D_NROW]):
            W.s[r] = -W.t1[r]
        # dual: min |z| s.t. A'y + G'z + c = 0
        for j in range(P.dims[D_NVAR]):
            W.dx[j] = -P.c[j]
        W.dy[:] = 0.0
        W.t2[:] = 0.0
        _kkt_solve(P, W, W.dx, W.dy, W.t2, W.x1, W.y, W.z, True)
        _shift_into_cone(P, W.s)
        _shift_into_cone(P, W.z)
    else:
        _push_inside(P, W.s, WARM_MARGIN)
        _push_inside(P, W.z, WARM_MARGIN)


@kernel
def _direction(P, W, tau, kappa, dsig, dk, fac, dt1, refine):
    """The search direction for complementarity targets dsig (cones, in W.t1) and dk (tau
    kappa), with the residuals scaled by fac.  W.x1.. hold the tau-column solve; dt1 its
    denominator.  Returns dtau; leaves (dx, dy, dz, ds)."""
    # bz = -fac rz - W (lam \ dsig)
    _div(P, W.lam, dsig, W.t2)
    _apply(P, W, W.t2, W.ds, 1)            # ds as scratch: W (lam \ dsig)
    for r in range(P.dims[D_NROW]):
        W.t2[r] = -fac * W.rz[r] - W.ds[r]
    for j in range(P.dims[D_NVAR]):
        W.dx[j] = -fac * W.rx[j]
    for i in range(P.dims[D_NEQ]):
        W.dy[i] = -fac * W.ry[i]
    W.info[I_REFINE] += _kkt_solve(P, W, W.dx, W.dy, W.t2, W.dx, W.dy, W.dz, refine)
    rt = kappa + _dot(P.c, W.x) + _dot(P.b, W.y) + _dot(P.h, W.z)
    num = -fac * rt - (_dot(P.c, W.dx) + _dot(P.b, W.dy) + _dot(P.h, W.dz)) - dk / tau
    dtau = num / dt1
    for j in range(P.dims[D_NVAR]):
        W.dx[j] += dtau * W.x1[j]
    for i in range(P.dims[D_NEQ]):
        W.dy[i] += dtau * W.y1[i]
    for r in range(P.dims[D_NROW]):
        W.dz[r] += dtau * W.z1[r]
    # ds = W (lam \ dsig - W dz)
    _div(P, W.lam, dsig, W.t2)
    _apply(P, W, W.dz, W.ds, 1)
    for r in range(P.dims[D_NROW]):
        W.t2[r] -= W.ds[r]
    _apply(P, W, W.t2, W.ds, 1)
    return dtau


@kernel
def solve(P, W, warm):
    """Solve the filled problem P; the solution (scaled: gnc.core.pdg.problem.unscale) in W.x.
    warm: start from the x, y, z, s left in W.  Returns the status (OPTIMAL, INFEASIBLE, ...);
    W.info holds it, the iterations and the final residuals."""
    if solve_begin(P, W, warm) == BAD_START:
        return BAD_START
    return solve_iterate(P, W, MAX_ITERS + 1)


@kernel
def solve_begin(P, W, warm):
    """Start a solve that solve_iterate carries on, a few iterations a call: a solve split so
    is the same arithmetic as `solve`, bit for bit.  Returns RUNNING, or BAD_START."""
    W.info[:] = 0.0
    if P.dims[D_OK] == 0:
        W.info[I_STATUS] = BAD_START
        return BAD_START
    _start(P, W, warm)
    kappa = 1.0
    if warm:
        # tau kappa as central as the warm s o z: kappa = 1 would make the start far from
        # the central path and spend the warm start's advantage re-centring
        kappa = _dot(W.s, W.z) / _cone_degree(P)
    W.info[I_TAU] = 1.0
    W.info[I_KAPPA] = kappa
    W.info[I_NRM_B] = max(1.0, _norm_inf(P.b), _norm_inf(P.h))
    W.info[I_NRM_C] = max(1.0, _norm_inf(P.c))
    W.info[I_STATUS] = RUNNING
    return RUNNING


@kernel
def solve_iterate(P, W, budget):
    """Carry a begun solve on by at most `budget` (>= 1) interior-point iterations.  Returns
    its status: RUNNING while it has not ended, else as `solve` (W.info[I_ITER]: its
    iterations in all)."""
    tau = W.info[I_TAU]
    kappa = W.info[I_KAPPA]
    deg = _cone_degree(P)
    nrm_b = W.info[I_NRM_B]
    nrm_c = W.info[I_NRM_C]
    status = RUNNING
    it = int(W.info[I_ITER])
    for k in range(budget + 1):
        _residuals(P, W, tau)
        mu = (_dot(W.s, W.z) + tau * kappa) / (deg + 1)
        pcost = _dot(P.c, W.x) / tau
        dcost = -(_dot(P.b, W.y) + _dot(P.h, W.z)) / tau
        pres = max(_norm_inf(W.ry), _norm_inf(W.rz)) / tau / nrm_b
        dres = _norm_inf(W.rx) / tau / nrm_c
        gap = _dot(W.s, W.z) / (tau * tau)
        W.info[I_PCOST] = pcost
        W.info[I_PRES] = pres
        W.info[I_DRES] = dres
        W.info[I_GAP] = gap
        if pres < FEASTOL and dres < FEASTOL and (gap < GAPTOL or gap < GAPTOL * min(abs(pcost), abs(dcost))):
            status = OPTIMAL
            break
        # a certificate of primal infeasibility: y, z with A'y + G'z = 0, b'y + h'z < 0
        byhz = _dot(P.b, W.y) + _dot(P.h, W.z)
        if byhz < 0.0:
            for j in range(P.dims[D_NVAR]):
                W.dx[j] = W.rx[j] - P.c[j] * tau
            if _norm_inf(W.dx) / -byhz < FEASTOL * 10:
                status = INFEASIBLE
                break
        if it == MAX_ITERS:
            status = MAX_ITER
            break
        if k == budget:
            break
        scaling(P, W)
        _assemble(P, W)
        _factor(W)
        # the tau column: K (x1, y1, z1) = (-c, b, h)
        for j in range(P.dims[D_NVAR]):
            W.dx[j] = -P.c[j]
        W.info[I_REFINE] += _kkt_solve(P, W, W.dx, P.b, P.h, W.x1, W.y1, W.z1, True)
        dt1 = _dot(P.c, W.x1) + _dot(P.b, W.y1) + _dot(P.h, W.z1) - kappa / tau
        # predictor: dsig = -lam o lam, dk = -tau kappa
        _prod(P, W.lam, W.lam, W.t1)
        for r in range(P.dims[D_NROW]):
            W.t1[r] = -W.t1[r]
        dtau = _direction(P, W, tau, kappa, W.t1, -tau * kappa, 1.0, dt1, PREDICTOR_REFINE)
        dkappa = -kappa - kappa * dtau / tau
        a = min(_max_step(P, W.s, W.ds), _max_step(P, W.z, W.dz))
        if dtau < 0.0:
            a = min(a, -tau / dtau)
        if dkappa < 0.0:
            a = min(a, -kappa / dkappa)
        a = min(a, 1.0)
        sigma = (1.0 - a) ** 3
        # corrector: dsig = -lam o lam - (W^-1 ds_a) o (W dz_a) + sigma mu e
        _apply(P, W, W.ds, W.dsa, -1)
        _apply(P, W, W.dz, W.dza, 1)
        _prod(P, W.dsa, W.dza, W.t3)
        _prod(P, W.lam, W.lam, W.t1)
        for r in range(P.dims[D_NROW]):
            W.t1[r] = -W.t1[r] - W.t3[r]
        for i in range(P.dims[D_NLIN]):
            W.t1[i] += sigma * mu
        for q in range(P.dims[D_NSOC]):
            W.t1[P.soc_start[q]] += sigma * mu
        dk = -tau * kappa - dkappa * dtau + sigma * mu
        dtau = _direction(P, W, tau, kappa, W.t1, dk, 1.0 - sigma, dt1, True)
        dkappa = (dk - kappa * dtau) / tau
        a = min(_max_step(P, W.s, W.ds), _max_step(P, W.z, W.dz))
        if dtau < 0.0:
            a = min(a, -tau / dtau)
        if dkappa < 0.0:
            a = min(a, -kappa / dkappa)
        a = min(STEP * a, 1.0)
        for j in range(P.dims[D_NVAR]):
            W.x[j] += a * W.dx[j]
        for i in range(P.dims[D_NEQ]):
            W.y[i] += a * W.dy[i]
        for r in range(P.dims[D_NROW]):
            W.z[r] += a * W.dz[r]
            W.s[r] += a * W.ds[r]
        tau += a * dtau
        kappa += a * dkappa
        it += 1
    W.info[I_TAU] = tau
    W.info[I_KAPPA] = kappa
    W.info[I_ITER] = it
    if status == RUNNING:
        return RUNNING
    if status == OPTIMAL:
        for j in range(P.dims[D_NVAR]):
            W.x[j] /= tau
        for i in range(P.dims[D_NEQ]):
            W.y[i] /= tau
        for r in range(P.dims[D_NROW]):
            W.z[r] /= tau
            W.s[r] /= tau
    W.info[I_STATUS] = status
    return status


@kernel
def _fuel(P, W, state, lim, tf):
    """Delta-v [m/s] of the optimum with final time tf, or inf when there is none."""
    fill(P, state, lim, tf)
    if solve(P, W, False) != OPTIMAL:
        return np.inf
    return W.info[I_PCOST] * P.scale[SC_L] / P.scale[SC_T]


@kernel
def search_final_time(P, W, state, lim, lo, hi, iters):
    """Golden-section search of the final time in [lo, hi] s for the least propellant (an
    infeasible time counts as infinite; the fuel is unimodal in tf over the feasible range).
    Returns (tf, delta-v); P and W are left solved at that tf.  Delta-v inf: none feasible."""
    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c = b - g * (b - a)
    d = a + g * (b - a)
    fc = _fuel(P, W, state, lim, c)
    fd = _fuel(P, W, state, lim, d)
    for _ in range(iters):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = _fuel(P, W, state, lim, c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = _fuel(P, W, state, lim, d)
    tf = c if fc <= fd else d
    return tf, _fuel(P, W, state, lim, tf)
