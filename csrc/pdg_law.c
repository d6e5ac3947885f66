/* The fuel-optimal powered-descent law: the twin of gnc/core/fsw/pdg_law.py, function by
 * function, in its order of operations (the double build follows numba's to the last bit
 * where the libm calls agree).  No allocation, no statics: the state row and M are all. */
#include "pdg_law.h"

#include "descent.h"
#include "guidance.h"
#include "layout.h"
#include "rmath.h"
#include "vec.h"

#define REPLAN_MIN_S RC(5.0)   /* s: the last seconds of a plan are followed, not re-planned */
#define FAIL_MAX 3             /* failed plans in a row before the arc goes to the default law */
#define SEARCH_GRID 8          /* final-time search: grid points over [TF_LO, TF_HI] x the arc's nominal time */
#define SEARCH_GOLDEN 10       /* then golden-section steps about the best grid point */
#define TF_LO RC(0.3)
#define TF_HI RC(2.0)
#define STAGE_FINAL (SEARCH_GRID + 2 + SEARCH_GOLDEN)   /* the search's stages: the grid, x1 and x2, the golden steps, the final solve */
#define JOB_NONE RC(0.0)       /* PG_JOB: planning under way */
#define JOB_SEARCH RC(1.0)
#define JOB_PLAN RC(2.0)
#define ZETA RC(0.9)           /* damping of the feedback on the deviation from the plan */
#define RATE_SHARE RC(0.6)     /* the plan turns the thrust at this share of the attitude loop's rate limit */
#define THROTTLE_RATE RC(0.25) /* 1/s: the plan's throttle ramps by at most this fraction a second */
#define POINT_END RC(0.03490658503988659)   /* rad: math.radians(2.0), the last interval's pointing limit */
/* a node's variables in the solution (problem.py's NV, IR, IV, IZ, IU; pdg.c's) */
#define NV 11
#define IR 0
#define IV 3
#define IZ 6
#define IU 7
/* the plan's mass: libm's exp, as numba's math.exp (pdg.c calls libm's log likewise) */
#if defined(GNC_MATH_BUILTINS) && defined(GNC_REAL_FLOAT)
#define p_exp __builtin_expf
#elif defined(GNC_REAL_FLOAT)
#define p_exp expf
#else
#define p_exp exp
#endif
/* the cost of a final time with no optimum: numba's inf, above any propellant (float's range too) */
#define NO_COST RC(1e30)

/* by arc: the time-to-go at which Chang'e's phase logic ends it (numba's HANDOVER_S) */
static real handover_s(int arc)
{
    return arc == ARC_APPROACH ? RC(4.0) : arc == ARC_DIVERT ? RC(5.0) : RC(0.0);
}

int pdg_law_setup(real *fs, pdg_law_mem *M)
{
    const int b = FS_LEN;
    real lim[PDG_N_LIM], st[PDG_N_ST];
    int i, err;
    for (i = 0; i < PDG_N_LIM; ++i)
        lim[i] = RC(0.0);
    for (i = 0; i < PDG_N_ST; ++i)
        st[i] = RC(0.0);
    /* the pattern is the same for every problem of N nodes: any instance lays it out (numba's allocate's) */
    lim[PDG_LIM_TMIN] = RC(1500.0);
    lim[PDG_LIM_TMAX] = RC(7500.0);
    lim[PDG_LIM_ISP] = RC(3000.0);
    lim[PDG_LIM_G0] = RC(1.0);
    lim[PDG_LIM_GLIDE] = fs[b + PG_GLIDE];
    lim[PDG_LIM_POINT] = fs[b + PG_POINT];
    lim[PDG_LIM_MDRY] = RC(1.0);
    lim[PDG_LIM_G] = RC(1.62);
    lim[PDG_LIM_RATE] = RC(0.1);
    lim[PDG_LIM_THROTTLE_RATE] = THROTTLE_RATE;
    st[PDG_ST_R] = RC(100.0);
    st[PDG_ST_R + 2] = RC(1000.0);
    st[PDG_ST_M] = RC(2000.0);
    err = pdg_layout(&M->P, (int)fs[b + PG_NODES]);
    if (err != 0)
        return err;
    pdg_fill(&M->P, st, lim, RC(60.0));
    err = pdg_workspace(&M->P, &M->W);
    if (err != 0)
        return err;
    fs[b + PG_NNZ_K] = (real)M->W.kp[M->W.nk];
    fs[b + PG_NNZ_L] = (real)M->W.lp[M->W.nk];
    return 0;
}

