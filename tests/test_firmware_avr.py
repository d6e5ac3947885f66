"""The ATmega2560 firmware in simavr: descents and ascents, pacing, emulators dying with their host,
the protocol details and the HIL fault cases against it.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from firmware_boards import (DESCENT_DEADLINE_S, PERIOD, REPLY_WAIT_S, SC, SHORT_DEADLINE_S, SILENCE_WINDOW_S,
                             TIMEOUT_S, ends_session, landed_like_gnc_run, need)
from scripted import Scripted

from gnc import telemetry, wire
from gnc.hil.emulate import TARGETS, EmulatedBoard
from gnc.hil.link import round_trip_wire_time
from gnc.hil.session import SILENT_PERIODS, run_session
from gnc.hil.transport import SerialTransport
from gnc.scenario import load

# ---------------------------------------------------------------- full descents

AVR_RATES = [10, pytest.param(50, marks=pytest.mark.long)]


def _fly_on_the_emulated_avr(program: str, out, rate_hz: int):
    """`gnc hil --emulate avr PROGRAM` at rate_hz: (process, summary, link), the exit status
    0 and the board's hello checked."""
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--emulate", "avr", program, "--out", str(out),
                        "--no-plots", "--set", f"sim.fsw_rate_hz={rate_hz}"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    link = json.loads((out / "link.json").read_text())
    assert link["handshakes"][0]["board"].startswith("atmega2560 f32")
    return p, json.loads((out / "summary.json").read_text()), link


@pytest.mark.parametrize("rate_hz", AVR_RATES, ids=["10Hz", "50Hz"])
def test_emulated_avr_flies_the_descent_and_lands(deadline, tmp_path, rate_hz):
    """The one-command path: build, start simavr, lockstep session, teardown.  At 50 Hz, the
    flight rate, the descent is ~41,000 exchanges (~6 min under CI): `-m long`; CI flies
    it at 10 Hz, ~8,800 exchanges, as the Cortex-M4F does."""
    need("avr")
    deadline(DESCENT_DEADLINE_S)
    p, summary, link = _fly_on_the_emulated_avr("descent", tmp_path, rate_hz)
    landed_like_gnc_run(summary, load("descent", [f"sim.fsw_rate_hz={rate_hz}"]))
    assert abs(link["steps"] - summary["duration_s"] * rate_hz) <= 1, "every step an exchange with the board"
    assert link["frames"]["lost"] == link["frames"]["held_steps"] == 0
    board_step = telemetry.read(tmp_path / "link.arrow").column("board_step").to_numpy()
    cycles = board_step * 16e6                     # the hello says clock_hz = 16 MHz: real AVR cycles
    assert np.all(cycles[np.isfinite(cycles)] > 1000)
    print(f"\nemulated ATmega2560: {link['steps']} steps, board step p50 {np.nanmedian(cycles):,.0f} cycles; "
          + p.stdout.splitlines()[-1])
    # torn down: this emulator, not any simavr of another session sharing the machine
    pid = int(re.search(r"emulated avr board on \S+, process (\d+)", p.stderr).group(1))
    assert not os.path.exists(f"/proc/{pid}")


PACE_SLACK_S = 0.001     # simavr_host sleeps once 0.5 ms ahead and looks every 50 us of simulated time


def test_a_paced_avr_is_never_ahead_of_the_wall_clock_and_says_how_far_behind(deadline):
    """simavr runs the AVR several times faster than 16 MHz; paced (realtime=True, as `gnc hil
    --emulate avr --mode realtime` starts it), its simulated time never runs ahead of the wall
    clock, and the lag it reports covers how far behind it ended.  The firmware spins on its
    UART meanwhile, so the cycles run on."""
    need("avr")
    deadline(SHORT_DEADLINE_S)
    with EmulatedBoard("avr", realtime=True) as board:
        time.sleep(3.0)
        os.killpg(board.proc.pid, signal.SIGTERM)
        text = board.proc.stdout.read().decode()
    m = re.search(r"STOP signal after ([\d.]+) s simulated, ([\d.]+) s wall, paced, at most ([\d.]+) ms behind", text)
    assert m, text
    simulated, wall, lag = float(m.group(1)), float(m.group(2)), float(m.group(3)) * 1e-3
    assert simulated <= wall + PACE_SLACK_S, text
    assert wall - simulated <= lag + PACE_SLACK_S, text
    print(f"\npaced ATmega2560: {simulated:.3f} s simulated in {wall:.3f} s wall, at most {1e3 * lag:.1f} ms behind")


