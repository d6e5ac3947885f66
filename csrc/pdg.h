/* Fuel-optimal powered descent (issue #15): the C twin of gnc/core/pdg/ (problem.py: the
 * SOCP's fixed layout and `fill`; solver.py: the homogeneous self-dual interior-point method,
 * sparse LDL' on a pattern fixed once, warm start).  docs/guidance_pdg.md.
 *
 * Fixed memory: the caller owns a pdg_problem and a pdg_work (statics on a board), sized at
 * compile time for at most PDG_N_MAX nodes; nothing is allocated.  In order:
 *     pdg_layout(P, N); pdg_fill(P, state, lim, tf); pdg_workspace(P, W);   once (symbolic step)
 *     pdg_fill(P, ...); pdg_solve(P, W, warm);                              every solve
 * or a solve spread over calls: pdg_solve_begin(P, W, warm), then pdg_solve_iterate(P, W, k)
 * until it returns other than PDG_RUNNING.
 * The solution (scaled, as problem.unscale reads it) is W->x; W->info holds what numba's
 * W.info holds (PDG_I_*). */
#ifndef GNC_PDG_H
#define GNC_PDG_H

#include <stdint.h>

#include "real.h"

/* a firmware build sets its own; where objects are limited to 32 KB (AVR, whose RAM is 8 KB
 * anyway) the default only keeps the file compiling */
#ifndef PDG_N_MAX
#if PTRDIFF_MAX < 65536
#define PDG_N_MAX 4
#else
#define PDG_N_MAX 25
#endif
#endif

/* the layout's sizes for N nodes (problem.sizes): variables, equalities, cone rows, linear
 * rows, cones, KKT order, and the symbolic step's counts: K's entries above the diagonal,
 * L's entries (measured for N = 3..150 by solver.workspace; pdg_workspace checks them) */
#define PDG_NVAR(N) (11 * ((N) - 1) + 7)
#define PDG_NEQ(N) (7 * (N) + 6)
#define PDG_NROW(N) (17 * (N) - 24)
#define PDG_NLIN(N) (4 * (N) - 5)
#define PDG_NSOC(N) (4 * (N) - 6)
#define PDG_NK(N) (35 * (N) - 22)
#define PDG_KNZ(N) (64 * (N) - 68)
#define PDG_LNZ(N) (237 * (N) - 289)
/* entries of the cones' W^2 blocks below their diagonals: 6 per |u| cone, 3 per 3-cone */
#define PDG_CPAIRS(N) (6 * ((N) - 1) + 3 * (3 * (N) - 5))

/* indices: 16 bits hold every one up to N = 139 (L has 237 N - 289 entries) */
#if PDG_N_MAX <= 139
typedef int16_t pdg_idx;
#else
typedef int32_t pdg_idx;
#endif

#define PDG_OPTIMAL 0
#define PDG_INFEASIBLE 1
#define PDG_MAX_ITER 2
#define PDG_BAD_START 3
#define PDG_MAX_ITERS 60        /* iterations a solve may take (solver.MAX_ITERS) */
#define PDG_RUNNING 4           /* begun, its iterations not yet ended (pdg_solve_iterate goes on with it) */

/* limits[], state[], scale[], dims[], info[]: problem.py's LIM_*, ST_*, SC_*, D_* and solver.py's I_* */
#define PDG_N_LIM 11            /* limits[]'s length (problem.N_LIM) */
#define PDG_N_ST 13             /* state[]'s (problem.N_ST) */
#define PDG_LIM_TMIN 0
#define PDG_LIM_TMAX 1
#define PDG_LIM_ISP 2
#define PDG_LIM_GLIDE 3
#define PDG_LIM_POINT 4
#define PDG_LIM_MDRY 5
#define PDG_LIM_G 6
#define PDG_LIM_G0 7
#define PDG_LIM_RATE 8
#define PDG_LIM_THROTTLE_RATE 9
#define PDG_LIM_POINT_END 10
#define PDG_ST_R 0
#define PDG_ST_V 3
#define PDG_ST_M 6
#define PDG_ST_RF 7
#define PDG_ST_VF 10
#define PDG_SC_L 0
#define PDG_SC_T 1
#define PDG_SC_M0 2
#define PDG_SC_ALPHA 3
#define PDG_SC_RF 4
#define PDG_D_N 0
#define PDG_D_NVAR 1
#define PDG_D_NEQ 2
#define PDG_D_NROW 3
#define PDG_D_NLIN 4
#define PDG_D_NSOC 5
#define PDG_D_OK 6
#define PDG_I_STATUS 0
#define PDG_I_ITER 1
#define PDG_I_PCOST 2
#define PDG_I_PRES 3
#define PDG_I_DRES 4
#define PDG_I_GAP 5
#define PDG_I_REFINE 6

/* pdg_layout and pdg_workspace's errors */
#define PDG_ERR_N (-1)          /* N < 3 or N > PDG_N_MAX */
#define PDG_ERR_PATTERN (-2)    /* the KKT pattern exceeds K's or L's room (never seen) */

