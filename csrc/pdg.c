/* Fuel-optimal powered descent: the C twin of gnc/core/pdg/problem.py (fill) and solver.py
 * (workspace, solve), written line by line in the same order of operations, so that the
 * double build computes the numba reference's numbers.  pdg.h says how to call it. */
#include "pdg.h"

#include "rmath.h"

/* The functions numba's math.log & co. call: the host's libm in double (so the twins round
 * alike on one machine), the float ones in float. */
#if defined(GNC_REAL_FLOAT) && defined(GNC_MATH_BUILTINS)
#define p_log __builtin_logf
#define p_tan __builtin_tanf
#define p_cos __builtin_cosf
#define p_sqrt __builtin_sqrtf
#define p_fabs __builtin_fabsf
#define p_copysign __builtin_copysignf
#elif defined(GNC_REAL_FLOAT)
#define p_log logf
#define p_tan tanf
#define p_cos cosf
#define p_sqrt sqrtf
#define p_fabs fabsf
#define p_copysign copysignf
#else
#define p_log log
#define p_tan tan
#define p_cos cos
#define p_sqrt sqrt
#define p_fabs fabs
#define p_copysign copysign
#endif

#define NV 11
#define NVL 7
#define IR 0
#define IV 3
#define IZ 6
#define IU 7
#define IS 10

/* solver.py's settings.  The float build cannot reach 1e-8: its residuals stop near float's
 * rounding of O(1) numbers times the KKT system's conditioning, and its infeasibility
 * certificates near 1e-4 (docs/guidance_pdg.md, the float build); a regularisation of 1e-8
 * would be lost against O(1) entries in float. */
#ifdef GNC_REAL_FLOAT
#define FEASTOL RC(1e-5)
#define GAPTOL RC(1e-5)
#define INACCURATE RC(1e-3)
#define INFEASTOL RC(1e-3)
#define DELTA RC(1e-7)
#ifndef WARM_MARGIN
#define WARM_MARGIN RC(1e-2)
#endif
#define TINY RC(1e-30)
#define PIVOT_REL RC(1e-6)     /* factor: a pivot's floor, relative to the terms it sums */
#else
#define FEASTOL RC(1e-8)
#define GAPTOL RC(1e-8)
#define INFEASTOL (FEASTOL * RC(10.0))
#define DELTA RC(1e-8)
#define WARM_MARGIN RC(1e-4)
#define TINY RC(1e-300)
#endif
#define MAX_ITERS PDG_MAX_ITERS
#define STEP RC(0.99)
#define REFINE 10
#define REFINE_ABS RC(1e-10)
#define REFINE_REL RC(1e-11)
#define REFINE_RATIO RC(5.0)
#define BIG RC(1e30)

#define VAR(k, j) (NV * (k) + (j))

/* ---- the problem (problem.py) ----------------------------------------------------------- */

int pdg_layout(pdg_problem *P, int N)
{
    if (N < 3 || N > PDG_N_MAX) return PDG_ERR_N;
    P->dims[PDG_D_N] = N;
    P->dims[PDG_D_NVAR] = PDG_NVAR(N);
    P->dims[PDG_D_NEQ] = PDG_NEQ(N);
    P->dims[PDG_D_NROW] = PDG_NROW(N);
    P->dims[PDG_D_NLIN] = PDG_NLIN(N);
    P->dims[PDG_D_NSOC] = PDG_NSOC(N);
    P->dims[PDG_D_OK] = 1;
    return 0;
}

/* one compressed row; returns the next free entry */
static int put_row(pdg_idx *ptr, pdg_idx *idx, real *val, int row, int nz, const int *cols, const real *vals,
                   int count)
{
    int i;
    ptr[row] = (pdg_idx)nz;
    for (i = 0; i < count; ++i) {
        idx[nz + i] = (pdg_idx)cols[i];
        val[nz + i] = vals[i];
    }
    ptr[row + 1] = (pdg_idx)(nz + count);
    return nz + count;
}

