"""The descent's SOCP (gnc.core.pdg.problem) handed to reference solvers, and the random
instances the tests and the bench share.  Test and bench only: the reference solvers never fly.

Clarabel, ECOS and QOCO are called through their own Python APIs on the same matrices our
solver reads, so a comparison times the solvers, not a modelling layer."""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from gnc.core.pdg import problem as pr

G_MOON = 1.62
G0 = 9.80665


def limits(*, tmin=1500.0, tmax=7500.0, isp=315.0, glide_deg=10.0, point_deg=60.0, m_dry=1300.0,
           rate_deg_s=4.0, throttle_rate=0.5, point_end_deg=0.0) -> np.ndarray:
    """The vehicle's limits (LIM_*): a Chang'e-class lander's engine, 1500-7500 N (point_end_deg
    0: the last interval's pointing limit is point_deg)."""
    lim = np.zeros(pr.N_LIM)
    lim[pr.LIM_TMIN], lim[pr.LIM_TMAX], lim[pr.LIM_ISP] = tmin, tmax, isp
    lim[pr.LIM_GLIDE], lim[pr.LIM_POINT] = math.radians(glide_deg), math.radians(point_deg)
    lim[pr.LIM_MDRY], lim[pr.LIM_G], lim[pr.LIM_G0] = m_dry, G_MOON, G0
    lim[pr.LIM_RATE] = math.radians(rate_deg_s)
    lim[pr.LIM_THROTTLE_RATE] = throttle_rate
    lim[pr.LIM_POINT_END] = math.radians(point_end_deg)
    return lim


def state(r, v, m, rf=(0.0, 0.0, 0.0), vf=(0.0, 0.0, 0.0)) -> np.ndarray:
    st = np.zeros(pr.N_ST)
    st[pr.ST_R:pr.ST_R + 3], st[pr.ST_V:pr.ST_V + 3], st[pr.ST_M] = r, v, m
    st[pr.ST_RF:pr.ST_RF + 3], st[pr.ST_VF:pr.ST_VF + 3] = rf, vf
    return st


def random_instance(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A terminal-descent start (the approach: 0.5-2.5 km up, up to ~1.5 km across, inside
    the glide cone) and a final time around the rough free-fall-and-brake figure."""
    alt = rng.uniform(500.0, 2500.0)
    cross = rng.uniform(0.0, 0.9) * alt / math.tan(math.radians(10.0))
    cross = min(cross, 1500.0)
    az = rng.uniform(0.0, 2.0 * math.pi)
    r = (cross * math.cos(az), cross * math.sin(az), alt)
    v = (rng.uniform(-40.0, 40.0), rng.uniform(-40.0, 40.0), rng.uniform(-40.0, 0.0))
    m = rng.uniform(1700.0, 2300.0)
    tf = rng.uniform(1.2, 2.0) * math.sqrt(2.0 * math.hypot(alt, cross) / 1.0)
    return state(r, v, m), tf


def random_mixed_instance(rng: np.random.Generator) -> tuple[np.ndarray, float, np.ndarray]:
    """A random_instance made hard half the time, (state, tf, limits): a final time cut to
    0.25-0.7 of its draw, or a dry mass leaving 5-120 kg of propellant, so that a good share
    is infeasible (which ones, Clarabel says)."""
    st, tf = random_instance(rng)
    lim = limits()
    kind = rng.integers(3)
    if kind == 1:
        tf *= rng.uniform(0.25, 0.7)
    elif kind == 2:
        lim[pr.LIM_MDRY] = st[pr.ST_M] - rng.uniform(5.0, 120.0)
    return st, tf, lim


def draws(seed: int, count: int, mixed: bool = False):
    """count random instances from seed, each (N, state, tf, limits) with N in 20..80 nodes:
    random_instance's (mixed: random_mixed_instance's), the tests' and benches' draws."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        N = int(rng.integers(20, 81))
        if mixed:
            st, tf, lim = random_mixed_instance(rng)
        else:
            (st, tf), lim = random_instance(rng), limits()
        yield N, st, tf, lim


