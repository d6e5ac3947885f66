"""A hardware-in-the-loop session: the host flies the vehicle model, the flight software
answers over a link (gnc.hil.transport).  Any program flies over it: its runner (the one
`gnc run` uses) is handed the session and flies its flights through gnc.hil.flight.HilFlight,
which keeps the in-process loop's order over the same plant kernels:

    sense(k) -> sensor frame out -> actuator frame back -> record -> advance(k)

A session may hold several flights (the mission: descent, ascent, rendezvous), one after
another over one link.  A flight either starts the board afresh (reset, hello, config)
or continues its flight software (an uplink: the new config, the state kept); config
changes a runner makes mid-flight (the rendezvous ground's plans) go up as uplinks.

Modes:
  lockstep  wait for every answer, as fast as the board allows; an answer missing after
            timeout_s (default: one period plus the two frames' wire time at the link's
            baud) is asked for again with the same frame, every timeout_s, or sooner
            when timeout_s is the default (gnc.hil.noise.LinkHealth.retry_after; the board
            answers a repeated seq from its cache without stepping twice).  The flight does
            not depend on the link's speed: CI and emulated boards.
  realtime  the sensor frame of each loop iteration leaves at its tick, one period after
            the last (sleep, then spin to the tick); its answer must arrive GUARD_S before
            the next tick.  A late or lost answer means the held command for that step
            (main engine thrust kept, RCS off).  A rendezvous coast (one frame that
            advances many steps) takes one period of wall time too.
            board_baud=B (an emulator that does not run at the board's speed: QEMU, behind a
            pty that has no wire): an answer counts as sent when the board on a desk would
            send it, the sensor frame's send plus both frames' wire time at B baud plus the
            board's own step time (its clock, in the actuator frame); the host holds it until
            then, and one the board's clock makes miss its deadline is late (count
            late_by_board), the held command applying.

Link faults (docs/hil.md):
  silence     real time: no fresh answer for SILENT_PERIODS waits in a row (more on a
              lossy link), a period each; lockstep: no fresh answer for silence_s of wall
              time (default SILENCE_S, at least SILENT_PERIODS timeouts), since on a loaded machine or
              under an emulator a slow answer is not a hung board ->
              on_silence: abort | hold (held command, at most hold_s of mission time,
              resumes if the board answers again) | stub (fail over to the in-process board)
              Silence is the want of fresh answers: duplicates, strays and old answers
              replayed keep no link alive.  Misses with garbled messages heard are a
              noisy link, not silence: event "noisy link", the same policy; real time
              judges either after a run of misses the link's measured loss makes rare
              (gnc.hil.noise.LinkHealth, which also times lockstep retransmissions).
  bad command an answer that is no command (gnc.hil.command: not finite, past the engine,
              another step's time tag) -> on_bad: hold (the held command, at most hold_s
              of mission time in a row) | abort
  board reset a hello during the session -> on_reset: resume (handshake again, config
              with the navigation state the ground had from telemetry; programs with a
              resume rule only, the descent so far) | abort
  port fails  read/write errors, the device vanished -> abort
An abort ends the session with the telemetry flown so far and the outcome "aborted".
"""
from __future__ import annotations

import math
import re
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gnc import programs, wire
from gnc.core import vehicle as V
from gnc.core.layout import AF_PHASE, AF_RCS_ON, AF_STEP_CYCLES, AF_T, SF_CMD
from gnc.frames import phase_name
from gnc.hil import command
from gnc.hil.flight import HilFlight
from gnc.hil.link import LinkStats, corrupted_in_flight, round_trip_wire_time, wait_until
from gnc.hil.noise import LinkHealth
from gnc.hil.options import HOLD_S, MODES, ON_BAD, ON_RESET, ON_SILENCE, SILENCE_S, SILENT_PERIODS
from gnc.hil.transport import StubTransport, TransportError
from gnc.scenario import Scenario