typedef struct {
    real c[PDG_NVAR(PDG_N_MAX)];
    real b[PDG_NEQ(PDG_N_MAX)];
    real h[PDG_NROW(PDG_N_MAX)];
    pdg_idx a_ptr[PDG_NEQ(PDG_N_MAX) + 1];
    pdg_idx a_idx[4 * PDG_NEQ(PDG_N_MAX)];
    real a_val[4 * PDG_NEQ(PDG_N_MAX)];
    pdg_idx g_ptr[PDG_NROW(PDG_N_MAX) + 1];
    pdg_idx g_idx[3 * PDG_NROW(PDG_N_MAX)];
    real g_val[3 * PDG_NROW(PDG_N_MAX)];
    pdg_idx soc_start[PDG_NSOC(PDG_N_MAX)];
    pdg_idx soc_dim[PDG_NSOC(PDG_N_MAX)];
    int dims[7];
    real scale[7];
} pdg_problem;

typedef struct {
    real x[PDG_NVAR(PDG_N_MAX)], dx[PDG_NVAR(PDG_N_MAX)], x1[PDG_NVAR(PDG_N_MAX)], rx[PDG_NVAR(PDG_N_MAX)];
    real y[PDG_NEQ(PDG_N_MAX)], dy[PDG_NEQ(PDG_N_MAX)], y1[PDG_NEQ(PDG_N_MAX)], ry[PDG_NEQ(PDG_N_MAX)];
    real z[PDG_NROW(PDG_N_MAX)], s[PDG_NROW(PDG_N_MAX)], dz[PDG_NROW(PDG_N_MAX)], ds[PDG_NROW(PDG_N_MAX)];
    real z1[PDG_NROW(PDG_N_MAX)], dza[PDG_NROW(PDG_N_MAX)], dsa[PDG_NROW(PDG_N_MAX)], rz[PDG_NROW(PDG_N_MAX)];
    real lam[PDG_NROW(PDG_N_MAX)], wbar[PDG_NROW(PDG_N_MAX)];
    real t1[PDG_NROW(PDG_N_MAX)], t2[PDG_NROW(PDG_N_MAX)], t3[PDG_NROW(PDG_N_MAX)];
    real kz[PDG_NROW(PDG_N_MAX)], kw[PDG_NROW(PDG_N_MAX)];
    real eta[PDG_NSOC(PDG_N_MAX)];
    /* K in its own pattern: the diagonal, and the entries above it by column, aligned with ki;
     * where each A, G and W^2 entry goes in kx */
    real kd[PDG_NK(PDG_N_MAX)], kx[PDG_KNZ(PDG_N_MAX)];
    pdg_idx a_slot[4 * PDG_NEQ(PDG_N_MAX)], g_slot[3 * PDG_NROW(PDG_N_MAX)], c_slot[PDG_CPAIRS(PDG_N_MAX)];
    real lx[PDG_LNZ(PDG_N_MAX)];
    real d[PDG_NK(PDG_N_MAX)], yv[PDG_NK(PDG_N_MAX)];
    real kb[PDG_NK(PDG_N_MAX)], ks[PDG_NK(PDG_N_MAX)], kr[PDG_NK(PDG_N_MAX)], kc[PDG_NK(PDG_N_MAX)];
    real info[7];
    /* a solve spread over calls carries these between them: the embedding's tau and kappa, the
     * norms its residuals are judged against (and a float build's best iterate so far) */
    real tau, kappa, nrm_b, nrm_c;
#ifdef GNC_REAL_FLOAT
    real best, best_tau, best_info[4];
#endif
    pdg_idx pos[PDG_NK(PDG_N_MAX)];
    pdg_idx kp[PDG_NK(PDG_N_MAX) + 1], ki[PDG_KNZ(PDG_N_MAX)];
    pdg_idx etree[PDG_NK(PDG_N_MAX)];
    pdg_idx lp[PDG_NK(PDG_N_MAX) + 1], li[PDG_LNZ(PDG_N_MAX)], lnext[PDG_NK(PDG_N_MAX)];
    pdg_idx yidx[PDG_NK(PDG_N_MAX)], ebuf[PDG_NK(PDG_N_MAX)], mark[PDG_NK(PDG_N_MAX)];
    signed char sign[PDG_NK(PDG_N_MAX)];
#ifdef GNC_REAL_FLOAT
    pdg_idx kcone[PDG_NK(PDG_N_MAX)];               /* a cone row's 4 q + its place in cone q; -1 elsewhere */
    real xb[PDG_NVAR(PDG_N_MAX)], yb[PDG_NEQ(PDG_N_MAX)];  /* the best iterate so far */
    real zb[PDG_NROW(PDG_N_MAX)], sb[PDG_NROW(PDG_N_MAX)];
#endif
    int nk;
} pdg_work;

int pdg_layout(pdg_problem *P, int N);
void pdg_fill(pdg_problem *P, const real *state, const real *lim, real tf);
int pdg_workspace(const pdg_problem *P, pdg_work *W);
int pdg_solve(const pdg_problem *P, pdg_work *W, int warm);

/* The same solve spread over calls, bit for bit: pdg_solve_begin starts it (PDG_RUNNING, or
 * PDG_BAD_START), each pdg_solve_iterate carries it on by at most `budget` (>= 1) iterations
 * and returns PDG_RUNNING until it ends (W->info[PDG_I_ITER]: its iterations in all). */
int pdg_solve_begin(const pdg_problem *P, pdg_work *W, int warm);
int pdg_solve_iterate(const pdg_problem *P, pdg_work *W, int budget);

#endif
