"""A noisy link: byte errors per direction (gnc.hil.noise), through real ptys where it
matters (a board process, the relay `python -m gnc.hil.noise` between it and the host) and
on the stub; a noisy link is told from a silent board, and a board that sends nothing but
garbage ends in the "noisy link" event with the on-silence policy.

Bounds on measured rates come from measured spreads; the command that measured each is
beside it.  No wall-clock assertions.
"""
import json
import select
import subprocess
import sys
import time

import numpy as np
import pytest
from test_hil import (
    BAUD,
    BOARD_START_S,
    SC,
    TEST_DEADLINE_S,
    BoardProcesses,
    deadline,  # noqa: F401 (autouse: every test here has test_hil's deadline)
)

from gnc import wire
from gnc.hil.noise import ByteErrors, byte_error_pair, need
from gnc.hil.session import SILENT_PERIODS, run_session
from gnc.hil.transport import SerialTransport, StubTransport
from gnc.scenario import load
from gnc.telemetry import Columns

SHORT = load("descent", ["sim.max_duration_s=20"])      # 1000 steps at 50 Hz


class Relays(BoardProcesses):
    """board(*faults) as in tests/test_hil.py; noisy(path, rate, seed) puts the relay
    between a board's pty and a new one, and returns the new one."""

    def board(self, *faults: str) -> str:
        return self(*faults)

    def noisy(self, board_path: str, rate: float, seed: int = 0) -> str:
        cmd = [sys.executable, "-m", "gnc.hil.noise", "--board", board_path, "--byte-errors", str(rate),
               "--seed", str(seed)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        ready = select.select([proc.stdout], [], [], BOARD_START_S)[0]
        assert ready, "the relay did not print its pty"
        line = proc.stdout.readline().decode()
        assert line.startswith("PTY "), line
        return line.split()[1]


@pytest.fixture
def link():
    relays = Relays()
    yield relays
    relays.close()


class Babbling(SerialTransport):
    """A board that turns to babbling after `after` sensor frames: from then on every
    message it sends arrives garbled (a bit flipped in every byte but the delimiters)."""

    def __init__(self, port: str, after: int, late_once: bool = False):
        super().__init__(port, BAUD)
        self.after, self._decoder = after, wire.Decoder()
        self.frames: set[int] = set()        # sensor frames by seq: a retransmission is not a new one
        self.late_once = late_once           # its first garbled reply comes after the host stopped waiting

    def write(self, data: bytes) -> None:
        self.frames.update(m.seq for m in self._decoder.feed(data) if m.kind == "sensor")
        super().write(data)

    def read(self, timeout: float) -> bytes:
        data = super().read(timeout)
        if len(self.frames) <= self.after:
            return data
        if self.late_once:                   # as a board descheduled on a busy machine: the bytes wait in the pty
            self.late_once = False
            time.sleep(timeout)
            return b""
        return bytes(((b ^ 0x80) or 0x80) if b else 0 for b in data)


def _events(link: dict) -> list[str]:
    return [e["event"] for e in link["events"]]


# ---------------------------------------------------------------- the corrupting function

def test_byte_errors_hit_each_byte_at_the_rate_whatever_the_writes():
    rate, n = 1e-3, 1_000_000
    data = bytes(range(256)) * (n // 256)
    whole = ByteErrors(rate, np.random.default_rng(7))
    cut = ByteErrors(rate, np.random.default_rng(7))
    out = whole.apply(data)
    pieces = b"".join(cut.apply(data[i:i + 97]) for i in range(0, len(data), 97))
    assert out == pieces, "the errors must not depend on how the stream is cut into writes"
    hit = np.frombuffer(out, np.uint8) != np.frombuffer(data, np.uint8)
    assert hit.sum() == whole.corrupted          # every error changes its byte
    mean, sd = rate * len(data), (rate * len(data)) ** 0.5
    assert abs(whole.corrupted - mean) < 5 * sd, whole.corrupted
    assert ByteErrors(0.0, np.random.default_rng(0)).apply(data) == data
    up, down = byte_error_pair(rate, 1)
    assert up.apply(data) != down.apply(data), "each direction has its own errors"
    with pytest.raises(ValueError):
        ByteErrors(0.5, np.random.default_rng(0))


def test_the_run_of_misses_that_judges_a_link_grows_with_its_measured_loss():
    assert need(0.0, SILENT_PERIODS) == SILENT_PERIODS         # a clean link: 3 periods, as before
    assert need(0.12, SILENT_PERIODS) > need(0.013, SILENT_PERIODS) >= SILENT_PERIODS
    assert 0.27 ** need(0.27, SILENT_PERIODS) < 1e-6           # a chance run of that length is rare


# ---------------------------------------------------------------- through ptys, the relay in between

def test_lockstep_descent_at_byte_error_rate_1e4_per_direction_lands(link):
    r = run_session(SC, SerialTransport(link.noisy(link.board(), 1e-4, seed=1), BAUD), seed=0)
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    assert _events(r.link) == []
    f, noise = r.link["frames"], r.link["noise"]
    assert f["on_time"] == r.link["steps"] and f["lost"] == f["held_steps"] == 0
    assert f["retransmitted"] > 0 and f["corrupted"] > 0 and noise["classification"] == "noisy"
    # an actuator frame (160 bytes with its delimiters) is corrupted with probability
    # 1 - (1 - 1e-4)^160 = 1.6%; measured 0.8-1.7% over 1000 steps on the stub, seeds 0-4, 1.5% over a
    # whole descent (python bench/hil_noise.py --full)
    assert 0.008 < noise["board_to_host_message_error_rate"] < 0.03


@pytest.mark.parametrize("seed", [1, 2])
def test_lockstep_at_byte_error_rate_1e3_per_direction_flies_every_step(link, seed):
    """A third of the round trips lose a frame one way or the other; lockstep asks again
    and misses nothing.  (The full descent at 1e-3 lands too: docs/hil.md, "Noisy links".)"""
    r = run_session(SHORT, SerialTransport(link.noisy(link.board(), 1e-3, seed=seed), BAUD), seed=seed)
    assert r.summary["outcome"] == "no_touchdown" and _events(r.link) == []     # flew its 20 s
    f, noise = r.link["frames"], r.link["noise"]
    assert f["on_time"] == r.link["steps"] == 1000 and f["held_steps"] == 0
    # retransmitted 268-332 of 1000 on the stub, seeds 0-4 (python bench/hil_noise.py);
    # 1 - (1 - 1e-3)^(128 + 160) = 25% of round trips lose a frame, a retry may be lost again
    assert 200 < f["retransmitted"] < 500
    assert noise["waits"]["noisy"] > 0 and noise["waits"]["empty"] > 0     # losses both ways
    # measured 0.126-0.149 on the stub, seeds 0-4 (python bench/hil_noise.py); 1 - (1 - 1e-3)^160 = 0.148
    assert 0.09 < noise["board_to_host_message_error_rate"] < 0.2
    # The board's counters tell the directions apart: each retransmission follows a sensor frame
    # the board could not decode (up) or one it had answered and repeats (down).  Not to the
    # frame: a byte corrupted to 0x00 splits one message into two undecodable ones.  Measured
    # retransmitted - repeats - bad = -3 .. 1 of 279-339 with `gnc hil --stub --byte-errors 1e-3
    # --seed S --set sim.max_duration_s=20`, S = 0-4.  Lockstep never moves past a frame: no gaps.
    b = r.link["board_counters"]
    assert b["gaps"] == 0 and 0 < b["repeats"] < f["retransmitted"]
    assert abs(f["retransmitted"] - b["repeats"] - b["bad"]) <= 0.05 * f["retransmitted"], (b, f)


@pytest.mark.parametrize("mode,late_once", [("lockstep", False), ("lockstep", True), ("realtime", False)])
def test_a_board_that_babbles_only_garbage_is_a_noisy_link_not_silent(link, mode, late_once):
    board = Babbling(link.board(), after=150, late_once=late_once)
    r = run_session(SC, board, mode=mode, silence_s=1.0 if mode == "lockstep" else None)
    assert r.summary["outcome"] == "aborted" and "too noisy" in r.summary["failures"][0]
    assert _events(r.link) == ["noisy link", "aborted"]
    event = r.link["events"][0]
    assert event["last_answer_step"] == 149 and "policy abort" in event["detail"]
    # A garbled reply later than its retransmission deadline (a busy machine) leaves a wait
    # empty; the verdict stands on what the window heard.  Every miss doubles the wait, so a
    # stall empties a few waits at most, of the ~50 in the window (CI once saw 1 of 52).
    assert event["garbled"] > 0 and event["bytes_heard"] > 0 and event["noisy_waits"] > event["empty_waits"]
    assert event["empty_waits"] >= late_once
    if mode == "realtime":               # judged after the run the link's own loss rate asks for
        assert event["noisy_waits"] == r.link["noise"]["run_needed"]["noisy link"] >= SILENT_PERIODS


def test_a_babbling_board_is_held_by_policy_then_given_up(link):
    r = run_session(SC, Babbling(link.board(), after=150), on_silence="hold", hold_s=0.5, silence_s=1.0)
    assert r.summary["outcome"] == "aborted" and "hold gives up" in r.summary["failures"][0]
    assert _events(r.link) == ["noisy link", "aborted"]
    assert r.link["frames"]["held_steps"] == round(0.5 * SC.sim.fsw_rate_hz)


def test_a_babbling_board_fails_over_to_the_stub_and_lands(link):
    r = run_session(SC, Babbling(link.board(), after=150), on_silence="stub", silence_s=1.0)
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    assert _events(r.link) == ["noisy link", "fail-over"]


def _exited(proc) -> int | None:
    end = time.monotonic() + 30          # against a hang, not a speed limit
    while proc.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    return proc.returncode


def test_the_relay_exits_when_either_side_closes(link):
    r = run_session(SHORT, SerialTransport(link.noisy(link.board("exit-after=20"), 1e-4), BAUD))
    assert r.summary["outcome"] == "aborted" and "gone" in r.summary["failures"][0]
    assert _exited(link.procs[-1]) == 0
    # the host side: a session that ends closes its port
    r = run_session(load("descent", ["sim.max_duration_s=1"]), SerialTransport(link.noisy(link.board(), 1e-4), BAUD))
    assert r.summary["outcome"] == "no_touchdown"
    assert _exited(link.procs[-1]) == 0


# ---------------------------------------------------------------- real time on the stub, the CLI

def test_realtime_at_byte_error_rate_1e3_holds_steps_and_is_noisy_never_silent(tmp_path):
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--stub", "--byte-errors", "1e-3", "--mode",
                        "realtime", "descent", "--set", "sim.max_duration_s=20", "--seed", "3", "--out",
                        str(tmp_path), "--no-plots"], capture_output=True, text=True, timeout=TEST_DEADLINE_S)
    assert p.returncode == 1, p.stderr         # flew its 20 s: no touchdown, no link failure (3)
    assert "Traceback" not in p.stderr and "noise      noisy" in p.stdout
    link = json.loads((tmp_path / "link.json").read_text())
    assert json.loads((tmp_path / "summary.json").read_text())["outcome"] == "no_touchdown"
    f, noise = link["frames"], link["noise"]
    assert link["events"] == [], link["events"]
    # held 210-259 of 1000 steps on the stub, seeds 0-4 (python bench/hil_noise.py)
    assert 120 < f["held_steps"] < 400 and link["steps"] == 1000
    assert noise["classification"] == "noisy" and noise["waits"]["noisy"] > 0
    assert noise["waits"]["noisy"] + noise["waits"]["empty"] == f["held_steps"]
    # real time moves on without asking again: a frame lost on the way up is a gap at the board
    # (a run of lost frames is one gap), each after at least one message it could not decode
    b = link["board_counters"]
    assert b["repeats"] == 0 and 0 < b["gaps"] <= min(f["held_steps"], b["bad"]), b
    inj = noise["injected"][0]
    assert inj["rate"] == 1e-3 and inj["host_to_board"]["corrupted_bytes"] > 0
    tel = Columns(tmp_path / "telemetry.arrow")
    assert len(tel["t"]) == 1000 and np.isfinite(tel["alt"]).all()


@pytest.mark.parametrize("value", ["0.5", "-1e-3", "nan"])
def test_a_byte_error_rate_out_of_range_is_refused_in_one_line(value, tmp_path):
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--stub", "--byte-errors", value, "descent",
                        "--out", str(tmp_path), "-q"], capture_output=True, text=True, timeout=TEST_DEADLINE_S)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--byte-errors" in p.stderr, p.stderr


def test_the_stub_reports_the_byte_errors_it_injected_per_direction():
    r = run_session(load("descent", ["sim.max_duration_s=4"]), StubTransport(byte_errors=1e-3, seed=2))
    inj = r.link["noise"]["injected"][0]
    for way in ("host_to_board", "board_to_host"):
        c = inj[way]
        assert c["bytes"] > 0 and 0 < c["corrupted_bytes"] < 5 * 1e-3 * c["bytes"]
    assert r.link["frames"]["on_time"] == 200
