"""A hardware-in-the-loop session: the host flies the vehicle model, the flight software
answers over a link (gnc.hil.transport).  Per flight-software step k, in the order of the
in-process loop (gnc.core.loop), over the same plant kernels (gnc.programs.descent.plant):

    sense(k) -> sensor frame out -> actuator frame back -> record -> advance(k)

Modes:
  lockstep  wait for every answer, as fast as the board allows; an answer missing after
            timeout_s (default: one period plus the two frames' wire time at the link's
            baud) is asked for again with the same frame, every timeout_s (the board
            answers a repeated seq from its cache without stepping twice).  The flight does
            not depend on the link's speed: CI and emulated boards.
  realtime  sensor frame k leaves at tick t0 + k * dt (sleep, then spin to the tick); its
            answer must arrive GUARD_S before the next tick.  A late or lost answer means
            the held command for that step (main engine thrust kept, RCS off).

Link faults (docs/hil.md):
  silence     real time: no fresh answer for SILENT_PERIODS waits in a row, a period
              each; lockstep: no fresh answer for silence_s of wall time (default
              SILENCE_S, at least SILENT_PERIODS timeouts), since on a loaded machine or
              under an emulator a slow answer is not a hung board ->
              on_silence: abort | hold (held command, at most hold_s of mission time,
              resumes if the board answers again) | stub (fail over to the in-process board)
              Silence is the want of fresh answers: duplicates, strays and old answers
              replayed keep no link alive.
  bad command an answer that is no command (gnc.hil.command: not finite, past the engine,
              another step's time tag) -> on_bad: hold (the held command, at most hold_s
              of mission time in a row) | abort
  board reset a hello during the session -> on_reset: resume (handshake again, config
              with the navigation state the ground had from telemetry) | abort
  port fails  read/write errors, the device vanished -> abort
An abort ends the session with the telemetry flown so far and the outcome "aborted".
"""
from __future__ import annotations

import math
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gnc import wire
from gnc.core import vec
from gnc.core import vehicle as V
from gnc.core.fsw.landing import q_li
from gnc.core.layout import (
    AF_LEN,
    AF_NAV_POS,
    AF_NAV_Q,
    AF_NAV_VEL,
    AF_PHASE,
    AF_RCS_ON,
    AF_STEP_CYCLES,
    AF_T,
    AF_THRUST_CMD,
    CF_ISP,
    CF_MASS0,
    CF_NAV0_POS,
    CF_NAV0_Q,
    CF_NAV0_VEL,
    SF_CMD,
    SF_LEN,
)
from gnc.core.loop import EV_NONE, seed_noise
from gnc.frames import phase_name
from gnc.hil import command
from gnc.hil.link import LinkStats, corrupted_in_flight, round_trip_wire_time, wait_until
from gnc.hil.transport import StubTransport, TransportError
from gnc.programs.descent import plant as P
from gnc.programs.descent.assemble import Assembly, assemble
from gnc.programs.descent.run import RunResult, judge, phases, telemetry_columns, touchdown_summary
from gnc.scenario import Scenario

MODES = ("lockstep", "realtime")
ON_SILENCE = ("abort", "hold", "stub")
ON_RESET = ("resume", "abort")
ON_BAD = ("hold", "abort")
SILENT_PERIODS = 3            # real time: periods in a row with no fresh answer: the board is silent
SILENCE_S = 5.0               # lockstep: wall time with no fresh answer: the board is silent
HOLD_S = 2.0                  # default bound of --on-silence hold, mission seconds
HELLO_TIMEOUT_S = 5.0         # an Uno's bootloader takes ~2 s after the DTR reset at open
RESET_EVERY_S = 0.05
CONFIG_TRIES = 3
CONFIG_TIMEOUT_S = 0.5        # plus the config's wire time
GUARD_S = 0.5e-3              # realtime: time kept before the next tick to fly the step
STATUS_EVERY_S = 0.25
GIVEN_UP_KEPT = 256           # answers still counted as late, not stray, when they come


