"""A mission compiles its later phases' loops ahead, in a background `gnc compile`
(gnc.programs.loops.compiled_ahead): each check in a fresh process with its own cold cache."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# prints how many `gnc compile` processes of this cache run inside the block, then after it and whether the
# ascent's loop is cached then
BLOCK = """
import os, sys
from gnc.core.cache_state import cached
from gnc.programs import loops

def compiles():
    mark = ("NUMBA_CACHE_DIR=" + os.environ["NUMBA_CACHE_DIR"]).encode() + b"\\0"
    n = 0
    for pid in os.listdir("/proc"):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
            env = open(f"/proc/{pid}/environ", "rb").read()
        except (OSError, NotADirectoryError):
            continue
        n += b"compile" in cmd and mark in env
    return n

with loops.compiled_ahead(("ascent",), "numba") as ready:
    print(compiles())
    if sys.argv[1] == "wait":
        ready("ascent")
        print(cached(("ascent",), "numba"), len(loops.loop("ascent", "numba").signatures))
print(compiles(), cached(("ascent",), "numba"))
"""


def _block(tmp_path: Path, mode: str, timeout: float) -> list[str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT), GNC_COMPILE_PROCESSES="2")
    p = subprocess.run([sys.executable, "-c", BLOCK, mode], env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads processes from /proc (Linux)")
def test_a_cold_loop_compiles_in_the_background_and_the_compile_ends_with_the_block(tmp_path):
    """A cold cache starts one `gnc compile` in the background; leaving the block early (a
    descent that failed, Ctrl-C) stops it, so no compile outlives the run: stopped, not waited
    for (the loop is not in the cache)."""
    assert _block(tmp_path, "leave", 120) == ["1", "0", "False"]


@pytest.mark.long
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads processes from /proc (Linux)")
def test_ready_returns_once_the_background_compile_has_saved_the_loop(tmp_path):
    """ready("ascent") waits for the background compile, which saves the loop to the cache:
    this process compiled none of it.  Long: the ascent's loop compiles cold (a minute or two
    on a busy 2-core machine)."""
    assert _block(tmp_path, "wait", 900) == ["1", "True", "0", "0", "True"]
