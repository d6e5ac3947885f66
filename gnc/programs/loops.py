"""Each flying program's compiled closed loop: its plant (gnc/programs/<program>/plant.py:
sense, record, advance) bound by gnc.core.loop to a flight-software build, compiled once per
process and cached on disk.

A cold cache compiles a loop's parts side by side: before the first call (gnc.flight),
compile_parts starts worker processes that each compile some of the kernels the loop binds
(the plant's sense) and of those the run calls after the flight (the plant's after_flight)
into numba's on-disk cache, compiles the rest itself, waits for them, and then compiles the
loop, which loads the workers' parts from the cache.  numba compiles one function at a time
per process (its compiler lock), so threads would not do.  GNC_COMPILE_PROCESSES=N sets the
processes (1: all in this one).

A run that flies several loops one after another (the mission) compiles the later ones ahead
(compiled_ahead): a low-priority `gnc compile` of them runs while the first flies, on the
core its one-process stretches (the loop's own compile, the flight) leave idle.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import os
import pickle
import signal
import subprocess
import sys
from typing import Callable

import numba

from gnc import programs
from gnc.core import fsw_c
from gnc.core import loop as core_loop
from gnc.core.cache_state import GNC, cached, loop_name

# What a cold loop compiles ahead, in groups, the first groups to worker processes, one each, and
# the rest in this process: the loop's parts by name, and AFTER_FLIGHT, the kernels the run calls
# after the flight (the plant's after_flight).  The descent's, compiled one at a time on a 2-core
# AMD EPYC (python bench/first_run.py; numba's compile events): sense 17.5 s of CPU, fsw_step
# 12.5, advance 6.7, record 1.0, the touchdown judge 3.0: two groups of about half each, a core
# each (a third process on two cores slowed the longest group).
AFTER_FLIGHT = "after_flight"
GROUPS = (("sense", AFTER_FLIGHT), ("fsw_step", "advance", "record"))

_OVERRIDES: dict[str, object] = {}


def plant(program: str):
    """The plant module of a flying program (the registry's; the mission flies its phases' plants)."""
    try:
        return programs.get(program).part("plant")
    except ModuleNotFoundError as e:
        if e.name != f"gnc.programs.{program}.plant":
            raise
        raise ValueError(f"{program!r} has no plant of its own") from None


@functools.cache
def _compiled(program: str, fsw: str):
    p = plant(program)
    d = core_loop.bind(p, fsw_c.step_kernel(fsw, p.FSW_PROGRAMS), loop_name(program, fsw))
    d.origin = (program, fsw)      # what a worker process binds again (compile_parts)
    return d


@functools.cache
def _compiled_pdg(program: str, fsw: str):
    return core_loop.bind(plant(program), fsw_c.pdg_step_kernel(fsw), f"{loop_name(program, fsw)}_pdg")


def loop(program: str, fsw: str = "numba", law: str = "phases"):
    """The compiled closed loop of a program flying a build (gnc.core.loop's _fly signature)
    with a guidance law (guidance.law; "pdg": the descent's fuel-optimal law, in every build);
    raises ValueError for an unknown build or a law the build cannot fly,
    CBuildUnavailable for a missing C build."""
    fsw_c.require(fsw)
    if law == "pdg":
        if program != "descent":
            raise ValueError(f"guidance.law 'pdg' flies the descent only (not {program!r})")
        return _compiled_pdg(program, fsw)
    if program in _OVERRIDES and fsw == "numba":
        return _OVERRIDES[program]
    return _compiled(program, fsw)


@contextlib.contextmanager
def flying_with(program: str, step):
    """Within the block, the program's numba runs fly the step kernel `step` instead (a test's
    or a bench's recorder, say); its loop compiles uncached: the binding is this process's."""
    _OVERRIDES[program] = core_loop.bind(plant(program), step, f"{program}_override", cache=False)
    try:
        yield
    finally:
        del _OVERRIDES[program]


def processes() -> int:
    """Processes a cold loop compiles in: GNC_COMPILE_PROCESSES, else one per core and one
    more (the one that waits for the others), at most one per group."""
    from gnc.plotworkers import cores
    n = int(os.environ.get("GNC_COMPILE_PROCESSES", "0") or 0) or (cores() + 1 if cores() > 1 else 1)
    return max(1, min(n, len(GROUPS)))


def python(*args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a Python process running args with this process's
    gnc: not a gnc in the working directory, which `python -c` and `-m` put first on sys.path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(GNC.parent), os.environ.get("PYTHONPATH", "")]))
    return [sys.executable, "-P", *args], env


def compile_parts(fly_loop, args: tuple) -> None:
    """Before fly_loop's first call with args in this process: if the loop is not in numba's
    cache, compile its parts in processes() processes (the module's docstring).  The loop
    itself then compiles at the call, as before; a worker that fails only costs its share
    of the time (the call compiles what is missing)."""
    origin = getattr(fly_loop, "origin", None)
    n = processes()
    if origin is None or n < 2 or fly_loop.signatures or cached(origin[:1], origin[1]):
        return
    jobs = core_loop.part_signatures(*args)
    jobs[AFTER_FLIGHT] = [(k.py_func.__module__, k.py_func.__qualname__, tuple(numba.typeof(v) for v in values))
                          for k, values in getattr(plant(origin[0]), "after_flight", lambda p: ())(args[0])]
    cmd, env = python("-c", "from gnc.programs.loops import worker; worker()", *origin)
    workers = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
               for _ in GROUPS[:n - 1]]
    try:
        for w, group in zip(workers, GROUPS):
            w.stdin.write(pickle.dumps({name: jobs[name] for name in group}))
            w.stdin.close()
        for group in GROUPS[n - 1:]:
            for name in group:
                _compile(fly_loop.parts, name, jobs[name])
        for w in workers:
            w.wait()
    finally:
        for w in workers:              # Ctrl-C, SIGTERM: none outlives the run
            if w.poll() is None:
                w.kill()
                w.wait()


@contextlib.contextmanager
def compiled_ahead(programs: tuple[str, ...], fsw: str):
    """Within the block, the loops of programs (flying fsw) compile in a background `gnc
    compile` at low priority, if any is cold and there is more than one core.  Yields
    ready(program, waiting), which returns once that program's loop is compiled (or the
    compile ended some other way: the run then compiles what is missing itself), calling
    waiting() first if it has to wait.  A compile still
    running when the block ends is stopped: nothing outlives the run."""
    cold = tuple(p for p in programs if not loop(p, fsw).signatures)     # a campaign's later runs: none
    proc = None
    if cold and os.name == "posix" and processes() > 1 and not cached(cold, fsw):
        cmd, env = python("-m", "gnc.cli", "compile", *cold, "--fsw", fsw)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
                                start_new_session=True, preexec_fn=lambda: os.nice(10))
    done: set[str] = set()

    def ready(program: str, waiting: Callable[[], None] | None = None) -> None:
        # `gnc compile` ends a program's line ("ascent: compiling ... 40 s", "ascent: cached") once its loop is
        # saved: the index file alone can be on disk before the code it indexes
        if proc is not None and program not in done and waiting is not None:
            waiting()
        while proc is not None and program not in done:
            line = proc.stdout.readline()
            if not line:
                proc.wait()
                return
            done.add(line.split(":", 1)[0])

    try:
        yield ready
    finally:
        if proc is not None:
            if proc.poll() is None:         # its session: the compile and the workers it started
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()


def _compile(parts: dict, name: str, job) -> None:
    """One job of compile_parts: a part (job: its argument types) or AFTER_FLIGHT (job: a
    list of (module, kernel's name, argument types))."""
    if name != AFTER_FLIGHT:
        parts[name].compile(job)
        return
    for module, kernel, sig in job:
        getattr(importlib.import_module(module), kernel).compile(sig)


def worker() -> None:
    """A worker of compile_parts: argv program, build; stdin the pickled {group's name: job}."""
    program, fsw = sys.argv[1:3]
    parts = loop(program, fsw).parts
    for name, job in pickle.loads(sys.stdin.buffer.read()).items():
        _compile(parts, name, job)
