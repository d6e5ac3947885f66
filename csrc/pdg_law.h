/* The fuel-optimal powered-descent law (guidance.law = "pdg"): the C twin of
 * gnc/core/fsw/pdg_law.py, where the law is described (docs/guidance_pdg.md).
 *
 * Memory: all of it is the caller's flight-software state row.  After its FS_LEN fields come
 * the PG block (pdg_law_layout.h, generated as numba's), then the plan (PN_LEN reals a node),
 * then, at the next multiple of 8 bytes, a pdg_law_mem (the solver's problem and workspace,
 * raw memory in the row: never converted by a float build's double-frame entry).  Nothing is
 * static, so runs flown side by side in threads share nothing. */
#ifndef GNC_PDG_LAW_H
#define GNC_PDG_LAW_H

#include "pdg.h"
#include "pdg_law_layout.h"
#include "real.h"

/* a plan node: position, velocity, mass, held thrust acceleration (landing frame, SI) */
#define PN_R 0
#define PN_V 3
#define PN_M 6
#define PN_U 7
#define PN_LEN 10

#define ARC_NONE 0
#define ARC_APPROACH 1
#define ARC_DIVERT 2

typedef struct {
    pdg_problem P;
    pdg_work W;
} pdg_law_mem;

/* Reals of the state row before the pdg_law_mem for N nodes (FS_LEN + PG_LEN + PN_LEN N). */
#define PDG_LAW_PLAN_END(N) (FS_LEN + PG_LEN + PN_LEN * (N))

/* The set-up, once (numba's allocate): the PG block holds nodes, replan_s, glide, point,
 * m_dry, t_lo, t_hi, divert and step_iters; lays out the problem and runs the solver's symbolic step in
 * M; writes PG_NNZ_K and PG_NNZ_L.
 * Returns 0, or pdg_layout's / pdg_workspace's error. */
int pdg_law_setup(real *fs, pdg_law_mem *M);

/* Start planning from the navigation estimate at t (numba's begin_plan): a final-time search
 * about `search_tf` (> 0) or a warm re-plan over the time the plan has left (0). */
void pdg_law_begin_plan(real *fs, const real *cfg, real t, const real *r, const real *v, real mass, real ratio,
                        real g_mag, real search_tf);

/* Carry the planning on by at most `budget` iterations, a solve's start counted as one (0: to
 * its end; numba's work, where a search that outlives its state's step is described): 0 under
 * way, 1 a new plan stored, -1 no optimum (counted; the old plan stands). */
int pdg_law_work(real *fs, const real *cfg, real t, const real *r, const real *v, real mass, real ratio, real g_mag,
                 int budget, pdg_law_mem *M);

/* Plan from the navigation estimate to the end, in this call (numba's plan_arc): begin, then
 * work with no budget; 1 with a new plan, 0 when the solve found no optimum (counted; the old
 * plan stands). */
int pdg_law_plan_arc(real *fs, const real *cfg, real t, const real *r, const real *v, real mass, real ratio,
                     real g_mag, real search, pdg_law_mem *M);

/* One guidance + control step of the descent with the fuel-optimal law (numba's step);
 * returns health bits. */
int pdg_law_step(const real *sf, const real *cfg, real *fs, real *af, real t, pdg_law_mem *M);

#endif
