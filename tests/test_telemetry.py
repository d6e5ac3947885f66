"""Telemetry streams to disk as the vehicle flies (gnc.telemetry, gnc.flight): a kill -9 leaves
every whole chunk readable, SIGTERM leaves every row flown in a complete file, memory does
not grow with the flight, and chunking changes no byte.  Real `gnc` processes, signalled
from inside their flight."""
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from gnc.runfolder import run_folder
from gnc.telemetry import CHUNK_ROWS, Columns, Stream, read, write

ROOT = Path(__file__).resolve().parent.parent
FLIGHT = ["--set", "sim.max_duration_s=100"]     # 5000 rows: five chunks, no touchdown
CALLS = 6   # into the compiled loop before the signal: two chunks written, a third full in the buffer

# gnc with its compiled loop wrapped: on call CALLS it sends itself argv[1] (KILL or TERM) and,
# for a signal Python handles, waits for it; the flight is mid-way by construction
SIGNAL_IN_FLIGHT = f"""
import os, subprocess, sys, time
import gnc.programs.loops as loops
real = loops.loop
def loop(*a, **k):
    fly, calls = real(*a, **k), [0]
    def counted(*args):
        calls[0] += 1
        if calls[0] == {CALLS}:
            subprocess.run(["kill", "-" + sys.argv[1], str(os.getpid())], check=True)
            time.sleep(10)
        return fly(*args)
    return counted
loops.loop = loop
from gnc.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _signalled(sig: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SIGNAL_IN_FLIGHT, sig, "run", "descent", "--out", str(out), *FLIGHT,
                           "--no-plots", "-q"], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def reference():
    """The same flight, flown whole in this process with its telemetry in memory."""
    from gnc.programs.descent.run import run
    from gnc.scenario import load
    return run(load("descent", [FLIGHT[1]]), 0).telemetry


def _same_rows(table: pa.Table, reference: dict) -> None:
    assert table.column_names == list(reference)
    for name in table.column_names:
        got = table.column(name).to_numpy()
        assert np.array_equal(got, reference[name][:len(got)], equal_nan=True), name


def test_a_kill_9_mid_flight_leaves_every_whole_chunk_readable_and_the_next_run_keeps_it(tmp_path, reference, capsys):
    out = tmp_path / "run"
    p = _signalled("KILL", out)
    assert p.returncode == -9, p.stderr
    assert not out.exists()
    [partial] = tmp_path.iterdir()                      # .run.new-PID: the run's folder, never renamed
    assert re.fullmatch(r"\.run\.new-\d+", partial.name)
    table = read(partial / "telemetry.arrow")
    assert table.num_rows >= 2 * CHUNK_ROWS and table.num_rows % CHUNK_ROWS == 0    # only whole chunks
    assert table.num_rows < len(reference["t"])
    _same_rows(table, reference)
    # the next run into the folder keeps the killed one's telemetry, renamed, and says where
    with run_folder(out) as folder:
        (folder / "summary.json").write_text("{}")
    kept = tmp_path / partial.name.replace(".new-", ".partial-")
    assert sorted(q.name for q in tmp_path.iterdir()) == [kept.name, "run"]
    assert f"{kept}{os.sep}" in capsys.readouterr().err
    assert read(kept / "telemetry.arrow").equals(table)


def test_sigterm_mid_flight_keeps_every_row_flown_in_a_complete_file(tmp_path, reference):
    """SIGTERM is Ctrl-C (gnc.interrupt: one KeyboardInterrupt path); SIGINT itself is not sent:
    a suite started in the background inherits it ignored."""
    out = tmp_path / "run"
    p = _signalled("TERM", out)
    assert p.returncode == 143 and "gnc: terminated" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not out.exists()
    [partial] = tmp_path.iterdir()
    assert partial.name.startswith(".run.partial-") and f"{partial}{os.sep}" in p.stderr
    table = pa.ipc.open_file(partial / "telemetry.arrow").read_all()     # its footer written: a whole file
    assert table.num_rows == 3 * CHUNK_ROWS          # the buffer's rows too: every step flown
    _same_rows(table, reference)


# gnc in a process that SIGKILLs itself once its second telemetry chunk is in the file
KILL_AFTER_TWO_CHUNKS = """
import os, signal, sys
import gnc.telemetry as T
real = T.Stream.write_rows
def write_rows(self, rows):
    real(self, rows)
    if self.rows >= 2 * T.CHUNK_ROWS:
        os.kill(os.getpid(), signal.SIGKILL)