HELLO_TIMEOUT_S = 5.0         # an Uno's bootloader takes ~2 s after the DTR reset at open
RESET_EVERY_S = 0.05
CONFIG_TRIES = 12             # the config and its ack cross a link at byte error rate 1e-3 intact half the time
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
    def __init__(self, retransmitted: int, kind: str):
        super().__init__(retransmitted)
        self.retransmitted, self.kind = retransmitted, kind    # kind: "silent" or "noisy link"


@dataclass
class HilResult:
    """The program's own result (as `gnc run` returns it; `.summary` gains "hil", and the
    outcome "aborted" when the link failed) plus the link report (link.json) and the
    per-exchange link series (link.arrow)."""
    result: object
    link: dict = field(default_factory=dict)
    link_series: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    scenario = property(lambda self: self.result.scenario)
    seed = property(lambda self: self.result.seed)
    summary = property(lambda self: self.result.summary)
    telemetry = property(lambda self: self.result.telemetry)


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
    """Host-driven: `reset` every RESET_EVERY_S until a `hello` answers one (boards that
    reset on open, drop early bytes or lose their banner all end up answering one), then
    `config` until the board acknowledges it with the log line "config ok <crc>".  A boot
    hello alone proves the board talks, not that it hears: QEMU's pty may read the port
    only up to a second after the board first writes, and a config sent meanwhile, with
    its retries, then arrives at once."""
    name = link.transport.name
    t0 = time.perf_counter()
    garbled_at_start = link.decoder.errors()
    link.send(b"\x00")                   # ends whatever partial message the board holds
    hello, reset_seqs, next_reset = None, set(), t0
    while hello is None:
        now = time.perf_counter()
        if now >= t0 + HELLO_TIMEOUT_S:
            version = link.decoder.foreign_version
            if version is not None:
                raise HandshakeError(f"{name}: the board speaks protocol version {version}, this host "
                                     f"{wire.PROTOCOL_VERSION}: update the firmware or the host")
            raise HandshakeError(f"{name}: no hello from the board answering a reset within {HELLO_TIMEOUT_S:g} s "
                                 f"({len(reset_seqs)} resets sent, {link.decoder.errors() - garbled_at_start} garbled "
                                 f"messages heard): is it running "
                                 f"the lunar-gnc firmware, at this baud rate?")
        if now >= next_reset:
            seq = link.next_seq()
            link.send(wire.encode_reset(seq))
            reset_seqs.add(seq)
            next_reset = now + RESET_EVERY_S
        msg = link.receive(min(next_reset, t0 + HELLO_TIMEOUT_S))
        _refused_schema(name, msg)
        if msg is not None and msg.kind == "hello" and msg.seq in reset_seqs:
            hello = msg.payload
            if hello.fingerprint != wire.SCHEMA_FINGERPRINT:
                raise HandshakeError(schema_mismatch(name, hello.fingerprint, wire.SCHEMA_FINGERPRINT))
    t_hello = time.perf_counter() - t0
    # The tail of a message the board was sending when the port opened (pyserial flushes
    # its input on open) is expected here, not a link fault: counted apart from the flight.
    garbled_before_hello = link.decoder.errors() - garbled_at_start
    tries = send_config(link, "config", cfg)
    if stats is not None:
        stats.handshakes.append({"step": step, "board": hello.name, "resets_sent": len(reset_seqs),
                                 "hello_after_s": t_hello, "garbled_before_hello": garbled_before_hello,
                                 "config_tries": tries, "total_s": time.perf_counter() - t0})
    return hello


def _remedy(refusal: str) -> str:
    """What the user can change for a refusal the scenario can fix, "" for the others."""
    m = re.search(r"pdg nodes \d+ room 3\.\.(\d+)$", refusal)
    if m:
        return f" (this board holds {m.group(1)} plan nodes at most: --set guidance.pdg_nodes={m.group(1)})"
    return ""


