"""The fuel-optimal powered-descent law (guidance.law = "pdg"): gnc.core.pdg's solver flown
by the descent's flight software (docs/guidance_pdg.md).

It flies two arcs of Chang'e's phases and leaves the rest to them (gnc.core.fsw.descent):

    approach  from approach_alt to the hover point, at rest (arc 1)
    divert    from the end of the hover to avoid_alt over the hazard unit's site (or the
              target), descending at slow_rate (arc 2): obstacle avoidance's arc

Each arc is planned when it starts, its final time searched (a grid, then a golden section
about its best point), and re-planned every replan_s from the navigation estimate, warm
from the last optimum, with the final time the plan had left.  Between plans the command is
the plan's held thrust acceleration at the current node, corrected for the gravity the
plan's flat model lacks, plus feedback on the deviation from the plan's state; then shaped
by the engine's range and the tilt limit as every phase's is.  The arc ends where its plan
ends: the phase's time-to-go (FS_TGO) is the plan's, so Chang'e's own transitions (hover at
4 s, slow descent at 5 s) fire there.  The last REPLAN_MIN_S of a plan are followed, not
re-planned (the problem degenerates as the final time shrinks).

Planning may be spread over steps (PG_STEP_ITERS, guidance.pdg_step_iters: the solver
iterations a step may spend, a board's real-time budget; 0, the host's default, ends every
plan in the step it starts): a search or re-plan is a job carried from step to step, its
solve's iterate in the workspace; the plan in hand is followed meanwhile, and an arc flies the
default law until its first plan.  The plan starts from the state the job started from; a
search that ran past its step re-plans warm from the present state before it is kept.

A plan that ends without an optimum (status != OPTIMAL) never commands: it is counted, the
previous plan is followed and the next re-plan searches the final time afresh (cold); an arc
with no plan, FAIL_MAX failures in a row, or flown longer than the longest plan its search may
choose (TF_HI times its nominal time: failed re-plans kept moving its end) is handed to the
default law (fallback, counted), with its own time-to-go in the first case and `fallback_tgo`
in the others.

State: the region of the flight-software state after its FS_LEN fields (layout PG below,
then the plan, then the solver's problem and workspace, laid out by `allocate` once when
the flight software is set up; `views` rebuilds the solver's tuples on that memory, no
allocation).  The C flight build's twin, csrc/pdg_law.c (flown by csrc/fsw_step_pdg.c, set
up by gnc.core.fsw_c.pdg_allocate), keeps the same PG block and plan and puts its solver's
structs (csrc/pdg.h) where this module puts the arrays; a board lays it out from the config
(protocol 7 on; csrc/firmware/common/hil_protocol.c).
"""
import math

import numpy as np

from gnc.core import vec
from gnc.core.fsw import descent, guidance
from gnc.core.jit import kernel
from gnc.core.layout import (AF_PLAN_FAILURES, AF_PLAN_FALLBACKS, AF_PLAN_ITER_MAX, AF_PLAN_ITERS, AF_PLAN_SOLVES,
                             AF_PLAN_STEP_ITER_MAX, CF_APPROACH_TIME, CF_ATT_RATE_MAX, CF_AVOID_TIME, CF_HOVER_ALT,
                             CF_ISP, CF_MAX_TILT, CF_POS_BW, CF_SLOW_RATE, CF_THRUST_MAX, CF_THRUST_MIN, FS_AIM, FS_LEN,
                             FS_TGO, FS_T_PHASE, PHASE_APPROACH, PHASE_OBSTACLE_AVOIDANCE)
from gnc.core.pdg import problem as pr
from gnc.core.pdg import solver as so
from gnc.core.pdg.problem import N_LIM, N_SC, N_ST