void pdg_fill(pdg_problem *P, const real *state, const real *lim, real tf)
{
    int N = P->dims[PDG_D_N];
    int cols[4];
    real vals[4];
    int k, i, nz, row, q;
    real dx = state[PDG_ST_R] - state[PDG_ST_RF];
    real dy = state[PDG_ST_R + 1] - state[PDG_ST_RF + 1];
    real dz = state[PDG_ST_R + 2] - state[PDG_ST_RF + 2];
    real L = r_max(p_sqrt(dx * dx + dy * dy + dz * dz), RC(1.0));
    real T = tf;
    real V = L / T;
    real ACC = L / (T * T);
    real m0 = state[PDG_ST_M];
    real alpha = RC(1.0) / (lim[PDG_LIM_ISP] * lim[PDG_LIM_G0]);
    real tan_gs, h, gz, beta, cos_pt, cos_end, r2;
    P->scale[PDG_SC_L] = L;
    P->scale[PDG_SC_T] = T;
    P->scale[PDG_SC_M0] = m0;
    P->scale[PDG_SC_ALPHA] = alpha;
    for (i = 0; i < 3; ++i) P->scale[PDG_SC_RF + i] = state[PDG_ST_RF + i];
    tan_gs = p_tan(lim[PDG_LIM_GLIDE]);
    P->dims[PDG_D_OK] = p_sqrt(dx * dx + dy * dy) * tan_gs <= dz ? 1 : 0;
    h = RC(1.0) / (real)(N - 1);
    gz = -lim[PDG_LIM_G] / ACC;
    beta = alpha * L / T;
    cos_pt = p_cos(lim[PDG_LIM_POINT]);
    cos_end = lim[PDG_LIM_POINT_END] > RC(0.0) ? p_cos(lim[PDG_LIM_POINT_END]) : cos_pt;
    for (i = 0; i < P->dims[PDG_D_NVAR]; ++i) P->c[i] = RC(0.0);
    for (k = 0; k < N - 1; ++k) P->c[VAR(k, IS)] = h;
    /* equalities */
    nz = 0;
    row = 0;
    for (i = 0; i < 7; ++i) {
        cols[0] = i;
        vals[0] = RC(1.0);
        nz = put_row(P->a_ptr, P->a_idx, P->a_val, row, nz, cols, vals, 1);
        if (i < 3)
            P->b[row] = (state[PDG_ST_R + i] - state[PDG_ST_RF + i]) / L;
        else if (i < 6)
            P->b[row] = state[PDG_ST_V + i - 3] / V;
        else
            P->b[row] = RC(0.0);
        ++row;
    }
    for (k = 0; k < N - 1; ++k) {
        for (i = 0; i < 3; ++i) {
            cols[0] = VAR(k + 1, IR + i);
            cols[1] = VAR(k, IR + i);
            cols[2] = VAR(k, IV + i);
            cols[3] = VAR(k, IU + i);
            vals[0] = RC(1.0);
            vals[1] = RC(-1.0);
            vals[2] = -h;
            vals[3] = RC(-0.5) * h * h;
            nz = put_row(P->a_ptr, P->a_idx, P->a_val, row, nz, cols, vals, 4);
            P->b[row] = i == 2 ? RC(0.5) * h * h * gz : RC(0.0);
            ++row;
        }
        for (i = 0; i < 3; ++i) {
            cols[0] = VAR(k + 1, IV + i);
            cols[1] = VAR(k, IV + i);
            cols[2] = VAR(k, IU + i);
            vals[0] = RC(1.0);
            vals[1] = RC(-1.0);
            vals[2] = -h;
            nz = put_row(P->a_ptr, P->a_idx, P->a_val, row, nz, cols, vals, 3);
            P->b[row] = i == 2 ? h * gz : RC(0.0);
            ++row;
        }
        cols[0] = VAR(k + 1, IZ);
        cols[1] = VAR(k, IZ);
        cols[2] = VAR(k, IS);
        vals[0] = RC(1.0);
        vals[1] = RC(-1.0);
        vals[2] = beta * h;
        nz = put_row(P->a_ptr, P->a_idx, P->a_val, row, nz, cols, vals, 3);
        P->b[row] = RC(0.0);
        ++row;
    }
    for (i = 0; i < 6; ++i) {
        cols[0] = VAR(N - 1, i);
        vals[0] = RC(1.0);
        nz = put_row(P->a_ptr, P->a_idx, P->a_val, row, nz, cols, vals, 1);
        P->b[row] = i < 3 ? RC(0.0) : state[PDG_ST_VF + i - 3] / V;
        ++row;
    }
    /* cones: linear rows first */
    nz = 0;
    row = 0;
    for (k = 0; k < N - 1; ++k) {
        real t = (real)k * h * T;
        real mz0 = r_max(m0 - alpha * lim[PDG_LIM_TMAX] * t, lim[PDG_LIM_MDRY]);
        real z0 = p_log(mz0 / m0);
        real mu2 = lim[PDG_LIM_TMAX] / mz0 / ACC;
        cols[0] = VAR(k, IZ);
        cols[1] = VAR(k, IS);
        vals[0] = mu2;
        vals[1] = RC(1.0);
        nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 2);
        P->h[row] = mu2 * (RC(1.0) + z0);
        ++row;
        cols[0] = VAR(k, IU + 2);
        cols[1] = VAR(k, IS);
        vals[0] = RC(-1.0);
        vals[1] = k == N - 2 ? cos_end : cos_pt;
        nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 2);
        P->h[row] = RC(0.0);
        ++row;
        if (k <= N - 3) {
            /* the throttle's ramp into the next interval, up and down */
            real ramp = RC(1.0) + lim[PDG_LIM_THROTTLE_RATE] * h * T;
            cols[0] = VAR(k, IS);
            cols[1] = VAR(k + 1, IS);
            vals[0] = -ramp;
            vals[1] = RC(1.0);
            nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 2);
            P->h[row] = RC(0.0);
            ++row;
            vals[0] = RC(1.0);
            vals[1] = -ramp;
            nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 2);
            P->h[row] = RC(0.0);
            ++row;
        }
    }
    cols[0] = VAR(N - 1, IZ);
    vals[0] = RC(-1.0);
    nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 1);
    P->h[row] = -p_log(lim[PDG_LIM_MDRY] / m0);
    ++row;
    q = 0;
    r2 = RC(1.0) / p_sqrt(RC(2.0));
    for (k = 0; k < N - 1; ++k) {
        real t = (real)k * h * T;
        real mz0 = r_max(m0 - alpha * lim[PDG_LIM_TMAX] * t, lim[PDG_LIM_MDRY]);
        real z0 = p_log(mz0 / m0);
        real mu1 = lim[PDG_LIM_TMIN] / mz0 / ACC;
        /* |u| <= sigma */
        P->soc_start[q] = (pdg_idx)row;
        P->soc_dim[q] = 4;
        ++q;
        cols[0] = VAR(k, IS);
        vals[0] = RC(-1.0);
        nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 1);
        P->h[row] = RC(0.0);
        ++row;
        for (i = 0; i < 3; ++i) {
            cols[0] = VAR(k, IU + i);
            nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 1);
            P->h[row] = RC(0.0);
            ++row;
        }
        /* the lower thrust bound: w = sigma / mu1 - 1 + d, d = z - z0 */
        P->soc_start[q] = (pdg_idx)row;
        P->soc_dim[q] = 3;
        ++q;
        cols[0] = VAR(k, IS);
        cols[1] = VAR(k, IZ);
        vals[0] = -r2 / mu1;
        vals[1] = -r2;
        nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 2);
        P->h[row] = -r2 * z0;
        ++row;
        cols[0] = VAR(k, IZ);
        vals[0] = RC(-1.0);
        nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 1);
        P->h[row] = -z0;
        ++row;
        cols[0] = VAR(k, IS);
        cols[1] = VAR(k, IZ);
        vals[0] = -r2 / mu1;
        vals[1] = -r2;
        nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 2);
        P->h[row] = -r2 * (z0 + RC(2.0));
        ++row;
        if (1 <= k) {
            /* glide slope, from the target (the origin of the scaled positions) */
            P->soc_start[q] = (pdg_idx)row;
            P->soc_dim[q] = 3;
            ++q;
            cols[0] = VAR(k, IR + 2);
            vals[0] = RC(-1.0) / tan_gs;
            nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 1);
            P->h[row] = RC(0.0);
            ++row;
            for (i = 0; i < 2; ++i) {
                cols[0] = VAR(k, IR + i);
                vals[0] = RC(-1.0);
                nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 1);
                P->h[row] = RC(0.0);
                ++row;
            }
        }
        if (k <= N - 3) {
            /* the thrust direction's turn into the next interval (node k's rows, so that every
             * variable they bound comes after them: factor_cone_row needs it) */
            P->soc_start[q] = (pdg_idx)row;
            P->soc_dim[q] = 3;
            ++q;
            cols[0] = VAR(k, IS);
            vals[0] = -lim[PDG_LIM_RATE] * h * T;
            nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 1);
            P->h[row] = RC(0.0);
            ++row;
            for (i = 0; i < 2; ++i) {
                cols[0] = VAR(k, IU + i);
                cols[1] = VAR(k + 1, IU + i);
                vals[0] = RC(1.0);
                vals[1] = RC(-1.0);
                nz = put_row(P->g_ptr, P->g_idx, P->g_val, row, nz, cols, vals, 2);
                P->h[row] = RC(0.0);
                ++row;
            }
        }
    }
}

