"""A run folder is one run (gnc.runfolder), and run.json reproduces it (gnc rerun).
Real `gnc` processes, killed at chosen moments of the write, and read back."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gnc import montecarlo
from gnc.output import finite
from gnc.runfolder import JOURNAL, run_folder
from gnc.scenario import load
from gnc.telemetry import Columns, read

ROOT = Path(__file__).resolve().parent.parent
SHORT = ["--set", "sim.max_duration_s=5", "--no-plots", "-q"]

# gnc in a process that SIGKILLs itself right after the os.replace of run.json (the first file
# written after the flight streamed its telemetry) / the os.rename named by argv[1]
KILLER = """
import os, signal, sys
when, count = sys.argv[1], int(sys.argv[2])
real = getattr(os, when)
seen = [0]
def hooked(a, b, *rest):
    real(a, b, *rest)
    if when == "rename" or str(b).endswith("run.json"):
        seen[0] += 1
        if seen[0] == count:
            os.kill(os.getpid(), signal.SIGKILL)
setattr(os, when, hooked)
from gnc.cli import main
sys.exit(main(sys.argv[3:]))
"""

# gnc in a process that a second process sends SIGTERM while the flight is on its third leg
TERM_IN_FLIGHT = """
import os, subprocess, sys, time
import gnc.flight
real, legs = gnc.flight.Flight.until, [0]
def until(self, *a, **k):
    legs[0] += 1
    if legs[0] == 3:
        subprocess.run(["kill", "-TERM", str(os.getpid())], check=True)
        time.sleep(5)   # the handler raises here, at the latest
    return real(self, *a, **k)
gnc.flight.Flight.until = until
from gnc.cli import main
sys.exit(main(sys.argv[1:]))
"""

# a campaign in a process that a second process signals (argv[1]) as its 8th run starts: on 2 threads
# at least 5 runs have ended by then
SIGNAL_IN_CAMPAIGN = """
import os, signal, subprocess, sys, threading
# a suite started in the background inherits SIGINT ignored, which Python keeps: Ctrl-C as in a terminal
signal.signal(signal.SIGINT, signal.default_int_handler)
import gnc.montecarlo
real, started, lock = gnc.montecarlo.fly_one, [0], threading.Lock()
def fly_one(*a, **k):
    with lock:
        started[0] += 1
        if started[0] == 8:
            subprocess.run(["kill", "-" + sys.argv[1], str(os.getpid())], check=True)
    return real(*a, **k)
gnc.montecarlo.fly_one = fly_one
from gnc.cli import main
sys.exit(main(sys.argv[2:]))
"""


# gnc montecarlo in a process that signals itself as it starts flying the second failed run again
# for its telemetry (Program.run: the campaign's own runs do not go through it)
SIGNAL_IN_KEEP = """
import os, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from gnc.programs.program import Program
real, calls = Program.run, [0]
def run(*a, **k):
    calls[0] += 1
    if calls[0] == 2:
        subprocess.run(["kill", "-INT", str(os.getpid())], check=True)
    return real(*a, **k)