# --- layout PG (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the fuel-optimal law's region of the flight-software state after its FS_LEN fields: these scalars, the plan (PN_LEN a
# node), the solver's problem and workspace (numba: gnc.core.pdg's arrays; C: csrc/pdg.h's structs)
PG_NODES = 0            # plan nodes N (fixed: the workspace is laid out for it)
PG_REPLAN_S = 1         # s: re-plan cadence
PG_GLIDE = 2            # rad: glide-slope angle above the target's horizon
PG_POINT = 3            # rad: thrust-pointing limit from the vertical
PG_M_DRY = 4            # kg: dry mass: the plan's propellant floor
PG_T_LO = 5             # the plan's thrust range as fractions of the engine's: lower bound over thrust_min
PG_T_HI = 6             # upper bound over thrust_max (the rest is feedback's)
PG_ARC = 7              # arc flown: 0 none, 1 approach to the hover point, 2 divert to the site
PG_FALLBACK = 8         # 1: this arc is flown by the default law (a plan failed)
PG_T_PLAN = 9           # s: epoch of the current plan's first node
PG_TF = 10              # s: the current plan's length
PG_T_NEXT = 11          # s: time of the next re-plan
PG_WARM = 12            # 1: the workspace holds the last optimum (a warm start)
PG_FAILS = 13           # failed plans in a row
PG_RF = 14              # [3] m: the arc's target, landing frame
PG_VF = 17              # [3] m/s: the arc's target velocity
PG_SOLVES = 20          # solves so far (a final-time search's included)
PG_FAILURES = 21        # plans that ended without an optimum (status != OPTIMAL)
PG_ITERS = 22           # interior-point iterations over all solves
PG_ITER_MAX = 23        # most iterations of one solve
PG_FALLBACKS = 24       # arcs handed to the default law
PG_STATUS = 25          # status of the last plan (gnc.core.pdg.solver)
PG_DIVERT = 26          # 1: the law flies the divert arc too (guidance.pdg_divert), 0: obstacle avoidance stays
                        # Chang'e's
PG_NNZ_K = 27           # entries of K above its diagonal
PG_NNZ_L = 28           # entries of L
PG_STEP_ITERS = 29      # interior-point iterations one step may spend on planning, a solve's start counted as one
                        # (guidance.pdg_step_iters; 0: no limit, a plan ends in the step it starts)
PG_STEP_ITER_MAX = 30   # most iterations one step spent on planning
PG_JOB = 31             # planning under way: 0 none, 1 a final-time search, 2 a plan at a known final time
PG_T_JOB = 32           # s: epoch of the navigation state the job plans from
PG_SOLVING = 33         # 1: a solve is begun and not ended (the workspace carries it to the next step)
PG_S_TF = 34            # s: final time of the job's solve
PG_STAGE = 35           # the search's stage: SEARCH_GRID grid points, two golden-section points, SEARCH_GOLDEN golden-
                        # section steps, the final solve
PG_S_LO = 36            # s: the search's first grid point
PG_S_STEP = 37          # s: the search's grid step
PG_S_BEST = 38          # s: the best grid point so far (0: none feasible)
PG_S_FBEST = 39         # m/s: its delta-v (NO_COST: none)
PG_S_A = 40             # s: the golden section's bracket: low end
PG_S_C = 41             # s: high end
PG_S_X1 = 42            # s: its lower point
PG_S_X2 = 43            # s: its upper point
PG_S_F1 = 44            # m/s: delta-v at s_x1 (NO_COST: infeasible)
PG_S_F2 = 45            # m/s: delta-v at s_x2
PG_S_WHICH = 46         # the golden-section point being solved: 1 s_x1, 2 s_x2
PG_LIM = 47             # [N_LIM] the problem's limits (gnc.core.pdg.problem LIM_*), written at each plan
PG_ST = PG_LIM + N_LIM  # [N_ST] its start and target (ST_*)
PG_LEN = PG_ST + N_ST
# --- end layout PG ---

# a plan node: position, velocity, mass, held thrust acceleration (landing frame, SI)
PN_R, PN_V, PN_M, PN_U = 0, 3, 6, 7
PN_LEN = 10
ARC_NONE, ARC_APPROACH, ARC_DIVERT = 0, 1, 2
REPLAN_MIN_S = 5.0     # s: the last seconds of a plan are followed, not re-planned
FAIL_MAX = 3           # failed plans in a row before the arc goes to the default law
SEARCH_GRID = 8        # final-time search: grid points over [TF_LO, TF_HI] x the arc's nominal time
SEARCH_GOLDEN = 10     # then golden-section steps about the best grid point
TF_LO, TF_HI = 0.3, 2.0
STAGE_FINAL = SEARCH_GRID + 2 + SEARCH_GOLDEN   # the search's stages: the grid, x1 and x2, the golden steps, the final solve
JOB_NONE, JOB_SEARCH, JOB_PLAN = 0.0, 1.0, 2.0
NO_COST = 1e30         # the cost of a final time with no optimum: above any propellant, in a float build's range too
ZETA = 0.9             # damping of the feedback on the deviation from the plan
HANDOVER_S = (0.0, 4.0, 5.0)   # by arc: the time-to-go at which Chang'e's phase logic ends it
RATE_SHARE = 0.6       # the plan turns the thrust at this share of the attitude loop's rate limit (the rest: feedback)
THROTTLE_RATE = 0.25   # 1/s: the plan's throttle ramps by at most this fraction a second
POINT_END = math.radians(2.0)   # rad: the plan's last interval points the thrust within this of the vertical