/* A solve has ended: its status, counted (numba's _counted). */
static int counted(real *fs, const pdg_law_mem *M)
{
    const int b = FS_LEN;
    const real it = M->W.info[PDG_I_ITER];
    fs[b + PG_SOLVES] += RC(1.0);
    fs[b + PG_ITERS] += it;
    fs[b + PG_ITER_MAX] = r_max(fs[b + PG_ITER_MAX], it);
    return (int)M->W.info[PDG_I_STATUS];
}

/* A solve of the final-time search has ended: record it and set the next one's final time
 * (numba's _search_took, where the search is described).  0: go on, 1: M holds the optimum at
 * PG_S_TF, -1: none feasible. */
static int search_took(real *fs, const pdg_law_mem *M, int status)
{
    const int b = FS_LEN;
    int stage = (int)fs[b + PG_STAGE];
    real tf = fs[b + PG_S_TF];
    const real f = status == PDG_OPTIMAL ? M->W.info[PDG_I_PCOST] * M->P.scale[PDG_SC_L] / tf : NO_COST;
    const real g = (r_sqrt(RC(5.0)) - RC(1.0)) / RC(2.0);
    real a, c, x1, x2, f1, f2;
    if (stage < SEARCH_GRID) {
        real best;
        if (status == PDG_OPTIMAL && f < fs[b + PG_S_FBEST]) {
            fs[b + PG_S_BEST] = tf;
            fs[b + PG_S_FBEST] = f;
        }
        ++stage;
        fs[b + PG_STAGE] = (real)stage;
        if (stage < SEARCH_GRID) {
            fs[b + PG_S_TF] = fs[b + PG_S_LO] + (real)stage * fs[b + PG_S_STEP];
            return 0;
        }
        best = fs[b + PG_S_BEST];
        if (best == RC(0.0))
            return -1;
        a = r_max(best - fs[b + PG_S_STEP], RC(1.0));
        c = best + fs[b + PG_S_STEP];
        fs[b + PG_S_A] = a;
        fs[b + PG_S_C] = c;
        fs[b + PG_S_X1] = c - g * (c - a);
        fs[b + PG_S_X2] = a + g * (c - a);
        fs[b + PG_S_TF] = fs[b + PG_S_X1];
        return 0;
    }
    if (stage == STAGE_FINAL)
        return status == PDG_OPTIMAL ? 1 : -1;
    if (stage == SEARCH_GRID) {
        fs[b + PG_S_F1] = f;
        fs[b + PG_STAGE] = (real)(stage + 1);
        fs[b + PG_S_TF] = fs[b + PG_S_X2];
        return 0;
    }
    if (stage == SEARCH_GRID + 1 || fs[b + PG_S_WHICH] == RC(2.0))
        fs[b + PG_S_F2] = f;
    else
        fs[b + PG_S_F1] = f;
    ++stage;
    fs[b + PG_STAGE] = (real)stage;
    a = fs[b + PG_S_A];
    c = fs[b + PG_S_C];
    x1 = fs[b + PG_S_X1];
    x2 = fs[b + PG_S_X2];
    f1 = fs[b + PG_S_F1];
    f2 = fs[b + PG_S_F2];
    if (stage < STAGE_FINAL) {
        if (f1 <= f2) {
            c = x2;
            x2 = x1;
            f2 = f1;
            x1 = c - g * (c - a);
            fs[b + PG_S_TF] = x1;
            fs[b + PG_S_WHICH] = RC(1.0);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (c - a);
            fs[b + PG_S_TF] = x2;
            fs[b + PG_S_WHICH] = RC(2.0);
        }
        fs[b + PG_S_A] = a;
        fs[b + PG_S_C] = c;
        fs[b + PG_S_X1] = x1;
        fs[b + PG_S_X2] = x2;
        fs[b + PG_S_F1] = f1;
        fs[b + PG_S_F2] = f2;
        return 0;
    }
    tf = f1 <= f2 ? x1 : x2;
    if (r_min(f1, f2) > fs[b + PG_S_FBEST])
        tf = fs[b + PG_S_BEST];
    fs[b + PG_S_TF] = tf;
    return 0;
}