Program.run = run
from gnc.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _gnc(*argv, kill_after=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-c", KILLER, *(kill_after or ("replace", "0")), *argv]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def _run(out, seed, kill_after=None):
    return _gnc("run", "descent", "--seed", str(seed), "--out", str(out), *SHORT, kill_after=kill_after)


def test_a_kill_as_the_run_is_written_leaves_the_previous_run_whole(tmp_path):
    out = tmp_path / "run"
    assert _run(out, 0).returncode in (0, 1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    p = _run(out, 1, kill_after=("replace", "1"))           # the reproduction
    assert p.returncode == -9
    assert {q.name: q.read_bytes() for q in out.iterdir()} == before       # seed 0, every file as it was
    assert json.loads((out / "summary.json").read_text())["seed"] == 0
    # the next run into the folder keeps the dead process's telemetry (tests/test_telemetry.py)
    assert _run(out, 2).returncode in (0, 1)
    assert sorted(q.name.split("-")[0] for q in tmp_path.iterdir()) == [".run.partial", "run"]
    assert json.loads((out / "summary.json").read_text())["seed"] == 2


def test_a_kill_between_the_renames_leaves_both_runs_whole_beside_the_folder(tmp_path):
    out = tmp_path / "run"
    assert _run(out, 0).returncode in (0, 1)
    assert _run(out, 1, kill_after=("rename", "1")).returncode == -9     # the old run moved aside
    left = {q.name.split("-")[0]: q for q in tmp_path.iterdir()}
    assert set(left) == {".run.old", ".run.new"}
    for name, seed in ((".run.old", 0), (".run.new", 1)):
        assert json.loads((left[name] / "summary.json").read_text())["seed"] == seed
        assert len(Columns(left[name] / "telemetry.arrow")["t"]) > 100


def _started(out: Path, *argv) -> tuple[subprocess.Popen, float]:
    """`gnc *argv --out out` started, once its temporary folder appears (start-up done, the
    flight begins): (the process, perf_counter then)."""
    p = subprocess.Popen([sys.executable, "-m", "gnc.cli", *argv, "--out", str(out)],
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    while not any(out.parent.glob(f".{out.name}.new-*")) and p.poll() is None:
        time.sleep(0.005)
    return p, time.perf_counter()


def _flown(folder: Path, result: str):
    """What a whole folder flew: a run's summary, a campaign's runs (its statistics hold wall times)."""
    doc = json.loads((folder / result).read_text())
    return doc["runs"] if result == "montecarlo.json" else doc


# what a HIL board reports of the link's timing, not of the flight: its step time, and the
# answers it repeated because one was late on a loaded machine
LINK_TIMING = ("af.step_cycles", "af.board_repeats")


def _same_rows(rows, reference) -> bool:
    """rows the first rows of reference, but for LINK_TIMING."""
    names = [c for c in rows.column_names if c not in LINK_TIMING]
    return rows.select(names).equals(reference.select(names).slice(0, rows.num_rows))


KILLED = {"run": (["run", "descent", "--seed", "1"], ["run", "descent", "--seed", "0"], "summary.json"),
          # a minute of the descent: three telemetry chunks, a lockstep session's whole flight is minutes under CI
          "hil": (["hil", "--stub", "descent", "--seed", "1", "--set", "sim.max_duration_s=60"],
                  ["hil", "--stub", "descent", "--seed", "0", "--set", "sim.max_duration_s=60"], "summary.json"),
          "montecarlo": (["montecarlo", "descent", "-n", "8", "--jobs", "2", "--seed", "1"],
                         ["montecarlo", "descent", "-n", "2", "--jobs", "2", "--seed", "0"], "montecarlo.json")}


@pytest.mark.parametrize("kind", KILLED)
def test_a_kill_9_at_moments_spread_over_a_command_leaves_only_whole_folders(tmp_path, kind):
    """The kills above land at chosen moments of the write; these land anywhere from the
    flight's start to the command's end, at fractions of that span as a whole command took it
    on this machine.  Whatever the moment, DIR is the previous folder or the new one whole, a
    moved-aside folder is whole, a partial one's telemetry reads as a prefix of the flight's and
    a campaign's journal holds only runs of the campaign."""
    command, previous_command, result = KILLED[kind]
    command, previous_command = [*command, "--no-plots", "-q"], [*previous_command, "--no-plots", "-q"]
    out, pristine, reference = tmp_path / "out", tmp_path / "pristine", tmp_path / "reference"
    assert _gnc(*previous_command, "--out", str(pristine)).returncode in (0, 1)
    p, t0 = _started(reference, *command)
    assert p.wait() in (0, 1)
    span_s = time.perf_counter() - t0
    previous, new = _flown(pristine, result), _flown(reference, result)
    telemetry = read(reference / "telemetry.arrow") if kind != "montecarlo" else None
    for fraction in np.linspace(0.0, 1.0, 6):
        shutil.copytree(pristine, out)
        p, t0 = _started(out, *command)
        time.sleep(max(0.0, t0 + fraction * span_s - time.perf_counter()))
        p.kill()
        p.wait()
        left = [q for q in tmp_path.iterdir() if q.name.startswith(".out.")]
        if out.exists():
            assert _flown(out, result) in (previous, new), fraction
        else:
            assert sorted(q.name.split("-")[0] for q in left) == [".out.new", ".out.old"], fraction
        for q in left:
            if (q / result).exists():               # whole, before or between the renames
                assert _flown(q, result) == (previous if ".old-" in q.name else new), fraction
            elif (q / "telemetry.arrow").exists():
                assert _same_rows(read(q / "telemetry.arrow"), telemetry), fraction
            elif (q / JOURNAL).exists():
                journal = [json.loads(line) for line in (q / JOURNAL).read_text().splitlines()]
                assert all(r in new for r in journal), fraction
            shutil.rmtree(q)
        shutil.rmtree(out, ignore_errors=True)


def test_a_folder_of_other_files_is_not_replaced(tmp_path, capsys):
    from gnc.cli import main
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["run", "descent", "--out", str(tmp_path), *SHORT]) == 2
    assert "not a run's (notes.txt)" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_rerun_reproduces_a_run_with_three_overrides_bit_for_bit(tmp_path):
    out, again = tmp_path / "run", tmp_path / "again"
    sets = ["--set", "guidance.hover_time_s=12", "--set", "engine.misalignment_deg=[0.1, -0.05]",
            "--set", "sensors.imu.dropout=0.01"]
    first = _gnc("run", "descent", "--seed", "5", "--out", str(out), *sets, *SHORT)
    assert first.returncode in (0, 1), first.stderr
    record = json.loads((out / "run.json").read_text())
    assert record["overrides"] == sets[1::2] + ["sim.max_duration_s=5"] and record["seed"] == 5 and record["fsw"] == "numba"
    assert record["resolved"]["guidance"]["hover_time_s"] == 12.0
    assert record["resolved"]["engine"]["misalignment_deg"] == [0.1, -0.05]
    assert {"python", "numpy", "numba", "lunar-gnc"} <= set(record["versions"])
    assert "--set" in record["command"]
    p = _gnc("rerun", str(out), "--out", str(again), "--no-plots")
    assert p.returncode == first.returncode, p.stderr
    for name in ("summary.json", "telemetry.arrow"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
        assert f"{name}: the same bytes" in p.stdout
    # the rerun flew the recorded keys: a plain run of the same seed differs
    plain = _gnc("run", "descent", "--seed", "5", "--out", str(tmp_path / "plain"), *SHORT)
    assert plain.returncode in (0, 1)
    assert (tmp_path / "plain" / "telemetry.arrow").read_bytes() != (out / "telemetry.arrow").read_bytes()


def test_rerun_reproduces_a_mission_and_its_page_bit_for_bit(tmp_path):
    """A mission's summary once held each phase's wall time, so its rerun said DIFFERS; the
    wall times are run.json's now, with the rest that depends on the machine."""
    out, again = tmp_path / "mission", tmp_path / "again"
    first = _gnc("run", "mission", "--out", str(out), "--no-plots", "-q")
    assert first.returncode in (0, 1), first.stderr
    assert set(json.loads((out / "run.json").read_text())["wall_s"]) == {"descent", "ascent", "rendezvous"}
    p = _gnc("rerun", str(out), "--out", str(again), "--no-plots")
    assert p.returncode == first.returncode, p.stderr
    names = sorted(q.name for q in out.iterdir() if q.name != "run.json")
    assert names == ["report.html", "summary.json", "telemetry-ascent.arrow", "telemetry-descent.arrow",
                     "telemetry-rendezvous.arrow"]
    for name in names:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    assert "DIFFERS" not in p.stdout and p.stdout.count("the same bytes") == 4, p.stdout


def test_rerun_refuses_a_folder_without_a_record(tmp_path, capsys):
    from gnc.cli import main
    assert main(["rerun", str(tmp_path)]) == 2
    assert "no run.json" in capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signalled_campaign_stops_and_keeps_every_finished_run(tmp_path, sig):
    out = tmp_path / "mc"
    with_plots = [a for a in SHORT if a != "--no-plots"]
    p = subprocess.run([sys.executable, "-c", SIGNAL_IN_CAMPAIGN, str(int(sig)), "montecarlo", "descent", "-n", "5000",
                        "--jobs", "2", "--out", str(out), *with_plots],
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600)
    err = p.stderr
    assert p.returncode == 130, err
    # the plots, seconds of drawing, are what kept Ctrl-C waiting: an interrupted campaign draws none
    assert sorted(q.name for q in out.iterdir()) == ["montecarlo.json", "report.html", "run.json"]
    doc = json.loads((out / "montecarlo.json").read_text())
    assert doc["interrupted"] and doc["runs_requested"] == 5000
    assert 0 < len(doc["runs"]) < 5000 and doc["statistics"]["runs"] == len(doc["runs"])
    assert all({"seed", "outcome"} <= set(r) for r in doc["runs"])
    assert json.loads((out / "run.json").read_text())["runs"] == 5000


def test_ctrl_c_while_keeping_the_failed_runs_writes_the_campaign_and_the_runs_kept_whole(tmp_path):
    """Every run flown, Ctrl-C while the failed ones are flown again (gnc.montecarlo.keep_failed):
    the campaign's results are written, with the failed run kept whole and not the one cut off."""
    out = tmp_path / "mc"
    p = subprocess.run([sys.executable, "-c", SIGNAL_IN_KEEP, "montecarlo", "descent", "-n", "3", "--jobs", "2",
                        "--keep-failed", "3", "--out", str(out), *SHORT],
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600)
    assert p.returncode == 130, p.stderr
    assert "interrupted while keeping the failed runs" in p.stderr
    doc = json.loads((out / "montecarlo.json").read_text())
    assert not doc["interrupted"] and len(doc["runs"]) == 3
    failed = [r["seed"] for r in doc["runs"] if r["outcome"] != "landed"]
    assert len(failed) == 3                                       # SHORT: no run reaches the ground
    assert doc["failed_kept"] == failed[:1]
    assert [q.name for q in (out / "failed").iterdir()] == [str(failed[0])]
    assert (out / "failed" / str(failed[0]) / "summary.json").exists()


def test_a_killed_campaign_keeps_the_finished_runs_in_its_journal(tmp_path, capsys):
    """kill -9 gives no chance to write montecarlo.json: the runs that had ended are the
    journal's lines, each the same run as its seed flown alone, and the next campaign into the
    folder keeps them."""
    out = tmp_path / "mc"
    p = subprocess.run([sys.executable, "-c", SIGNAL_IN_CAMPAIGN, str(int(signal.SIGKILL)), "montecarlo", "descent",
                        "-n", "5000", "--jobs", "2", "--out", str(out), *SHORT],
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600)
    assert p.returncode == -9, p.stderr
    assert not out.exists()
    [partial] = tmp_path.iterdir()
    assert re.fullmatch(r"\.mc\.new-\d+", partial.name)
    record = json.loads((partial / "run.json").read_text())
    assert record["kind"] == "montecarlo" and record["runs"] == 5000
    runs = [json.loads(line) for line in (partial / JOURNAL).read_text().splitlines()]
    # the 8th run started once 6 had ended on the 2 threads; the main thread journals them as they end
    assert 1 <= len(runs) <= 7
    sc = load("descent", SHORT[1:2])
    first = montecarlo.run_seeds(record["seed"], 8)
    assert len({r["seed"] for r in runs}) == len(runs) and {r["seed"] for r in runs} <= set(first)
    for r in runs:
        assert r == json.loads(json.dumps(finite(montecarlo.fly_one(sc, r["seed"])))), r["seed"]
    with run_folder(out) as folder:
        (folder / "montecarlo.json").write_text("{}")
    kept = tmp_path / partial.name.replace(".new-", ".partial-")
    assert sorted(q.name for q in tmp_path.iterdir()) == [kept.name, "mc"]
    assert f"{kept}{os.sep}" in capsys.readouterr().err
    assert (kept / JOURNAL).read_text().splitlines() == [json.dumps(r) for r in runs]


def test_a_finished_campaign_leaves_no_journal(tmp_path):
    out = tmp_path / "mc"
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "montecarlo", "descent", "-n", "3", "--jobs", "2",
                        "--out", str(out), *SHORT], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode in (0, 1), p.stderr
    doc = json.loads((out / "montecarlo.json").read_text())
    assert len(doc["runs"]) == 3
    kept = ["failed"] if doc["failed_kept"] else []          # the failed runs' telemetry, if any failed
    assert sorted(q.name for q in out.iterdir()) == sorted(["montecarlo.json", "report.html", "run.json"] + kept)
    assert not list(out.rglob(JOURNAL))


def test_a_run_terminated_like_ctrl_c_leaves_the_previous_run_whole(tmp_path):
    out = tmp_path / "run"
    assert _run(out, 0).returncode in (0, 1)
    before = {q.name: q.read_bytes() for q in out.iterdir()}
    # SIGTERM from outside lands mid-flight by construction: a warm rendezvous flies in ~2 s, so a
    # sleep before the signal raced the run's end (it exited 0 under CI)
    p = subprocess.run([sys.executable, "-c", TERM_IN_FLIGHT, "run", "rendezvous", "--out", str(out), "--no-plots"],
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600)
    assert p.returncode == 143 and "gnc: terminated" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert {q.name: q.read_bytes() for q in out.iterdir()} == before