/* ---- the symbolic step (solver.workspace) ------------------------------------------------ */

/* KKT positions node by node: the initial-state rows, then for each node its cone rows, its
 * variables, the dynamics rows to the next node (solver._ordering) */
static void ordering(const pdg_problem *P, pdg_work *W)
{
    int N = P->dims[PDG_D_N], n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ], m = P->dims[PDG_D_NROW];
    int t = 0, i, k, r;
    for (i = n; i < n + 7; ++i) W->pos[i] = (pdg_idx)t++;
    for (k = 0; k < N; ++k) {
        int width = k < N - 1 ? 11 : 7, first = 7 + 7 * k;
        for (r = 0; r < m; ++r)
            if (P->g_idx[P->g_ptr[r]] / 11 == k) W->pos[n + p + r] = (pdg_idx)t++;
        for (i = 11 * k; i < 11 * k + width; ++i) W->pos[i] = (pdg_idx)t++;
        for (i = n + first; i < n + first + (k < N - 1 ? 7 : 6); ++i) W->pos[i] = (pdg_idx)t++;
    }
}

/* K's entries off the diagonal in KKT order (A, G, and the cones' W^2 blocks below their
 * diagonals: no pair comes twice), each (hi, lo) handed to visit */
typedef void (*pdg_visit)(pdg_work *W, int hi, int lo, pdg_idx *slot);

static void links(const pdg_problem *P, pdg_work *W, pdg_visit visit)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ];
    int i, e, q, u, v, c = 0;
    for (i = 0; i < p; ++i)
        for (e = P->a_ptr[i]; e < P->a_ptr[i + 1]; ++e) {
            int a = W->pos[n + i], b = W->pos[P->a_idx[e]];
            visit(W, a > b ? a : b, a > b ? b : a, &W->a_slot[e]);
        }
    for (i = 0; i < P->dims[PDG_D_NROW]; ++i)
        for (e = P->g_ptr[i]; e < P->g_ptr[i + 1]; ++e) {
            int a = W->pos[n + p + i], b = W->pos[P->g_idx[e]];
            visit(W, a > b ? a : b, a > b ? b : a, &W->g_slot[e]);
        }
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a0 = n + p + P->soc_start[q], d = P->soc_dim[q];
        for (u = a0; u < a0 + d; ++u)
            for (v = a0; v < u; ++v) {
                int a = W->pos[u], b = W->pos[v];
                visit(W, a > b ? a : b, a > b ? b : a, &W->c_slot[c++]);
            }
    }
}

static void count_link(pdg_work *W, int hi, int lo, pdg_idx *slot)
{
    (void)lo;
    (void)slot;
    W->lnext[hi]++;
}

static void put_link(pdg_work *W, int hi, int lo, pdg_idx *slot)
{
    (void)slot;
    W->ki[W->lnext[hi]++] = (pdg_idx)lo;
}

static void find_slot(pdg_work *W, int hi, int lo, pdg_idx *slot)
{
    int e = W->kp[hi];
    while (W->ki[e] != lo) ++e;
    *slot = (pdg_idx)e;
}

int pdg_workspace(const pdg_problem *P, pdg_work *W)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ];
    int nk = n + p + P->dims[PDG_D_NROW], N = P->dims[PDG_D_N];
    int i, k, j, e;
    if (N < 3 || N > PDG_N_MAX) return PDG_ERR_N;
    W->nk = nk;
    ordering(P, W);
    /* K's pattern by column above the diagonal (= row k's left of it), sorted: counted, put,
     * then each column's few entries sorted in place */
    for (k = 0; k < nk; ++k) W->lnext[k] = 0;
    links(P, W, count_link);
    W->kp[0] = 0;
    for (k = 0; k < nk; ++k) {
        if ((long)W->kp[k] + W->lnext[k] > PDG_KNZ(PDG_N_MAX)) return PDG_ERR_PATTERN;
        W->kp[k + 1] = (pdg_idx)(W->kp[k] + W->lnext[k]);
        W->lnext[k] = W->kp[k];
    }
    links(P, W, put_link);
    for (k = 0; k < nk; ++k)
        for (e = W->kp[k] + 1; e < W->kp[k + 1]; ++e) {
            pdg_idx v = W->ki[e];
            for (j = e; j > W->kp[k] && W->ki[j - 1] > v; --j) W->ki[j] = W->ki[j - 1];
            W->ki[j] = v;
        }
    links(P, W, find_slot);
    /* elimination tree and L's column counts (QDLDL's etree); lnext holds the counts */
    for (k = 0; k < nk; ++k) {
        W->etree[k] = -1;
        W->lnext[k] = 0;
        W->mark[k] = -1;
    }
    for (k = 0; k < nk; ++k) {
        W->mark[k] = (pdg_idx)k;
        for (e = W->kp[k]; e < W->kp[k + 1]; ++e) {
            i = W->ki[e];
            while (W->mark[i] != k) {
                if (W->etree[i] == -1) W->etree[i] = (pdg_idx)k;
                W->lnext[i]++;
                W->mark[i] = (pdg_idx)k;
                i = W->etree[i];
            }
        }
    }
    W->lp[0] = 0;
    for (k = 0; k < nk; ++k) {
        long next = (long)W->lp[k] + W->lnext[k];
        if (next > PDG_LNZ(PDG_N_MAX)) return PDG_ERR_PATTERN;
        W->lp[k + 1] = (pdg_idx)next;
    }
    for (k = 0; k < nk; ++k) W->sign[k] = 1;
    for (i = n; i < nk; ++i) W->sign[W->pos[i]] = -1;
#ifdef GNC_REAL_FLOAT
    for (k = 0; k < nk; ++k) W->kcone[k] = -1;
    for (e = 0; e < P->dims[PDG_D_NSOC]; ++e) {
        int first = W->pos[n + p + P->soc_start[e]];
        for (i = 0; i < P->soc_dim[e]; ++i) {
            if (W->pos[n + p + P->soc_start[e] + i] != first + i) return PDG_ERR_PATTERN;
            W->kcone[first + i] = (pdg_idx)(4 * e + i);
        }
    }
