"""Is the compiled flight code in numba's cache?  Numba-free, so the command line can say
that a run is about to compile before it imports numba (whose import alone takes a
while), and so gnc.core.jit and this module agree on what a stale cache is.

A loop is cached when the stamp gnc.core.jit writes holds the hash of the kernels'
sources (else jit drops every cache at import) and numba's index of the loop exists,
beside the sources or under NUMBA_CACHE_DIR.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

GNC = Path(__file__).resolve().parent.parent
STAMP = "kernel-sources.sha256"
BUILD_TAG = {"numba": "numba", "c": "c", "c-float": "cf"}     # in a loop's cache name: identifiers


def kernel_sources() -> list[Path]:
    """Every file a kernel of the package can come from."""
    return sorted([*(GNC / "core").rglob("*.py"), *(GNC / "programs").glob("*/plant.py")])


def sources_digest(sources: list[Path]) -> str:
    h = hashlib.sha256()
    for f in sources:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def loop_name(program: str, fsw: str) -> str:
    """The cache name of a program's loop flying a build (gnc.programs.loops binds it)."""
    return f"{program}_{BUILD_TAG[fsw]}"


def _found(pattern: str) -> list[Path]:
    """Cache files named pattern: beside the core, or anywhere under NUMBA_CACHE_DIR."""
    root = os.environ.get("NUMBA_CACHE_DIR")
    if root:
        return list(Path(root).rglob(pattern))
    return list((GNC / "core" / "__pycache__").glob(pattern))


def cached(programs: tuple[str, ...], fsw: str = "numba") -> bool:
    """Are the loops of programs (flying fsw) compiled for the present sources?"""
    stamps = _found(STAMP)
    try:
        if not stamps or stamps[0].read_text() != sources_digest(kernel_sources()):
            return False
    except OSError:
        return False
    return all(_found(f"loop.{loop_name(p, fsw)}-*.nbi") for p in programs)