@kernel
def _f(fs, o, n):
    return fs[o:o + n], o + n


@kernel
def _i(fs, o, n):
    return fs[o:o + n].view(np.int64), o + n


@kernel
def _u(fs, o, n):
    return fs[o:o + n].view(np.uint64), o + n


@kernel
def views(fs):
    """The solver's problem and workspace (gnc.core.pdg Socp, Work) as views of fs's PDG
    region, and the offset where the region ends; the order is the tuples' own."""
    b = FS_LEN
    N = int(fs[b + PG_NODES])
    n, p, m, _, nsoc = pr.sizes(N)
    nk = n + p + m
    nnz_k = int(fs[b + PG_NNZ_K])
    nnz_l = int(fs[b + PG_NNZ_L])
    o = b + PG_LEN + PN_LEN * N
    c, o = _f(fs, o, n)
    bb, o = _f(fs, o, p)
    h, o = _f(fs, o, m)
    a_ptr, o = _i(fs, o, p + 1)
    a_idx, o = _i(fs, o, 4 * p)
    a_val, o = _f(fs, o, 4 * p)
    g_ptr, o = _i(fs, o, m + 1)
    g_idx, o = _i(fs, o, 3 * m)
    g_val, o = _f(fs, o, 3 * m)
    soc_start, o = _i(fs, o, nsoc)
    soc_dim, o = _i(fs, o, nsoc)
    dims, o = _i(fs, o, 7)
    scale, o = _f(fs, o, N_SC)
    cols, o = _i(fs, o, 4)
    vals, o = _f(fs, o, 4)
    P = pr.Socp(c, bb, h, a_ptr, a_idx, a_val, g_ptr, g_idx, g_val, soc_start, soc_dim, dims, scale, cols, vals)
    x, o = _f(fs, o, n)
    y, o = _f(fs, o, p)
    z, o = _f(fs, o, m)
    s, o = _f(fs, o, m)
    dx, o = _f(fs, o, n)
    dy, o = _f(fs, o, p)
    dz, o = _f(fs, o, m)
    ds, o = _f(fs, o, m)
    x1, o = _f(fs, o, n)
    y1, o = _f(fs, o, p)
    z1, o = _f(fs, o, m)
    dza, o = _f(fs, o, m)
    dsa, o = _f(fs, o, m)
    rx, o = _f(fs, o, n)
    ry, o = _f(fs, o, p)
    rz, o = _f(fs, o, m)
    lam, o = _f(fs, o, m)
    wbar, o = _f(fs, o, m)
    eta, o = _f(fs, o, nsoc)
    t1, o = _f(fs, o, m)
    t2, o = _f(fs, o, m)
    t3, o = _f(fs, o, m)
    kz, o = _f(fs, o, m)
    kw, o = _f(fs, o, m)
    pos, o = _u(fs, o, nk)
    sign, o = _f(fs, o, nk)
    kd, o = _f(fs, o, nk)
    kx, o = _f(fs, o, nnz_k)
    a_slot, o = _u(fs, o, 4 * p)
    g_slot, o = _u(fs, o, 3 * m)
    c_slot, o = _u(fs, o, pr.cone_pairs(N))
    kp, o = _u(fs, o, nk + 1)
    ki, o = _u(fs, o, nnz_k)
    etree, o = _u(fs, o, nk)
    lp, o = _u(fs, o, nk + 1)
    li, o = _u(fs, o, nnz_l)
    lx, o = _f(fs, o, nnz_l)
    d, o = _f(fs, o, nk)
    lnext, o = _u(fs, o, nk)
    yv, o = _f(fs, o, nk)
    yidx, o = _u(fs, o, nk)
    ebuf, o = _u(fs, o, nk)
    mark, o = _u(fs, o, nk)
    kb, o = _f(fs, o, nk)
    ks, o = _f(fs, o, nk)
    kr, o = _f(fs, o, nk)
    kc, o = _f(fs, o, nk)
    info, o = _f(fs, o, so.N_INFO)
    W = so.Work(x, y, z, s, dx, dy, dz, ds, x1, y1, z1, dza, dsa, rx, ry, rz, lam, wbar, eta, t1, t2, t3, kz, kw,
                pos, sign, kd, kx, a_slot, g_slot, c_slot, kp, ki, etree, lp, li, lx, d, lnext, yv, yidx, ebuf, mark,
                kb, ks, kr, kc, info)
    return P, W, o