T.Stream.write_rows = write_rows
from gnc.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_hil_session_streams_too(tmp_path):
    out = tmp_path / "hil"
    p = subprocess.run([sys.executable, "-c", KILL_AFTER_TWO_CHUNKS, "hil", "--stub", "descent", "--out", str(out),
                        "--no-plots", "-q"], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == -9, p.stderr
    [partial] = tmp_path.iterdir()
    assert re.fullmatch(r"\.hil\.new-\d+", partial.name)
    t = read(partial / "telemetry.arrow").column("t").to_numpy()
    assert len(t) == 2 * CHUNK_ROWS
    np.testing.assert_allclose(np.diff(t), 0.02, rtol=1e-9)     # every 50 Hz step, none lost or doubled


def test_a_file_cut_at_any_byte_reads_back_every_whole_chunk(tmp_path):
    rows = np.random.default_rng(1).normal(size=(2 * CHUNK_ROWS + 17, 3))
    rows[5, 1] = np.nan
    path = write(tmp_path / "t.arrow", {c: rows[:, i] for i, c in enumerate("abc")})
    data = path.read_bytes()
    ends = []       # where each chunk's batch ends in the file: reading stops there
    cut = tmp_path / "cut.arrow"
    for n in range(400, len(data) + 1, 293):
        cut.write_bytes(data[:n])
        table = read(cut)
        assert table.num_rows in (0, CHUNK_ROWS, 2 * CHUNK_ROWS, len(rows))
        assert np.array_equal(np.column_stack([table.column(c).to_numpy() for c in "abc"]), rows[:table.num_rows],
                              equal_nan=True)
        ends.append(table.num_rows)
    assert ends == sorted(ends) and {CHUNK_ROWS, 2 * CHUNK_ROWS} <= set(ends)


def test_a_telemetry_file_is_readable_whenever_it_exists(tmp_path):
    """pyarrow writes a file's schema with its first batch: a stream's file, once opened at
    the start, held 0 bytes until its first chunk, and a kill -9 then left a file that read()
    refused (found by tests/test_run_folder.py's kills spread over a run)."""
    path = tmp_path / "telemetry.arrow"
    stream = Stream(path, ["a", "b"])
    assert not path.exists()                    # a kill now leaves no file, not an empty one
    rows = np.arange(2 * CHUNK_ROWS, dtype=float).reshape(CHUNK_ROWS, 2)
    stream.write_rows(rows)
    assert read(path).num_rows == CHUNK_ROWS    # no footer yet: as a kill would leave it
    stream.close()
    assert pa.ipc.open_file(path).read_all().num_rows == CHUNK_ROWS
    empty = Stream(tmp_path / "empty.arrow", ["a"])
    empty.close()                               # a flight that kept no row: the schema, no batch
    assert read(tmp_path / "empty.arrow").column_names == ["a"]


def test_chunking_changes_no_byte(tmp_path):
    """One call into compiled code for the whole flight, a call per 337 steps, and the telemetry
    held in memory then written (gnc.output.write_run's path): the same file, byte for byte."""
    from gnc.core.layout import FS_LEN
    from gnc.flight import Flight
    from gnc.programs import loops
    from gnc.programs.descent import plant as P
    from gnc.programs.descent.assemble import assemble
    from gnc.programs.descent.run import telemetry_columns
    from gnc.scenario import load

    sc = load("descent", ["sim.max_duration_s=50"])

    def fly(chunk, folder):
        a = assemble(sc, 3, False)
        sink = None if folder is None else Stream(folder, telemetry_columns())
        f = Flight(loops.loop("descent"), a.plant(), a.cfg[None, :], np.zeros((1, FS_LEN)), P.T_LEN, 1, a.seed, sink)
        f.until(a.n_steps, chunk)
        return f.columns(telemetry_columns())

    fly(None, tmp_path / "whole.arrow")
    fly(337, tmp_path / "chunked.arrow")
    held = fly(None, None)
    write(tmp_path / "held.arrow", held)
    whole = (tmp_path / "whole.arrow").read_bytes()
    assert len(held["t"]) == 2500 and pa.ipc.open_file(tmp_path / "whole.arrow").num_record_batches == 3
    assert (tmp_path / "chunked.arrow").read_bytes() == whole
    assert (tmp_path / "held.arrow").read_bytes() == whole


def _test_extra(name: str):
    """pandas or polars (the [test] extra): skipped without it, failed instead under CI=true."""
    try:
        return importlib.import_module(name)
    except ImportError:
        reason = f"{name} is in the [test] extra: pip install -e '.[test]'"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true requires it)")
        pytest.skip(reason)