def along(P: pr.Socp, x: np.ndarray, st: np.ndarray, lim: np.ndarray, t: float) -> np.ndarray:
    """The state t seconds along the plan x that P (filled from st) solved: its held
    acceleration integrated under gravity, the mass by the rocket equation; st's target."""
    sol = pr.unscale(P, x)
    dt = sol["t"][1]
    k = min(int(t // dt), len(sol["u"]) - 1)
    tk = t - k * dt
    acc = sol["u"][k] + np.array([0.0, 0.0, -lim[pr.LIM_G]])
    m = sol["m"][k] * math.exp(-sol["sigma"][k] * tk / (lim[pr.LIM_ISP] * lim[pr.LIM_G0]))
    return state(sol["r"][k] + sol["v"][k] * tk + 0.5 * acc * tk * tk, sol["v"][k] + acc * tk, m,
                 st[pr.ST_RF:pr.ST_RF + 3], st[pr.ST_VF:pr.ST_VF + 3])


def matrices(P: pr.Socp):
    """(c, A, b, G, h, l, soc dims) as scipy CSC / numpy."""
    n, p, m, nl = (int(P.dims[i]) for i in (pr.D_NVAR, pr.D_NEQ, pr.D_NROW, pr.D_NLIN))
    A = sp.csr_matrix((P.a_val[:P.a_ptr[p]].copy(), P.a_idx[:P.a_ptr[p]].copy(), P.a_ptr.copy()), shape=(p, n))
    G = sp.csr_matrix((P.g_val[:P.g_ptr[m]].copy(), P.g_idx[:P.g_ptr[m]].copy(), P.g_ptr.copy()), shape=(m, n))
    return P.c.copy(), A.tocsc(), P.b.copy(), G.tocsc(), P.h.copy(), nl, [int(d) for d in P.soc_dim]


def violation(P: pr.Socp, x: np.ndarray) -> float:
    """Relative violation of A x = b and of h - G x in the cones by x, in P's data."""
    c, A, b, G, h, nl, q = matrices(P)
    eq = np.abs(A @ x - b).max() / (1.0 + np.abs(b).max())
    sl = h - G @ x
    worst = max(0.0, -sl[:nl].min())
    for a, d in zip(P.soc_start, P.soc_dim):
        worst = max(worst, np.linalg.norm(sl[a + 1:a + d]) - sl[a])
    return max(eq, worst / (1.0 + np.abs(h).max()))


def clarabel_solver(P: pr.Socp, **settings):
    """A Clarabel solver object for P (call .solve()); its x is in P's scaling."""
    import clarabel
    c, A, b, G, h, nl, q = matrices(P)
    n = len(c)
    cones = [clarabel.ZeroConeT(len(b)), clarabel.NonnegativeConeT(nl)] + [clarabel.SecondOrderConeT(d) for d in q]
    s = clarabel.DefaultSettings()
    s.verbose = False
    for k, v in settings.items():
        setattr(s, k, v)
    return clarabel.DefaultSolver(sp.csc_matrix((n, n)), c, sp.vstack([A, G]).tocsc(), np.concatenate([b, h]),
                                  cones, s)


def ecos_solve(P: pr.Socp):
    import ecos
    c, A, b, G, h, nl, q = matrices(P)
    return ecos.solve(c, G, h, {"l": nl, "q": q}, A, b, verbose=False)


def qoco_solver(P: pr.Socp):
    import qoco
    c, A, b, G, h, nl, q = matrices(P)
    n = len(c)
    solver = qoco.QOCO()
    solver.setup(n, len(h), len(b), sp.csc_matrix((n, n)), c, A, b, G, h, nl, len(q), np.array(q, np.int64),
                 verbose=0)
    return solver