def allocate(nodes: int, replan_s: float, glide: float, point: float, m_dry: float, divert: bool = False,
             t_lo: float = 1.1, t_hi: float = 0.9, step_iters: int = 0) -> np.ndarray:
    """A flight-software state row with the PDG region, its problem and workspace laid out
    for `nodes` nodes (the solver's symbolic step runs here, once); fsw_reset clears only
    the first FS_LEN fields.  Python: the flight software's set-up, not a step."""
    lim = np.zeros(N_LIM)
    lim[pr.LIM_TMIN], lim[pr.LIM_TMAX], lim[pr.LIM_ISP], lim[pr.LIM_G0] = 1500.0, 7500.0, 3000.0, 1.0
    lim[pr.LIM_GLIDE], lim[pr.LIM_POINT], lim[pr.LIM_MDRY], lim[pr.LIM_G] = glide, point, 1.0, 1.62
    lim[pr.LIM_RATE], lim[pr.LIM_THROTTLE_RATE] = 0.1, THROTTLE_RATE
    st = np.zeros(N_ST)
    st[pr.ST_R:pr.ST_R + 3], st[pr.ST_M] = (100.0, 0.0, 1000.0), 2000.0
    P, W = so.setup(nodes, st, lim, 60.0)            # the pattern: the same for every problem of N nodes
    total = FS_LEN + PG_LEN + PN_LEN * nodes + sum(a.size for a in P) + sum(a.size for a in W)
    fs = np.zeros(total)
    b = FS_LEN
    fs[b + PG_NODES], fs[b + PG_REPLAN_S], fs[b + PG_GLIDE], fs[b + PG_POINT] = nodes, replan_s, glide, point
    fs[b + PG_M_DRY], fs[b + PG_T_LO], fs[b + PG_T_HI] = m_dry, t_lo, t_hi
    fs[b + PG_DIVERT] = 1.0 if divert else 0.0
    fs[b + PG_STEP_ITERS] = step_iters
    fs[b + PG_NNZ_K], fs[b + PG_NNZ_L] = W.ki.size, W.li.size
    P2, W2, end = views(fs)
    if end != total:
        raise AssertionError(f"PDG region laid out to {end}, allocated {total}")
    for mine, theirs in ((P2, P), (W2, W)):
        for name, a, b_ in zip(theirs._fields, mine, theirs):
            if a.shape != b_.shape or a.dtype != b_.dtype:
                raise AssertionError(f"PDG region field {name}: {a.dtype}{a.shape} against {b_.dtype}{b_.shape}")
            a[...] = b_
    return fs


# the solver's counters in the PG block (COUNTED) and their copies in the actuator frame
# (REPORTED), pair by pair: solves, failures, iterations, most iterations of one solve, fallbacks,
# most iterations one step spent planning
COUNTED = (PG_SOLVES, PG_FAILURES, PG_ITERS, PG_ITER_MAX, PG_FALLBACKS, PG_STEP_ITER_MAX)
REPORTED = (AF_PLAN_SOLVES, AF_PLAN_FAILURES, AF_PLAN_ITERS, AF_PLAN_ITER_MAX, AF_PLAN_FALLBACKS,
            AF_PLAN_STEP_ITER_MAX)


def counters(fs: np.ndarray) -> tuple:
    """The counters so far (COUNTED's order), from a state row."""
    return tuple(int(fs[FS_LEN + i]) for i in COUNTED)


def reported(af: np.ndarray) -> tuple:
    """The same counters (COUNTED's order) from an actuator frame: a board's are seen by the
    host only there."""
    return tuple(int(af[i]) for i in REPORTED)


@kernel
def report(fs, af):
    """The counters into the actuator frame (AF_PLAN_*)."""
    for k in range(len(COUNTED)):
        af[REPORTED[k]] = fs[FS_LEN + COUNTED[k]]


@kernel
def _counted(fs, W):
    """A solve has ended: its status, counted."""
    b = FS_LEN
    it = W.info[so.I_ITER]
    fs[b + PG_SOLVES] += 1.0
    fs[b + PG_ITERS] += it
    fs[b + PG_ITER_MAX] = max(fs[b + PG_ITER_MAX], it)
    return int(W.info[so.I_STATUS])


