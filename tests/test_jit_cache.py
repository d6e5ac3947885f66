"""numba's on-disk caches never run code older than the sources (gnc.core.jit): each
check in fresh processes, as a user's next run after an edit or a `git pull` would be."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CALLER = """
import numba
from callee import g

@numba.njit(cache=True)
def f():
    return g()
"""
CALLEE = """
import numba

@numba.njit(cache=True)
def g():
    return {value}
"""
# the caller's result in a fresh process, with or without the guard first
RUN = """
import sys
from pathlib import Path
here = Path(sys.argv[1])
sys.path.insert(0, str(here))
if sys.argv[2] == "guarded":
    from gnc.core.jit import drop_stale_caches
    drop_stale_caches([here / "caller.py", here / "callee.py"], here / "stamp")
from caller import f
print(f())
"""


def _result(folder: Path, mode: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.run([sys.executable, "-c", RUN, str(folder), mode], capture_output=True, text=True, env=env,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_an_edit_to_a_called_kernel_in_another_file_reaches_a_cached_caller(tmp_path):
    (tmp_path / "caller.py").write_text(textwrap.dedent(CALLER))
    (tmp_path / "callee.py").write_text(CALLEE.format(value="1.0"))
    assert _result(tmp_path, "guarded") == "1.0"
    assert list((tmp_path / "__pycache__").glob("caller.*.nbi"))
    (tmp_path / "callee.py").write_text(CALLEE.format(value="2.0"))
    # what the guard is for: numba checks a cache against the entry function's own file only
    assert _result(tmp_path, "plain") == "1.0"
    assert _result(tmp_path, "guarded") == "2.0"
    assert _result(tmp_path, "guarded") == "2.0"          # and the fresh caches are kept, not dropped again


def test_the_package_drops_its_kernel_caches_when_their_sources_change(tmp_path):
    """Under NUMBA_CACHE_DIR, as a read-only install runs: a stamp from other sources (an
    edit, a pull) drops every cached kernel at the next import, before any of them loads."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    probe = ("import numpy as np; from gnc.core import jit, moon, terrain;"
             "terrain.height(np.zeros(3), np.zeros(moon.W_LEN), np.zeros((1, 1)));"
             "print(jit.cache_dir(Path(terrain.__file__)))")
    p = subprocess.run([sys.executable, "-c", "from pathlib import Path; " + probe], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    where = Path(p.stdout.strip())
    assert where.is_relative_to(tmp_path) and list(where.glob("terrain.*.nbi"))
    stamps = list(tmp_path.rglob("kernel-sources.sha256"))
    assert len(stamps) == 1
    stamps[0].write_text("the sources of another checkout")
    subprocess.run([sys.executable, "-c", "import gnc.core.jit"], env=env, check=True, timeout=300)
    assert not list(where.glob("terrain.*.nb[ic]"))
    assert stamps[0].read_text() != "the sources of another checkout"


# ---------------------------------------------------------------- telling a user a run compiles first

def _gnc(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "gnc.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, **(env or {})))


def test_a_cold_cache_is_said_up_front_and_a_warm_one_is_not(tmp_path):
    from gnc.core.cache_state import cached
    from gnc.programs.descent.run import run
    from gnc.scenario import load

    run(load("descent", ["sim.max_duration_s=1"]), tel_every=10 ** 9)       # warm the package's own cache
    assert cached(("descent",))
    # an empty NUMBA_CACHE_DIR: the first line on stderr says so, before numba is imported
    p = _gnc("run", "descent", "--no-plots", "--out", str(tmp_path / "cold"), env={"NUMBA_CACHE_DIR": str(tmp_path)})
    try:
        first = p.stderr.readline()
    finally:
        p.kill()
        p.wait()
    assert first.startswith("gnc: compiling the flight code for this machine"), first
    # warm: not a word of it, and `gnc compile` has nothing to do
    p = _gnc("run", "descent", "--no-plots", "--set", "sim.max_duration_s=1", "--out", str(tmp_path / "warm"))
    out, err = p.communicate(timeout=600)
    assert p.returncode == 1 and "compiling" not in err, err      # 1 s of flight: no touchdown
    p = _gnc("compile", "descent")
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0 and out == "descent: cached\n", (out, err)


# ---------------------------------------------------------------- what a cold cache compiles

CONSTANTS = """
import sys
import numpy as np
from gnc.core.jit import kernel

@kernel
def pick(x, i):
    return x[i]

@kernel
def both(x):
    return pick(x, 0) + pick(x, 1)

print(both(np.arange(2.0)), len(pick.signatures))
"""


def test_a_kernel_called_with_constants_compiles_once_for_all_of_them(tmp_path):
    """numba types a constant argument as a literal: without gnc.core.jit.kernel's plain
    typing, pick would compile twice (Literal[int](0), Literal[int](1))."""
    (tmp_path / "constants.py").write_text(CONSTANTS)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    p = subprocess.run([sys.executable, str(tmp_path / "constants.py")], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1.0", "1"]


ONE_PROGRAM = """
import numpy as np
from gnc.core import layout as L
from gnc.core.fsw import ascent, rendezvous
from gnc.core.fsw.step import descent_step, flying

step = flying((L.PROGRAM_DESCENT,))
sf, cfg, fs, af = np.zeros(L.SF_LEN), np.zeros(L.CF_LEN), np.zeros(L.FS_LEN), np.zeros(L.AF_LEN)
cfg[L.CF_DT], cfg[L.CF_PROGRAM] = 0.02, L.PROGRAM_ASCENT
step(sf, cfg, fs, af)
print(int(af[L.AF_HEALTH]) == L.HEALTH_CONFIG_BAD, len(descent_step.signatures),
      len(ascent.step.signatures), len(rendezvous.step.signatures))
"""


@pytest.mark.long
def test_the_descent_loop_compiles_no_ascent_or_rendezvous_flight_software(tmp_path):
    """The descent's loop binds fsw_step narrowed to the descent (gnc.core.fsw.step.flying):
    on a cold cache it compiles the descent's flight software and not the other programs'
    (four fifths of the whole fsw_step's compile time); an ascent config is config_bad.
    Long: it compiles the descent's flight software cold (~10 s on a quiet 2-core machine)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", ONE_PROGRAM], env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["True", "1", "0", "0"]
    from gnc.core import layout as L
    from gnc.core.fsw.step import flying
    from gnc.programs import loops
    from gnc.programs.descent import plant
    assert plant.FSW_PROGRAMS == (L.PROGRAM_DESCENT,)
    assert loops.loop("descent").parts["fsw_step"] is flying((L.PROGRAM_DESCENT,))


def test_compile_processes_run_this_gnc_not_one_in_the_working_directory(tmp_path):
    """A loop's compile workers and the mission's background compile start Python with
    gnc.programs.loops.python: from a folder holding another gnc (a second checkout, a
    benchmark's `before` tree), `python -c` alone would import that one and fill the cache
    with its kernels."""
    from gnc.programs import loops
    (tmp_path / "gnc").mkdir()
    (tmp_path / "gnc" / "__init__.py").write_text("")
    cmd, env = loops.python("-c", "import gnc; print(gnc.__file__)")
    p = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert Path(p.stdout.strip()) == ROOT / "gnc" / "__init__.py"


@pytest.mark.long
def test_gnc_compile_also_compiles_what_a_run_calls_after_its_flight(tmp_path):
    """`gnc compile descent` flies one second (no touchdown), yet the touchdown judge a landing
    calls after its flight is in the cache: a cold loop compiles the plant's after_flight
    kernels beside its parts (gnc.programs.loops), so neither the first landing nor a run
    after `gnc compile` compiles it at the end.  Long: the descent compiles cold (~30 s on a
    quiet 2-core machine)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT), GNC_COMPILE_PROCESSES="2")
    p = subprocess.run([sys.executable, "-P", "-m", "gnc.cli", "compile", "descent"], env=env, capture_output=True,
                       text=True, timeout=1800)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("descent: compiling"), p.stdout
    assert list(tmp_path.rglob("touchdown.judge-*.nbi")), "the touchdown judge was not compiled"