def send_config(link: Link, kind: str, cfg: np.ndarray) -> int:
    """Send a `config` (a fresh flight software) or an `uplink` (the running one's new
    config, its state kept) until the board acknowledges it with the log line
    "<kind> ok <crc>"; returns the tries it took.  HandshakeError if it never does."""
    name = link.transport.name
    crc = zlib.crc32(wire.LAYOUTS["config"].pack(cfg))
    encode = wire.encode_config if kind == "config" else wire.encode_uplink
    wire_s = wire.wire_time(wire.MSG[kind], link.transport.baud) if link.transport.baud else 0.0
    tries: set[int] = set()
    for attempt in range(1, CONFIG_TRIES + 1):
        seq = link.next_seq()
        tries.add(seq)
        link.send(encode(seq, cfg))
        deadline = time.perf_counter() + CONFIG_TIMEOUT_S + 2 * wire_s
        while (msg := link.receive(deadline)) is not None:
            # hellos here answer our earlier resets: the board handles messages in order.
            # The ack of an earlier try counts (its CRC names the config): a board slowed
            # down by a busy machine would otherwise always answer the try before the last.
            _refused_schema(name, msg)
            if msg.kind != "log" or msg.seq not in tries or not msg.payload.startswith(kind):
                continue
            if msg.payload != f"{kind} ok {crc:08x}":
                raise HandshakeError(f"{name}: the board refused the {kind}: {msg.payload!r}{_remedy(msg.payload)}")
            return attempt
    raise HandshakeError(f"{name}: the board did not acknowledge the {kind} ({CONFIG_TRIES} tries)")