@kernel
def _search_took(fs, P, W, status):
    """A solve of the final-time search has ended: record it and set the next one's final
    time.  The search: the best of a grid over [TF_LO, TF_HI] x nominal, then a golden section
    about it (the propellant is unimodal in tf where feasible; an infeasible tf costs
    NO_COST), then a solve at the best time, whose optimum W keeps.  Returns 0 (go on), 1 (W
    holds the optimum at s_tf), -1 (none feasible)."""
    b = FS_LEN
    stage = int(fs[b + PG_STAGE])
    tf = fs[b + PG_S_TF]
    f = W.info[so.I_PCOST] * P.scale[pr.SC_L] / tf if status == so.OPTIMAL else NO_COST
    g = (math.sqrt(5.0) - 1.0) / 2.0
    if stage < SEARCH_GRID:
        if status == so.OPTIMAL and f < fs[b + PG_S_FBEST]:
            fs[b + PG_S_BEST], fs[b + PG_S_FBEST] = tf, f
        stage += 1
        fs[b + PG_STAGE] = stage
        if stage < SEARCH_GRID:
            fs[b + PG_S_TF] = fs[b + PG_S_LO] + stage * fs[b + PG_S_STEP]
            return 0
        best = fs[b + PG_S_BEST]
        if best == 0.0:
            return -1
        a, c = max(best - fs[b + PG_S_STEP], 1.0), best + fs[b + PG_S_STEP]
        fs[b + PG_S_A], fs[b + PG_S_C] = a, c
        fs[b + PG_S_X1], fs[b + PG_S_X2] = c - g * (c - a), a + g * (c - a)
        fs[b + PG_S_TF] = fs[b + PG_S_X1]
        return 0
    if stage == STAGE_FINAL:
        return 1 if status == so.OPTIMAL else -1
    if stage == SEARCH_GRID:
        fs[b + PG_S_F1] = f
        fs[b + PG_STAGE] = stage + 1
        fs[b + PG_S_TF] = fs[b + PG_S_X2]
        return 0
    if stage == SEARCH_GRID + 1 or fs[b + PG_S_WHICH] == 2.0:
        fs[b + PG_S_F2] = f
    else:
        fs[b + PG_S_F1] = f
    stage += 1
    fs[b + PG_STAGE] = stage
    a, c = fs[b + PG_S_A], fs[b + PG_S_C]
    x1, x2, f1, f2 = fs[b + PG_S_X1], fs[b + PG_S_X2], fs[b + PG_S_F1], fs[b + PG_S_F2]
    if stage < STAGE_FINAL:
        if f1 <= f2:
            c, x2, f2 = x2, x1, f1
            x1 = c - g * (c - a)
            fs[b + PG_S_TF], fs[b + PG_S_WHICH] = x1, 1.0
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + g * (c - a)
            fs[b + PG_S_TF], fs[b + PG_S_WHICH] = x2, 2.0
        fs[b + PG_S_A], fs[b + PG_S_C] = a, c
        fs[b + PG_S_X1], fs[b + PG_S_X2], fs[b + PG_S_F1], fs[b + PG_S_F2] = x1, x2, f1, f2
        return 0
    tf = x1 if f1 <= f2 else x2
    if min(f1, f2) > fs[b + PG_S_FBEST]:
        tf = fs[b + PG_S_BEST]
    fs[b + PG_S_TF] = tf
    return 0


@kernel
def _store(fs, P, W, t):
    """The optimum in W as the plan (SI, landing frame) from time t."""
    b = FS_LEN
    N = int(fs[b + PG_NODES])
    L, T, m0 = P.scale[pr.SC_L], P.scale[pr.SC_T], P.scale[pr.SC_M0]
    for k in range(N):
        o = b + PG_LEN + PN_LEN * k
        for i in range(3):
            fs[o + PN_R + i] = P.scale[pr.SC_RF + i] + L * W.x[pr.NV * k + pr.IR + i]
            fs[o + PN_V + i] = W.x[pr.NV * k + pr.IV + i] * L / T
            fs[o + PN_U + i] = W.x[pr.NV * k + pr.IU + i] * L / (T * T) if k < N - 1 else 0.0
        fs[o + PN_M] = m0 * math.exp(W.x[pr.NV * k + pr.IZ])
    fs[b + PG_T_PLAN] = t
    fs[b + PG_TF] = T


