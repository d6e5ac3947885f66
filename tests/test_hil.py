"""The HIL bridge through real pseudo-terminals: a board process (`python -m gnc.hil.board
--pty`, the flight software behind the protocol) creates a pty, the host opens it with
pyserial and flies the vehicle model.  Faults are injected from the board side.

Every test has a deadline (SIGALRM, no plugin) against hangs; the session's own
timeouts end a silent link long before it.  The full descents take ~10-20 s each over a pty.
"""
import json
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from scripted import Scripted

from gnc import wire
from gnc.core.layout import AF_STEP_CYCLES, SF_LEN
from gnc.hil.board import Board, Faults
from gnc.hil.link import round_trip_wire_time
from gnc.hil.session import SILENCE_S, SILENT_PERIODS, HandshakeError, run_session
from gnc.hil.transport import EmulatedLine, SerialTransport, StubTransport, TransportError
from gnc.programs.descent.run import telemetry_columns
from gnc.scenario import load
from gnc.telemetry import Columns

SC = load("descent")
PERIOD = 1.0 / SC.sim.fsw_rate_hz
BOARD_START_S = 300.0         # a cold numba cache compiles the flight software first, slowly on a busy machine
BAUD = 921600                 # a pty ignores it (no wire time), a real port would not
SILENCE_WINDOW_S = 1.0        # lockstep tests of a board that never answers again: keep them quick
TEST_DEADLINE_S = 600         # against hangs, not a speed limit: a full descent takes ~15-30 s


@pytest.fixture(autouse=True)
def deadline(request):
    """Fail a test that hangs instead of hanging the suite."""
    def expired(signum, frame):
        raise TimeoutError(f"{request.node.name} ran past its {TEST_DEADLINE_S} s deadline")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_DEADLINE_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