/* The optimum in M as the plan (SI, landing frame) from time t. */
static void store(real *fs, const pdg_law_mem *M, real t)
{
    const int b = FS_LEN, N = (int)fs[b + PG_NODES];
    const real *sc = M->P.scale, *x = M->W.x;
    const real L = sc[PDG_SC_L], T = sc[PDG_SC_T], m0 = sc[PDG_SC_M0];
    int k, i;
    for (k = 0; k < N; ++k) {
        const int o = b + PG_LEN + PN_LEN * k;
        for (i = 0; i < 3; ++i) {
            fs[o + PN_R + i] = sc[PDG_SC_RF + i] + L * x[NV * k + IR + i];
            fs[o + PN_V + i] = x[NV * k + IV + i] * L / T;
            fs[o + PN_U + i] = k < N - 1 ? x[NV * k + IU + i] * L / (T * T) : RC(0.0);
        }
        fs[o + PN_M] = m0 * p_exp(x[NV * k + IZ]);
    }
    fs[b + PG_T_PLAN] = t;
    fs[b + PG_TF] = T;
}

/* The problem's start (the navigation estimate), target and limits into the region. */
static void set_start(real *fs, const real *cfg, const real *r, const real *v, real mass, real ratio, real g_mag)
{
    const int b = FS_LEN;
    real *st = fs + b + PG_ST, *lim = fs + b + PG_LIM;
    int i;
    for (i = 0; i < 3; ++i) {
        st[PDG_ST_R + i] = r[i];
        st[PDG_ST_V + i] = v[i];
        st[PDG_ST_RF + i] = fs[b + PG_RF + i];
        st[PDG_ST_VF + i] = fs[b + PG_VF + i];
    }
    st[PDG_ST_M] = mass;
    /* the plan keeps a margin of the engine's range for the feedback (t_lo, t_hi) */
    lim[PDG_LIM_TMIN] = fs[b + PG_T_LO] * ratio * cfg[CF_THRUST_MIN];
    lim[PDG_LIM_TMAX] = fs[b + PG_T_HI] * ratio * cfg[CF_THRUST_MAX];
    lim[PDG_LIM_ISP] = cfg[CF_ISP];
    lim[PDG_LIM_G0] = RC(1.0);
    lim[PDG_LIM_GLIDE] = fs[b + PG_GLIDE];
    lim[PDG_LIM_POINT] = fs[b + PG_POINT];
    lim[PDG_LIM_MDRY] = fs[b + PG_M_DRY];
    lim[PDG_LIM_G] = g_mag;
    lim[PDG_LIM_RATE] = RATE_SHARE * cfg[CF_ATT_RATE_MAX];
    lim[PDG_LIM_THROTTLE_RATE] = THROTTLE_RATE;
    lim[PDG_LIM_POINT_END] = POINT_END;
}

void pdg_law_begin_plan(real *fs, const real *cfg, real t, const real *r, const real *v, real mass, real ratio,
                        real g_mag, real search_tf)
{
    const int b = FS_LEN;
    set_start(fs, cfg, r, v, mass, ratio, g_mag);
    fs[b + PG_T_JOB] = t;
    fs[b + PG_SOLVING] = RC(0.0);
    if (search_tf > RC(0.0)) {
        fs[b + PG_JOB] = JOB_SEARCH;
        fs[b + PG_STAGE] = RC(0.0);
        fs[b + PG_S_LO] = TF_LO * search_tf;
        fs[b + PG_S_STEP] = (TF_HI - TF_LO) * search_tf / (SEARCH_GRID - 1);
        fs[b + PG_S_BEST] = RC(0.0);
        fs[b + PG_S_FBEST] = NO_COST;
        fs[b + PG_S_TF] = fs[b + PG_S_LO];
    } else {
        fs[b + PG_JOB] = JOB_PLAN;
        fs[b + PG_S_TF] = fs[b + PG_T_PLAN] + fs[b + PG_TF] - t;
    }
}