#endif
    return 0;
}

/* ---- cone arithmetic --------------------------------------------------------------------- */

static real soc_dot(const real *u, const real *v, int a, int d)
{
    real acc = RC(0.0);
    int i;
    for (i = a + 1; i < a + d; ++i) acc += u[i] * v[i];
    return acc;
}

/* out = W v (mode 1), W^-1 v (mode -1), W^-2 v (mode -2) or W^2 v (mode 2) */
static void apply_w(const pdg_problem *P, const pdg_work *W, const real *v, real *out, int mode)
{
    int i, q;
    const real *wb = W->wbar;
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) {
        real w = wb[i];
        if (mode == 1)
            out[i] = w * v[i];
        else if (mode == -1)
            out[i] = v[i] / w;
        else if (mode == 2)
            out[i] = w * w * v[i];
        else
            out[i] = v[i] / (w * w);
    }
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        real eta = W->eta[q], w0 = wb[a];
        if (mode == 1 || mode == -1) {
            real sg = mode == 1 ? RC(1.0) : RC(-1.0);
            real w1v = soc_dot(wb, v, a, d), v0 = v[a];
            real f = w1v / (RC(1.0) + w0) + sg * v0;
            real em = mode == 1 ? eta : RC(1.0) / eta;     /* numba's eta ** mode */
            out[a] = em * (w0 * v0 + sg * w1v);
            for (i = a + 1; i < a + d; ++i) out[i] = em * (v[i] + f * wb[i]);
        } else {
            /* W-bar^2 = 2 w w' - J;  W-bar^-2 = 2 (J w)(J w)' - J */
            real sg = mode == 2 ? RC(1.0) : RC(-1.0);
            real wv = w0 * v[a] + sg * soc_dot(wb, v, a, d);
            real sc = mode == 2 ? eta * eta : RC(1.0) / (eta * eta);
            out[a] = sc * (RC(2.0) * w0 * wv - v[a]);
            for (i = a + 1; i < a + d; ++i) out[i] = sc * (RC(2.0) * sg * wb[i] * wv + v[i]);
        }
    }
}

/* Nesterov-Todd scaling of (s, z) and lam = W z */
static void scaling(const pdg_problem *P, pdg_work *W)
{
    const real *s = W->s, *z = W->z;
    int i, q;
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) {
        W->wbar[i] = p_sqrt(s[i] / z[i]);
        W->lam[i] = p_sqrt(s[i] * z[i]);
    }
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        real sn = p_sqrt(r_max(s[a] * s[a] - soc_dot(s, s, a, d), TINY));
        real zn = p_sqrt(r_max(z[a] * z[a] - soc_dot(z, z, a, d), TINY));
        real dot, gam;
        W->eta[q] = p_sqrt(sn / zn);
        dot = s[a] * z[a] / (sn * zn) + soc_dot(s, z, a, d) / (sn * zn);
        gam = p_sqrt(r_max((RC(1.0) + dot) * RC(0.5), TINY));
        W->wbar[a] = (s[a] / sn + z[a] / zn) / (RC(2.0) * gam);
        for (i = a + 1; i < a + d; ++i) W->wbar[i] = (s[i] / sn - z[i] / zn) / (RC(2.0) * gam);
    }
    apply_w(P, W, W->z, W->lam, 1);
}

/* the Jordan product u o v */
static void jprod(const pdg_problem *P, const real *u, const real *v, real *out)
{
    int i, q;
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) out[i] = u[i] * v[i];
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        real u0 = u[a], v0 = v[a];
        out[a] = u0 * v0 + soc_dot(u, v, a, d);
        for (i = a + 1; i < a + d; ++i) out[i] = u0 * v[i] + v0 * u[i];
    }
}

/* x with lam o x = v */
static void jdiv(const pdg_problem *P, const real *lam, const real *v, real *out)
{
    int i, q;
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) out[i] = v[i] / lam[i];
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        real l0 = lam[a];
        real det = l0 * l0 - soc_dot(lam, lam, a, d);
        real x0 = (l0 * v[a] - soc_dot(lam, v, a, d)) / det;
        out[a] = x0;
        for (i = a + 1; i < a + d; ++i) out[i] = (v[i] - x0 * lam[i]) / l0;
    }
}

/* the largest step a <= 1/STEP with u + a du in the cone (u inside it) */
static real max_step(const pdg_problem *P, const real *u, const real *du)
{
    real amax = BIG;
    int i, q;
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i)
        if (du[i] < RC(0.0)) amax = r_min(amax, -u[i] / du[i]);
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        /* (u0 + t d0)^2 - |u1 + t d1|^2 >= 0 and u0 + t d0 >= 0 */
        real qa = du[a] * du[a] - soc_dot(du, du, a, d);
        real qb = u[a] * du[a] - soc_dot(u, du, a, d);
        real qc = r_max(u[a] * u[a] - soc_dot(u, u, a, d), RC(0.0));
        real t = BIG;
        if (du[a] < RC(0.0)) t = -u[a] / du[a];
        if (qa == RC(0.0)) {
            if (qb < RC(0.0)) t = r_min(t, -qc / (RC(2.0) * qb));
        } else {
            real disc = qb * qb - qa * qc;
            if (disc >= RC(0.0)) {
                /* the smaller positive root of qa t^2 + 2 qb t + qc, computed stably */
                real sq = p_sqrt(disc);
                real r1 = -(qb + p_copysign(sq, qb));
                real root1 = r1 != RC(0.0) ? r1 / qa : BIG, root2 = r1 != RC(0.0) ? qc / r1 : BIG;
                if (root1 > RC(0.0)) t = r_min(t, root1);
                if (root2 > RC(0.0)) t = r_min(t, root2);
            }
        }
        amax = r_min(amax, t);
    }
    return amax;
}

/* u + (1 + a) e when u is not strictly inside (a its most negative eigenvalue) */
static void shift_into_cone(const pdg_problem *P, real *u)
{
    real worst = BIG;
    int i, q;
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) worst = r_min(worst, u[i]);
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        worst = r_min(worst, u[a] - p_sqrt(soc_dot(u, u, a, d)));
    }
    if (worst <= RC(0.0)) {
        real add = RC(1.0) - worst;
        for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) u[i] += add;
        for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) u[P->soc_start[q]] += add;
    }
}