class BoardProcesses:
    """board(*faults) starts a board process and returns its pty path; stall(path, s)
    stops it for s seconds, as a loaded machine deschedules a board process or an emulator."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.pids: dict[str, int] = {}
        self.timers: list[threading.Timer] = []

    def __call__(self, *faults: str) -> str:
        cmd = [sys.executable, "-m", "gnc.hil.board", "--pty"] + [f"--fault={f}" for f in faults]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        end = time.monotonic() + BOARD_START_S
        line = b""
        while not line.endswith(b"\n"):
            left = end - time.monotonic()
            assert left > 0 and select.select([proc.stdout], [], [], left)[0], "board did not print its pty"
            chunk = os.read(proc.stdout.fileno(), 1)
            assert chunk, f"board exited: {proc.wait()}"
            line += chunk
        assert line.startswith(b"PTY "), line
        path = line.split()[1].decode()
        self.pids[path] = proc.pid
        return path

    def stall(self, path: str, seconds: float) -> None:
        os.killpg(self.pids[path], signal.SIGSTOP)
        timer = threading.Timer(seconds, os.killpg, (self.pids[path], signal.SIGCONT))
        timer.start()
        self.timers.append(timer)

    def close(self) -> None:
        for timer in self.timers:
            timer.cancel()
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGCONT)       # a stopped process would not act on SIGTERM
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(3)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            proc.stdout.close()


@pytest.fixture
def board():
    """Board processes on ptys, all killed afterwards."""
    boards = BoardProcesses()
    yield boards
    boards.close()


def _hil_cli(*args):
    return subprocess.run([sys.executable, "-m", "gnc.cli", "hil", *args], capture_output=True, text=True,
                          timeout=TEST_DEADLINE_S)


def _silent_event(result):
    return next(e for e in result.link["events"] if e["event"] == "silent")


# ---------------------------------------------------------------- the board's protocol, no link

def test_board_answers_a_retransmission_from_its_cache():
    from gnc.programs.descent.assemble import assemble

    b, d = Board(), wire.Decoder()
    cfg = assemble(SC, 0).cfg
    assert d.feed(b.receive(wire.encode_reset(1)))[0].kind == "hello"
    ack = d.feed(b.receive(wire.encode_config(2, cfg)))[0]
    assert ack.kind == "log" and ack.seq == 2
    assert ack.payload == f"config ok {zlib.crc32(wire.LAYOUTS['config'].pack(cfg)):08x}"
    frame = wire.encode_sensor(3, np.zeros(SF_LEN))
    first = d.feed(b.receive(frame))[0]
    again = d.feed(b.receive(frame))[0]
    assert first.kind == again.kind == "actuator" and first.seq == again.seq == 3
    assert b.answered == 1, "the flight software must not step twice on one frame"
    assert first.payload[AF_STEP_CYCLES] > 0          # nanoseconds of the step
    assert d.feed(b.receive(wire.encode_reset(4)))[0].kind == "hello"
    # unconfigured (after a reset, or a reboot) it answers a sensor frame with its hello
    assert d.feed(b.receive(wire.encode_sensor(5, np.zeros(SF_LEN))))[0].kind == "hello"


def _fly_steps(board: Board, decoder: wire.Decoder, seq: int, n: int, t0: float) -> tuple[int, np.ndarray]:
    """n sensor frames (the first a go), the last actuator frame answered."""
    from gnc.core import layout as L

    for k in range(n):
        sf = np.zeros(SF_LEN)
        sf[L.SF_T], sf[L.SF_CMD] = t0 + k * PERIOD, float(k == 0 and t0 == 0.0)
        seq += 1
        (answer,) = decoder.feed(board.receive(wire.encode_sensor(seq, sf)))
        assert answer.kind == "actuator" and answer.seq == seq
    return seq, answer.payload


def test_an_uplink_replaces_the_config_of_the_running_flight_software_without_a_reset():
    from gnc.core import layout as L
    from gnc.programs.descent.assemble import assemble

    cfg = assemble(SC, 0).cfg
    ends = {}
    for how in ("none", "uplink", "config"):
        b, d = Board(), wire.Decoder()
        assert d.feed(b.receive(wire.encode_uplink(1, cfg)))[0].kind == "hello"   # no config yet: who are you
        d.feed(b.receive(wire.encode_reset(2) + wire.encode_config(3, cfg)))
        seq, _ = _fly_steps(b, d, 3, 20, 0.0)
        if how != "none":
            encode = wire.encode_uplink if how == "uplink" else wire.encode_config
            (ack,) = d.feed(b.receive(encode(seq + 1, cfg)))
            assert ack.seq == seq + 1
            assert ack.payload == f"{how} ok {zlib.crc32(wire.LAYOUTS['config'].pack(cfg)):08x}"
            seq += 1
        seq, ends[how] = _fly_steps(b, d, seq, 20, 20 * PERIOD)
        if how == "uplink":
            other = cfg.copy()
            other[L.CF_PROGRAM] = 2
            (refused,) = d.feed(b.receive(wire.encode_uplink(seq + 1, other)))
            assert (refused.kind, refused.payload) == ("log", "uplink bad program 2")
    np.testing.assert_array_equal(ends["uplink"][:L.AF_STEP_CYCLES], ends["none"][:L.AF_STEP_CYCLES])
    # the control: a config in its place restarts the flight software, and that shows
    assert not np.array_equal(ends["config"][:L.AF_STEP_CYCLES], ends["none"][:L.AF_STEP_CYCLES])


def test_the_board_counts_what_it_dropped_what_it_missed_and_what_it_answered_twice():
    from gnc.core import layout as L
    from gnc.programs.descent.assemble import assemble

    b, d = Board(), wire.Decoder()
    d.feed(b.receive(wire.encode_reset(1) + wire.encode_config(2, assemble(SC, 0).cfg)))
    seq, af = _fly_steps(b, d, 2, 3, 0.0)
    assert (af[L.AF_BOARD_BAD], af[L.AF_BOARD_GAPS], af[L.AF_BOARD_REPEATS]) == (0, 0, 0)
    again = wire.encode_sensor(seq, np.zeros(SF_LEN))          # a retransmission of the last frame
    assert [m.seq for m in d.feed(b.receive(again + again))] == [seq, seq]
    broken = bytearray(wire.encode_sensor(seq + 1, np.zeros(SF_LEN)))
    broken[20] ^= 0x10                                          # CRC
    b.receive(b"\x00\x05\x01\x00" + bytes(broken))              # COBS
    seq, af = _fly_steps(b, d, seq + 1, 1, 3 * PERIOD)        # seq + 2: the host gave up on seq + 1
    assert (af[L.AF_BOARD_BAD], af[L.AF_BOARD_GAPS], af[L.AF_BOARD_REPEATS]) == (2, 1, 2)


def test_a_board_of_another_schema_refuses_configs_until_a_reset_names_its_own():
    from gnc.programs.descent.assemble import assemble

    b, d, cfg = Board(), wire.Decoder(), assemble(SC, 0).cfg
    (log,) = d.feed(b.receive(wire.encode_reset(1, fingerprint=0xDEADBEEF)))
    assert (log.kind, log.payload) == ("log", f"schema mismatch board {wire.SCHEMA_FINGERPRINT:08x} host deadbeef")
    assert d.feed(b.receive(wire.encode_config(2, cfg)))[0].payload == "config bad schema mismatch"
    assert d.feed(b.receive(wire.encode_reset(3)))[0].payload.fingerprint == wire.SCHEMA_FINGERPRINT
    assert d.feed(b.receive(wire.encode_config(4, cfg)))[0].payload.startswith("config ok ")


def _stub_board(fsw: str) -> Board:
    """Board(fsw), or a skip (a failure under CI) where the C build it runs is missing."""
    from gnc.core.fsw_c import CBuildUnavailable

    try:
        return Board(fsw)
    except CBuildUnavailable as e:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(str(e))


VECTORS = json.loads((Path(__file__).with_name("vectors") / "frames.json").read_text())["vectors"]


@pytest.mark.parametrize("fsw", ["numba", "c", "c-float"])
def test_the_stub_answers_a_script_with_the_very_bytes_the_protocol_requires(fsw):
    """The stub is the firmware's protocol (hil_protocol.c on the host board layer): every
    reply to a fixed script, byte for byte, is what docs/protocol.md prescribes, its
    actuator frame the build's own fsw_step on the frames as the wire carries them."""
    from gnc.core import fsw_c
    from gnc.core import layout as L
    from gnc.programs.descent.assemble import assemble

    b = _stub_board(fsw)
    real = 4 if fsw == "c-float" else 8
    name = f"host-{fsw} f{real * 8} reset:power-on"
    assert b.boot() == wire.encode_hello(0, 0.0, real, 10**9, 0, name) and b.name == name
    assert b.receive(wire.encode_reset(1)) == wire.encode_hello(1, 0.0, real, 10**9, 0, name)
    cfg = assemble(SC, 0).cfg
    assert b.receive(wire.encode_config(2, cfg)) == wire.encode_log(
        2, 0.0, f"config ok {zlib.crc32(wire.LAYOUTS['config'].pack(cfg)):08x}")
    sf = np.array(next(v for v in VECTORS if v["name"] == "sensor_descent")["frame"])
    sf[L.SF_CMD] = 1.0                                            # the go
    # the same step, called directly on the frames as they cross the wire
    fs, want = np.zeros(L.FS_LEN), np.zeros(L.AF_LEN)
    fsw_c.reset(fsw, fs)
    on_the_wire = wire.decode(wire.encode_sensor(3, sf)).payload, wire.decode(wire.encode_config(2, cfg)).payload
    fsw_c.step_kernel(fsw)(*on_the_wire, fs, want)
    got = b.receive(wire.encode_sensor(3, sf))
    answer = wire.decode(got).payload
    assert answer[L.AF_STEP_CYCLES] > 0
    want[L.AF_STEP_CYCLES] = answer[L.AF_STEP_CYCLES]             # the one field a step's own
    assert got == wire.encode_actuator(3, want)
    assert b.receive(wire.encode_sensor(3, sf)) == got, "a retransmission gets the cached reply"
    assert b.answered == 1 and b.replies == 2
    sf[L.SF_T] += PERIOD
    later = wire.decode(b.receive(wire.encode_sensor(5, sf))).payload       # seq 4 never came
    assert (later[L.AF_BOARD_BAD], later[L.AF_BOARD_GAPS], later[L.AF_BOARD_REPEATS]) == (0, 1, 1)
    assert b.answered == 2


@pytest.mark.parametrize("fsw", ["numba", "c-float"])
def test_the_stub_refuses_what_the_firmware_refuses_in_its_words(fsw):
    """Program 0 and a non-positive dt: the Python stub once flew them; the C board never did."""
    from gnc.core import layout as L
    from gnc.programs.descent.assemble import assemble

    b, d = _stub_board(fsw), wire.Decoder()
    d.feed(b.receive(wire.encode_reset(1)))
    cfg = assemble(SC, 0).cfg.copy()
    cfg[L.CF_PROGRAM] = 0
    assert b.receive(wire.encode_config(2, cfg)) == wire.encode_log(2, 0.0, "config bad program 0")
    cfg[L.CF_PROGRAM], cfg[L.CF_DT] = 1, 0.0
    assert b.receive(wire.encode_config(3, cfg)) == wire.encode_log(3, 0.0, "config bad dt <= 0")
    # refused, so unconfigured: a sensor frame gets the hello
    assert d.feed(b.receive(wire.encode_sensor(4, np.zeros(SF_LEN))))[0].kind == "hello"