@kernel
def _set_start(fs, cfg, r, v, mass, ratio, g_mag):
    """The problem's start (the navigation estimate), target and limits into the region."""
    b = FS_LEN
    st = fs[b + PG_ST:b + PG_ST + N_ST]
    lim = fs[b + PG_LIM:b + PG_LIM + N_LIM]
    for i in range(3):
        st[pr.ST_R + i] = r[i]
        st[pr.ST_V + i] = v[i]
        st[pr.ST_RF + i] = fs[b + PG_RF + i]
        st[pr.ST_VF + i] = fs[b + PG_VF + i]
    st[pr.ST_M] = mass
    # the plan keeps a margin of the engine's range for the feedback (t_lo, t_hi)
    lim[pr.LIM_TMIN] = fs[b + PG_T_LO] * ratio * cfg[CF_THRUST_MIN]
    lim[pr.LIM_TMAX] = fs[b + PG_T_HI] * ratio * cfg[CF_THRUST_MAX]
    lim[pr.LIM_ISP] = cfg[CF_ISP]
    lim[pr.LIM_G0] = 1.0
    lim[pr.LIM_GLIDE] = fs[b + PG_GLIDE]
    lim[pr.LIM_POINT] = fs[b + PG_POINT]
    lim[pr.LIM_MDRY] = fs[b + PG_M_DRY]
    lim[pr.LIM_G] = g_mag
    lim[pr.LIM_RATE] = RATE_SHARE * cfg[CF_ATT_RATE_MAX]
    lim[pr.LIM_THROTTLE_RATE] = THROTTLE_RATE
    lim[pr.LIM_POINT_END] = POINT_END


@kernel
def begin_plan(fs, cfg, t, r, v, mass, ratio, g_mag, search):
    """Start planning from the navigation estimate at t: a final-time search about the time
    `search` (> 0) or a warm re-plan over the time the current plan has left (search = 0).
    `work` carries it on."""
    b = FS_LEN
    _set_start(fs, cfg, r, v, mass, ratio, g_mag)
    fs[b + PG_T_JOB] = t
    fs[b + PG_SOLVING] = 0.0
    if search > 0.0:
        fs[b + PG_JOB] = JOB_SEARCH
        fs[b + PG_STAGE] = 0.0
        fs[b + PG_S_LO] = TF_LO * search
        fs[b + PG_S_STEP] = (TF_HI - TF_LO) * search / (SEARCH_GRID - 1)
        fs[b + PG_S_BEST], fs[b + PG_S_FBEST] = 0.0, NO_COST
        fs[b + PG_S_TF] = fs[b + PG_S_LO]
    else:
        fs[b + PG_JOB] = JOB_PLAN
        fs[b + PG_S_TF] = fs[b + PG_T_PLAN] + fs[b + PG_TF] - t


@kernel
def work(fs, cfg, t, r, v, mass, ratio, g_mag, budget):
    """Carry the planning job on by at most `budget` iterations (a solve's start counted as
    one; 0: to its end).  A search that ends in a later step than the one it began in
    re-plans from the present estimate before its plan is kept (warm from its optimum, over
    the time it found), so no plan starts from a state older than one solve.  Returns 0 (under
    way), 1 (a new plan: stored) or -1 (no optimum: counted; the old plan stands)."""
    b = FS_LEN
    P, W, _ = views(fs)
    spent = 0
    status = so.RUNNING
    result = 0
    while result == 0:
        if fs[b + PG_SOLVING] == 0.0:
            if budget > 0 and spent >= budget:
                break
            pr.fill(P, fs[b + PG_ST:b + PG_ST + N_ST], fs[b + PG_LIM:b + PG_LIM + N_LIM], fs[b + PG_S_TF])
            status = so.solve_begin(P, W, fs[b + PG_JOB] == JOB_PLAN and fs[b + PG_WARM] > 0.0)
            spent += 1
            fs[b + PG_SOLVING] = 1.0
        if status == so.RUNNING:
            n = so.MAX_ITERS + 1 if budget == 0 else budget - spent
            if n <= 0:
                break
            before = W.info[so.I_ITER]
            status = so.solve_iterate(P, W, n)
            spent += int(W.info[so.I_ITER] - before)
            if status == so.RUNNING:
                break
        fs[b + PG_SOLVING] = 0.0
        status = _counted(fs, W)
        if fs[b + PG_JOB] == JOB_SEARCH:
            result = _search_took(fs, P, W, status)
        else:
            result = 1 if status == so.OPTIMAL else -1
        if result == 1 and fs[b + PG_JOB] == JOB_SEARCH and fs[b + PG_T_JOB] < t:
            # over the searched time from now, not the time it has left: the fuel optimum sits
            # at the least feasible final time, and the state has moved on under another
            # command (seed 0 at 10 Hz: 80.95 s left, 81.10 s the least feasible)
            _set_start(fs, cfg, r, v, mass, ratio, g_mag)
            fs[b + PG_JOB] = JOB_PLAN
            fs[b + PG_T_JOB] = t
            fs[b + PG_WARM] = 1.0
            result = 0
    fs[b + PG_STEP_ITER_MAX] = max(fs[b + PG_STEP_ITER_MAX], spent)
    if result == 0:
        return 0
    fs[b + PG_JOB] = JOB_NONE
    fs[b + PG_STATUS] = W.info[so.I_STATUS]
    fs[b + PG_T_NEXT] = fs[b + PG_T_JOB] + fs[b + PG_REPLAN_S]
    if result > 0:
        _store(fs, P, W, fs[b + PG_T_JOB])
        fs[b + PG_WARM] = 1.0
        fs[b + PG_FAILS] = 0.0
    else:
        fs[b + PG_FAILURES] += 1.0
        fs[b + PG_FAILS] += 1.0
        fs[b + PG_WARM] = 0.0
    return result