/* raise each cone's least eigenvalue (u_i; u0 - |u1|) to at least margin, cone by cone */
static void push_inside(const pdg_problem *P, real *u, real margin)
{
    int i, q;
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) u[i] = r_max(u[i], margin);
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        u[a] = r_max(u[a], p_sqrt(soc_dot(u, u, a, d)) + margin);
    }
}

/* ---- the KKT system ---------------------------------------------------------------------- */

/* K = [delta, A', G'; A, -delta, 0; G, 0, -W^2 - delta] in KKT order, into kd and kx (numba's
 * sums in numba's order, so the same bits) */
static void assemble(const pdg_problem *P, pdg_work *W)
{
    int n = P->dims[PDG_D_NVAR], nz0 = n + P->dims[PDG_D_NEQ];
    int i, e, r, q, t, c = 0;
    const pdg_idx *pos = W->pos;
    const real *wb = W->wbar;
    for (i = 0; i < W->kp[W->nk]; ++i) W->kx[i] = RC(0.0);
    for (i = 0; i < W->nk; ++i) W->kd[i] = DELTA * (real)W->sign[i];
    for (i = 0; i < P->dims[PDG_D_NEQ]; ++i)
        for (e = P->a_ptr[i]; e < P->a_ptr[i + 1]; ++e) W->kx[W->a_slot[e]] += P->a_val[e];
    for (r = 0; r < P->dims[PDG_D_NROW]; ++r)
        for (e = P->g_ptr[r]; e < P->g_ptr[r + 1]; ++e) W->kx[W->g_slot[e]] += P->g_val[e];
    for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) W->kd[pos[nz0 + i]] -= wb[i] * wb[i];
    for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
        int a = P->soc_start[q], d = P->soc_dim[q];
        real sc = W->eta[q] * W->eta[q];
        for (r = a; r < a + d; ++r)
            for (t = a; t <= r; ++t) {
                /* W^2[r, t] = eta^2 (2 w_r w_t - J_rt) */
                real jj = r != t ? RC(0.0) : (r == a ? RC(1.0) : RC(-1.0));
                real k = sc * (RC(2.0) * wb[r] * wb[t] - jj);
                if (r == t)
                    W->kd[pos[nz0 + r]] += -k;
                else
                    W->kx[W->c_slot[c++]] += -k;
            }
    }
}

#ifdef GNC_REAL_FLOAT
/* Row k of L D L' where k is row i of cone q: the cone's block -eta^2 (2 w w' - J) is coupled
 * to nothing ordered before it, so its factor is known in closed form,
 *     D_0 = R_1,  L_j0 = 2 w_0 w_j / R_1,  D_i = R_(i+1) / R_i,  L_ji = -2 w_i w_j / R_(i+1)
 * (times -eta^2 on D), R_i = 1 + 2 sum_(j>=i) w_j^2, using w_0^2 - |w_1|^2 = 1.  Eliminated
 * numerically, its pivots (as small as 1 / w_0^4 of its entries near the cone's boundary) are
 * lost to float's rounding: wrong signs, then NaN, at relative residuals of ~1e-2.  Without the
 * regularisation, which the refinement against K makes up for. */
static void factor_cone_row(const pdg_problem *P, pdg_work *W, int k)
{
    int q = W->kcone[k] / 4, i = W->kcone[k] % 4, first = k - i, a = P->soc_start[q], d = P->soc_dim[q], j;
    const real *w = W->wbar + a;
    real R[5];
    R[d] = RC(1.0);
    for (j = d - 1; j >= 1; --j) R[j] = R[j + 1] + RC(2.0) * w[j] * w[j];
    for (j = 0; j < i; ++j) {
        int c = first + j;
        W->li[W->lnext[c]] = (pdg_idx)k;
        W->lx[W->lnext[c]] = j == 0 ? RC(2.0) * w[0] * w[i] / R[1] : RC(-2.0) * w[j] * w[i] / R[j + 1];
        W->lnext[c]++;
    }
    W->d[k] = -(W->eta[q] * W->eta[q]) * (i == 0 ? R[1] : R[i + 1] / R[i]);
}
#endif

/* sparse LDL' of K on the fixed pattern, row by row up the elimination
 * tree (QDLDL's algorithm); a pivot of the wrong sign or too small becomes DELTA with its sign */
static void factor(const pdg_problem *P, pdg_work *W)
{
    int nk = W->nk;
    int j, k, e, t, q;
    (void)P;
    for (j = 0; j < nk; ++j) {
        W->lnext[j] = W->lp[j];
        W->mark[j] = -1;
        W->yv[j] = RC(0.0);
    }
    for (k = 0; k < nk; ++k) {
        int ny = 0;
        real dk;
#ifdef GNC_REAL_FLOAT
        real mag;
        if (W->kcone[k] >= 0) {
            factor_cone_row(P, W, k);
            continue;
        }
#endif
        for (e = W->kp[k]; e < W->kp[k + 1]; ++e) {
            int i = W->ki[e], ne = 0;
            W->yv[i] = W->kx[e];
            while (i != -1 && i < k && W->mark[i] != k) {
                W->mark[i] = (pdg_idx)k;
                W->ebuf[ne++] = (pdg_idx)i;
                i = W->etree[i];
            }
            while (ne > 0) W->yidx[ny++] = W->ebuf[--ne];
        }
        dk = W->kd[k];
#ifdef GNC_REAL_FLOAT
        mag = p_fabs(dk);
#endif
        for (t = ny - 1; t >= 0; --t) {
            int c = W->yidx[t];
            real yc = W->yv[c], lkc;
            for (q = W->lp[c]; q < W->lnext[c]; ++q) W->yv[W->li[q]] -= W->lx[q] * yc;
            lkc = yc / W->d[c];
            W->li[W->lnext[c]] = (pdg_idx)k;
            W->lx[W->lnext[c]] = lkc;
            W->lnext[c]++;
            dk -= yc * lkc;
#ifdef GNC_REAL_FLOAT
            mag += p_fabs(yc * lkc);
#endif
            W->yv[c] = RC(0.0);
        }
#ifdef GNC_REAL_FLOAT
        /* a pivot left by cancellation below the rounding of the terms it came from is noise:
         * it becomes that rounding (with its sign), not DELTA, whose inverse would swamp L */
        if (dk * (real)W->sign[k] < PIVOT_REL * mag) dk = r_max(DELTA, PIVOT_REL * mag) * (real)W->sign[k];
#else
        if (dk * (real)W->sign[k] < DELTA) dk = DELTA * (real)W->sign[k];
#endif
        W->d[k] = dk;
    }
}