@pytest.mark.parametrize("fsw", ["c", "c-float"])
def test_a_board_refuses_the_fuel_optimal_law_beyond_its_room_and_the_host_says_why(fsw):
    """The config carries the law and its nodes (protocol 7); a board lays the law out in memory
    sized when it was built (PDG_N_MAX: the stub's is the host build's), so more nodes than
    that are refused in one line, as the firmware words it, and the session raises it before
    flying anything: flying fewer nodes, or the default law, would be another flight."""
    from gnc.core import fsw_c
    from gnc.core import layout as L
    from gnc.programs.descent.assemble import assemble

    b, d = _stub_board(fsw), wire.Decoder()
    room = fsw_c.module(fsw).lib.PDG_N_MAX
    d.feed(b.receive(wire.encode_reset(1)))
    cfg = assemble(load("descent", ["guidance.law=pdg"]), 0).cfg.copy()
    assert (cfg[L.CF_LAW], cfg[L.CF_PDG_NODES]) == (L.LAW_PDG, 25)
    assert d.feed(b.receive(wire.encode_config(2, cfg)))[0].payload.startswith("config ok ")
    cfg[L.CF_PDG_NODES] = room + 1
    assert d.feed(b.receive(wire.encode_config(3, cfg)))[0].payload == f"config bad pdg nodes {room + 1} room 3..{room}"
    cfg[L.CF_PDG_NODES], cfg[L.CF_PROGRAM] = 25, L.PROGRAM_ASCENT
    assert d.feed(b.receive(wire.encode_config(4, cfg)))[0].payload == "config bad pdg in program 2"
    cfg[L.CF_PROGRAM], cfg[L.CF_LAW] = L.PROGRAM_DESCENT, 7
    assert d.feed(b.receive(wire.encode_config(5, cfg)))[0].payload == "config bad law 7"
    assert d.feed(b.receive(wire.encode_sensor(6, np.zeros(SF_LEN))))[0].kind == "hello"    # left unconfigured
    sc = load("descent", ["guidance.law=pdg", f"guidance.pdg_nodes={room + 1}", "sim.fsw_rate_hz=10"])
    with pytest.raises(HandshakeError, match=f"refused the config: 'config bad pdg nodes {room + 1} room 3..{room}'"):
        run_session(sc, StubTransport(_stub_board(fsw)), fsw=fsw)


def test_the_numba_stub_refuses_the_fuel_optimal_law():
    """numba's law keeps its solver in arrays of its own row, which the stub's step hook does
    not carry: the numba stub says so rather than fly the C law under numba's name."""
    sc = load("descent", ["guidance.law=pdg", "sim.fsw_rate_hz=10"])
    with pytest.raises(HandshakeError, match="config bad pdg not on the numba stub"):
        run_session(sc, StubTransport(_stub_board("numba")))


def test_the_host_board_decodes_every_shared_wire_vector():
    """tests/vectors/frames.json, the codec's contract, through the host build of the
    firmware's protocol: each message the board takes is answered, none is dropped as bad."""
    from gnc.core import layout as L

    for fsw in ("c", "c-float"):
        b, d = _stub_board(fsw), wire.Decoder()
        by_type = {}
        for v in VECTORS:
            by_type.setdefault(v["type"], []).append(v)
        (hello,) = d.feed(b.receive(bytes.fromhex(by_type["reset"][0]["wire"])))
        assert (hello.kind, hello.seq, hello.payload.fingerprint) == ("hello", by_type["reset"][0]["seq"],
                                                                       wire.SCHEMA_FINGERPRINT)
        for v in by_type["config"] + by_type["uplink"]:
            raw = bytes.fromhex(v["wire"])
            crc = zlib.crc32(wire.cobs_decode(raw.strip(b"\x00"))[wire.HEADER_SIZE:-wire.CRC_SIZE])
            text = (f"{v['type']} ok {crc:08x}" if v["type"] == "config" or v["frame"][L.CF_PROGRAM] == 1
                    else f"uplink bad program {int(v['frame'][L.CF_PROGRAM])}")
            assert b.receive(raw) == wire.encode_log(v["seq"], 0.0, text), v["name"]
        for v in by_type["sensor"]:
            (answer,) = d.feed(b.receive(bytes.fromhex(v["wire"])))
            assert (answer.kind, answer.seq) == ("actuator", v["seq"]), v["name"]
            assert answer.payload[L.AF_BOARD_BAD] == 0, v["name"]
        assert b.answered == len(by_type["sensor"]) and d.errors() == 0


def test_a_newer_stub_board_of_the_same_build_takes_the_protocol_over():
    """One C protocol state per build in a process: the board it belongs to answers, an
    older one says so rather than answer from another board's state."""
    old = _stub_board("c")
    new = Board("c")
    assert wire.decode(new.receive(wire.encode_reset(1))).kind == "hello"
    with pytest.raises(RuntimeError, match="replaced by a newer one"):
        old.receive(wire.encode_reset(2))


def test_the_host_refuses_a_board_of_another_schema_in_one_line_naming_both(monkeypatch):
    import gnc.hil.session

    host = wire.SCHEMA_FINGERPRINT
    # the board checks the host's reset: its log becomes the host's error
    reset = wire.encode_reset
    monkeypatch.setattr(wire, "encode_reset", lambda seq, t=0.0: reset(seq, t, fingerprint=0xDEADBEEF))
    with pytest.raises(HandshakeError) as refused:
        run_session(SC, StubTransport())
    monkeypatch.undo()
    # the host checks the board's hello
    monkeypatch.setattr(gnc.hil.session.wire, "SCHEMA_FINGERPRINT", 0x0BADF00D)
    with pytest.raises(HandshakeError) as mismatched:
        run_session(SC, StubTransport())
    for error, sent in ((refused, 0xDEADBEEF), (mismatched, 0x0BADF00D)):
        text = str(error.value)
        assert "\n" not in text and "rebuild the firmware or update the host" in text
        assert f"fingerprint {host:08x}) is not this host's ({sent:08x})" in text, text


# ---------------------------------------------------------------- over a pty

