"""The one place numba is configured for the core.

Every kernel is compiled with cache=True (cold start is a user-visible cost) and
nogil (Monte Carlo threads).  Set NUMBA_CACHE_DIR for read-only installs.
"""
import types

import numba

kernel = numba.njit(cache=True, nogil=True, error_model="numpy")


def bind_step(loop, step, name: str, cache: bool = True):
    """The closed loop `loop` compiled with its global `fsw_step` bound to the kernel
    `step` (a C build's, a test's recorder), under `name`, which names the compiled
    function and its cache files: one per step kernel (gnc/core/loop.py says why not a
    switch argument or a closure).  cache=False for a step that lives in one process only:
    the cache key holds the name, not the binding."""
    fn = types.FunctionType(loop.__code__, dict(loop.__globals__, fsw_step=step), name)
    fn.__qualname__ = name
    fn.__doc__ = loop.__doc__
    return kernel(fn) if cache else numba.njit(fn, nogil=True, error_model="numpy")