@pytest.mark.long
def test_a_real_time_descent_on_the_paced_avr_at_10_hz_lands_with_no_overrun(deadline, tmp_path):
    """The AVR flies the descent in real time at its own speed (paced simavr) at 10 Hz, the
    rate it sustains (docs/firmware.md: its worst step and the wire fill ~66 ms of the 100):
    lands, and the host kept every deadline.  An answer may still come late when the host
    itself stalls the emulator (a busy machine), so late answers are printed, not judged.
    ~15 minutes of wall clock, mostly asleep: `python -m pytest -m long`."""
    need("avr")
    deadline(2 * DESCENT_DEADLINE_S)
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--emulate", "avr", "--mode", "realtime", "descent",
                        "--out", str(tmp_path), "--no-plots", "--set", "sim.fsw_rate_hz=10"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "paced to the wall clock" in p.stderr
    summary, link = (json.loads((tmp_path / name).read_text()) for name in ("summary.json", "link.json"))
    landed_like_gnc_run(summary, load("descent", ["sim.fsw_rate_hz=10"]))
    assert link["overruns"] == 0, link
    worst = link["board_step_s"]["max"] + round_trip_wire_time(TARGETS["avr"].baud)
    assert worst < 0.1, f"the board's own worst step and the wire take {1e3 * worst:.1f} ms of the 100"
    print(f"\nreal-time AVR at 10 Hz: late {link['frames']['late']}, board step max "
          f"{1e3 * link['board_step_s']['max']:.1f} ms")


