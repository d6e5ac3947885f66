"""A Monte Carlo campaign on a real Dask cluster: a `dask scheduler` and two
`dask worker` processes started apart from the test on loopback, reached by
`gnc montecarlo --scheduler`, must land the very runs and statistics of `--jobs 2`
(a run is the same bits wherever it flies: docs/reproducibility.md)."""
from __future__ import annotations

import importlib.util
import json
import os

import pytest

from gnc.cli import main

CI = os.environ.get("CI") == "true"
RUNS = 40


@pytest.fixture
def cluster():
    if importlib.util.find_spec("distributed") is None:
        if CI:
            pytest.fail("dask.distributed is not installed (CI=true requires it; the [test] extra has it)")
        pytest.skip("dask.distributed is not installed: python -m pip install 'lunar-gnc[dask]'")
    from gnc.dask_cluster import loopback_cluster
    with loopback_cluster(2) as address:
        yield address


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
