"""A Monte Carlo campaign on a real Dask cluster: a `dask scheduler` and two
`dask worker` processes started apart from the test on loopback, reached by
`gnc montecarlo --scheduler`, must land the very runs and statistics of `--jobs 2`
(a run is the same bits wherever it flies: docs/reproducibility.md)."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from gnc.cli import main

CI = os.environ.get("CI") == "true"
RUNS = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _stop(procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@pytest.fixture
def cluster():
    if importlib.util.find_spec("distributed") is None:
        if CI:
            pytest.fail("dask.distributed is not installed (CI=true requires it; the [test] extra has it)")
        pytest.skip("dask.distributed is not installed: python -m pip install 'lunar-gnc[dask]'")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"])]
    try:
        procs += [_start(["distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                          "--no-dashboard", "--name", f"w{i}"]) for i in range(2)]
        from distributed import Client
        deadline = time.monotonic() + 120
        with Client(address, timeout=120) as client:
            while len(client.scheduler_info()["workers"]) < 2:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    pytest.fail("the Dask scheduler or a worker did not come up: " +
                                " | ".join((p.stderr.read() if p.poll() is not None else "")[-300:] for p in procs))
                time.sleep(0.2)
        yield address
    finally:
        _stop(procs)


WALL_CLOCK = {"wall_s", "runs_per_s"}


def _statistics(out):
    return json.loads((out / "montecarlo.json").read_text())


def _without_wall_clock(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if k not in WALL_CLOCK}


def test_a_campaign_on_separate_dask_processes_lands_what_two_local_jobs_land(cluster, tmp_path):
    common = ["montecarlo", "descent", "-n", str(RUNS), "--seed", "11", "-q", "--no-plots"]
    assert main(common + ["--scheduler", cluster, "--out", str(tmp_path / "dask")]) in (0, 1)
    assert main(common + ["--jobs", "2", "--out", str(tmp_path / "local")]) in (0, 1)
    on_dask, local = _statistics(tmp_path / "dask"), _statistics(tmp_path / "local")
    assert on_dask["runs"] == local["runs"] and len(local["runs"]) == RUNS
    assert _without_wall_clock(on_dask["statistics"]) == _without_wall_clock(local["statistics"])