class LinkFault(Exception):
    """The session cannot go on over this link; str() is one line."""


class HandshakeError(LinkFault):
    """No usable board at the other end."""


class _BoardReset(Exception):
    def __init__(self, hello: wire.Hello):
        super().__init__(hello.name)
        self.hello = hello


class _Silent(Exception):
    def __init__(self, retransmitted: int):
        super().__init__(retransmitted)
        self.retransmitted = retransmitted


@dataclass
class HilResult(RunResult):
    """gnc.programs.descent.run.RunResult plus the link report (link.json) and per-step link series."""
    link: dict = field(default_factory=dict)
    link_series: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


class Link:
    """A transport with the codec on top: numbered messages out, decoded messages in."""

    def __init__(self, transport):
        self.transport = transport
        self.decoder = wire.Decoder()
        self.seq = 0
        self._inbox: deque[wire.Message] = deque()

    def next_seq(self) -> int:
        self.seq = (self.seq + 1) & 0xFFFF
        return self.seq

    def send(self, wire: bytes) -> None:
        self.transport.write(wire)

    def receive(self, deadline: float) -> wire.Message | None:
        """The next valid message, or None once perf_counter() passes deadline."""
        while not self._inbox:
            left = deadline - time.perf_counter()
            data = self.transport.read(max(left, 0.0))
            if data:
                self._inbox.extend(self.decoder.feed(data))
            elif left <= 0.0:
                return None
        return self._inbox.popleft()


def schema_mismatch(name: str, board: int, host: int) -> str:
    return (f"{name}: the board's frame schema (fingerprint {board:08x}) is not this host's ({host:08x}), "
            f"at the same protocol version {wire.PROTOCOL_VERSION}: rebuild the firmware or update the host")


def _refused_schema(name: str, msg: wire.Message | None) -> None:
    """The board's answer to a reset naming another schema (it may follow a boot hello)."""
    if msg is not None and msg.kind == "log" and msg.payload.startswith("schema mismatch board "):
        board, host = (int(word, 16) for word in msg.payload.split()[3::2])
        raise HandshakeError(schema_mismatch(name, board, host))


def handshake(link: Link, cfg: np.ndarray, stats: LinkStats | None = None, step: int = 0) -> wire.Hello:
    """Host-driven: `reset` every RESET_EVERY_S until a `hello` (boards that reset on
    open, drop early bytes or lose their banner all end up answering one), then
    `config` until the board acknowledges it with the log line "config ok <crc>"."""
    name = link.transport.name
    t0 = time.perf_counter()
    garbled_at_start = link.decoder.errors()
    link.send(b"\x00")                   # ends whatever partial message the board holds
    hello, resets, next_reset = None, 0, t0
    while hello is None:
        now = time.perf_counter()
        if now >= t0 + HELLO_TIMEOUT_S:
            version = link.decoder.foreign_version
            if version is not None:
                raise HandshakeError(f"{name}: the board speaks protocol version {version}, this host "
                                     f"{wire.PROTOCOL_VERSION}: update the firmware or the host")
            raise HandshakeError(f"{name}: no hello from the board within {HELLO_TIMEOUT_S:g} s "
                                 f"({resets} resets sent, {link.decoder.errors() - garbled_at_start} garbled "
                                 f"messages heard): is it running "
                                 f"the lunar-gnc firmware, at this baud rate?")
        if now >= next_reset:
            link.send(wire.encode_reset(link.next_seq()))
            resets += 1
            next_reset = now + RESET_EVERY_S
        msg = link.receive(min(next_reset, t0 + HELLO_TIMEOUT_S))
        _refused_schema(name, msg)
        if msg is not None and msg.kind == "hello":
            hello = msg.payload
            if hello.fingerprint != wire.SCHEMA_FINGERPRINT:
                raise HandshakeError(schema_mismatch(name, hello.fingerprint, wire.SCHEMA_FINGERPRINT))
    t_hello = time.perf_counter() - t0
    # The tail of a message the board was sending when the port opened (pyserial flushes
    # its input on open) is expected here, not a link fault: counted apart from the flight.
    garbled_before_hello = link.decoder.errors() - garbled_at_start
    crc = zlib.crc32(wire.LAYOUTS["config"].pack(cfg))
    wire_s = wire.wire_time(wire.MSG["config"], link.transport.baud) if link.transport.baud else 0.0
    tries: set[int] = set()
    for attempt in range(1, CONFIG_TRIES + 1):
        seq = link.next_seq()
        tries.add(seq)
        link.send(wire.encode_config(seq, cfg))
        deadline = time.perf_counter() + CONFIG_TIMEOUT_S + 2 * wire_s
        while (msg := link.receive(deadline)) is not None:
            # hellos here answer our earlier resets: the board handles messages in order.
            # The ack of an earlier try counts (its CRC names the config): a board slowed
            # down by a busy machine would otherwise always answer the try before the last.
            _refused_schema(name, msg)
            if msg.kind != "log" or msg.seq not in tries or not msg.payload.startswith("config"):
                continue
            if msg.payload != f"config ok {crc:08x}":
                raise HandshakeError(f"{name}: the board refused the config: {msg.payload!r}")
            if stats is not None:
                stats.handshakes.append({"step": step, "board": hello.name, "resets_sent": resets,
                                         "hello_after_s": t_hello, "garbled_before_hello": garbled_before_hello,
                                         "config_tries": attempt,
                                         "total_s": time.perf_counter() - t0})
            return hello
    raise HandshakeError(f"{name}: the board did not acknowledge the config ({CONFIG_TRIES} tries)")


