"""fsw_step: the flight software's one entry point, the boundary every build shares.

    fsw_step(sensor_frame, config, fsw_state, actuator_frame)

Runs navigation, then the program named in the config, and fills the actuator
frame; the ascent and rendezvous programs run their own navigation.  A program
other than these three, or a step dt <= 0, is answered with config_bad.  The C build
(csrc/fsw_step.c) implements the same function, every program, on the same layouts.

A closed loop flies only some programs (the descent's, never the ascent's), so it binds
flying(programs): fsw_step compiled with the other programs answered config_bad, which
spares a first run compiling flight software it never calls (the ascent's and the
rendezvous' are four fifths of the descent's fsw_step).
"""
import functools

from gnc.core.fsw import descent, nav, pdg_law
from gnc.core.fsw.ascent import step as ascent_step
from gnc.core.fsw.rendezvous import step as rendezvous_step
from gnc.core.jit import kernel, variant
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
def descent_step(sf, cfg, fs, af, t):
    """The descent program, navigation first."""
    health = 0
    if int(fs[FS_HEALTH]) & HEALTH_NAV_INIT == 0:
        nav.init(cfg, fs)
        fs[FS_HEALTH] = HEALTH_NAV_INIT
        fs[FS_T_LAST] = t
    else:
        health |= nav.propagate(sf, cfg, fs, t, t - fs[FS_T_LAST] if t > fs[FS_T_LAST] else cfg[CF_DT])
        fs[FS_T_LAST] = t
    health |= nav.correct(sf, cfg, fs, t)
    if int(sf[SF_CMD]) == 1:
        fs[FS_STARTED] = 1.0
    if fs[FS_STARTED] > 0.0:
        health |= descent.step(sf, cfg, fs, af, t)
    nav.report(fs, af, health, nav.q_lb(fs, t, cfg), nav.N)


# descent_step flown by the fuel-optimal law: fs carries the law's region after FS_LEN (pdg_law.allocate); the C
# builds' twin is csrc/fsw_step_pdg.c
pdg_descent_step = kernel(variant(descent_step, "pdg_descent_step", descent=pdg_law))


@kernel
def not_flown(sf, cfg, fs, af, t):
    """A program the loop was not compiled to fly: config_bad, as for an unknown one."""
    af[AF_HEALTH] = HEALTH_CONFIG_BAD


@kernel
def fsw_step(sf, cfg, fs, af):
    t = sf[SF_T]
    for i in range(AF_LEN):
        af[i] = 0.0
    af[AF_T] = t
    program = int(cfg[CF_PROGRAM])
    if cfg[CF_DT] <= 0.0 or (program != PROGRAM_DESCENT and program != PROGRAM_ASCENT
                             and program != PROGRAM_RENDEZVOUS):
        af[AF_HEALTH] = HEALTH_CONFIG_BAD
    elif program == PROGRAM_ASCENT:
        ascent_step(sf, cfg, fs, af, t)
    elif program == PROGRAM_RENDEZVOUS:
        rendezvous_step(sf, cfg, fs, af, t)
    else:
        descent_step(sf, cfg, fs, af, t)


_STEPS = {PROGRAM_DESCENT: ("descent", "descent_step"), PROGRAM_ASCENT: ("ascent", "ascent_step"),
          PROGRAM_RENDEZVOUS: ("rendezvous", "rendezvous_step")}


@functools.cache
def flying(programs: tuple[int, ...]):
    """fsw_step compiled to fly only programs (PROGRAM_* codes), the others answered
    config_bad; every program: fsw_step itself."""
    if set(programs) >= set(_STEPS):
        return fsw_step
    name = "fsw_step_" + "_".join(_STEPS[p][0] for p in sorted(programs))
    return kernel(variant(fsw_step, name, **{_STEPS[p][1]: not_flown for p in _STEPS if p not in programs}))


# the descent's loop flying the fuel-optimal law: its own compiled step, so only those who fly it compile the solver
fsw_step_pdg = kernel(variant(fsw_step, "fsw_step_pdg", descent_step=pdg_descent_step, ascent_step=not_flown,
                              rendezvous_step=not_flown))
