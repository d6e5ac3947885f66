"""The one closed loop, entirely in compiled code, for every program and every build:

    plant.sense -> fsw_step (one per flight computer) -> plant.record -> plant.advance

A plant (gnc/programs/<program>/plant.py) is the vehicle side of one program: a module
with three kernels over its own namedtuple of arrays `p`, and frames held as 2-D
arrays, one row per flight computer (one for descent and ascent, two for rendezvous):

    sense(k, p, sf, af)                    truth at step k -> sensor frames sf[v]; af holds
                                           the latest actuator frames (the hazard unit's command)
    record(row, k, k_end, p, sf, af)       one telemetry row
    advance(k, k_end, p, af)               truth from step k under the actuator frames;
                                           returns (steps advanced, event)

A plant sees the frames only, never the flight software's state fs: what it records and
coasts by travels in the actuator frame, so a flight over a link (where fs stays on
the board) records and flies the same.

A step advances the clock by `steps` flight-software steps: 1, more when a plant coasts
in one go (the rendezvous' time warp, never past k_end), 0 when it ends the run before
moving (the ascent's insertion).  Events other than EV_NONE end the call.  The HIL
session (gnc/hil/session.py) drives the same plant kernels with the flight software on the
far side of a link.

bind(plant, step, name) compiles `_fly` with the plant's kernels and the flight
software's step bound as globals.  Each variant is a separate, fully compiled loop
with everything called directly, and each caches under its own name (loop.<name>-*.nbi):
numba's cache key holds the code and the function's name, not the bound globals, so
the names must differ.  The alternatives lose something: an argument switching builds
needs the C symbols whenever the loop compiles, so a machine without a C compiler could
not fly numba; a factory closure is never found in numba's cache (the key pickles the
closure, and a dispatcher pickles with a per-process id), so every process would
recompile.
"""
import numba
import numpy as np

from gnc.core.jit import kernel, variant

EV_NONE = 0        # reached k_end, still flying
EV_TEL_FULL = -1   # the telemetry buffer is full: the caller makes room and calls again

# --- layout C (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the loop counters (ctr), carried from call to call
C_K = 0     # next step
C_ROW = 1   # next telemetry row in the buffer
C_ITER = 2  # loop iterations so far (a coast of many steps is one)
C_LEN = 3
# --- end layout C ---


def _fly(p, sf, cfg, fs, af, tel, tel_every, k_end, seed, ctr):
    """Fly from step ctr[C_K] until k_end, an event, or a full telemetry buffer.  Returns
    the event; ctr holds the counters to continue from.  seed >= 0 reseeds the noise
    generator (a run's first call); -1 continues.  Every tel_every-th iteration writes
    a telemetry row."""
    if seed >= 0:
        np.random.seed(seed)
    k, row, it = ctr[C_K], ctr[C_ROW], ctr[C_ITER]
    event = EV_NONE
    while k < k_end:
        keep = it % tel_every == 0
        if keep and row >= tel.shape[0]:
            event = EV_TEL_FULL
            break
        sense(k, p, sf, af)                          # noqa: F821 (bound by bind)
        for v in range(sf.shape[0]):
            fsw_step(sf[v], cfg[v], fs[v], af[v])    # noqa: F821
        if keep:
            record(tel[row], k, k_end, p, sf, af)    # noqa: F821
            row += 1
        steps, event = advance(k, k_end, p, af)      # noqa: F821
        k += steps
        it += 1
        if event != EV_NONE:
            break
    ctr[C_K], ctr[C_ROW], ctr[C_ITER] = k, row, it
    return event


def bind(plant, step, name: str, cache: bool = True):
    """The closed loop over the plant module `plant` and the flight-software kernel `step`
    (a build's fsw_step, a test's recorder), compiled under `name`, which names the
    function and its cache files.  cache=False for a step that lives in one process only.
    The kernels it binds, by the names part_signatures gives, are its `parts`."""
    parts = {"sense": plant.sense, "fsw_step": step, "record": plant.record, "advance": plant.advance}
    fn = variant(_fly, name, **parts)
    d = kernel(fn) if cache else numba.njit(fn, nogil=True, error_model="numpy")
    d.parts = parts
    return d


@kernel
def seed_noise(seed):
    """Seed the noise generator as a run's first call does: numba keeps one generator for
    all compiled code, so a driver that calls the plant step by step (the HIL session)
    replays the in-process run's sensor noise."""
    np.random.seed(seed)


def counters() -> np.ndarray:
    """Fresh loop counters: step 0, row 0, no iteration."""
    return np.zeros(C_LEN, np.int64)


def part_signatures(p, sf, cfg, fs, af, tel, tel_every, k_end, seed, ctr) -> dict[str, tuple]:
    """The argument types _fly, called with these arguments, calls each bound kernel with
    (by name), so that they can be compiled apart, before the loop, in other processes
    (gnc.programs.loops): what numba would type in _fly's body, from the values."""
    t = numba.typeof
    k = t(ctr[C_K])
    return {"sense": (k, t(p), t(sf), t(af)),
            "fsw_step": (t(sf[0]), t(cfg[0]), t(fs[0]), t(af[0])),
            "record": (t(tel[0]), k, t(k_end), t(p), t(sf), t(af)),
            "advance": (k, t(k_end), t(p), t(af))}