int pdg_law_work(real *fs, const real *cfg, real t, const real *r, const real *v, real mass, real ratio, real g_mag,
                 int budget, pdg_law_mem *M)
{
    const int b = FS_LEN;
    int spent = 0, status = PDG_RUNNING, result = 0;
    while (result == 0) {
        if (fs[b + PG_SOLVING] == RC(0.0)) {
            if (budget > 0 && spent >= budget)
                break;
            pdg_fill(&M->P, fs + b + PG_ST, fs + b + PG_LIM, fs[b + PG_S_TF]);
            status = pdg_solve_begin(&M->P, &M->W, fs[b + PG_JOB] == JOB_PLAN && fs[b + PG_WARM] > RC(0.0));
            ++spent;
            fs[b + PG_SOLVING] = RC(1.0);
        }
        if (status == PDG_RUNNING) {
            const int n = budget == 0 ? PDG_MAX_ITERS + 1 : budget - spent;
            int before;
            if (n <= 0)
                break;
            before = (int)M->W.info[PDG_I_ITER];
            status = pdg_solve_iterate(&M->P, &M->W, n);
            spent += (int)M->W.info[PDG_I_ITER] - before;
            if (status == PDG_RUNNING)
                break;
        }
        fs[b + PG_SOLVING] = RC(0.0);
        status = counted(fs, M);
        if (fs[b + PG_JOB] == JOB_SEARCH)
            result = search_took(fs, M, status);
        else
            result = status == PDG_OPTIMAL ? 1 : -1;
        if (result == 1 && fs[b + PG_JOB] == JOB_SEARCH && fs[b + PG_T_JOB] < t) {
            /* a search that ends in a later step than its state's: re-plan from the present
             * estimate over the time it found, warm from its optimum, before its plan is kept */
            set_start(fs, cfg, r, v, mass, ratio, g_mag);
            fs[b + PG_JOB] = JOB_PLAN;
            fs[b + PG_T_JOB] = t;
            fs[b + PG_WARM] = RC(1.0);
            result = 0;
        }
    }
    fs[b + PG_STEP_ITER_MAX] = r_max(fs[b + PG_STEP_ITER_MAX], (real)spent);
    if (result == 0)
        return 0;
    fs[b + PG_JOB] = JOB_NONE;
    fs[b + PG_STATUS] = M->W.info[PDG_I_STATUS];
    fs[b + PG_T_NEXT] = fs[b + PG_T_JOB] + fs[b + PG_REPLAN_S];
    if (result > 0) {
        store(fs, M, fs[b + PG_T_JOB]);
        fs[b + PG_WARM] = RC(1.0);
        fs[b + PG_FAILS] = RC(0.0);
    } else {
        fs[b + PG_FAILURES] += RC(1.0);
        fs[b + PG_FAILS] += RC(1.0);
        fs[b + PG_WARM] = RC(0.0);
    }
    return result;
}

int pdg_law_plan_arc(real *fs, const real *cfg, real t, const real *r, const real *v, real mass, real ratio,
                     real g_mag, real search_tf, pdg_law_mem *M)
{
    pdg_law_begin_plan(fs, cfg, t, r, v, mass, ratio, g_mag, search_tf);
    return pdg_law_work(fs, cfg, t, r, v, mass, ratio, g_mag, 0, M) > 0;
}

/* The plan at t (numba's plan_state): position and velocity (its node's state carried on
 * under the node's held thrust and the plan's flat gravity), the held thrust acceleration
 * and that gravity. */
