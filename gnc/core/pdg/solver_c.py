"""The C twins of the powered-descent solver (csrc/pdg.c) behind the numba one's calls, for the
back-to-back tests and the bench: "c" (real = double, gnc._fsw_c) and "c-float" (real = float,
gnc._fsw_cf, the microcontroller's arithmetic).

    P = CSolver("c", N, state, lim, tf)      # layout, fill, symbolic step (solver.setup)
    P.fill(state, lim, tf); P.solve(warm)    # pr.fill, so.solve: the status (solver.OPTIMAL, ...)
    P.solve_begin(warm); P.solve_iterate(k)  # the same solve spread over calls (so.solve_begin, ...)
    P.x, P.y, P.z, P.s, P.info               # views of the C workspace in the build's real type

The C structs are sized for csrc/build_cffi.py's PDG_N_MAX nodes; the float build takes and
holds float32 (state and limits are rounded to float on the way in)."""
from __future__ import annotations

import numpy as np

from gnc.core import fsw_c


class CSolver:
    """One problem layout and its workspace in a C build (owned by cffi, freed with the object)."""

    def __init__(self, build: str, N: int, state: np.ndarray, lim: np.ndarray, tf: float):
        self.module = fsw_c.module(build)
        ffi, lib = self.module.ffi, self.module.lib
        self.dtype = np.float64 if build == "c" else np.float32
        self.P = ffi.new("pdg_problem *")
        self.W = ffi.new("pdg_work *")
        if lib.pdg_layout(self.P, N) != 0:
            raise ValueError(f"N = {N} outside 3..{lib.PDG_N_MAX} (the C build's PDG_N_MAX)")
        self.fill(state, lim, tf)
        if lib.pdg_workspace(self.P, self.W) != 0:
            raise RuntimeError("the KKT pattern does not fit csrc/pdg.h's room")
        dims = self.dims
        n, p, m = int(dims[1]), int(dims[2]), int(dims[3])
        self.x, self.y = self._view(self.W.x, n), self._view(self.W.y, p)
        self.z, self.s = self._view(self.W.z, m), self._view(self.W.s, m)
        self.info = self._view(self.W.info, 7)
        self.c, self.b, self.h = self._view(self.P.c, n), self._view(self.P.b, p), self._view(self.P.h, m)

    def _view(self, field, count):
        return np.frombuffer(self.module.ffi.buffer(field), self.dtype, count)

    @property
    def dims(self) -> np.ndarray:
        return np.array(list(self.P.dims), np.int64)

    @property
    def scale(self) -> np.ndarray:
        return np.array(list(self.P.scale), np.float64)

    def fill(self, state: np.ndarray, lim: np.ndarray, tf: float) -> None:
        ffi = self.module.ffi
        st = np.ascontiguousarray(state, self.dtype)
        li = np.ascontiguousarray(lim, self.dtype)
        self.module.lib.pdg_fill(self.P, ffi.from_buffer("real[]", st), ffi.from_buffer("real[]", li), tf)

    def solve(self, warm: bool = False) -> int:
        return self.module.lib.pdg_solve(self.P, self.W, 1 if warm else 0)

    def solve_begin(self, warm: bool = False) -> int:
        return self.module.lib.pdg_solve_begin(self.P, self.W, 1 if warm else 0)

    def solve_iterate(self, budget: int) -> int:
        return self.module.lib.pdg_solve_iterate(self.P, self.W, budget)
