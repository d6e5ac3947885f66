#include "fsw_step_pdg.h"

#include "fsw_step.h"
#include "layout.h"
#include "nav.h"

void fsw_step_pdg(const real *sf, const real *cfg, real *fs, real *af, pdg_law_mem *M)
{
    real t = sf[SF_T];
    int health, i;
    for (i = 0; i < AF_LEN; ++i)
        af[i] = RC(0.0);
    af[AF_T] = t;
    if (cfg[CF_DT] <= RC(0.0) || (int)cfg[CF_PROGRAM] != PROGRAM_DESCENT) {
        af[AF_HEALTH] = (real)HEALTH_CONFIG_BAD;
        return;
    }
    health = fsw_descent_nav(sf, cfg, fs, t);
    if (fs[FS_STARTED] > RC(0.0))
        health |= pdg_law_step(sf, cfg, fs, af, t, M);
    nav_report(fs, af, health, nav_q_lb(fs, t, cfg), NAV_N);
}