static void plan_state(const real *fs, real t, vec3 *rp, vec3 *vp, vec3 *u, vec3 *g_p)
{
    const int b = FS_LEN, N = (int)fs[b + PG_NODES];
    const real tau = r_min(r_max(t - fs[b + PG_T_PLAN], RC(0.0)), fs[b + PG_TF]);
    const real dtn = fs[b + PG_TF] / (real)(N - 1);
    const int kk = (int)(tau / dtn), k = kk < N - 2 ? kk : N - 2;
    const real s = tau - (real)k * dtn;
    const int o = b + PG_LEN + PN_LEN * k;
    vec3 acc;
    *g_p = v3(RC(0.0), RC(0.0), -fs[b + PG_LIM + PDG_LIM_G]);
    *u = v3_load(fs, o + PN_U);
    acc = v3_add(*u, *g_p);
    *rp = v3_add(v3_add(v3_load(fs, o + PN_R), v3_scale(v3_load(fs, o + PN_V), s)),
                 v3_scale(acc, RC(0.5) * s * s));
    *vp = v3_add(v3_load(fs, o + PN_V), v3_scale(acc, s));
}

/* The plan's held thrust acceleration at t, corrected from the plan's flat gravity to the
 * apparent one, plus feedback on the deviation from the plan's state. */
static vec3 follow(const real *fs, const real *cfg, real t, vec3 r, vec3 v, vec3 g)
{
    vec3 rp, vp, u, g_p, fb;
    const real w = cfg[CF_POS_BW];
    plan_state(fs, t, &rp, &vp, &u, &g_p);
    fb = v3_add(v3_scale(v3_sub(rp, r), w * w), v3_scale(v3_sub(vp, v), RC(2.0) * ZETA * w));
    return v3_add(v3_add(u, v3_sub(g_p, g)), fb);
}

static void start_arc(real *fs, const real *cfg, int arc)
{
    const int b = FS_LEN;
    vec3 aim;
    real vf;
    int i;
    fs[b + PG_ARC] = (real)arc;
    fs[b + PG_FALLBACK] = RC(0.0);
    fs[b + PG_FAILS] = RC(0.0);
    fs[b + PG_WARM] = RC(0.0);
    fs[b + PG_TF] = RC(0.0); /* no plan yet: the default law flies until the first is found */
    fs[b + PG_JOB] = JOB_NONE;
    if (arc == ARC_APPROACH) {
        aim = descent_site_point(cfg, fs, cfg[CF_HOVER_ALT]); /* the target, or where braking moved it */
        vf = RC(0.0);
    } else {
        aim = v3_load(fs, FS_AIM);
        vf = -cfg[CF_SLOW_RATE];
    }
    v3_store(fs, b + PG_RF, aim);
    for (i = 0; i < 3; ++i)
        fs[b + PG_VF + i] = RC(0.0);
    fs[b + PG_VF + 2] = vf;
}

static void fall_back(real *fs)
{
    fs[FS_LEN + PG_FALLBACK] = RC(1.0);
    fs[FS_LEN + PG_FALLBACKS] += RC(1.0);
}

/* The time-to-go the default law takes over a failed arc with (numba's fallback_tgo, where
 * the reason is): twice the distance to the arc's target over the speed relative to its
 * velocity, at most the arc's nominal time. */
static real fallback_tgo(const real *fs, vec3 r, vec3 v, real nominal)
{
    const int b = FS_LEN;
    real d = v3_norm(v3_sub(r, v3_load(fs, b + PG_RF)));
    real closing = r_max(v3_norm(v3_sub(v, v3_load(fs, b + PG_VF))), RC(1e-3));
    return r_min(RC(2.0) * d / closing, nominal);
}