@kernel
def plan_arc(fs, cfg, t, r, v, mass, ratio, g_mag, search):
    """Plan from the navigation estimate to the end, in this call (begin_plan, then work with
    no budget).  Returns True with a new plan, False (counted) when the solve found no
    optimum: the old plan stands."""
    begin_plan(fs, cfg, t, r, v, mass, ratio, g_mag, search)
    return work(fs, cfg, t, r, v, mass, ratio, g_mag, 0) > 0


@kernel
def plan_state(fs, t):
    """The plan at t: position, velocity (its node's state carried on under the node's held
    thrust and the plan's flat gravity), the held thrust acceleration and that gravity."""
    b = FS_LEN
    N = int(fs[b + PG_NODES])
    tau = min(max(t - fs[b + PG_T_PLAN], 0.0), fs[b + PG_TF])
    dtn = fs[b + PG_TF] / (N - 1)
    k = min(int(tau / dtn), N - 2)
    s = tau - k * dtn
    o = b + PG_LEN + PN_LEN * k
    g_p = (0.0, 0.0, -fs[b + PG_LIM + pr.LIM_G])
    u = vec.load3(fs, o + PN_U)
    acc = vec.add(u, g_p)
    rp = vec.add(vec.add(vec.load3(fs, o + PN_R), vec.scale(vec.load3(fs, o + PN_V), s)), vec.scale(acc, 0.5 * s * s))
    vp = vec.add(vec.load3(fs, o + PN_V), vec.scale(acc, s))
    return rp, vp, u, g_p


@kernel
def _follow(fs, cfg, t, r, v, g):
    """The plan's held thrust acceleration at t, corrected from the plan's flat gravity to
    the apparent one, plus feedback on the deviation from the plan's state."""
    rp, vp, u, g_p = plan_state(fs, t)
    w = cfg[CF_POS_BW]
    fb = vec.add(vec.scale(vec.sub(rp, r), w * w), vec.scale(vec.sub(vp, v), 2.0 * ZETA * w))
    return vec.add(vec.add(u, vec.sub(g_p, g)), fb)


@kernel
def start_arc(fs, cfg, arc):
    b = FS_LEN
    fs[b + PG_ARC] = arc
    fs[b + PG_FALLBACK] = 0.0
    fs[b + PG_FAILS] = 0.0
    fs[b + PG_WARM] = 0.0
    fs[b + PG_TF] = 0.0         # no plan yet: the default law flies until the first is found
    fs[b + PG_JOB] = JOB_NONE
    if arc == ARC_APPROACH:
        aim = descent.site_point(cfg, fs, cfg[CF_HOVER_ALT])    # the target, or where braking moved it
        vf = 0.0
    else:
        aim = vec.load3(fs, FS_AIM)
        vf = -cfg[CF_SLOW_RATE]
    for i in range(3):
        fs[b + PG_RF + i] = aim[i]
        fs[b + PG_VF + i] = 0.0
    fs[b + PG_VF + 2] = vf


