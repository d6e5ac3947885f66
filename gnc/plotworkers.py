"""A run's plots drawn by worker processes that get ready while the vehicle flies.

Drawing the PNGs is half of what `gnc run` costs, and it is one core's work; the flight
leaves the other cores idle.  PlotWorkers forks one worker before the flight: it imports
matplotlib and the program's modules and draws a first small figure (fonts, caches)
meanwhile.  After the flight the result goes to it through a pipe (pickled); it forks a
sibling per further core, which shares the result copy-on-write, and they take the
figures one at a time from a shared queue (a pipe of figure numbers) until none is left.

    workers = PlotWorkers(program, scenario, seed)      # before the flight: forks the worker
    try:
        result = program.run(...)
        workers.start(result, folder)   # returns once the result is sent
        ...write the other files...
        written = workers.wait()        # {name: path}, every PNG in folder
    finally:
        workers.close()                 # kills whatever still runs (Ctrl-C, an error)

The PNGs are in the run's temporary folder before wait() returns, so the folder is whole
when it is renamed into place (gnc.runfolder) and when the command returns.  The workers
live in a process group of their own, so close() kills them all at once; each one also dies
with its parent (Linux: PR_SET_PDEATHSIG; elsewhere it checks between figures), so a
killed `gnc run` leaves no worker writing into a folder the next run deletes.

The workers cost CPU time of their own (~1 s: their imports, the result's copy), which
pays only on cores that would otherwise idle: on a machine whose cores are all busy with
other work they would slow the run down (docs/benchmarks.md, "Run timing").  So there are
as many drawing processes as idle cores (idle_cores()), and with one, or without fork
(Windows), or in a process running other threads (fork would copy only this one), the
plots are drawn in this process after the flight, as before.  GNC_PLOT_PROCESSES=N in the
environment sets the number (1: in this process).
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import sys
import threading
import time
import traceback

MAX_PROCESSES = 4        # beyond this the longest figure (nav_error) sets the time; each process costs memory


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def idle_cores() -> int:
    """Cores no other process runs on now: this process's cores less the tasks running
    beside it (Linux: /proc/loadavg's count of runnable tasks, this one among them, at its
    lowest of three looks a millisecond apart); all of them where that is not known.  The
    load average would not do: it lags a minute, and counts the run the user just made."""
    n = cores()
    counts = []
    for _ in range(3):
        try:
            with open("/proc/loadavg") as f:
                counts.append(int(f.read().split()[3].split("/")[0]))
        except (OSError, ValueError, IndexError):
            return n
        time.sleep(0.001)
    return max(1, min(n, n - (min(counts) - 1)))


class PlotWorkers:
    def __init__(self, program, scenario, seed: int, processes: int | None = None):
        """Fork the worker that will draw program's plots (a gnc.programs Program) for a run
        of scenario with seed (the worker prepares what they decide: the plots module's
        prepare(scenario, seed), if it has one)."""
        self.program = program
        processes = processes or int(os.environ.get("GNC_PLOT_PROCESSES", "0") or 0) or idle_cores()
        if threading.active_count() > 1:
            processes = 1                   # fork copies one thread: a lock another one holds would never be released
        self.processes = min(processes, MAX_PROCESSES)
        self.pid = None
        self.pending = None                 # (result, folder) to draw in this process
        if self.processes < 2 or not hasattr(os, "fork"):
            return
        job_r, self.job_w = os.pipe()
        self.done_r, done_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:                        # the worker: never returns
            os.close(self.job_w)
            os.close(self.done_r)
            _worker(program, (scenario, seed), job_r, done_w, self.processes)
        self.pid = pid
        try:
            os.setpgid(pid, pid)            # also here: close() may come before the worker's own setpgid
        except OSError:
            pass                            # it did it first
        os.close(job_r)
        os.close(done_w)

    def start(self, result, folder) -> None:
        """Hand the result over: the workers draw every figure into folder."""
        if self.pid is None:
            self.pending = (result, folder)
            return
        try:
            with os.fdopen(self.job_w, "wb") as pipe:
                self.job_w = None
                pickle.dump((result, str(folder)), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        except BrokenPipeError:
            pass                            # the worker failed: wait() says why

    def wait(self) -> dict:
        """{name: path} of every PNG drawn, in the program's order, once all are on disk.
        Raises RuntimeError with the worker's traceback if drawing failed."""
        from pathlib import Path

        if self.pid is None:
            result, folder = self.pending
            return self.program.plot(result, Path(folder))
        with os.fdopen(self.done_r, "rb") as pipe:
            self.done_r = None
            lines = pipe.read().decode().splitlines()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        reports = [json.loads(line) for line in lines]
        errors = [r["error"] for r in reports if "error" in r]
        if errors or status != 0:
            raise RuntimeError("drawing the plots failed" + (f":\n{errors[0]}" if errors else
                                                             f" (worker exit status {status:#x})"))
        # in the program's order (NAMES), as a plot() in this process would list them
        return {r["name"]: Path(r["path"]) for r in sorted(reports, key=lambda r: r["index"])}

    def close(self) -> None:
        """Kill the workers if they still run, and release the pipes."""
        for attr in ("job_w", "done_r"):
            fd = getattr(self, attr, None)
            if fd is not None:
                os.close(fd)
                setattr(self, attr, None)
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None