@pytest.mark.parametrize("target", ["avr", "stm32f4"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_an_emulator_dies_with_the_host_that_started_it(deadline, tmp_path, target, sig):
    """`gnc hil --emulate` killed mid-flight once left simavr_host at 100 % CPU under PID 1."""
    need(target)
    deadline(SHORT_DEADLINE_S)
    host = subprocess.Popen([sys.executable, "-m", "gnc.cli", "hil", "--emulate", target, "descent", "--out",
                             str(tmp_path), "--no-plots"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    text = b""
    while not (m := re.search(rb"emulated \S+ board on \S+, process (\d+)", text)):
        chunk = os.read(host.stderr.fileno(), 4096)
        assert chunk, f"the host exited ({host.wait()}) before it started the emulator: {text[-2000:]!r}"
        text += chunk
    pid = int(m.group(1))
    time.sleep(1.0)                                   # flying now
    host.send_signal(sig)
    host.wait()
    host.stderr.close()
    end = time.monotonic() + 10.0
    while os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" and time.monotonic() < end:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}") or _state(pid) == "Z", f"emulator {pid} outlived its host"


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


@pytest.mark.parametrize("rate_hz", AVR_RATES, ids=["10Hz", "50Hz"])
def test_emulated_avr_flies_the_ascent_to_orbit(deadline, tmp_path, rate_hz):
    """The ascent program on the ATmega2560's soft float: inserted within the [target] limits,
    as `gnc run ascent` judges it.  50 Hz, the flight rate, is ~3 min under CI: `-m long`."""
    need("avr")
    deadline(DESCENT_DEADLINE_S)
    _, summary, link = _fly_on_the_emulated_avr("ascent", tmp_path, rate_hz)
    assert summary["outcome"] == "inserted" and summary["failures"] == []
    assert [ph["name"] for ph in link["phases"]] == ["ascent"]
    assert link["frames"]["lost"] == link["frames"]["held_steps"] == 0
    print(f"\nemulated ATmega2560, ascent: {link['steps']} steps, insertion errors {summary['insertion']['errors']}")



# ---------------------------------------------------------------- protocol details on the firmware

def test_firmware_refuses_a_bad_config_and_answers_an_unconfigured_sensor_frame_with_hello(avr):
    from gnc.core import layout as L
    from gnc.hil.session import Link
    from gnc.programs.descent.assemble import assemble

    cfg = assemble(SC, seed=0).cfg.copy()
    cfg[L.CF_PROGRAM] = 9
    link = Link(SerialTransport(avr.port, avr.baud))
    link.send(b"\x00" + wire.encode_config(7, cfg))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert msg.kind == "log" and msg.seq == 7 and msg.payload == "config bad program 9"
    link.send(wire.encode_sensor(8, np.zeros(L.SF_LEN)))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert msg.kind == "hello" and msg.seq == 8 and msg.payload.real_size == 4
    link.transport.close()


def test_firmware_takes_an_uplink_into_the_running_flight_software_and_refuses_another_program(avr):
    import zlib

    from gnc.core import layout as L
    from gnc.hil.session import Link
    from gnc.programs.descent.assemble import assemble

    cfg = assemble(SC, seed=0).cfg.copy()
    link = Link(SerialTransport(avr.port, avr.baud))
    link.send(b"\x00" + wire.encode_uplink(3, cfg))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert msg.kind == "hello" and msg.seq == 3           # no config yet
    link.send(wire.encode_config(4, cfg))
    assert link.receive(_later(REPLY_WAIT_S)).payload.startswith("config ok")
    sf = np.zeros(L.SF_LEN)
    sf[L.SF_CMD] = 1
    link.send(wire.encode_sensor(5, sf))
    assert link.receive(_later(REPLY_WAIT_S)).kind == "actuator"
    cfg[L.CF_BURN_T] = 1234.5
    link.send(wire.encode_uplink(6, cfg))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert (msg.kind, msg.seq) == ("log", 6)
    assert msg.payload == f"uplink ok {zlib.crc32(wire.LAYOUTS['uplink'].pack(cfg)):08x}"
    cfg[L.CF_PROGRAM] = 3
    link.send(wire.encode_uplink(7, cfg))
    assert link.receive(_later(REPLY_WAIT_S)).payload == "uplink bad program 3"
    sf[L.SF_CMD], sf[L.SF_T] = 0, PERIOD
    link.send(wire.encode_sensor(8, sf))
    msg = link.receive(_later(REPLY_WAIT_S))
    assert (msg.kind, msg.seq) == ("actuator", 8)         # still configured: the flight goes on
    link.transport.close()


def _later(s: float) -> float:
    return time.perf_counter() + s


# ---------------------------------------------------------------- the HIL fault cases, against the emulated AVR

def test_hung_board_in_real_time_is_detected_within_3_periods_and_aborts(avr, deadline):
    """At 10 Hz: a period of 100 ms keeps an emulator on a busy 2-core machine on time
    until it is frozen (at 50 Hz a slow turn of the emulator alone could look silent).
    3 periods on a clean link; a link that missed answers before the freeze (a busy CI
    machine: one did) needs the longer run its measured miss rate sets (gnc.hil.noise.need)."""
    deadline(SHORT_DEADLINE_S)
    sc = load("descent", ["sim.fsw_rate_hz=10"])
    r = run_session(sc, Scripted(avr.port, avr.baud, {150: lambda link: avr.freeze()}), mode="realtime")
    assert r.summary["outcome"] == "aborted" and "silent" in r.summary["failures"][0]
    silent = next(e for e in r.link["events"] if e["event"] == "silent")
    assert 140 <= silent["last_answer_step"] <= 149
    noise = r.link["noise"]
    needed = noise["run_needed"]["silent"]
    missed_before = sum(noise["waits"][k] for k in ("noisy", "empty")) - silent["noisy_waits"] - silent["empty_waits"]
    assert needed == SILENT_PERIODS or missed_before > 0, noise
    assert silent["step"] - silent["last_answer_step"] <= needed, (silent, noise)


def test_hung_board_hold_keeps_the_last_thrust_for_a_bounded_time(avr, deadline):
    deadline(SHORT_DEADLINE_S)
    hold_s = 0.5
    # every held step waits one timeout for a frozen board: keep it short
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.freeze()}), on_silence="hold",
                    hold_s=hold_s, timeout_s=0.3, silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "aborted" and "hold" in r.summary["failures"][0]
    held = np.flatnonzero(r.link_series["held"])
    assert len(held) == r.link["frames"]["held_steps"] == round(hold_s / PERIOD)
    assert np.all(r.telemetry["af.thrust_cmd"][held] == r.telemetry["af.thrust_cmd"][held[0] - 1])


def test_hung_board_fails_over_to_the_stub_and_lands(avr, deadline):
    deadline(SHORT_DEADLINE_S + 60)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.freeze()}), on_silence="stub",
                    timeout_s=0.5, silence_s=SILENCE_WINDOW_S)
    assert r.summary["outcome"] == "landed", r.summary["failures"]
    assert [t["transport"] for t in r.link["transports"]] == ["serial", "stub"]