@kernel
def _fall_back(fs):
    b = FS_LEN
    fs[b + PG_FALLBACK] = 1.0
    fs[b + PG_FALLBACKS] += 1.0


@kernel
def fallback_tgo(fs, r, v, nominal):
    """The time-to-go the default law takes over a failed arc with: twice the distance to the
    arc's target over the speed relative to the target's velocity (a constant deceleration's
    arrival), at most the arc's nominal time.  Not the plan's: failed re-plans search the
    final time afresh about the time left, so the plan's end runs out with each failure
    (dispersed seed 2: 799 s -> 977 s), and a long time-to-go lets the default law's approach
    fall into the ground."""
    b = FS_LEN
    d = vec.norm(vec.sub(r, vec.load3(fs, b + PG_RF)))
    closing = max(vec.norm(vec.sub(v, vec.load3(fs, b + PG_VF))), 1e-3)
    return min(2.0 * d / closing, nominal)


@kernel
def step(sf, cfg, fs, af, t):
    """One guidance + control step of the descent with the fuel-optimal law: Chang'e's
    phase logic runs as ever (transitions, and the command of the phases this law leaves to
    it); in the approach and obstacle avoidance the plan's command replaces its own."""
    b = FS_LEN
    pre = descent.prepare(sf, cfg, fs, t)
    a, phase, health = descent.phased(sf, cfg, fs, af, t, pre)
    r, v, g, up, alt, q_lb, mass, ratio, h_ground = pre
    arc = ARC_NONE
    if phase == PHASE_APPROACH:
        arc = ARC_APPROACH
    elif phase == PHASE_OBSTACLE_AVOIDANCE and fs[b + PG_DIVERT] > 0.0:
        arc = ARC_DIVERT
    if arc != ARC_NONE:
        nominal = cfg[CF_APPROACH_TIME] if arc == ARC_APPROACH else cfg[CF_AVOID_TIME]
        g_mag = vec.norm(g)
        if int(fs[b + PG_ARC]) != arc:
            start_arc(fs, cfg, arc)
            begin_plan(fs, cfg, t, r, v, mass, ratio, g_mag, nominal)
        elif fs[b + PG_FALLBACK] == 0.0 and t - fs[FS_T_PHASE] > TF_HI * nominal:
            # the longest plan a search may choose is over, and the arc is not: failed re-plans
            # kept moving its end (dispersed seed 1351535667: a divert swung about its site for
            # 60 s until the propellant ran out)
            _fall_back(fs)
            fs[FS_TGO] = fallback_tgo(fs, r, v, nominal)
        elif fs[b + PG_FALLBACK] == 0.0 and fs[b + PG_JOB] == JOB_NONE:
            ttg = fs[b + PG_T_PLAN] + fs[b + PG_TF] - t
            if t >= fs[b + PG_T_NEXT] and ttg >= REPLAN_MIN_S:
                # after a failure, the final time is searched again about the time left
                retarget = max(ttg, 2.0 * REPLAN_MIN_S) if fs[b + PG_FAILS] > 0.0 else 0.0
                begin_plan(fs, cfg, t, r, v, mass, ratio, g_mag, retarget)
        if fs[b + PG_FALLBACK] == 0.0 and fs[b + PG_JOB] != JOB_NONE:
            if work(fs, cfg, t, r, v, mass, ratio, g_mag, int(fs[b + PG_STEP_ITERS])) < 0:
                if fs[b + PG_TF] == 0.0:
                    _fall_back(fs)      # the arc's first plan: the default law's own time-to-go stands
                elif fs[b + PG_FAILS] >= FAIL_MAX:
                    _fall_back(fs)
                    fs[FS_TGO] = fallback_tgo(fs, r, v, nominal)
        if fs[b + PG_FALLBACK] == 0.0 and fs[b + PG_TF] > 0.0:
            # the arc's time-to-go is the plan's: Chang'e's transitions end the arc with it
            fs[FS_TGO] = fs[b + PG_T_PLAN] + fs[b + PG_TF] - t + HANDOVER_S[arc]
            a = guidance.shape_thrust(_follow(fs, cfg, t, r, v, g), up, ratio * cfg[CF_THRUST_MIN] / mass,
                                      cfg[CF_MAX_TILT])
    report(fs, af)
    return descent.actuate(cfg, fs, af, a, phase, up, q_lb, mass, ratio, health)