def test_lockstep_descent_over_a_pty_lands_within_the_limits(board):
    t0 = time.perf_counter()
    r = run_session(SC, SerialTransport(board(), BAUD), seed=0)
    wall = time.perf_counter() - t0
    assert r.summary["outcome"] == "landed", r.summary["failures"]      # judged against [touchdown]
    assert list(r.telemetry) == telemetry_columns()
    assert len(r.telemetry["t"]) == r.link["steps"] > 40_000
    assert (r.telemetry["nav_sig_pos_e"] > 0).all()          # the filter's sigma crosses the link (protocol 3)
    f = r.link["frames"]
    assert f["lost"] == f["corrupted"] == f["held_steps"] == 0
    assert f["on_time"] == r.link["steps"]
    assert r.link["board_step_s"]["p50"] > 0
    print(f"\nfull descent over a pty: {r.link['steps']} steps in {wall:.1f} s, round trip "
          f"p50 {r.link['round_trip_s']['p50'] * 1e3:.3f} ms")


def test_lockstep_rides_out_a_board_stall_far_longer_than_3_timeouts(board):
    """The board process stopped for a second at step 150, as a loaded machine deschedules
    an emulator: some 45 timeouts, well inside the lockstep silence window.  The host asks
    again every timeout and the flight goes on, nothing lost or held."""
    path = board()
    sc = load("descent", ["sim.max_duration_s=6"])
    r = run_session(sc, Scripted(path, BAUD, {151: lambda link: board.stall(path, 1.0)}))
    assert r.link["events"] == [] and r.summary["outcome"] == "no_touchdown"     # flew its 6 s
    f = r.link["frames"]
    assert f["retransmitted"] > SILENT_PERIODS
    assert f["on_time"] == r.link["steps"] == 300 and f["lost"] == f["held_steps"] == 0


