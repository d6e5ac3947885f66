"""The flight-software builds behind one name each, and the C build called from numba.

    "numba"    gnc.core.fsw.step, the reference
    "c"        csrc/ compiled with real = double   (extension module gnc._fsw_c)
    "c-float"  csrc/ compiled with real = float    (gnc._fsw_cf), the microcontroller arithmetic

Every build takes and returns the same float64 frames and runs every program (descent,
ascent, rendezvous), so each program's closed loop flies any of them (gnc.core.loop.bind
binds a build's step_kernel) and the back-to-back tests feed them the same sensor frames.  The
float build converts the frames to float and back inside C on every call; its state
array therefore only ever holds float values.

numba calls C through `types.ExternalFunction` on symbols of the extension modules,
made visible to LLVM by `llvmlite.binding.load_library_permanently` at import, before
any compiled code that names them is loaded from numba's cache (the cache stores the
symbol name, not an address, so cached loops keep working and pick up a rebuilt
library).  Array data pointers reach C through the `_data` intrinsic (~4 ns a call;
`arr.ctypes` does not exist in nopython code, and cffi's own numba support refuses
cache=True).

Without the extension modules (no C compiler when the package was installed) this
module still imports; asking for a C build raises CBuildUnavailable with the reason.
"""
from __future__ import annotations

import importlib

import llvmlite.binding as llvm
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from gnc.core.fsw.step import flying, fsw_reset, fsw_step
from gnc.core.jit import kernel

FSW_KINDS = ("numba", "c", "c-float")
_MODULES = {"c": "gnc._fsw_c", "c-float": "gnc._fsw_cf"}


class CBuildUnavailable(RuntimeError):
    """A C build was asked for and is not installed; str() is one line saying why."""


def _load(name: str):
    """(module, "") with its library loaded for LLVM, or (None, why not)."""
    try:
        module = importlib.import_module(name)
    except ImportError as e:
        return None, (f"the C flight build is unavailable: {name} is not built ({e}). It is compiled "
                      "when lunar-gnc is installed on a machine with a C compiler: install gcc or clang "
                      "and reinstall (pip install .)")
    try:
        llvm.load_library_permanently(module.__file__)
    except RuntimeError as e:
        return None, f"the C flight build is unavailable: {name} cannot be loaded for numba ({e})"
    return module, ""


_LOADED = {kind: _load(name) for kind, name in _MODULES.items()}


def require(fsw: str) -> None:
    """Raise ValueError for an unknown build name, CBuildUnavailable for a missing C build."""
    if fsw not in FSW_KINDS:
        raise ValueError(f"unknown flight software {fsw!r} (one of {', '.join(FSW_KINDS)})")
    if fsw in _LOADED and _LOADED[fsw][0] is None:
        raise CBuildUnavailable(_LOADED[fsw][1])


def module(fsw: str):
    """The cffi extension module of a C build (its `lib` calls C on the build's own `real`)."""
    require(fsw)
    return _LOADED[fsw][0]


@intrinsic
def _data(typingctx, arr):
    """Address of the first element of a C-contiguous float64 array."""
    if isinstance(arr, types.Array) and arr.dtype == types.float64 and arr.layout == "C":
        def codegen(context, builder, signature, args):
            return builder.bitcast(context.make_array(arr)(context, builder, args[0]).data, cgutils.voidptr_t)
        return types.voidptr(arr), codegen
    return None


_FRAMES = types.void(types.voidptr, types.voidptr, types.voidptr, types.voidptr)
_step_d = types.ExternalFunction("gnc_fsw_step_d", _FRAMES)
_step_f64io = types.ExternalFunction("gnc_fsw_step_f64io", _FRAMES)


@kernel
def fsw_step_c(sf, cfg, fs, af):
    """fsw_step of the double C build."""
    _step_d(_data(sf), _data(cfg), _data(fs), _data(af))


@kernel
def fsw_step_cf(sf, cfg, fs, af):
    """fsw_step of the float C build, on float64 frames."""
    _step_f64io(_data(sf), _data(cfg), _data(fs), _data(af))


_STEP = {"numba": fsw_step, "c": fsw_step_c, "c-float": fsw_step_cf}


def step_kernel(fsw: str, programs: tuple[int, ...] | None = None):
    """The compiled fsw_step(sf, cfg, fs, af) of a build, callable from numba code; for the
    numba build, programs (PROGRAM_* codes) narrows it to those a loop flies (step.flying),
    the others answered config_bad."""
    require(fsw)
    if fsw == "numba" and programs is not None:
        return flying(programs)
    return _STEP[fsw]


def reset(fsw: str, fs: np.ndarray) -> None:
    """fsw_reset of a build into the float64 state array fs."""
    if fsw == "numba":
        fsw_reset(fs)
        return
    m = module(fsw)
    state = np.zeros(len(fs), np.float64 if fsw == "c" else np.float32)
    m.lib.fsw_reset(m.ffi.from_buffer("real[]", state))
    fs[:] = state
