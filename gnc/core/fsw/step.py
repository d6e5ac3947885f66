"""fsw_step: the flight software's one entry point, the boundary every build shares.

    fsw_step(sensor_frame, config, fsw_state, actuator_frame)

Runs navigation, then the program named in the config, and fills the actuator
frame; the ascent and rendezvous programs run their own navigation.  A program
other than these three, or a step dt <= 0, is answered with config_bad.  The C build
(csrc/fsw_step.c) implements the same function, every program, on the same layouts.
"""
from gnc.core.fsw import ascent, descent, nav, pdg_law, rendezvous
from gnc.core.jit import kernel
from gnc.core.layout import (AF_HEALTH, AF_LEN, AF_T, CF_DT, CF_PROGRAM, FS_H_GROUND, FS_HEALTH, FS_LEN, FS_PHASE,
                             FS_STARTED, FS_T_LAST, HEALTH_CONFIG_BAD, HEALTH_NAV_INIT, PHASE_IDLE, PROGRAM_ASCENT,
                             PROGRAM_DESCENT, PROGRAM_RENDEZVOUS, SF_CMD, SF_T)


@kernel
def fsw_reset(fs):
    for i in range(FS_LEN):
        fs[i] = 0.0
    fs[FS_PHASE] = PHASE_IDLE
    fs[FS_H_GROUND] = -1.0


@kernel
def fsw_step(sf, cfg, fs, af):
    t = sf[SF_T]
    dt = cfg[CF_DT]
    for i in range(AF_LEN):
        af[i] = 0.0
    af[AF_T] = t
    program = int(cfg[CF_PROGRAM])
    if dt <= 0.0 or (program != PROGRAM_DESCENT and program != PROGRAM_ASCENT and program != PROGRAM_RENDEZVOUS):
        af[AF_HEALTH] = HEALTH_CONFIG_BAD
        return
    if program == PROGRAM_ASCENT:
        ascent.step(sf, cfg, fs, af, t)
        return
    if program == PROGRAM_RENDEZVOUS:
        rendezvous.step(sf, cfg, fs, af, t)
        return
    health = _descent_nav(sf, cfg, fs, t, dt)
    if fs[FS_STARTED] > 0.0:
        health |= descent.step(sf, cfg, fs, af, t)
    nav.report(fs, af, health, nav.q_lb(fs, t, cfg), nav.N)


@kernel
def _descent_nav(sf, cfg, fs, t, dt):
    """The descent's navigation and its go command; returns the health bits."""
    health = 0
    if int(fs[FS_HEALTH]) & HEALTH_NAV_INIT == 0:
        nav.init(cfg, fs)
        fs[FS_HEALTH] = HEALTH_NAV_INIT
        fs[FS_T_LAST] = t
    else:
        health |= nav.propagate(sf, cfg, fs, t, t - fs[FS_T_LAST] if t > fs[FS_T_LAST] else dt)
        fs[FS_T_LAST] = t
    health |= nav.correct(sf, cfg, fs, t)
    if int(sf[SF_CMD]) == 1:
        fs[FS_STARTED] = 1.0
    return health


@kernel
def fsw_step_pdg(sf, cfg, fs, af):
    """fsw_step with the descent flown by the fuel-optimal law (gnc.core.fsw.pdg_law): fs
    carries its region after FS_LEN (pdg_law.allocate).  Numba only; the other programs fly
    as fsw_step flies them."""
    if int(cfg[CF_PROGRAM]) != PROGRAM_DESCENT or cfg[CF_DT] <= 0.0:
        fsw_step(sf, cfg, fs, af)
        return
    t = sf[SF_T]
    for i in range(AF_LEN):
        af[i] = 0.0
    af[AF_T] = t
    health = _descent_nav(sf, cfg, fs, t, cfg[CF_DT])
    if fs[FS_STARTED] > 0.0:
        health |= pdg_law.step(sf, cfg, fs, af, t)
    nav.report(fs, af, health, nav.q_lb(fs, t, cfg), nav.N)