/* out = (L D L')^-1 b */
static void ldl_solve(const pdg_work *W, const real *b, real *out)
{
    int nk = W->nk, i, j, q;
    for (i = 0; i < nk; ++i) out[i] = b[i];
    for (j = 0; j < nk; ++j) {
        real xj = out[j];
        for (q = W->lp[j]; q < W->lp[j + 1]; ++q) out[W->li[q]] -= W->lx[q] * xj;
    }
    for (i = 0; i < nk; ++i) out[i] /= W->d[i];
    for (j = nk - 1; j >= 0; --j) {
        real acc = out[j];
        for (q = W->lp[j]; q < W->lp[j + 1]; ++q) acc -= W->lx[q] * out[W->li[q]];
        out[j] = acc;
    }
}

static real norm_inf(const real *u, int len)
{
    real acc = RC(0.0);
    int i;
    for (i = 0; i < len; ++i) acc = r_max(acc, p_fabs(u[i]));
    return acc;
}

static real dot(const real *u, const real *v, int len)
{
    real acc = RC(0.0);
    int i;
    for (i = 0; i < len; ++i) acc += u[i] * v[i];
    return acc;
}

/* res = b - K sol (KKT order) with the unregularised K, from A, G and W^2 */
static void kkt_residual(const pdg_problem *P, pdg_work *W, const real *sol, const real *b, real *res)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ], nz0 = n + p;
    int i, e, r;
    const pdg_idx *pos = W->pos;
    for (i = 0; i < W->nk; ++i) res[i] = b[i];
    for (i = 0; i < p; ++i) {
        int pi = pos[n + i];
        real yi = sol[pi], acc = RC(0.0);
        for (e = P->a_ptr[i]; e < P->a_ptr[i + 1]; ++e) {
            int pj = pos[P->a_idx[e]];
            acc += P->a_val[e] * sol[pj];
            res[pj] -= P->a_val[e] * yi;
        }
        res[pi] -= acc;
    }
    for (r = 0; r < P->dims[PDG_D_NROW]; ++r) {
        int pr = pos[nz0 + r];
        real zr = sol[pr], acc = RC(0.0);
        W->kz[r] = zr;
        for (e = P->g_ptr[r]; e < P->g_ptr[r + 1]; ++e) {
            int pj = pos[P->g_idx[e]];
            acc += P->g_val[e] * sol[pj];
            res[pj] -= P->g_val[e] * zr;
        }
        res[pr] -= acc;
    }
    apply_w(P, W, W->kz, W->kw, 2);
    for (r = 0; r < P->dims[PDG_D_NROW]; ++r) res[pos[nz0 + r]] += W->kw[r];
}

/* [0 A' G'; A 0 0; G 0 -W^2] (ox, oy, oz) = (bx, by, bz) with the factor, refined against the
 * unregularised K when refine (until the residual is at rounding level or stops shrinking
 * fast); returns the refinement steps taken.  Outputs may alias inputs. */
static int kkt_solve(const pdg_problem *P, pdg_work *W, const real *bx, const real *by, const real *bz,
                     real *ox, real *oy, real *oz, int refine)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ], nk = W->nk;
    int i, j, r, refined = 0;
    const pdg_idx *pos = W->pos;
    real tol, worst = RC(0.0);
    for (j = 0; j < n; ++j) W->kb[pos[j]] = bx[j];
    for (i = 0; i < p; ++i) W->kb[pos[n + i]] = by[i];
    for (r = 0; r < P->dims[PDG_D_NROW]; ++r) W->kb[pos[n + p + r]] = bz[r];
    ldl_solve(W, W->kb, W->ks);
    tol = REFINE_ABS + REFINE_REL * norm_inf(W->kb, nk);
    if (refine) {
        kkt_residual(P, W, W->ks, W->kb, W->kr);
        worst = norm_inf(W->kr, nk);
    }
    while (refined < REFINE && worst > tol) {
        real now;
        ldl_solve(W, W->kr, W->kc);
        for (i = 0; i < nk; ++i) W->kc[i] += W->ks[i];
        kkt_residual(P, W, W->kc, W->kb, W->kr);
        now = norm_inf(W->kr, nk);
        if (now >= worst) break;
        ++refined;
        for (i = 0; i < nk; ++i) W->ks[i] = W->kc[i];
        if (now * REFINE_RATIO > worst) break;
        worst = now;
    }
    for (j = 0; j < n; ++j) ox[j] = W->ks[pos[j]];
    for (i = 0; i < p; ++i) oy[i] = W->ks[pos[n + i]];
    for (r = 0; r < P->dims[PDG_D_NROW]; ++r) oz[r] = W->ks[pos[n + p + r]];
    return refined;
}

/* ---- the iteration ----------------------------------------------------------------------- */

/* rx = A'y + G'z + c tau, ry = A x - b tau, rz = G x + s - h tau */
static void residuals(const pdg_problem *P, pdg_work *W, real tau)
{
    int i, e, r;
    for (i = 0; i < P->dims[PDG_D_NVAR]; ++i) W->rx[i] = P->c[i] * tau;
    for (i = 0; i < P->dims[PDG_D_NEQ]; ++i) {
        real acc = -P->b[i] * tau;
        for (e = P->a_ptr[i]; e < P->a_ptr[i + 1]; ++e) {
            acc += P->a_val[e] * W->x[P->a_idx[e]];
            W->rx[P->a_idx[e]] += P->a_val[e] * W->y[i];
        }
        W->ry[i] = acc;
    }
    for (r = 0; r < P->dims[PDG_D_NROW]; ++r) {
        real acc = W->s[r] - P->h[r] * tau;
        for (e = P->g_ptr[r]; e < P->g_ptr[r + 1]; ++e) {
            acc += P->g_val[e] * W->x[P->g_idx[e]];
            W->rx[P->g_idx[e]] += P->g_val[e] * W->z[r];
        }
        W->rz[r] = acc;
    }
}

