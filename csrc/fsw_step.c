#include "fsw_step.h"

#include "ascent.h"
#include "descent.h"
#include "layout.h"
#include "nav.h"
#include "rendezvous.h"

void fsw_reset(real *fs)
{
    int i;
    for (i = 0; i < FS_LEN; ++i)
        fs[i] = RC(0.0);
    fs[FS_PHASE] = (real)PHASE_IDLE;
    fs[FS_H_GROUND] = RC(-1.0);
}

int fsw_descent_nav(const real *sf, const real *cfg, real *fs, real t)
{
    int health = 0;
    if (((int)fs[FS_HEALTH] & HEALTH_NAV_INIT) == 0) {
        nav_init(cfg, fs);
        fs[FS_HEALTH] = (real)HEALTH_NAV_INIT;
        fs[FS_T_LAST] = t;
    } else {
        health |= nav_propagate(sf, cfg, fs, t, t > fs[FS_T_LAST] ? t - fs[FS_T_LAST] : cfg[CF_DT]);
        fs[FS_T_LAST] = t;
    }
    health |= nav_correct(sf, cfg, fs, t);
    if ((int)sf[SF_CMD] == 1)
        fs[FS_STARTED] = RC(1.0);
    return health;
}

/* Navigation, then the program named in the config; fills the actuator frame. */
void fsw_step(const real *sf, const real *cfg, real *fs, real *af)
{
    real t = sf[SF_T];
    real dt = cfg[CF_DT];
    int health, program = (int)cfg[CF_PROGRAM], i;
    for (i = 0; i < AF_LEN; ++i)
        af[i] = RC(0.0);
    af[AF_T] = t;
    if (dt <= RC(0.0) || (program != PROGRAM_DESCENT && program != PROGRAM_ASCENT && program != PROGRAM_RENDEZVOUS)) {
        af[AF_HEALTH] = (real)HEALTH_CONFIG_BAD;
        return;
    }
    /* the orbit programs run their own navigation */
    if (program == PROGRAM_ASCENT) {
        ascent_step(sf, cfg, fs, af, t);
        return;
    }
    if (program == PROGRAM_RENDEZVOUS) {
        rendezvous_step(sf, cfg, fs, af, t);
        return;
    }
    health = fsw_descent_nav(sf, cfg, fs, t);
    if (fs[FS_STARTED] > RC(0.0))
        health |= descent_step(sf, cfg, fs, af, t);
    nav_report(fs, af, health, nav_q_lb(fs, t, cfg), NAV_N);
}