def _worker(program, run: tuple, job_r: int, done_w: int, processes: int) -> None:
    """The first worker: get ready, wait for the result, fork the siblings, draw, exit."""
    status = 1
    try:
        os.setpgid(0, 0)                    # a group of its own: close() kills it and its siblings at once
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)      # the parent handles Ctrl-C and SIGTERM, then kills us
        parent = os.getppid()
        _die_with_parent()
        if os.getppid() != parent:          # it died before the line above
            os._exit(1)
        plots = program.part("plots")
        names = plots.NAMES
        program.part("run")                 # the result's classes, for unpickling
        _warm_up()
        if hasattr(plots, "prepare"):
            try:
                plots.prepare(*run)
            except Exception:
                pass                        # a head start only: the figure that needs it fails on its own if it must
        with os.fdopen(job_r, "rb") as pipe:
            try:
                result, folder = pickle.load(pipe)
            except EOFError:                # closed without a job: the run ended before plotting
                os._exit(0)
        queue_r, queue_w = os.pipe()
        # the slowest figures first (the plots module's SLOW): the last one taken is then a short one
        slow = getattr(plots, "SLOW", ())
        os.write(queue_w, bytes(sorted(range(len(names)), key=lambda i: names[i] not in slow)))
        siblings = []
        for _ in range(processes - 1):
            pid = os.fork()
            if pid == 0:
                os.close(queue_w)
                _die_with_parent()
                os._exit(_draw(program, result, folder, names, queue_r, done_w, os.getppid()))
            siblings.append(pid)
        os.close(queue_w)                   # the queue ends when it is empty and every copy of this is closed
        status = _draw(program, result, folder, names, queue_r, done_w, parent)
        for pid in siblings:
            _, s = os.waitpid(pid, 0)
            status = status or (s != 0)
    except BaseException:
        _report(done_w, {"error": traceback.format_exc()})
    finally:
        os._exit(status)


def _draw(program, result, folder, names, queue_r: int, done_w: int, parent: int) -> int:
    """Take figure numbers from the queue until it is empty and draw each; 0 if all went well."""
    from pathlib import Path

    try:
        while True:
            b = os.read(queue_r, 1)         # a one-byte read from a pipe is atomic: each figure goes to one process
            if not b or os.getppid() != parent:
                return 0
            for name, path in program.part("plots").plot(result, Path(folder), only={names[b[0]]}).items():
                _report(done_w, {"name": name, "path": str(path), "index": b[0]})
    except BaseException:
        _report(done_w, {"error": traceback.format_exc()})
        return 1


def _report(done_w: int, message: dict) -> None:
    """One JSON line to the parent, in one write of at most PIPE_BUF (4096) bytes, which is
    atomic: lines from several processes never interleave (a traceback keeps its end)."""
    error = message.get("error")
    while True:
        line = (json.dumps(message) + "\n").encode()
        if len(line) <= 4000 or error is None:
            break
        error = error[-len(error) // 2:]
        message = {"error": error}
    os.write(done_w, line)


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)      # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _warm_up() -> None:
    """Draw a small figure with a log axis and text: loads the fonts and fills matplotlib's
    caches while the parent still flies, so the real figures do not pay for it."""
    import io

    from gnc.plotting import layout, plain_log_labels, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.semilogy([0, 1], [1, 100], label="warm-up")
    ax.set(xlabel="time (s)", title="warm-up")
    plain_log_labels(ax)
    ax.legend(fontsize=8)
    fig.suptitle("warm-up")
    layout(fig)
    fig.savefig(io.BytesIO(), dpi=110, format="png")
    plt.close(fig)