/* the starting point: cold as in CVXOPT, or warm from the x, y, z, s in W pushed inside */
static void start(const pdg_problem *P, pdg_work *W, int warm)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ], m = P->dims[PDG_D_NROW];
    int i, q;
    if (!warm) {
        /* W = I: unit w-bar on the linear rows, e = (1, 0, ..) and eta = 1 on each cone */
        for (i = 0; i < m; ++i) W->wbar[i] = RC(0.0);
        for (i = 0; i < P->dims[PDG_D_NLIN]; ++i) W->wbar[i] = RC(1.0);
        for (q = 0; q < P->dims[PDG_D_NSOC]; ++q) {
            W->wbar[P->soc_start[q]] = RC(1.0);
            W->eta[q] = RC(1.0);
        }
        assemble(P, W);
        factor(P, W);
        /* primal: min |G x - h| s.t. A x = b  ->  s = h - G x */
        for (i = 0; i < n; ++i) W->dx[i] = RC(0.0);
        kkt_solve(P, W, W->dx, P->b, P->h, W->x, W->y, W->t1, 1);
        for (i = 0; i < m; ++i) W->s[i] = -W->t1[i];
        /* dual: min |z| s.t. A'y + G'z + c = 0 */
        for (i = 0; i < n; ++i) W->dx[i] = -P->c[i];
        for (i = 0; i < p; ++i) W->dy[i] = RC(0.0);
        for (i = 0; i < m; ++i) W->t2[i] = RC(0.0);
        kkt_solve(P, W, W->dx, W->dy, W->t2, W->x1, W->y, W->z, 1);
        shift_into_cone(P, W->s);
        shift_into_cone(P, W->z);
    } else {
        push_inside(P, W->s, WARM_MARGIN);
        push_inside(P, W->z, WARM_MARGIN);
    }
}

/* the search direction for complementarity targets dsig and dk with the residuals scaled by
 * fac (solver._direction); returns dtau, leaves dx, dy, dz, ds */
static real direction(const pdg_problem *P, pdg_work *W, real tau, real kappa, const real *dsig, real dk, real fac,
                      real dt1, int refine)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ], m = P->dims[PDG_D_NROW];
    int i;
    real rt, num, dtau;
    jdiv(P, W->lam, dsig, W->t2);
    apply_w(P, W, W->t2, W->ds, 1);
    for (i = 0; i < m; ++i) W->t2[i] = -fac * W->rz[i] - W->ds[i];
    for (i = 0; i < n; ++i) W->dx[i] = -fac * W->rx[i];
    for (i = 0; i < p; ++i) W->dy[i] = -fac * W->ry[i];
    W->info[PDG_I_REFINE] += (real)kkt_solve(P, W, W->dx, W->dy, W->t2, W->dx, W->dy, W->dz, refine);
    rt = kappa + dot(P->c, W->x, n) + dot(P->b, W->y, p) + dot(P->h, W->z, m);
    num = -fac * rt - (dot(P->c, W->dx, n) + dot(P->b, W->dy, p) + dot(P->h, W->dz, m)) - dk / tau;
    dtau = num / dt1;
    for (i = 0; i < n; ++i) W->dx[i] += dtau * W->x1[i];
    for (i = 0; i < p; ++i) W->dy[i] += dtau * W->y1[i];
    for (i = 0; i < m; ++i) W->dz[i] += dtau * W->z1[i];
    /* ds = W (lam \ dsig - W dz) */
    jdiv(P, W->lam, dsig, W->t2);
    apply_w(P, W, W->dz, W->ds, 1);
    for (i = 0; i < m; ++i) W->t2[i] -= W->ds[i];
    apply_w(P, W, W->t2, W->ds, 1);
    return dtau;
}

/* the step to the cones' boundary along (ds, dz, dtau, dkappa) */
static real step_length(const pdg_problem *P, const pdg_work *W, real tau, real kappa, real dtau, real dkappa)
{
    real a = r_min(max_step(P, W->s, W->ds), max_step(P, W->z, W->dz));
    if (dtau < RC(0.0)) a = r_min(a, -tau / dtau);
    if (dkappa < RC(0.0)) a = r_min(a, -kappa / dkappa);
    return a;
}

int pdg_solve(const pdg_problem *P, pdg_work *W, int warm)
{
    if (pdg_solve_begin(P, W, warm) == PDG_BAD_START)
        return PDG_BAD_START;
    return pdg_solve_iterate(P, W, MAX_ITERS + 1);
}

int pdg_solve_begin(const pdg_problem *P, pdg_work *W, int warm)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ], m = P->dims[PDG_D_NROW];
    int deg = P->dims[PDG_D_NLIN] + P->dims[PDG_D_NSOC], i;
    for (i = 0; i < 7; ++i) W->info[i] = RC(0.0);
    if (P->dims[PDG_D_OK] == 0) {
        W->info[PDG_I_STATUS] = (real)PDG_BAD_START;
        return PDG_BAD_START;
    }
    start(P, W, warm);
    W->tau = RC(1.0);
    W->kappa = RC(1.0);
    if (warm)
        /* tau kappa as central as the warm s o z */
        W->kappa = dot(W->s, W->z, m) / (real)deg;
    W->nrm_b = r_max(r_max(RC(1.0), norm_inf(P->b, p)), norm_inf(P->h, m));
    W->nrm_c = r_max(RC(1.0), norm_inf(P->c, n));
#ifdef GNC_REAL_FLOAT
    W->best = BIG;
    W->best_tau = RC(1.0);
    for (i = 0; i < 4; ++i) W->best_info[i] = RC(0.0);
#endif
    W->info[PDG_I_STATUS] = (real)PDG_RUNNING;
    return PDG_RUNNING;
}