def _warm_up(a: Assembly) -> None:
    """Load or compile every kernel the step loop calls, before the clock matters."""
    p, sf, af = a.plant(), np.zeros((1, SF_LEN)), np.zeros((1, AF_LEN))
    P.sense(0, p, sf, af)
    P.record(np.zeros(P.T_LEN), 0, 1, p, sf, af)
    P.advance(0, 1, p, af)
    vec.q_mul(vec.q_conj(q_li(0.0, a.cfg)), (1.0, 0.0, 0.0, 0.0))


class Session:
    def __init__(self, sc: Scenario, transport, seed: int, *, mode: str, on_silence: str, on_reset: str,
                 on_bad: str, hold_s: float, timeout_s: float | None, silence_s: float | None,
                 status: Callable[[dict], None] | None, stub: Callable[[], object]):
        for value, allowed, what in ((mode, MODES, "mode"), (on_silence, ON_SILENCE, "on_silence"),
                                     (on_reset, ON_RESET, "on_reset"), (on_bad, ON_BAD, "on_bad")):
            if value not in allowed:
                raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
        for value, what in ((timeout_s, "timeout_s"), (silence_s, "silence_s")):
            if value is not None and not 0.0 < value < math.inf:
                raise ValueError(f"{what} must be a positive number of seconds, not {value!r}")
        self.sc, self.seed, self.mode = sc, seed, mode
        self.on_silence, self.on_reset, self.on_bad, self.hold_s = on_silence, on_reset, on_bad, hold_s
        self.status, self.stub = status, stub
        self.a = a = assemble(sc, seed)
        self.dt = a.dt
        # a frame cannot come back faster than the wire carries it (24.6 ms at 115200 baud)
        wire_s = round_trip_wire_time(transport.baud) if transport.baud else 0.0
        self.timeout_s = timeout_s if timeout_s is not None else a.dt + wire_s
        self.silence_s = silence_s if silence_s is not None else max(SILENCE_S, SILENT_PERIODS * self.timeout_s)
        self.link = Link(transport)
        self.baud = transport.baud
        self.transports = [transport.info]
        self.retired_decoders: list[dict] = []
        self.stats = LinkStats(a.n_steps, a.dt, mode)
        self.hello: wire.Hello | None = None
        self.last_af: np.ndarray | None = None     # the last actuator frame received
        self.last_answer_step = -1
        self.m_est = a.cfg[CF_MASS0]               # the ground's mass estimate from the thrust commands
        self.quiet = 0                             # waits in a row with no fresh answer
        self.quiet_since = 0.0                     # since when no fresh answer came while waiting
        self.holding_since: int | None = None
        self.bad_since: int | None = None          # first step of a run of bad commands
        self.tick0, self.k0 = 0.0, 0
        self._answered: deque[int] = deque(maxlen=32)
        self._given_up: dict[int, int] = {}        # seq -> step, answers that did not come in time
        self._next_status = 0.0

    # ------------------------------------------------------------ timing

    def _tick(self, k: int) -> float:
        return self.tick0 + (k - self.k0) * self.dt

    def _rebase(self, k: int) -> None:
        """Start the real-time schedule afresh at step k, one period from now (after a handshake)."""
        self.tick0, self.k0 = time.perf_counter() + self.dt, k

    # ------------------------------------------------------------ one exchange

    def _await(self, seq: int, deadline: float) -> np.ndarray | None:
        """The actuator frame answering seq, or None at the deadline."""
        count = self.stats.count
        while (msg := self.link.receive(deadline)) is not None:
            if msg.kind == "actuator":
                count["received"] += 1
                if msg.seq == seq and seq not in self._answered:
                    self._answered.append(seq)
                    self.quiet, self.quiet_since = 0, time.perf_counter()
                    if self.mode == "realtime" and time.perf_counter() > deadline:
                        count["late"] += 1      # in hand only after the deadline (the host was late to look)
                        return None
                    count["on_time"] += 1
                    return msg.payload
                if msg.seq in self._answered:
                    count["duplicate"] += 1
                elif self._given_up.pop(msg.seq, None) is not None:
                    self._answered.append(msg.seq)
                    self.quiet, self.quiet_since = 0, time.perf_counter()    # slow, but stepping
                    count["late"] += 1
                else:
                    count["stray"] += 1
            elif msg.kind == "hello":
                raise _BoardReset(msg.payload)
            elif msg.kind == "log":
                if not msg.payload.startswith("config"):    # late config acks are not news
                    self.stats.board_log.append(msg.payload)
            else:
                count["stray"] += 1
        return None

    def _ask(self, k: int, sf: np.ndarray) -> np.ndarray | None:
        """Send step k's sensor frame; its answer, or None where the held command applies."""
        s, count = self.stats.series, self.stats.count
        seq = self.link.next_seq()
        packet = wire.encode_sensor(seq, sf)
        realtime = self.mode == "realtime"
        if realtime:
            now = wait_until(self._tick(k))
            if now - self._tick(k) > self.dt:     # a stall of a whole period: catch up no further
                count["slips"] += 1
                self.tick0, self.k0 = now, k
            s["late"][k] = now - self._tick(k)
        tries = 0
        while True:
            t_send = time.perf_counter()
            self.link.send(packet)
            count["sent"] += 1
            if tries == 0:
                s["t_send"][k] = t_send
            else:
                count["retransmitted"] += 1
            if self.quiet == 0:
                self.quiet_since = t_send
            if realtime:
                deadline = self._tick(k + 1) - GUARD_S
            elif self.holding_since is not None:
                deadline = t_send + self.timeout_s
            else:
                deadline = min(t_send + self.timeout_s, self.quiet_since + self.silence_s)
            answer = self._await(seq, deadline)
            if answer is not None:
                if tries == 0:        # after a retransmission it is unknown which send this answers (Karn)
                    s["rtt"][k] = time.perf_counter() - t_send
                if self.hello is not None and self.hello.clock_hz:
                    s["board_step"][k] = answer[AF_STEP_CYCLES] / self.hello.clock_hz
                return answer
            self.quiet += 1
            silent = (self.quiet >= SILENT_PERIODS if realtime
                      else time.perf_counter() >= self.quiet_since + self.silence_s)
            if silent and self.holding_since is None:
                self._give_up(seq, k)
                raise _Silent(tries)
            if realtime or self.holding_since is not None:
                self._give_up(seq, k)
                return None
            tries += 1

    def _give_up(self, seq: int, k: int) -> None:
        self._given_up[seq] = k
        if len(self._given_up) > GIVEN_UP_KEPT:
            del self._given_up[next(iter(self._given_up))]

    def _exchange(self, k: int, sf: np.ndarray, af: np.ndarray) -> None:
        """Fill af with step k's actuator frame: the board's answer or the held command."""
        while True:
            try:
                answer = self._ask(k, sf)
                break
            except _BoardReset as r:
                self.stats.event(k, "board reset", f"hello from {r.hello.name} during the session; "
                                 f"policy {self.on_reset}")
                if self.on_reset == "abort":
                    raise LinkFault(f"the board reset at step {k} (t = {k * self.dt:.2f} s); "
                                    f"--on-reset abort") from None
                self._reconnect(k)
            except _Silent as e:
                quiet_s = time.perf_counter() - self.quiet_since
                rule = (f"{SILENT_PERIODS} periods" if self.mode == "realtime" else
                        f"the lockstep silence window of {self.silence_s:g} s, step {k}'s frame "
                        f"sent {e.retransmitted + 1} times")
                self.stats.event(k, "silent", f"no fresh answer from the board for {quiet_s * 1e3:.0f} ms ({rule}); "
                                 f"last answer at step {self.last_answer_step}; policy {self.on_silence}",
                                 last_answer_step=self.last_answer_step, quiet_s=quiet_s,
                                 retransmitted=e.retransmitted)
                if self.on_silence == "abort":
                    raise LinkFault(f"{self.link.transport.name}: the board went silent at step {k} "
                                    f"(t = {k * self.dt:.2f} s, no answer for {quiet_s * 1e3:.0f} ms); "
                                    f"--on-silence abort") from None
                if self.on_silence == "stub":
                    self._fail_over(k)
                else:
                    self.holding_since = k
                    answer = None
                    break
            sf[SF_CMD] = 1.0         # a fresh flight software waits for "go"
        if answer is not None:
            answer = self._checked(k, sf, answer)
        if answer is not None:
            if self.holding_since is not None:
                self.stats.event(k, "board back", f"answered again after {k - self.holding_since} held steps")
                self.holding_since = None
            af[:] = answer
            self.last_af = answer
            self.last_answer_step = k
            return
        if self.holding_since is not None and (k - self.holding_since) * self.dt >= self.hold_s:
            raise LinkFault(f"{self.link.transport.name}: the board stayed silent: held the last command for "
                            f"{self.hold_s:g} s from step {self.holding_since}; --on-silence hold gives up")
        self.stats.series["held"][k] = 1
        self.stats.count["held_steps"] += 1
        if self.last_af is None:
            af[:] = 0.0
        else:
            af[:] = self.last_af
            af[AF_RCS_ON:AF_RCS_ON + V.N_RCS] = 0.0     # repeating RCS pulses would keep spinning the vehicle
        af[AF_T] = k * self.dt
        af[AF_STEP_CYCLES] = 0.0

    def _checked(self, k: int, sf: np.ndarray, answer: np.ndarray) -> np.ndarray | None:
        """answer, or None where it is a bad command and the held one applies (on_bad hold)."""
        why = command.fault(answer, sf, self.a.cfg)
        if why is None:
            self.bad_since = None
            return answer
        self.stats.count["bad_commands"] += 1
        name = self.link.transport.name
        if self.bad_since is None:
            self.bad_since = k
            self.stats.event(k, "bad command", f"{why}; policy {self.on_bad}", reason=why)
        if self.on_bad == "abort":
            raise LinkFault(f"{name}: bad command at step {k} (t = {k * self.dt:.2f} s): {why}; --on-bad-command abort")
        if (k - self.bad_since) * self.dt >= self.hold_s:
            raise LinkFault(f"{name}: bad command: the board kept sending them for {self.hold_s:g} s from step "
                            f"{self.bad_since} ({why}); --on-bad-command hold gives up")
        return None

    # ------------------------------------------------------------ (re)connecting

    def _resume_config(self, k: int) -> np.ndarray:
        """The config for a flight software starting mid-flight at step k: what a ground
        station has from telemetry, i.e. the last navigation estimate (carried forward
        at its velocity to step k's time) and the mass less the commanded burns."""
        cfg = self.a.cfg.copy()
        af = self.last_af
        if af is None:
            return cfg
        t_last, t = af[AF_T], k * self.dt
        cfg[CF_NAV0_POS:CF_NAV0_POS + 3] = af[AF_NAV_POS:AF_NAV_POS + 3] + af[AF_NAV_VEL:AF_NAV_VEL + 3] * (t - t_last)
        cfg[CF_NAV0_VEL:CF_NAV0_VEL + 3] = af[AF_NAV_VEL:AF_NAV_VEL + 3]
        # nav_q is body->landing at t_last; the config wants body->inertial
        cfg[CF_NAV0_Q:CF_NAV0_Q + 4] = vec.q_mul(vec.q_conj(q_li(t_last, cfg)), tuple(af[AF_NAV_Q:AF_NAV_Q + 4]))
        cfg[CF_MASS0] = self.m_est
        return cfg

    def _connect(self, k: int, cfg: np.ndarray) -> None:
        self.hello = handshake(self.link, cfg, self.stats, k)
        self.quiet, self.holding_since = 0, None
        self._rebase(k)

    def _reconnect(self, k: int) -> None:
        self._connect(k, self._resume_config(k))
        self.stats.event(k, "resumed", f"handshake again with {self.hello.name}; navigation restarted from "
                         f"the estimate of step {self.last_answer_step}")

    def _fail_over(self, k: int) -> None:
        self.retired_decoders.append(dict(self.link.decoder.stats))
        self.link.transport.close()
        self.link = Link(self.stub())
        self.transports.append(self.link.transport.info)
        self._connect(k, self._resume_config(k))
        self.stats.event(k, "fail-over", f"flying on {self.link.transport.info['describe']}")

    def _decoder_stats(self) -> dict:
        """The decoder counters summed over every link of the session (board, then stub)."""
        total = dict(self.link.decoder.stats)
        for d in self.retired_decoders:
            for key, v in d.items():
                total[key] += v
        return total

    # ------------------------------------------------------------ the flight

    def _report_status(self, k: int, row: np.ndarray, af: np.ndarray) -> None:
        now = time.perf_counter()
        if self.status is None or now < self._next_status:
            return
        self._next_status = now + STATUS_EVERY_S
        c = self.stats.count
        rtt = self.stats.series["rtt"][max(0, k - 50):k + 1]
        self.status({
            "step": k, "n_steps": self.a.n_steps, "t": row[P.T_T], "phase": phase_name(int(af[AF_PHASE])),
            "altitude_m": row[P.T_ALT], "speed_mps": float(np.linalg.norm(row[P.T_VEL:P.T_VEL + 3])),
            "rtt_ms": float(np.nanmedian(rtt)) * 1e3 if np.isfinite(rtt).any() else math.nan,
            "lost": c["sent"] - c["retransmitted"] - c["on_time"] - c["late"],
            "corrupted": corrupted_in_flight(self._decoder_stats(), self.stats.handshakes),
            "late": c["late"], "held": c["held_steps"],
            "link": ("holding" if self.holding_since is not None else
                     "stub" if len(self.transports) > 1 else "ok"),
        })

    def run(self) -> HilResult:
        a, dt = self.a, self.dt
        n = a.n_steps
        p = a.plant()
        sf, af = np.zeros((1, SF_LEN)), np.zeros((1, AF_LEN))
        tel = np.zeros((n, P.T_LEN))
        _warm_up(a)
        self._connect(0, a.cfg)
        seed_noise(a.seed)
        k, event, reason = 0, EV_NONE, None
        margin = self.stats.series["margin"]
        P.sense(0, p, sf, af)
        try:
            while True:
                self._exchange(k, sf[0], af[0])
                P.record(tel[k], k, k + 1, p, sf, af)
                self.m_est -= af[0, AF_THRUST_CMD] * dt / a.cfg[CF_ISP]
                _, event = P.advance(k, k + 1, p, af)
                self._report_status(k, tel[k], af[0])
                k += 1
                if event == P.EV_CONTACT or k == n:
                    break
                P.sense(k, p, sf, af)
                if self.mode == "realtime":
                    margin[k - 1] = self._tick(k) - time.perf_counter()
                    if margin[k - 1] < 0.0:
                        self.stats.count["overruns"] += 1
        except (LinkFault, TransportError) as e:
            reason = str(e)
        except KeyboardInterrupt:
            reason = "interrupted"
        finally:
            self.link.transport.close()
        if reason is not None:
            self.stats.event(k, "aborted", reason)
        return self._result(tel[:k], k, event, p.touch, p.x, reason)

    def _result(self, tel, k, event, touch, x, reason) -> HilResult:
        a, sc = self.a, self.sc
        telemetry = {name: tel[:, i].copy() for i, name in enumerate(telemetry_columns())}
        if reason is None:
            td = touchdown_summary(a, touch) if event == P.EV_CONTACT else None
            outcome, failures = judge(sc, td)
        else:
            td, outcome, failures = None, "aborted", [reason]
        m_end = touch[V.X_M] if td is not None else x[V.X_M]
        summary = {
            "outcome": outcome,
            "failures": failures,
            "duration_s": float(td["time_s"] if td else (tel[-1, P.T_T] if k else 0.0)),
            "propellant_used_kg": float(a.x0[V.X_M] - m_end),
            "touchdown": td,
            "phases": phases(telemetry["t"], telemetry["af.phase"]),
            "seed": int(self.seed),
            "dispersed": False,
            "scenario": sc.name,
            "hil": {"mode": self.mode, "link": [t["describe"] for t in self.transports],
                    "board": self.hello.name if self.hello else None, "abort_reason": reason},
        }
        decoder = self._decoder_stats()
        hello = None if self.hello is None else {
            "name": self.hello.name, "real_size": self.hello.real_size, "clock_hz": self.hello.clock_hz,
            "flags": self.hello.flags, "protocol_version": wire.PROTOCOL_VERSION}
        link = self.stats.report(k, decoder, self.transports, hello, self.baud)
        series = {name: arr[:k] for name, arr in self.stats.series.items()}
        series["t"] = np.arange(k) * self.dt
        return HilResult(sc, self.seed, summary, telemetry, link, series)