def test_garbage_on_the_line_is_dropped_by_the_firmware(avr, deadline):
    """Noise ending in a delimiter before every 25th sensor frame: the firmware drops it
    (bad COBS or CRC) and answers the frame that follows; then the board vanishes."""
    deadline(SHORT_DEADLINE_S)
    rng = np.random.default_rng(1)
    noise = {n: (lambda link: link._port.write(rng.integers(1, 256, 40, dtype=np.uint8).tobytes() + b"\x00"))
             for n in range(25, 400, 25)}
    r = run_session(SC, Scripted(avr.port, avr.baud, {**noise, 400: ends_session(avr)}), timeout_s=TIMEOUT_S)
    f = r.link["frames"]
    # every frame before the kill answered on time; the one in flight at the kill may be lost
    assert f["on_time"] >= 399 and f["held_steps"] == f["corrupted"] == 0 and f["lost"] <= 1


def test_board_vanishing_mid_session_is_one_line_and_keeps_the_telemetry(avr, deadline, tmp_path):
    deadline(SHORT_DEADLINE_S)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: ends_session(avr)}), timeout_s=TIMEOUT_S)
    assert r.summary["outcome"] == "aborted"
    reason = r.summary["hil"]["abort_reason"]
    assert "\n" not in reason and ("gone" in reason or "silent" in reason), reason
    assert 140 <= len(r.telemetry["t"]) <= 150 and np.isfinite(r.telemetry["alt"]).all()


def test_board_reset_mid_session_is_handshaken_again_and_resumed(avr, deadline):
    deadline(SHORT_DEADLINE_S)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.reset(), 400: ends_session(avr)}),
                    on_reset="resume", timeout_s=TIMEOUT_S)
    assert [e["event"] for e in r.link["events"]][:2] == ["board reset", "resumed"]
    assert len(r.link["handshakes"]) == 2 and 149 <= r.link["handshakes"][1]["step"] <= 151
    assert len(r.telemetry["t"]) >= 390         # flown on after the reset, until the board vanished


def test_board_reset_mid_session_aborts_by_policy(avr, deadline):
    deadline(SHORT_DEADLINE_S)
    r = run_session(SC, Scripted(avr.port, avr.baud, {150: lambda link: avr.reset()}), on_reset="abort",
                    timeout_s=TIMEOUT_S)
    assert r.summary["outcome"] == "aborted" and "reset" in r.summary["failures"][0]
    assert 149 <= len(r.telemetry["t"]) <= 152