def test_lockstep_board_silent_past_the_window_is_declared_silent_and_aborts(board):
    r = run_session(SC, SerialTransport(board("silent-after=150"), BAUD), silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "aborted" and "silent" in r.summary["failures"][0]
    silent = _silent_event(r)
    assert silent["step"] == 150 and silent["last_answer_step"] == 149 and len(r.telemetry["t"]) == 150
    assert silent["quiet_s"] >= SILENCE_WINDOW_S            # the window, not 3 timeouts
    # step 150's frame asked again meanwhile; on a loaded machine an earlier step's late answer
    # may have been asked for again too
    assert 0 < silent["retransmitted"] <= r.link["frames"]["retransmitted"]


def test_silent_board_in_real_time_is_detected_within_3_periods_and_aborts(board, tmp_path):
    """At 10 Hz: a loaded 2-core machine delays a board process by milliseconds, far from
    the 3 periods (300 ms) that make it silent; what is judged is counted in periods."""
    path = board("silent-after=30")
    p = _hil_cli("--port", path, "--baud", str(BAUD), "--mode", "realtime", "descent", "--set", "sim.fsw_rate_hz=10",
                 "--out", str(tmp_path), "-q", "--no-plots")
    assert p.returncode == 3
    assert len(p.stderr.strip().splitlines()) == 1 and "silent" in p.stderr and "Traceback" not in p.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["outcome"] == "aborted"
    link = json.loads((tmp_path / "link.json").read_text())
    silent = next(e for e in link["events"] if e["event"] == "silent")
    assert 20 <= silent["last_answer_step"] <= 29              # a late answer is held, not an answer
    assert silent["step"] - silent["last_answer_step"] <= SILENT_PERIODS
    tel = Columns(tmp_path / "telemetry.arrow")          # readable, up to the step before the abort
    assert len(tel["t"]) == silent["step"] and np.isfinite(tel["alt"]).all()


def test_silent_board_hold_keeps_the_last_thrust_for_a_bounded_time(board):
    hold_s = 0.5
    r = run_session(SC, SerialTransport(board("silent-after=150"), BAUD), on_silence="hold", hold_s=hold_s,
                    silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "aborted" and "hold" in r.summary["failures"][0]
    silent = _silent_event(r)
    assert silent["step"] - silent["last_answer_step"] <= SILENT_PERIODS
    held = np.flatnonzero(r.link_series["held"])
    assert len(held) == r.link["frames"]["held_steps"] == round(hold_s / PERIOD)
    tel = r.telemetry
    assert np.all(tel["af.thrust_cmd"][held] == tel["af.thrust_cmd"][held[0] - 1])
    assert all(np.all(tel[f"af.rcs_on[{i}]"][held] == 0.0) for i in range(12))


def test_silent_board_fails_over_to_the_stub_and_lands(board):
    r = run_session(SC, SerialTransport(board("silent-after=150"), BAUD), on_silence="stub",
                    silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    silent = _silent_event(r)
    assert silent["step"] - silent["last_answer_step"] <= SILENT_PERIODS
    assert [t["transport"] for t in r.link["transports"]] == ["serial", "stub"]
    assert any(e["event"] == "fail-over" for e in r.link["events"])


def test_garbage_and_corrupted_replies_are_counted_and_the_session_lands(board):
    r = run_session(SC, SerialTransport(board("garbage-every=150"), BAUD), seed=0)
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    d, f = r.link["decoder"], r.link["frames"]
    assert d["bad_crc"] + d["bad_cobs"] > 0 and f["corrupted"] > 0 and f["garbled_before_hello"] == 0
    # a corrupted reply is asked for again: none is lost for good, nothing held
    assert f["retransmitted"] > 0 and f["lost"] == 0 and f["held_steps"] == 0


def test_port_vanishing_mid_session_is_one_line_and_keeps_the_telemetry(board, tmp_path):
    path = board("exit-after=150")
    p = _hil_cli("--port", path, "--baud", str(BAUD), "descent", "--out", str(tmp_path), "-q", "--no-plots")
    assert p.returncode == 3
    assert len(p.stderr.strip().splitlines()) == 1 and "gone" in p.stderr and "Traceback" not in p.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["outcome"] == "aborted"
    tel = Columns(tmp_path / "telemetry.arrow")
    assert 140 <= len(tel["t"]) <= 150 and np.isfinite(tel["alt"]).all()


def test_a_port_that_cannot_be_opened_is_one_line(tmp_path):
    p = _hil_cli("--port", str(tmp_path / "no-such-port"), "descent", "--out", str(tmp_path / "out"), "-q")
    assert p.returncode == 3
    assert p.stderr.count("\n") == 1 and "cannot open" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "out" / "summary.json").exists()


def test_board_reset_mid_session_resumes_and_lands(board):
    r = run_session(SC, SerialTransport(board("reset-after=150"), BAUD), on_reset="resume")
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    kinds = [e["event"] for e in r.link["events"]]
    assert kinds == ["board reset", "resumed"]
    assert len(r.link["handshakes"]) == 2 and r.link["handshakes"][1]["step"] == 150


def test_a_board_reset_mid_approach_lays_the_fuel_optimal_law_out_again_and_lands(tmp_path):
    """A board flying the fuel-optimal law that resets 9 s into the approach (step 7400 at
    10 Hz; the approach starts at 731 s) loses its plan with its state: the host's new
    handshake sends the config again, the board lays the law out afresh and the law plans
    the rest of the arc from where the vehicle is, as at the arc's start; it lands, and the
    summary has the board's solver counters.  The stub board on the C build (the numba stub
    refuses the law)."""
    p = _hil_cli("--stub", "--fsw", "c", "--fault", "reset-after=7400", "descent", "--set", "guidance.law=pdg",
                 "--set", "sim.fsw_rate_hz=10", "--out", str(tmp_path), "-q", "--no-plots")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    link = json.loads((tmp_path / "link.json").read_text())
    assert [e["event"] for e in link["events"]] == ["board reset", "resumed"]
    approach = next(ph for ph in summary["phases"] if ph["name"] == "approach")
    assert approach["start_s"] < link["handshakes"][1]["step"] * 0.1 < approach["end_s"]
    assert summary["outcome"] == "landed", summary["failures"]
    # the board's solver counters reach the summary through its actuator frames (protocol 9), counted since the
    # reset laid the law out again: the re-plans of the rest of the approach and the divert's at least
    from gnc.core.pdg.solver import MAX_ITERS

    g = summary["guidance"]
    assert g["law"] == "pdg" and 5 <= g["solves"] <= g["iterations"] <= MAX_ITERS * g["solves"]
    assert 0 < g["iterations_max"] <= MAX_ITERS and g["fallbacks"] == 0


def test_board_reset_mid_session_aborts_by_policy(board):
    r = run_session(SC, SerialTransport(board("reset-after=150"), BAUD), on_reset="abort")
    assert r.summary["outcome"] == "aborted" and "reset" in r.summary["failures"][0]
    assert len(r.telemetry["t"]) == 150


def test_an_estimate_not_yet_made_is_no_bad_command_but_an_infinite_one_is():
    """NaN in nav_* is a flight software with no estimate yet (the orbiter-returner's relative
    navigation before the go, in process as over a link); what the vehicle flies must be finite."""
    from gnc.core.layout import AF_LEN, AF_NAV_POS, AF_T, AF_THRUST_CMD, CF_DT, CF_LEN, CF_THRUST_MAX, SF_T
    from gnc.hil import command

    sf, af, cfg = np.zeros(SF_LEN), np.zeros(AF_LEN), np.zeros(CF_LEN)
    sf[SF_T] = af[AF_T] = 12.34
    cfg[CF_DT], cfg[CF_THRUST_MAX] = 0.1, 3000.0
    af[AF_NAV_POS:AF_NAV_POS + 3] = np.nan
    assert command.fault(af, sf, cfg) is None
    af[AF_NAV_POS] = np.inf
    assert command.fault(af, sf, cfg) == "nav_pos[0] not finite"
    af[AF_NAV_POS], af[AF_THRUST_CMD] = np.nan, np.nan
    assert command.fault(af, sf, cfg) == "thrust_cmd not finite"


def test_nan_thrust_from_the_board_is_a_bad_command_held_then_an_abort_not_a_crash(board, tmp_path):
    """A CRC-valid actuator frame with thrust_cmd = NaN once killed the host with SIGSEGV
    (the state turned NaN and the DEM lookup indexed with it).  Now the command is refused
    on arrival: the last good one is held, for at most --hold-s, then the session aborts."""
    path = board("nan-after=150")
    p = _hil_cli("--port", path, "--baud", str(BAUD), "descent", "--out", str(tmp_path), "-q", "--no-plots",
                 "--hold-s", "0.5")
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert len(p.stderr.strip().splitlines()) == 1 and "bad command" in p.stderr and "Traceback" not in p.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    link = json.loads((tmp_path / "link.json").read_text())
    assert summary["outcome"] == "aborted"
    bad = next(e for e in link["events"] if e["event"] == "bad command")
    assert bad["step"] == 150 and "thrust_cmd" in bad["detail"] and "hold" in bad["detail"]
    held = round(0.5 / PERIOD)
    assert link["frames"]["held_steps"] == held and link["frames"]["bad_commands"] == held + 1   # the last one ends it
    tel = Columns(tmp_path / "telemetry.arrow")
    assert np.isfinite(tel["af.thrust_cmd"]).all() and np.isfinite(tel["alt"]).all()


@pytest.mark.parametrize("fault, words", [("overthrust-after=150", ("thrust_cmd", "1e+09")),
                                          ("frozen-time-after=150", ("time tag",))])
def test_a_command_outside_the_limits_or_out_of_time_aborts_by_policy(board, fault, words):
    r = run_session(SC, SerialTransport(board(fault), BAUD), on_bad="abort")
    assert r.summary["outcome"] == "aborted" and "bad command" in r.summary["failures"][0]
    assert all(w in r.summary["failures"][0] for w in words), r.summary["failures"][0]
    assert len(r.telemetry["t"]) == 150
    assert r.link["frames"]["bad_commands"] == 1


@pytest.mark.parametrize("mode", ["lockstep", "realtime"])
def test_a_board_replaying_its_last_answer_is_silent(board, mode):
    """Its answers are valid messages but never the answer to the frame sent: they must not
    keep the link alive (lockstep once waited forever; real time flew held commands to the end)."""
    r = run_session(SC, SerialTransport(board("replay-after=150"), BAUD), mode=mode, silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "aborted" and "silent" in r.summary["failures"][0]
    silent = _silent_event(r)
    assert silent["last_answer_step"] == 149
    assert r.link["frames"]["duplicate"] + r.link["frames"]["stray"] > 0


def test_a_pty_has_no_wire_so_a_low_baud_does_not_stretch_the_silence_window(board):
    """--baud 300 on a pty once set a 7 s lockstep timeout and a 21.5 s silence window."""
    t = SerialTransport(board("silent-after=150"), 300)
    assert t.baud is None and "pty" in t.info["describe"]
    r = run_session(SC, t)
    silent = _silent_event(r)
    assert r.summary["outcome"] == "aborted" and f"silence window of {SILENCE_S:g} s" in silent["detail"], silent


def test_a_sessions_link_series_opens_in_pandas_one_row_per_exchange(tmp_path):
    import pandas as pd

    p = _hil_cli("--stub", "descent", "--set", "sim.max_duration_s=4", "--out", str(tmp_path), "-q", "--no-plots")
    assert p.returncode == 1, p.stderr                 # 4 s of flight: no touchdown
    link = json.loads((tmp_path / "link.json").read_text())
    series = pd.read_feather(tmp_path / "link.arrow")
    assert len(series) == link["steps"] == 200          # 4 s at 50 Hz
    assert {"k", "flight", "t", "t_send", "rtt", "board_step", "late", "margin", "held"} <= set(series.columns)
    # each column in its own type: the step an integer counting up, the times in seconds
    assert series["k"].dtype.kind == "i" and list(series["k"]) == list(range(200))
    assert series["rtt"].dtype.kind == "f" and series["rtt"].notna().all()


@pytest.mark.parametrize("baud", ["0", "1", "300", "20000000"])
def test_a_baud_rate_no_uart_offers_is_refused_in_one_line(baud, tmp_path):
    p = _hil_cli("--stub", "--baud", baud, "descent", "--out", str(tmp_path), "-q")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--baud" in p.stderr, p.stderr


def test_no_board_at_the_other_end_is_a_handshake_error(monkeypatch):
    import gnc.hil.session

    monkeypatch.setattr(gnc.hil.session, "HELLO_TIMEOUT_S", 0.3)
    master, slave = os.openpty()          # nothing serves the master: no board
    try:
        with pytest.raises(HandshakeError, match="no hello"):
            run_session(SC, SerialTransport(os.ttyname(slave)))
    finally:
        os.close(master)
        os.close(slave)


# ---------------------------------------------------------------- the stub link

def in_process_with_the_codec(sc, seed: int, fsw: str) -> dict[str, np.ndarray]:
    """The closed loop of gnc.core.loop flown in Python on a build's fsw_step, with the
    codec in the middle: the frames the stub's board decodes and the host receives."""
    from gnc.core import fsw_c
    from gnc.core.layout import AF_LEN, FS_LEN
    from gnc.core.loop import seed_noise
    from gnc.programs.descent import plant as P
    from gnc.programs.descent.assemble import assemble

    step = fsw_c.step_kernel(fsw)
    a = assemble(sc, seed)
    p, sf, af, fs = a.plant(), np.zeros((1, SF_LEN)), np.zeros((1, AF_LEN)), np.zeros((1, FS_LEN))
    tel = np.zeros((a.n_steps, P.T_LEN))
    cfg = wire.decode(wire.encode_config(1, a.cfg)).payload
    fsw_c.reset(fsw, fs[0])
    seed_noise(seed)
    for k in range(a.n_steps):
        P.sense(k, p, sf, af)
        step(wire.decode(wire.encode_sensor(k, sf[0])).payload, cfg, fs[0], af[0])
        af[0] = wire.decode(wire.encode_actuator(k, af[0])).payload
        P.record(tel[k], k, k + 1, p, sf, af)
        P.advance(k, k + 1, p, af)
    return {name: tel[:, i] for i, name in enumerate(telemetry_columns())}


def test_lockstep_session_flies_the_in_process_loop_with_the_wire_rounding():
    """The session is the closed loop of gnc.core.loop with the frames crossing a wire:
    replayed here in Python with the codec in the middle, the telemetry agrees exactly,
    every column but the board's own step time."""
    sc = load("descent", ["sim.max_duration_s=10"])
    r = run_session(sc, StubTransport(), seed=5)
    tel = in_process_with_the_codec(sc, 5, "numba")
    for name in telemetry_columns():
        # the board's own step time and link counters (a retransmission on a busy machine) are no flight
        if name != "af.step_cycles" and not name.startswith("af.board_"):
            np.testing.assert_array_equal(r.telemetry[name], tel[name], err_msg=name)


@pytest.mark.parametrize("fsw", ["numba", "c", "c-float"])
def test_hil_nav_sigma_equals_the_in_process_runs(fsw):
    """Protocol 3 carries the filter's 1-sigma in the actuator frame, so the HIL telemetry's
    nav_sig columns are numbers, and for the same seed the very numbers the in-process loop
    of the same build records (on the frames as the wire rounds them): every link and every
    build records the same columns."""
    from gnc.core import fsw_c

    try:
        fsw_c.require(fsw)
    except fsw_c.CBuildUnavailable as e:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(str(e))
    sc = load("descent", ["sim.max_duration_s=10"])
    r = run_session(sc, StubTransport(Board(fsw)), seed=3)
    tel = in_process_with_the_codec(sc, 3, fsw)
    for name in [c for c in telemetry_columns() if c.startswith(("nav_sig", "af.nav_sigma"))]:
        assert np.isfinite(r.telemetry[name]).all() and (r.telemetry[name] > 0).all(), name
        np.testing.assert_array_equal(r.telemetry[name], tel[name], err_msg=name)


def test_stub_link_adds_wire_time_latency_and_jitter():
    sc = load("descent", ["sim.max_duration_s=2"])
    baud, latency, jitter = 921600, 2e-3, 1e-3
    r = run_session(sc, StubTransport(baud=baud, latency_s=latency, jitter_s=jitter))
    rtt = r.link_series["rtt"]
    assert rtt.min() >= round_trip_wire_time(baud) + 2 * latency     # by construction of the emulated line
    assert r.link["frames"]["on_time"] == r.link["steps"] == 100
    # the most the line adds, on its own clock: the host's wall time would add a busy machine's delays
    line = EmulatedLine(baud, latency, jitter, 0.0, 0.0, np.random.default_rng(0))
    frame = wire.encode_sensor(1, np.zeros(SF_LEN))
    sent = np.arange(100) * PERIOD
    for t in sent:
        line.send(t, frame)
    delay = np.array([arrival for arrival, _ in line.queue]) - sent - len(frame) * 10 / baud
    assert np.all(delay >= latency) and np.all(delay <= latency + jitter) and np.ptp(delay) > jitter / 2


def test_stub_realtime_answers_later_than_the_period_mean_held_commands():
    sc = load("descent", ["sim.max_duration_s=2", "sim.fsw_rate_hz=100"])
    # 12 ms round trip, 10 ms period: always late, yet far from the 3-period silence
    # limit even when a loaded machine stalls the host for a few milliseconds
    r = run_session(sc, StubTransport(latency_s=6e-3), mode="realtime")
    f = r.link["frames"]
    assert f["held_steps"] == r.link["steps"] == 200 and f["on_time"] == 0
    assert f["late"] >= 180                           # they do come, one step late
    assert r.summary["outcome"] == "no_touchdown"     # 2 s of flight, never silent: late answers are life


def test_stub_drops_are_lost_frames_and_lockstep_recovers_them():
    sc = load("descent", ["sim.max_duration_s=4"])
    r = run_session(sc, StubTransport(drop=0.02, seed=3))
    f = r.link["frames"]
    assert f["retransmitted"] > 0 and f["lost"] == 0 and f["on_time"] == 200


class OpenedMidHello(Board):
    """A board whose banner was half sent when the host opened the port (pyserial
    flushes its input on open): the host hears the hello's tail first."""

    def boot(self) -> bytes:
        hello = super().boot()
        return hello[len(hello) // 2:] + hello


def test_a_hello_cut_by_the_port_opening_is_not_a_corrupted_frame():
    r = run_session(load("descent", ["sim.max_duration_s=1"]), StubTransport(OpenedMidHello()))
    f = r.link["frames"]
    assert r.link["decoder"]["bad_crc"] + r.link["decoder"]["bad_cobs"] == 1
    assert f["garbled_before_hello"] == 1 and r.link["handshakes"][0]["garbled_before_hello"] == 1
    assert f["corrupted"] == 0 and f["on_time"] == 50


class DeafAtFirst(Board):
    """Says its boot hello but hears nothing until the host's third reset, as QEMU's pty,
    which reads the port up to a second after the board first writes to it."""

    def __init__(self):
        super().__init__()
        self.resets_heard = 0

    def receive(self, data: bytes) -> bytes:
        if self.resets_heard < 3:
            self.resets_heard += sum(m.kind == "reset" for m in wire.Decoder().feed(data))
            if self.resets_heard < 3:
                return b""
        return super().receive(data)


def test_the_config_waits_for_a_hello_that_answers_a_reset():
    """A boot hello says the board talks, not that it hears: a config sent on it alone is
    lost, or (under QEMU) waits unread while its retries queue behind it."""
    r = run_session(load("descent", ["sim.max_duration_s=1"]), StubTransport(DeafAtFirst()))
    assert r.summary["outcome"] != "aborted", r.summary["failures"]
    h = r.link["handshakes"][0]
    assert h["resets_sent"] == 3 and h["config_tries"] == 1


class Reflashed(Board):
    """A board that, after 100 answers, speaks the next protocol version: every message
    intact (its CRC recomputed), as firmware of another version would send it."""

    def receive(self, data: bytes) -> bytes:
        out = super().receive(data)
        if self.answered < 100:
            return out
        runs = []
        for run in out.split(b"\x00"):
            if run:
                body = bytearray(wire.cobs_decode(run))
                body[0] = (body[0] + 1) & 0xFF
                body[-4:] = zlib.crc32(bytes(body[:-4])).to_bytes(4, "little")
                runs.append(wire.cobs_encode(bytes(body)) + b"\x00")
        return b"".join(runs)


def test_a_board_changing_protocol_version_mid_session_is_named_not_silent():
    r = run_session(SC, StubTransport(Reflashed()))
    assert r.summary["outcome"] == "aborted"
    assert f"protocol version {wire.PROTOCOL_VERSION + 1}" in r.summary["failures"][0]
    kinds = [e["event"] for e in r.link["events"]]
    assert "version change" in kinds and "silent" not in kinds
    assert len(r.telemetry["t"]) == 99            # the 100th answer came in the new version


def test_stub_port_vanishing_ends_the_session_as_aborted():
    r = run_session(SC, StubTransport(Board(faults=Faults(exit_after=50))))
    assert r.summary["outcome"] == "aborted" and "gone" in r.summary["failures"][0]
    assert len(r.telemetry["t"]) == 49        # the 50th answer went down with the port
    assert math.isfinite(r.summary["duration_s"])
    stub = StubTransport()
    stub.close()
    with pytest.raises(TransportError):
        stub.write(b"\x00")


# gnc hil in a process that a second process sends argv[1] (a signal number) at step 300
SIGNAL_AT_STEP_300 = """
import os, signal, subprocess, sys
# a suite started in the background inherits SIGINT ignored, which Python keeps: Ctrl-C as in a terminal
signal.signal(signal.SIGINT, signal.default_int_handler)
import gnc.hil.session
real = gnc.hil.session.Session.stepped
def stepped(self, f, k):
    if k == 300:
        subprocess.run(["kill", "-" + sys.argv[1], str(os.getpid())], check=True)
    return real(self, f, k)
gnc.hil.session.Session.stepped = stepped
from gnc.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("sig,status,reason", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signalled_session_ends_as_aborted_with_its_outputs_written(tmp_path, sig, status, reason):
    """SIGTERM (kill, a CI timeout) is Ctrl-C with its own status: the flight so far is kept."""
    p = subprocess.run([sys.executable, "-c", SIGNAL_AT_STEP_300, str(int(sig)), "hil", "--stub", "descent", "--out",
                        str(tmp_path), "--no-plots"], capture_output=True, text=True, timeout=TEST_DEADLINE_S)
    assert p.returncode == status and "Traceback" not in p.stderr, p.stderr
    assert f"gnc hil: error: {reason}" in p.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["outcome"] == "aborted" and summary["hil"]["abort_reason"] == reason
    link = json.loads((tmp_path / "link.json").read_text())
    assert 300 <= link["steps"] < 1000 and link["events"][-1]["event"] == "aborted"
    assert len(Columns(tmp_path / "telemetry.arrow")["t"]) >= 300


# ---------------------------------------------------------------- every program over the link

def ascent_in_process_with_the_codec(sc, seed: int) -> dict[str, np.ndarray]:
    """The ascent's closed loop in Python on the numba build with the codec in the middle
    (as in_process_with_the_codec for the descent), to its event."""
    from gnc.core import fsw_c
    from gnc.core.layout import AF_LEN, FS_LEN
    from gnc.core.loop import seed_noise
    from gnc.programs.ascent import plant as AL
    from gnc.programs.ascent.assemble import assemble
    from gnc.programs.descent import plant as P

    step = fsw_c.step_kernel("numba")
    a = assemble(sc, seed)
    p, sf, af, fs = a.plant(), np.zeros((1, SF_LEN)), np.zeros((1, AF_LEN)), np.zeros((1, FS_LEN))
    tel = np.zeros((a.n_steps, P.T_LEN))
    cfg = wire.decode(wire.encode_config(1, a.cfg)).payload
    fsw_c.reset("numba", fs[0])
    seed_noise(seed)
    k = 0
    while k < a.n_steps:
        AL.sense(k, p, sf, af)
        step(wire.decode(wire.encode_sensor(k, sf[0])).payload, cfg, fs[0], af[0])
        af[0] = wire.decode(wire.encode_actuator(k, af[0])).payload
        AL.record(tel[k], k, k + 1, p, sf, af)
        steps, event = AL.advance(k, k + 1, p, af)
        k += steps
        if event:
            break
    return {name: tel[:k + (steps == 0), i] for i, name in enumerate(telemetry_columns())}


class LateOnce(StubTransport):
    """The stub whose answer to one frame comes after the host stopped waiting for it, as a
    board step descheduled on a busy machine does: the host sends that frame again."""

    def __init__(self, late_at: int):
        super().__init__()
        self.reads, self.late_at, self.holding = 0, late_at, False

    def read(self, timeout: float) -> bytes:
        self.reads += 1
        self.holding |= self.reads == self.late_at
        if self.holding:                 # nothing until the host's deadline has passed
            time.sleep(max(timeout, 0.0))
            self.holding = timeout > 0.0
            return b""
        return super().read(timeout)


@pytest.mark.parametrize("late", [False, True], ids=["prompt", "one-answer-late"])
def test_lockstep_ascent_on_the_stub_is_the_in_process_loop_with_the_wire_rounding(late):
    """The ascent flies over a link through its own runner: what the session records is the
    ascent's closed loop with the frames crossing a wire, every column but the step time and
    the board's link counters, which count what the link did."""
    sc = load("ascent", ["sim.max_duration_s=30"])
    r = run_session(sc, LateOnce(late_at=800) if late else StubTransport(), seed=4)
    tel = ascent_in_process_with_the_codec(sc, 4)
    assert r.link["phases"][0]["name"] == "ascent" and r.link["steps"] == len(tel["t"]) == 1500
    assert r.summary["liftoff_s"] > 0.0        # off the pad within the 30 s
    for name in telemetry_columns():
        if name != "af.step_cycles" and not name.startswith("af.board_"):
            np.testing.assert_array_equal(r.telemetry[name], tel[name], err_msg=name)
    # nothing lost on the stub; every frame sent again (a late answer on a busy machine, or the
    # one made late) is answered from the board's cache
    retransmitted = r.link["frames"]["retransmitted"]
    assert r.telemetry["af.board_bad"].max() == r.telemetry["af.board_gaps"].max() == 0
    assert r.telemetry["af.board_repeats"][-1] == retransmitted and retransmitted >= late


def test_lockstep_ascent_over_a_pty_reaches_orbit_as_gnc_run_judges_it(board, tmp_path):
    path = board()
    p = _hil_cli("--port", path, "--baud", str(BAUD), "ascent", "--out", str(tmp_path), "--no-plots")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    limits = load("ascent").target
    assert summary["outcome"] == "inserted" and summary["failures"] == []
    assert abs(summary["insertion"]["errors"]["a_m"]) <= limits.max_sma_error_m
    link = json.loads((tmp_path / "link.json").read_text())
    assert [ph["name"] for ph in link["phases"]] == ["ascent"]
    assert link["frames"]["on_time"] == link["steps"] == len(Columns(tmp_path / "telemetry.arrow")["t"])
    assert "ascent" in p.stdout and "link       lockstep, ascent 50 Hz" in p.stdout


def test_realtime_ascent_over_a_pty_paces_every_step(board):
    """20 s of the ascent (the pad, lift-off) at 10 Hz in real time: every step is an
    exchange at its tick, answered or held; 3 periods (300 ms) of silence are far from a
    loaded machine's stalls."""
    sc = load("ascent", ["sim.max_duration_s=20", "sim.fsw_rate_hz=10"])
    r = run_session(sc, SerialTransport(board(), BAUD), mode="realtime")
    f = r.link["frames"]
    assert r.summary["outcome"] == "no_cutoff" and r.link["steps"] == 200 == len(r.telemetry["t"])
    assert f["on_time"] + f["held_steps"] == 200 and f["on_time"] > 0
    assert r.link["period_jitter_s"] is not None and r.link["margin_s"] is not None


def test_lockstep_rendezvous_over_a_pty_captures_with_the_chaser_on_the_board(board, tmp_path):
    """`gnc hil rendezvous`: the ascent in process, then the orbiter-returner's rendezvous
    program on the board; the ground's go reaches it as an uplink (its state kept)."""
    path = board()
    p = _hil_cli("--port", path, "--baud", str(BAUD), "rendezvous", "--out", str(tmp_path), "--no-plots")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["outcome"] == "captured" and summary["failures"] == []
    link = json.loads((tmp_path / "link.json").read_text())
    assert [ph["name"] for ph in link["phases"]] == ["rendezvous"] and len(link["handshakes"]) == 1
    uplinks = [e for e in link["events"] if e["event"] == "uplink"]
    assert len(uplinks) == 1                  # the go, with both state vectors
    assert link["frames"]["lost"] == link["frames"]["held_steps"] == 0
    assert link["steps"] == summary["loop_iterations"]


def test_realtime_rendezvous_on_the_stub_paces_each_exchange():
    sc = load("rendezvous", ["sim.max_duration_s=10"])
    r = run_session(sc, StubTransport(), mode="realtime")
    f = r.link["frames"]
    assert r.summary["outcome"] == "no_capture" and r.link["steps"] == 100
    assert f["on_time"] + f["held_steps"] == 100 and f["on_time"] > 0


def test_lockstep_mission_on_the_stub_flies_every_phase_over_one_link():
    """The board is the lander-ascender's computer: a handshake for the descent, another
    after the surface stay for the ascent, and the ascender's state going on into the
    rendezvous by uplinks (the ground's far-range plans among them)."""
    r = run_session(load("mission"), StubTransport(), seed=0)
    s = r.summary
    assert s["outcome"] == "captured", s["failures"]
    assert [ph["name"] for ph in r.link["phases"]] == ["descent", "ascent", "rendezvous"]
    assert [h["step"] for h in r.link["handshakes"]] == [0, 0]
    uplinks = [e for e in r.link["events"] if e["event"] == "uplink"]
    assert uplinks and all(e["flight"] == "rendezvous" for e in uplinks)
    steps = {ph["name"]: ph["steps"] for ph in r.link["phases"]}
    assert steps["descent"] == len(r.telemetry["descent.t"]) and steps["ascent"] == len(r.telemetry["ascent.t"])
    assert r.link["frames"]["lost"] == r.link["frames"]["held_steps"] == 0