class Session:
    """The link and its policies, shared by every flight of a session.  Runners get flights
    from flight(); a HilFlight calls begin_flight, uplink, exchange, stepped and aborted."""

    Abort = (LinkFault, TransportError)    # what ends a flight as "aborted"

    def __init__(self, transport, *, mode: str = "lockstep", on_silence: str = "abort", on_reset: str = "resume",
                 on_bad: str = "hold", hold_s: float = HOLD_S, timeout_s: float | None = None,
                 silence_s: float | None = None, status: Callable[[dict], None] | None = None,
                 stub: Callable[[], object] | None = None, board_baud: int | None = None):
        for value, allowed, what in ((mode, MODES, "mode"), (on_silence, ON_SILENCE, "on_silence"),
                                     (on_reset, ON_RESET, "on_reset"), (on_bad, ON_BAD, "on_bad")):
            if value not in allowed:
                raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
        for value, what in ((timeout_s, "timeout_s"), (silence_s, "silence_s")):
            if value is not None and not 0.0 < value < math.inf:
                raise ValueError(f"{what} must be a positive number of seconds, not {value!r}")
        self.mode = mode
        # the wire time of a step at the board's baud, for answers taken at the board's own time
        self.board_wire_s = round_trip_wire_time(board_baud) if board_baud and mode == "realtime" else None
        self.on_silence, self.on_reset, self.on_bad, self.hold_s = on_silence, on_reset, on_bad, hold_s
        self.status, self.stub = status, stub or StubTransport
        self.user_timeout_s, self.user_silence_s = timeout_s, silence_s
        self.link = Link(transport)
        self.baud = transport.baud
        self.transports = [transport.info]
        self.retired_decoders: list[dict] = []
        self.stats = LinkStats(mode)
        self.health = self.stats.health = LinkHealth(mode, SILENT_PERIODS, adaptive=timeout_s is None)   # gnc.hil.noise
        self.hello: wire.Hello | None = None
        self.abort_reason: str | None = None
        self.flight_: HilFlight | None = None      # the flight now flying
        self.dt = math.nan
        self.last_af: np.ndarray | None = None     # the last actuator frame received
        self.last_answer_step = -1
        self.quiet = 0                             # waits in a row with no fresh answer
        self.quiet_since = 0.0                     # since when no fresh answer came while waiting
        self.holding_since: int | None = None
        self.bad_since: int | None = None          # first step of a run of bad commands
        self.tick0, self.j0, self.j = 0.0, 0, 0    # real-time schedule: iteration j leaves at tick0 + (j - j0) dt
        self._answered: deque[int] = deque(maxlen=32)
        self._given_up: dict[int, int] = {}        # seq -> step, answers that did not come in time
        self._next_status = 0.0

    # ------------------------------------------------------------ for the runners

    def flight(self, name: str, plant_module, plant, cfg: np.ndarray, fs: np.ndarray, **kw) -> HilFlight:
        """A flight of this session in place of gnc.flight.Flight (keywords: HilFlight's)."""
        return HilFlight(self, name, plant_module, plant, cfg, fs, **kw)

    # ------------------------------------------------------------ timing

    def _tick(self, j: int) -> float:
        return self.tick0 + (j - self.j0) * self.dt

    def _rebase(self) -> None:
        """Start the real-time schedule afresh at the next exchange, one period from now."""
        self.tick0, self.j0 = time.perf_counter() + self.dt, self.j

    # ------------------------------------------------------------ a flight's life

    def begin_flight(self, f: HilFlight) -> None:
        """Bring the board to f's flight software: afresh (handshake) or, for a flight that
        continues the last one's, an uplink of its config."""
        self.flight_ = f
        self.dt = f.dt
        wire_s = round_trip_wire_time(self.baud) if self.baud else 0.0    # 24.6 ms at 115200 baud
        self.timeout_s = self.user_timeout_s if self.user_timeout_s is not None else f.dt + wire_s
        self.silence_s = (self.user_silence_s if self.user_silence_s is not None
                          else max(SILENCE_S, SILENT_PERIODS * self.timeout_s))
        continues = f.continues and self.hello is not None
        self.stats.begin_flight(f.name, f.dt)
        self.last_af, self.last_answer_step, self.bad_since = None, -1, None
        if continues:
            self.uplink(f, f.k)
        else:
            self._connect(f.k, f.cfg[f.board_row])
        f.sent_cfg = f.cfg[f.board_row].copy()

    def uplink(self, f: HilFlight, k: int) -> None:
        """The runner changed the board's config mid-flight (a ground uplink)."""
        cfg = f.cfg[f.board_row].copy()
        try:
            tries = send_config(self.link, "uplink", cfg)
        except HandshakeError as e:
            raise LinkFault(str(e)) from None
        f.sent_cfg = cfg
        self.stats.event(k, "uplink", f"new config, flight-software state kept ({tries} tries)", tries=tries)
        self.quiet = 0
        self._rebase()

    def aborted(self, f: HilFlight, reason: str) -> None:
        self.abort_reason = reason
        self.stats.event(f.k, "aborted", reason)
        self.link.transport.close()

    def stepped(self, f: HilFlight, k: int) -> None:
        """After a loop iteration: the real-time margin, the status line."""
        self.j += 1
        if self.mode == "realtime":
            margin = self._tick(self.j) - time.perf_counter()
            self.stats.series["margin"][self.stats.n - 1] = margin
            if margin < 0.0:
                self.stats.count["overruns"] += 1
        now = time.perf_counter()
        if self.status is None or now < self._next_status:
            return
        self._next_status = now + STATUS_EVERY_S
        c = self.stats.count
        i = self.stats.n
        rtt = self.stats.series["rtt"][max(0, i - 50):i]
        af = f.af[f.board_row]
        self.status({
            "flight": f.name, "step": k, "t": k * f.dt, "phase": phase_name(int(af[AF_PHASE])),
            "rtt_ms": float(np.nanmedian(rtt)) * 1e3 if np.isfinite(rtt).any() else math.nan,
            "lost": c["sent"] - c["retransmitted"] - c["on_time"] - c["late"],
            "corrupted": corrupted_in_flight(self._decoder_stats(), self.stats.handshakes),
            "late": c["late"], "held": c["held_steps"],
            "link": ("holding" if self.holding_since is not None else
                     "stub" if len(self.transports) > 1 else "ok"),
        })

    # ------------------------------------------------------------ one exchange

    def _await(self, seq: int, deadline: float) -> np.ndarray | None:
        """The actuator frame answering seq, or None at the deadline."""
        count = self.stats.count
        while (msg := self.link.receive(deadline)) is not None or self._version_changed():
            if msg is None:
                break
            if msg.kind == "actuator":
                count["received"] += 1
                if msg.seq == seq and seq not in self._answered:
                    self._answered.append(seq)
                    self.quiet, self.quiet_since = 0, time.perf_counter()
                    self.health.answered()
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
                    self.health.answered()
                    count["late"] += 1
                else:
                    count["stray"] += 1
            elif msg.kind == "hello":
                raise _BoardReset(msg.payload)
            elif msg.kind == "log":
                if not msg.payload.startswith(("config", "uplink")):    # late acks are not news
                    self.stats.board_log.append(msg.payload)
            else:
                count["stray"] += 1
        return None

    def _version_changed(self) -> bool:
        """False; LinkFault once the board has sent an intact message of another protocol
        version (reflashed, or reset into other firmware, mid-session): neither side can
        read the other any more, which would otherwise end as silence."""
        version = self.link.decoder.foreign_version
        if version is None:
            return False
        self.stats.event(self.flight_.k if self.flight_ else 0, "version change",
                         f"the board now speaks protocol version {version}, this host {wire.PROTOCOL_VERSION}")
        raise LinkFault(f"{self.link.transport.name}: the board now speaks protocol version {version}, this host "
                        f"{wire.PROTOCOL_VERSION}: it was reflashed or reset into other firmware mid-session")

    def _ask(self, i: int, k: int, sf: np.ndarray) -> np.ndarray | None:
        """Send step k's sensor frame (exchange i); its answer, or None where the held command applies."""
        s, count = self.stats.series, self.stats.count
        seq = self.link.next_seq()
        packet = wire.encode_sensor(seq, sf)
        realtime = self.mode == "realtime"
        if realtime:
            now = wait_until(self._tick(self.j))
            if now - self._tick(self.j) > self.dt:     # a stall of a whole period: catch up no further
                count["slips"] += 1
                self.tick0, self.j0 = now, self.j
            s["late"][i] = now - self._tick(self.j)
        tries = 0
        while True:
            t_send = time.perf_counter()
            self.link.send(packet)
            count["sent"] += 1
            if tries == 0:
                s["t_send"][i] = t_send
            else:
                count["retransmitted"] += 1
            if self.quiet == 0:
                self.quiet_since = t_send
            if realtime:
                deadline = self._tick(self.j + 1) - GUARD_S
            elif self.holding_since is not None:
                deadline = t_send + self.timeout_s
            else:
                deadline = min(t_send + self.health.retry_after(self.timeout_s), self.quiet_since + self.silence_s)
            answer = self._await(seq, deadline)
            if answer is not None:
                if tries == 0:        # after a retransmission it is unknown which send this answers (Karn)
                    s["rtt"][i] = time.perf_counter() - t_send
                    self.health.rtt(s["rtt"][i])
                if self.hello is not None and self.hello.clock_hz:
                    s["board_step"][i] = answer[AF_STEP_CYCLES] / self.hello.clock_hz
                self.stats.board_counted(answer)
                if self.board_wire_s is not None and np.isfinite(s["board_step"][i]):
                    due = t_send + self.board_wire_s + s["board_step"][i]
                    if due > deadline:          # in hand, but a board on a desk would answer too late
                        count["on_time"] -= 1
                        count["late"] += 1
                        count["late_by_board"] += 1
                        return None
                    wait_until(due)
                return answer
            self.quiet += 1
            verdict = self.health.waited(time.perf_counter(), self.quiet_since, self.silence_s)
            if verdict and self.holding_since is None:
                self._give_up(seq, k)
                raise _Silent(tries, verdict)
            if realtime or self.holding_since is not None:
                self._give_up(seq, k)
                return None
            tries += 1

    def _give_up(self, seq: int, k: int) -> None:
        self._given_up[seq] = k
        if len(self._given_up) > GIVEN_UP_KEPT:
            del self._given_up[next(iter(self._given_up))]

    def exchange(self, f: HilFlight, k: int, sf: np.ndarray, af: np.ndarray) -> None:
        """Fill af with step k's actuator frame: the board's answer or the held command."""
        i = self.stats.begin(k)
        while True:
            try:
                answer = self._ask(i, k, sf)
                break
            except _BoardReset as r:
                self.stats.event(k, "board reset", f"hello from {r.hello.name} during the session; "
                                 f"policy {self.on_reset}")
                if self.on_reset == "abort":
                    raise LinkFault(f"the board reset at step {k} (t = {k * self.dt:.2f} s); "
                                    f"--on-reset abort") from None
                self._reconnect(f, k)
            except _Silent as e:
                quiet_s = time.perf_counter() - self.quiet_since
                rule = (f"{self.health.run_length()} periods" if self.mode == "realtime" else
                        f"the lockstep silence window of {self.silence_s:g} s, step {k}'s frame "
                        f"sent {e.retransmitted + 1} times")
                self.stats.event(k, e.kind, f"no fresh answer from the board for {quiet_s * 1e3:.0f} ms ({rule}); "
                                 f"{self.health.describe()}; "
                                 f"last answer at step {self.last_answer_step}; policy {self.on_silence}",
                                 last_answer_step=self.last_answer_step, quiet_s=quiet_s,
                                 retransmitted=e.retransmitted, **self.health.event_fields())
                if self.on_silence == "abort":
                    what = "the board went silent" if e.kind == "silent" else "the link is too noisy to fly"
                    raise LinkFault(f"{self.link.transport.name}: {what} at step {k} "
                                    f"(t = {k * self.dt:.2f} s, no answer for {quiet_s * 1e3:.0f} ms); "
                                    f"--on-silence abort") from None
                if self.on_silence == "stub":
                    self._fail_over(f, k)
                else:
                    self.holding_since = k
                    answer = None
                    break
            sf[SF_CMD] = 1.0         # a fresh flight software waits for "go"
        if answer is not None:
            answer = self._checked(f, k, sf, answer)
        if answer is not None:
            if self.holding_since is not None:
                self.stats.event(k, "board back", f"answered again after {k - self.holding_since} held steps")
                self.holding_since = None
            af[:] = answer
            self.last_af = answer
            self.last_answer_step = k
            return
        if self.holding_since is not None and (k - self.holding_since) * self.dt >= self.hold_s:
            raise LinkFault(f"{self.link.transport.name}: no fresh answer from the board: held the last command for "
                            f"{self.hold_s:g} s from step {self.holding_since}; --on-silence hold gives up")
        self.stats.series["held"][i] = 1
        self.stats.count["held_steps"] += 1
        if self.last_af is None:
            af[:] = 0.0
        else:
            af[:] = self.last_af
            af[AF_RCS_ON:AF_RCS_ON + V.N_RCS] = 0.0     # repeating RCS pulses would keep spinning the vehicle
        af[AF_T] = k * self.dt
        af[AF_STEP_CYCLES] = 0.0

    def _checked(self, f: HilFlight, k: int, sf: np.ndarray, answer: np.ndarray) -> np.ndarray | None:
        """answer, or None where it is a bad command and the held one applies (on_bad hold)."""
        why = command.fault(answer, sf, f.cfg[f.board_row])
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

    def _resume_config(self, f: HilFlight, k: int, why: str) -> np.ndarray:
        """The config for a flight software starting mid-flight at step k, from what a ground
        station has from telemetry (the program's resume rule); LinkFault where it has none."""
        cfg = f.cfg[f.board_row]
        if self.last_af is None:
            return cfg.copy()
        if f.resume is None:
            raise LinkFault(f"{why} at step {k} of the {f.name}: its flight software cannot be restarted "
                            f"mid-flight yet (no resume rule for the {f.name})")
        return f.resume(cfg, self.last_af, k * self.dt, f.m_est)

    def _connect(self, k: int, cfg: np.ndarray) -> None:
        self.hello = handshake(self.link, cfg, self.stats, k)
        self.link.decoder.foreign_version = None      # heard before the hello: not this board's
        self.quiet, self.holding_since = 0, None
        self.health.connected(self.link)
        self._rebase()

    def _reconnect(self, f: HilFlight, k: int) -> None:
        self._connect(k, self._resume_config(f, k, "the board reset"))
        self.stats.event(k, "resumed", f"handshake again with {self.hello.name}; navigation restarted from "
                         f"the estimate of step {self.last_answer_step}")

    def _fail_over(self, f: HilFlight, k: int) -> None:
        cfg = self._resume_config(f, k, "the board went silent")
        self.retired_decoders.append(dict(self.link.decoder.stats))
        self.link.transport.close()
        self.link = Link(self.stub())
        self.transports.append(self.link.transport.info)
        self._connect(k, cfg)
        self.stats.event(k, "fail-over", f"flying on {self.link.transport.info['describe']}")

    def _decoder_stats(self) -> dict:
        """The decoder counters summed over every link of the session (board, then stub)."""
        total = dict(self.link.decoder.stats)
        for d in self.retired_decoders:
            for key, v in d.items():
                total[key] += v
        return total

    # ------------------------------------------------------------ the end

    def close(self) -> None:
        self.link.transport.close()

    def report(self) -> tuple[dict, dict[str, np.ndarray]]:
        """link.json's report and link.arrow's series."""
        hello = None if self.hello is None else {
            "name": self.hello.name, "real_size": self.hello.real_size, "clock_hz": self.hello.clock_hz,
            "flags": self.hello.flags, "protocol_version": wire.PROTOCOL_VERSION}
        return (self.stats.report(self._decoder_stats(), self.transports, hello, self.baud), self.stats.trimmed())


