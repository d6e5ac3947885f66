"""The one place numba is configured for the core.

Every kernel is compiled with cache=True (cold start is a user-visible cost) and
nogil (Monte Carlo threads).  Set NUMBA_CACHE_DIR for read-only installs.

numba checks a cached kernel against its own file only, so a kernel whose cache
predates an edit to a kernel it calls from another file goes on running the old
callee, silently (an edit to terrain.ray_range left the sensors' cached kernels
ranging the old way).  At import, before any kernel loads, the caches are dropped
when the kernels' sources differ from those they were built from.
"""
import os
import types as types_
from pathlib import Path

import numba
from numba.core import types

from gnc.core.cache_state import GNC, STAMP, kernel_sources, sources_digest


def cache_dir(source: Path) -> Path:
    """Where numba caches source's kernels: beside it, or under NUMBA_CACHE_DIR (numba's
    own naming of the subdirectory)."""
    if numba.config.CACHE_DIR:
        from numba.core.caching import _CacheLocator

        return Path(numba.config.CACHE_DIR) / _CacheLocator.get_suitable_cache_subpath(str(source))
    return source.parent / "__pycache__"


def drop_stale_caches(sources: list[Path], stamp: Path) -> bool:
    """Delete the numba caches of sources unless stamp holds the hash of their contents;
    then write it.  True if caches were dropped.  Unwritable places are left alone (numba
    does not cache there either)."""
    digest = sources_digest(sources)
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    for f in sources:
        for cached in cache_dir(f).glob(f"{f.stem}.*.nb[ic]"):
            try:
                cached.unlink()
            except OSError:
                pass          # gone already (another process), or not ours to delete
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}")
        tmp.write_text(digest)
        tmp.replace(stamp)
    except OSError:
        pass
    return True


drop_stale_caches(kernel_sources(), cache_dir(GNC / "core" / "jit.py") / STAMP)

_njit = numba.njit(cache=True, nogil=True, error_model="numpy")


def kernel(fn):
    """fn compiled by numba, once per argument types.  Called from compiled code with a
    constant argument (load3(x, X_R)), numba would type the constant as a literal and compile
    a whole specialization per value (36 of vec.load3 in the descent alone); typed as its
    plain type, one specialization serves every call site, and LLVM still folds the constant
    once the callee is inlined into its caller."""
    d = _njit(fn)
    template = d.get_call_template

    def plain_call_template(args, kws):
        return template(tuple(types.unliteral(a) for a in args), {k: types.unliteral(v) for k, v in kws.items()})

    d.get_call_template = plain_call_template
    return d


def variant(fn, name: str, **bound):
    """A Python function of fn's code (fn: a function or a kernel) with the globals in bound
    rebound (the callees it compiles with), named name: numba caches a kernel by its name and
    code, not its globals, so each variant to compile needs a name of its own."""
    fn = getattr(fn, "py_func", fn)
    v = types_.FunctionType(fn.__code__, dict(fn.__globals__, **bound), name)
    v.__qualname__ = name
    v.__doc__ = fn.__doc__
    return v


# A kernel called several times per integration step with arrays in a tuple (the gravity
# field) costs more per call than its arithmetic: numba inlines it in its callers instead
# (bench/rk4_timing.py times rk4_step both ways).
inline_kernel = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
