"""A Dask cluster on this machine made of separate processes, as a real deployment is:
a `dask scheduler` and N `dask worker` processes (one thread each) on loopback.

    with loopback_cluster(2) as address:
        montecarlo.campaign(sc, 200, scheduler=address)

The tests and bench/dask_scaling.py start their clusters this way; a cluster spanning
machines is started by hand (docs/benchmarks.md, Dask's deployment docs) and reached the
same way, by its scheduler's address (`gnc montecarlo --scheduler ADDRESS`).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager


class ClusterError(RuntimeError):
    """The scheduler or a worker did not come up; the message holds their last words."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str]) -> subprocess.Popen:
    # a session of its own, so stopping it stops the process group the CLI forks
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@contextmanager
def loopback_cluster(workers: int, timeout_s: float = 120.0):
    """Start a scheduler and `workers` single-threaded worker processes; yields the
    scheduler's address once every worker has registered, and stops them all on exit."""
    from distributed import Client  # an ImportError names what to install

    address = f"tcp://127.0.0.1:{_free_port()}"
    procs = [_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                     "--no-dashboard"])]
    try:
        procs += [_start(["distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                          "--no-dashboard", "--name", f"w{i}"]) for i in range(workers)]
        deadline = time.monotonic() + timeout_s
        with Client(address, timeout=timeout_s) as client:
            while len(client.scheduler_info()["workers"]) < workers:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise ClusterError("the Dask scheduler or a worker did not come up: " + " | ".join(
                        (p.stderr.read() if p.poll() is not None else "")[-300:] for p in procs))
                time.sleep(0.2)
        yield address
    finally:
        _stop(procs)