/* the counters into the actuator frame (numba's report): a board's are seen by the host only there */
static void report(const real *fs, real *af)
{
    const int b = FS_LEN;
    af[AF_PLAN_SOLVES] = fs[b + PG_SOLVES];
    af[AF_PLAN_FAILURES] = fs[b + PG_FAILURES];
    af[AF_PLAN_ITERS] = fs[b + PG_ITERS];
    af[AF_PLAN_ITER_MAX] = fs[b + PG_ITER_MAX];
    af[AF_PLAN_STEP_ITER_MAX] = fs[b + PG_STEP_ITER_MAX];
    af[AF_PLAN_FALLBACKS] = fs[b + PG_FALLBACKS];
}

int pdg_law_step(const real *sf, const real *cfg, real *fs, real *af, real t, pdg_law_mem *M)
{
    const int b = FS_LEN;
    descent_pre pre = descent_prepare(sf, cfg, fs, t);
    int phase, health, arc = ARC_NONE;
    vec3 a = descent_phased(sf, cfg, fs, af, t, &pre, &phase, &health);
    const vec3 r = pre.r, v = pre.v, g = pre.g;
    const real rr[3] = {r.x, r.y, r.z}, vv[3] = {v.x, v.y, v.z};
    if (phase == PHASE_APPROACH)
        arc = ARC_APPROACH;
    else if (phase == PHASE_OBSTACLE_AVOIDANCE && fs[b + PG_DIVERT] > RC(0.0))
        arc = ARC_DIVERT;
    if (arc != ARC_NONE) {
        const real nominal = arc == ARC_APPROACH ? cfg[CF_APPROACH_TIME] : cfg[CF_AVOID_TIME];
        const real g_mag = v3_norm(g);
        if ((int)fs[b + PG_ARC] != arc) {
            start_arc(fs, cfg, arc);
            pdg_law_begin_plan(fs, cfg, t, rr, vv, pre.mass, pre.ratio, g_mag, nominal);
        } else if (fs[b + PG_FALLBACK] == RC(0.0) && t - fs[FS_T_PHASE] > TF_HI * nominal) {
            /* the longest plan a search may choose is over, and the arc is not: failed
             * re-plans kept moving its end (pdg_law.py) */
            fall_back(fs);
            fs[FS_TGO] = fallback_tgo(fs, r, v, nominal);
        } else if (fs[b + PG_FALLBACK] == RC(0.0) && fs[b + PG_JOB] == JOB_NONE) {
            real ttg = fs[b + PG_T_PLAN] + fs[b + PG_TF] - t;
            if (t >= fs[b + PG_T_NEXT] && ttg >= REPLAN_MIN_S) {
                /* after a failure, the final time is searched again about the time left */
                real retarget = fs[b + PG_FAILS] > RC(0.0) ? r_max(ttg, RC(2.0) * REPLAN_MIN_S) : RC(0.0);
                pdg_law_begin_plan(fs, cfg, t, rr, vv, pre.mass, pre.ratio, g_mag, retarget);
            }
        }
        if (fs[b + PG_FALLBACK] == RC(0.0) && fs[b + PG_JOB] != JOB_NONE
            && pdg_law_work(fs, cfg, t, rr, vv, pre.mass, pre.ratio, g_mag, (int)fs[b + PG_STEP_ITERS], M) < 0) {
            if (fs[b + PG_TF] == RC(0.0)) {
                fall_back(fs); /* the arc's first plan: the default law's own time-to-go stands */
            } else if (fs[b + PG_FAILS] >= (real)FAIL_MAX) {
                fall_back(fs);
                fs[FS_TGO] = fallback_tgo(fs, r, v, nominal);
            }
        }
        if (fs[b + PG_FALLBACK] == RC(0.0) && fs[b + PG_TF] > RC(0.0)) {
            /* the arc's time-to-go is the plan's: Chang'e's transitions end the arc with it */
            fs[FS_TGO] = fs[b + PG_T_PLAN] + fs[b + PG_TF] - t + handover_s(arc);
            a = guidance_shape_thrust(follow(fs, cfg, t, r, v, g), pre.up, pre.ratio * cfg[CF_THRUST_MIN] / pre.mass,
                                      cfg[CF_MAX_TILT]);
        }
    }
    report(fs, af);
    return descent_actuate(cfg, fs, af, a, phase, &pre, health);
}
