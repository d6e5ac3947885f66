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

The fuel-optimal law (guidance.law = "pdg") flies its own step in every build (fsw_step_pdg:
numba's gnc.core.fsw.step.fsw_step_pdg, C's csrc/fsw_step_pdg.c) on a state row that
pdg_allocate lays out: the law's region after FS_LEN (numba: pdg_law.allocate; C: the same
PG block and plan, then csrc/pdg_law.h's solver memory as raw bytes in the row).

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

from gnc.core.fsw import pdg_law
from gnc.core.fsw.step import flying, fsw_reset, fsw_step, fsw_step_pdg
from gnc.core.jit import kernel
from gnc.core.layout import FS_LEN

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
_step_pdg_d = types.ExternalFunction("gnc_fsw_step_pdg_d", _FRAMES)
_step_pdg_f64io = types.ExternalFunction("gnc_fsw_step_pdg_f64io", _FRAMES)


@kernel
def fsw_step_pdg_c(sf, cfg, fs, af):
    """fsw_step_pdg of the double C build (fs laid out by pdg_allocate)."""
    _step_pdg_d(_data(sf), _data(cfg), _data(fs), _data(af))


@kernel
def fsw_step_pdg_cf(sf, cfg, fs, af):
    """fsw_step_pdg of the float C build, on float64 frames."""
    _step_pdg_f64io(_data(sf), _data(cfg), _data(fs), _data(af))


_STEP_PDG = {"numba": fsw_step_pdg, "c": fsw_step_pdg_c, "c-float": fsw_step_pdg_cf}


def pdg_step_kernel(fsw: str):
    """The compiled step of a build flying the descent with the fuel-optimal law."""
    require(fsw)
    return _STEP_PDG[fsw]


def pdg_allocate(fsw: str, nodes: int, replan_s: float, glide: float, point: float, m_dry: float,
                 divert: bool = False, t_lo: float = 1.1, t_hi: float = 0.9, step_iters: int = 0) -> np.ndarray:
    """A flight-software state row for the fuel-optimal law of a build, its solver laid out
    for `nodes` nodes (numba: pdg_law.allocate; C: the same PG settings written, then
    pdg_layout, pdg_fill and pdg_workspace run once in C on the row's solver memory).
    Python: the flight software's set-up, not a step."""
    if fsw == "numba":
        return pdg_law.allocate(nodes, replan_s, glide, point, m_dry, divert, t_lo, t_hi, step_iters)
    lib = module(fsw).lib
    if not 3 <= nodes <= lib.PDG_N_MAX:
        raise ValueError(f"guidance.pdg_nodes = {nodes}: the {fsw} build flies 3..{lib.PDG_N_MAX} nodes "
                         "(csrc/build_cffi.py's PDG_N_MAX)")
    fs = np.zeros(lib.pdg_law_row_len(nodes))
    b = FS_LEN
    fs[b + pdg_law.PG_NODES], fs[b + pdg_law.PG_REPLAN_S] = nodes, replan_s
    fs[b + pdg_law.PG_GLIDE], fs[b + pdg_law.PG_POINT] = glide, point
    fs[b + pdg_law.PG_M_DRY], fs[b + pdg_law.PG_T_LO], fs[b + pdg_law.PG_T_HI] = m_dry, t_lo, t_hi
    fs[b + pdg_law.PG_DIVERT] = 1.0 if divert else 0.0
    fs[b + pdg_law.PG_STEP_ITERS] = step_iters
    err = lib.pdg_law_setup_row(module(fsw).ffi.from_buffer("double[]", fs))
    if err != 0:
        raise RuntimeError(f"pdg_law_setup of the {fsw} build failed ({err}: csrc/pdg.h PDG_ERR_*)")
    return fs


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
    # the first FS_LEN fields only, as numba's: a row may carry the fuel-optimal law's region
    state = np.zeros(FS_LEN, np.float64 if fsw == "c" else np.float32)
    m.lib.fsw_reset(m.ffi.from_buffer("real[]", state))
    fs[:FS_LEN] = state