def run_session(sc: Scenario, transport, seed: int = 0, *, fsw: str = "numba",
                progress: Callable[[float, str], None] | None = None, telemetry=None, **policies) -> HilResult:
    """Fly scenario sc (any program of gnc.programs) with the flight software at
    the other end of transport, through the program's own runner.

    The session owns the transport from here and closes it.  Raises HandshakeError
    (nothing flown) when no board answers; every later link fault ends the session
    with outcome "aborted" and the telemetry so far.  fsw: the build of the flight
    computers flown in process (the rendezvous' other vehicle, a rendezvous' ascent).
    telemetry: a gnc.telemetry.Recorder the telemetry streams to as it flies (None: in memory).
    policies: Session's keywords (mode, on_silence, on_reset, on_bad, hold_s, timeout_s,
    silence_s, status, stub).  status(dict) is called about every STATUS_EVERY_S with the
    flight, step, t, phase and link health."""
    program = programs.get(sc.program)
    session = Session(transport, **policies)
    try:
        result = program.run(sc, seed, tel_every=1, fsw=fsw, progress=progress, link=session, telemetry=telemetry)
    finally:
        session.close()
    reason = session.abort_reason
    summary = result.summary
    if reason is not None:
        summary["outcome"], summary["failures"] = "aborted", [reason]
    summary["hil"] = {"mode": session.mode, "link": [t["describe"] for t in session.transports],
                      "board": session.hello.name if session.hello else None, "abort_reason": reason}
    link, series = session.report()
    return HilResult(result, link, series)