def test_pandas_and_polars_open_it_in_one_line(tmp_path):
    pd, pl = _test_extra("pandas"), _test_extra("polars")
    path = write(tmp_path / "telemetry.arrow", {"t": np.arange(2500.0), "alt": np.linspace(15e3, 0.0, 2500)})
    df = pd.read_feather(path)
    assert list(df.columns) == ["t", "alt"] and df["alt"].iloc[-1] == 0.0 and len(df) == 2500
    lf = pl.read_ipc(path)
    assert lf.columns == ["t", "alt"] and lf["t"][2499] == 2499.0
    assert Columns(path)["alt"].tolist() == df["alt"].tolist()


# peak RSS of descents flown in one process (VmHWM, reset before each by /proc/self/clear_refs):
# without telemetry, streamed, and streamed with sim.max_duration_s=1e6 (the MemoryError)
PEAKS = """
import json, sys, tempfile
from pathlib import Path
from gnc.programs.descent.run import run
from gnc.scenario import load
from gnc.telemetry import Recorder

def peak_kb(fly):
    Path("/proc/self/clear_refs").write_text("5")
    fly()
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0])

sc, long = load("descent"), load("descent", ["sim.max_duration_s=1e6"])
tmp = Path(tempfile.mkdtemp())
run(sc, 0, tel_every=10**7)          # loads the compiled loop
out = {"none": peak_kb(lambda: run(sc, 0, tel_every=10**7))}
out["streamed"] = peak_kb(lambda: out.update(duration_s=run(sc, 0, telemetry=Recorder(tmp)).summary["duration_s"]))
out["bytes"] = (tmp / "telemetry.arrow").stat().st_size
out["long"] = peak_kb(lambda: run(long, 0, telemetry=Recorder(tmp)))
print(json.dumps(out))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc/self/clear_refs")
def test_memory_does_not_grow_with_the_flight():
    p = subprocess.run([sys.executable, "-c", PEAKS], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    peak = json.loads(p.stdout.splitlines()[-1])
    # The whole descent (881 s, 44k rows, a 34 MB file) streamed peaks 6.8 MB above the same flight
    # without telemetry, and with sim.max_duration_s=1e6 9.4-9.7 MB above (12 runs; the latter is
    # what the process keeps from the flights before it: a flight without telemetry flown after
    # them peaks as high).  Held in memory, as before streaming, it peaked 97 MB above, and the
    # 1e6 flight was refused.  16 MB is half the file: telemetry held in memory fails it.
    bound_kb = 16 * 1024
    assert peak["bytes"] > 2 * bound_kb * 1024 and peak["duration_s"] > 600
    assert peak["streamed"] - peak["none"] < bound_kb, peak
    assert peak["long"] - peak["none"] < bound_kb, peak