def run_session(sc: Scenario, transport, seed: int = 0, *, mode: str = "lockstep", on_silence: str = "abort",
                on_reset: str = "resume", on_bad: str = "hold", hold_s: float = HOLD_S, timeout_s: float | None = None,
                silence_s: float | None = None, status: Callable[[dict], None] | None = None,
                stub: Callable[[], object] | None = None) -> HilResult:
    """Fly scenario sc with the flight software at the other end of transport.

    The session owns the transport from here and closes it.  Raises HandshakeError
    (nothing flown) when no board answers; every later link fault ends the session
    with outcome "aborted" and the telemetry so far.  status(dict) is called about
    every STATUS_EVERY_S with step, t, phase, altitude_m, speed_mps and link health.
    stub() makes the transport --on-silence stub fails over to (default: an
    in-process board, no link delays).  timeout_s: lockstep, ask again after this long;
    silence_s: lockstep, the board is silent after this long with no fresh answer from it
    (default: the longer of SILENCE_S and SILENT_PERIODS timeouts)."""
    session = Session(sc, transport, seed, mode=mode, on_silence=on_silence, on_reset=on_reset, on_bad=on_bad,
                      hold_s=hold_s,
                      timeout_s=timeout_s, silence_s=silence_s, status=status, stub=stub or StubTransport)
    try:
        return session.run()
    except (HandshakeError, TransportError):
        transport.close()
        raise