int pdg_solve_iterate(const pdg_problem *P, pdg_work *W, int budget)
{
    int n = P->dims[PDG_D_NVAR], p = P->dims[PDG_D_NEQ], m = P->dims[PDG_D_NROW];
    int nlin = P->dims[PDG_D_NLIN], nsoc = P->dims[PDG_D_NSOC];
    int deg = nlin + nsoc, status = PDG_RUNNING, it = (int)W->info[PDG_I_ITER], k, i, q;
    real tau = W->tau, kappa = W->kappa;
    const real nrm_b = W->nrm_b, nrm_c = W->nrm_c;
    for (k = 0; k <= budget; ++k) {
        real mu, pcost, dcost, pres, dres, gap, byhz, dt1, dtau, dkappa, a, sigma, dk;
        residuals(P, W, tau);
        mu = (dot(W->s, W->z, m) + tau * kappa) / (real)(deg + 1);
        pcost = dot(P->c, W->x, n) / tau;
        dcost = -(dot(P->b, W->y, p) + dot(P->h, W->z, m)) / tau;
        pres = r_max(norm_inf(W->ry, p), norm_inf(W->rz, m)) / tau / nrm_b;
        dres = norm_inf(W->rx, n) / tau / nrm_c;
        gap = dot(W->s, W->z, m) / (tau * tau);
        W->info[PDG_I_PCOST] = pcost;
        W->info[PDG_I_PRES] = pres;
        W->info[PDG_I_DRES] = dres;
        W->info[PDG_I_GAP] = gap;
#ifdef GNC_REAL_FLOAT
        {
            /* float's rounding ends the progress short of the tolerances on some problems (the
             * directions lose their accuracy, then NaN): keep the best iterate to fall back on,
             * and stop once a usable one is 100 times better than the present (an infeasible
             * problem's residuals grow too, on its way to a certificate, but from no usable best) */
            real merit = r_max(r_max(pres, dres), gap / r_max(RC(1.0), r_min(p_fabs(pcost), p_fabs(dcost))));
            if (!(merit == merit) || (W->best < INACCURATE && merit > RC(100.0) * W->best)) {
                status = PDG_MAX_ITER;
                break;
            }
            if (merit < W->best) {
                W->best = merit;
                W->best_tau = tau;
                for (i = 0; i < 4; ++i) W->best_info[i] = W->info[PDG_I_PCOST + i];
                for (i = 0; i < n; ++i) W->xb[i] = W->x[i];
                for (i = 0; i < p; ++i) W->yb[i] = W->y[i];
                for (i = 0; i < m; ++i) {
                    W->zb[i] = W->z[i];
                    W->sb[i] = W->s[i];
                }
            }
        }
#endif
        if (pres < FEASTOL && dres < FEASTOL
            && (gap < GAPTOL || gap < GAPTOL * r_min(p_fabs(pcost), p_fabs(dcost)))) {
            status = PDG_OPTIMAL;
            break;
        }
        /* a certificate of primal infeasibility: y, z with A'y + G'z = 0, b'y + h'z < 0 */
        byhz = dot(P->b, W->y, p) + dot(P->h, W->z, m);
        if (byhz < RC(0.0)) {
            for (i = 0; i < n; ++i) W->dx[i] = W->rx[i] - P->c[i] * tau;
#ifdef GNC_REAL_FLOAT
            /* float's looser certificate is only believed as the embedding says infeasible:
             * tau -> 0 against kappa (1e-3 alone called 9 of 197 feasible draws infeasible) */
            if (norm_inf(W->dx, n) / -byhz < INFEASTOL && tau < kappa) {
#else
            if (norm_inf(W->dx, n) / -byhz < INFEASTOL) {
#endif
                status = PDG_INFEASIBLE;
                break;
            }
        }
        if (it == MAX_ITERS) {
            status = PDG_MAX_ITER;
            break;
        }
        if (k == budget) break;
        scaling(P, W);
        assemble(P, W);
        factor(P, W);
        /* the tau column: K (x1, y1, z1) = (-c, b, h) */
        for (i = 0; i < n; ++i) W->dx[i] = -P->c[i];
        W->info[PDG_I_REFINE] += (real)kkt_solve(P, W, W->dx, P->b, P->h, W->x1, W->y1, W->z1, 1);
        dt1 = dot(P->c, W->x1, n) + dot(P->b, W->y1, p) + dot(P->h, W->z1, m) - kappa / tau;
        /* predictor: dsig = -lam o lam, dk = -tau kappa (its direction not refined) */
        jprod(P, W->lam, W->lam, W->t1);
        for (i = 0; i < m; ++i) W->t1[i] = -W->t1[i];
        dtau = direction(P, W, tau, kappa, W->t1, -tau * kappa, RC(1.0), dt1, 0);
        dkappa = -kappa - kappa * dtau / tau;
        a = r_min(step_length(P, W, tau, kappa, dtau, dkappa), RC(1.0));
        sigma = (RC(1.0) - a) * ((RC(1.0) - a) * (RC(1.0) - a));
        /* corrector: dsig = -lam o lam - (W^-1 ds_a) o (W dz_a) + sigma mu e */
        apply_w(P, W, W->ds, W->dsa, -1);
        apply_w(P, W, W->dz, W->dza, 1);
        jprod(P, W->dsa, W->dza, W->t3);
        jprod(P, W->lam, W->lam, W->t1);
        for (i = 0; i < m; ++i) W->t1[i] = -W->t1[i] - W->t3[i];
        for (i = 0; i < nlin; ++i) W->t1[i] += sigma * mu;
        for (q = 0; q < nsoc; ++q) W->t1[P->soc_start[q]] += sigma * mu;
        dk = -tau * kappa - dkappa * dtau + sigma * mu;
        dtau = direction(P, W, tau, kappa, W->t1, dk, RC(1.0) - sigma, dt1, 1);
        dkappa = (dk - kappa * dtau) / tau;
        a = r_min(STEP * step_length(P, W, tau, kappa, dtau, dkappa), RC(1.0));
        for (i = 0; i < n; ++i) W->x[i] += a * W->dx[i];
        for (i = 0; i < p; ++i) W->y[i] += a * W->dy[i];
        for (i = 0; i < m; ++i) {
            W->z[i] += a * W->dz[i];
            W->s[i] += a * W->ds[i];
        }
        tau += a * dtau;
        kappa += a * dkappa;
        ++it;
    }
    W->tau = tau;
    W->kappa = kappa;
    W->info[PDG_I_ITER] = (real)it;
    if (status == PDG_RUNNING)
        return PDG_RUNNING;
#ifdef GNC_REAL_FLOAT
    if (status == PDG_MAX_ITER && W->best < INACCURATE) {
        status = PDG_OPTIMAL;
        tau = W->best_tau;
        for (i = 0; i < 4; ++i) W->info[PDG_I_PCOST + i] = W->best_info[i];
        for (i = 0; i < n; ++i) W->x[i] = W->xb[i];
        for (i = 0; i < p; ++i) W->y[i] = W->yb[i];
        for (i = 0; i < m; ++i) {
            W->z[i] = W->zb[i];
            W->s[i] = W->sb[i];
        }
    }
#endif
    if (status == PDG_OPTIMAL) {
        for (i = 0; i < n; ++i) W->x[i] /= tau;
        for (i = 0; i < p; ++i) W->y[i] /= tau;
        for (i = 0; i < m; ++i) {
            W->z[i] /= tau;
            W->s[i] /= tau;
        }
    }
    W->info[PDG_I_STATUS] = (real)status;
    return status;
}
