"""A noisy link: byte errors as a UART shows them, and how a session tells a noisy link
from a silent board.

ByteErrors corrupts each byte of a stream independently with probability `rate` (the
byte XORed with a random non-zero value); the stub link (gnc.hil.transport) and the relay
below both use it, one instance per direction.

LinkHealth judges the waits of a session that ended without a fresh answer:
  empty wait   nothing garbled heard either (the sensor frame lost on the way up, or no board)
  noisy wait   the decoder dropped garbled messages meanwhile: something is talking
A board is *silent* when nothing at all is heard: lockstep, no fresh answer and nothing
garbled for the silence window; real time, `need(r_empty)` empty waits in a row.  A link
is a *noisy link* when it keeps the answers from arriving although bytes do: lockstep, no
fresh answer for the silence window with garbled messages heard in it; real time,
`need(r_quiet)` waits in a row without a fresh answer, some of them noisy.  need(r) is
the length of a run of misses that a link losing a fraction r of its waits shows by
chance with probability below FALSE_ALARM (at least the session's SILENT_PERIODS, at most MAX_WAITS),
r measured over the session so far from the runs of misses it recovered from: a clean
link is judged after 3 periods, a link at a byte error rate of 1e-3 after 8 to 13.

    python -m gnc.hil.noise --board /dev/pts/N --byte-errors 1e-3 [--seed S]

relays a board's pty to a new pty (printed as "PTY /dev/pts/M") corrupting bytes both
ways at the rate, each direction on its own random stream; it exits when either side
closes, and prints what it carried and corrupted.
"""
from __future__ import annotations

import argparse
import math
import os
import select
import sys
import tty

import numpy as np

MAX_BYTE_ERRORS = 0.1         # beyond this nothing gets through: not a link to fly over
FALSE_ALARM = 1e-7            # chance per wait that a run of misses is the link's noise, not the board
MAX_WAITS = 25                # real time judges a link after at most this many misses in a row
MIN_RETRY_S = 2e-3            # lockstep: the earliest retransmission (a pty's round trip: 0.3 ms p50, 5 ms max)


class ByteErrors:
    """One direction of a noisy line: apply(data) returns data with each byte corrupted
    independently with probability rate.  The gaps between corrupted bytes are drawn
    geometric, so the errors do not depend on how the stream is cut into writes."""

    def __init__(self, rate: float, rng: np.random.Generator):
        if not 0.0 <= rate <= MAX_BYTE_ERRORS:
            raise ValueError(f"byte error rate must be 0 .. {MAX_BYTE_ERRORS:g}, not {rate!r}")
        self.rate, self.rng = rate, rng
        self.bytes = self.corrupted = self.writes_hit = 0
        self._next = self._gap() if rate else math.inf      # 1-based stream position of the next error

    def _gap(self) -> int:
        return int(self.rng.geometric(self.rate))

    def apply(self, data: bytes) -> bytes:
        start = self.bytes
        self.bytes += len(data)
        if self._next > self.bytes:
            return data
        buf = bytearray(data)
        while self._next <= self.bytes:
            buf[self._next - start - 1] ^= int(self.rng.integers(1, 256))
            self.corrupted += 1
            self._next += self._gap()
        self.writes_hit += 1
        return bytes(buf)

    def counts(self) -> dict:
        return {"bytes": self.bytes, "corrupted_bytes": self.corrupted, "writes_hit": self.writes_hit}


def byte_error_pair(rate: float, seed: int) -> tuple[ByteErrors, ByteErrors]:
    """Host->board and board->host, on independent streams of one seed."""
    up, down = np.random.SeedSequence([seed, 0x4E4F]).spawn(2)
    return ByteErrors(rate, np.random.default_rng(up)), ByteErrors(rate, np.random.default_rng(down))


def need(r: float, least: int) -> int:
    """Misses in a row that a link missing a fraction r of its waits shows by chance less
    often than FALSE_ALARM: `least` on a clean link, up to MAX_WAITS."""
    if r <= 0.0:
        return least
    if r >= 1.0:
        return MAX_WAITS
    return min(MAX_WAITS, max(least, math.ceil(math.log(FALSE_ALARM) / math.log(r))))


class LinkHealth:
    """Counts a session's waits and judges a run of them with no fresh answer (module doc).

    connected(link) after every handshake (its garbage is the handshake's); answered() on
    every fresh answer; waited(now, quiet_since, silence_s) after a wait that ended without
    one: None, "silent" or "noisy link".

    It also times lockstep retransmissions when adaptive (the session's timeout is its
    default, one period plus the wire time): retry_after(timeout_s) is the retransmission
    timeout of TCP (RFC 6298) from the round trips fed to rtt() (first tries only, Karn),
    at least twice the smoothed round trip and MIN_RETRY_S, doubled on every miss until a
    first try is answered, at most timeout_s.  A lost frame then costs a few round trips,
    not a period: at byte error rate 1e-3 a third of the steps lose one.  A retransmission
    that was not needed costs nothing but a duplicate: the board answers it from its cache."""

    def __init__(self, mode: str, least: int, adaptive: bool = False):
        self.mode, self.least, self.adaptive = mode, least, adaptive
        self.srtt = self.rttvar = None
        self.backoff = 1
        self.waits = {"answered": 0, "noisy": 0, "empty": 0}
        self.missed = {"noisy": 0, "empty": 0}     # waits in runs that a fresh answer ended
        self.run = {"noisy": 0, "empty": 0, "empty_in_a_row": 0, "garbled": 0, "bytes": 0}
        self.link = None
        self._errors = self._messages = self._bytes = 0
        self.since_connect = {"garbled": 0, "messages": 0}

    def _read(self) -> tuple[int, int, int]:
        d = self.link.decoder
        return d.errors(), d.stats["messages"], getattr(self.link.transport, "bytes_in", 0)

    def connected(self, link) -> None:
        self.link = link
        self._errors, self._messages, self._bytes = self._read()
        self.run = dict.fromkeys(self.run, 0)

    def _heard(self) -> int:
        """Garbled messages since the last look; keeps the session's tallies."""
        errors, messages, nbytes = self._read()
        garbled = max(errors - self._errors, 0)
        self.since_connect["garbled"] += garbled
        self.since_connect["messages"] += max(messages - self._messages, 0)
        self.run["garbled"] += garbled
        self.run["bytes"] += max(nbytes - self._bytes, 0)
        self._errors, self._messages, self._bytes = errors, messages, nbytes
        return garbled

    def answered(self) -> None:
        self._heard()
        self.waits["answered"] += 1
        self.missed["noisy"] += self.run["noisy"]
        self.missed["empty"] += self.run["empty"]
        self.run = dict.fromkeys(self.run, 0)

    def rtt(self, sample: float) -> None:
        if self.srtt is None:
            self.srtt, self.rttvar = sample, sample / 2
        else:
            self.rttvar += (abs(self.srtt - sample) - self.rttvar) / 4
            self.srtt += (sample - self.srtt) / 8
        self.backoff = 1

    def retry_after(self, timeout_s: float) -> float:
        if not self.adaptive or self.srtt is None:
            return timeout_s
        return min(timeout_s, self.backoff * max(MIN_RETRY_S, 2 * self.srtt, self.srtt + 4 * self.rttvar))

    def rate(self, kind: str) -> float:
        """Fraction of waits missed (kind "empty": with nothing heard; "quiet": all misses),
        from the runs of misses the link recovered from."""
        n = sum(self.waits.values())
        missed = self.missed["empty"] + (self.missed["noisy"] if kind == "quiet" else 0)
        return missed / n if n else 0.0

    def waited(self, now: float, quiet_since: float, silence_s: float) -> str | None:
        noisy = self._heard() > 0
        self.backoff = min(2 * self.backoff, 1 << 10)
        kind = "noisy" if noisy else "empty"
        self.waits[kind] += 1
        self.run[kind] += 1
        self.run["empty_in_a_row"] = 0 if noisy else self.run["empty_in_a_row"] + 1
        if self.mode == "realtime":
            if self.run["empty_in_a_row"] >= need(self.rate("empty"), self.least):
                return "silent"
            if self.run["noisy"] and self.run["noisy"] + self.run["empty"] >= need(self.rate("quiet"), self.least):
                return "noisy link"
            return None
        if now < quiet_since + silence_s:
            return None
        return "noisy link" if self.run["garbled"] else "silent"

    def message_error_rate(self) -> float | None:
        """Board -> host: messages the decoder dropped over messages heard, since the handshake."""
        heard = self.since_connect["garbled"] + self.since_connect["messages"]
        return self.since_connect["garbled"] / heard if heard else None

    def run_length(self) -> int:
        return self.run["noisy"] + self.run["empty"]

    def event_fields(self) -> dict:
        r = self.run
        return {"noisy_waits": r["noisy"], "empty_waits": r["empty"], "garbled": r["garbled"],
                "bytes_heard": r["bytes"], "message_error_rate": self.message_error_rate()}

    def describe(self) -> str:
        """The run of misses that ended in a verdict, for its event."""
        r, rate = self.run, self.message_error_rate()
        return (f"{r['noisy'] + r['empty']} waits without a fresh answer ({r['noisy']} noisy, {r['empty']} empty), "
                f"{r['garbled']} garbled messages and {r['bytes']} bytes heard meanwhile; board->host message "
                f"error rate {'-' if rate is None else f'{rate:.3g}'} since the handshake")

    def report(self, injected: list[dict]) -> dict:
        """The link report's "noise" entry: injected is the stub's byte errors, if any."""
        self._heard()
        misses = self.waits["noisy"] + self.waits["empty"]
        rate = self.message_error_rate()
        return {"classification": "noisy" if self.since_connect["garbled"] else "clean",
                "waits": dict(self.waits),
                "miss_rate": misses / sum(self.waits.values()) if misses else 0.0,
                "board_to_host_message_error_rate": rate,
                "garbled_since_handshake": self.since_connect["garbled"],
                "messages_since_handshake": self.since_connect["messages"],
                "run_needed": {"silent": need(self.rate("empty"), self.least), "noisy link": need(self.rate("quiet"), self.least)}
                if self.mode == "realtime" else None,
                "retransmission_timeout": {"adaptive": self.adaptive, "smoothed_round_trip_s": self.srtt,
                                           "round_trip_var_s": self.rttvar},
                "injected": injected}


def injected_errors(transports: list[dict]) -> list[dict]:
    """What the stub line did to the bytes, per direction (empty for real links)."""
    return [t["injected_byte_errors"] for t in transports if t.get("injected_byte_errors")]


# ---------------------------------------------------------------- the relay

def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def relay(board_path: str, rate: float, seed: int, out=sys.stdout) -> dict:
    """Serve a new pty for the host, relaying to board_path with byte errors both ways,
    until either side closes.  Returns the two directions' counts."""
    board = os.open(board_path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(board)
    master, slave = os.openpty()
    tty.setraw(slave)           # a cooked pty would echo and translate the host's bytes
    print(f"PTY {os.ttyname(slave)}", file=out, flush=True)
    up, down = byte_error_pair(rate, seed)
    try:
        while True:
            for fd in select.select([master, board], [], [])[0]:
                try:
                    data = os.read(fd, 4096)
                    if data and fd == master:
                        if slave is not None:
                            # the host is attached: from now its closing the port shows as EIO here
                            os.close(slave)
                            slave = None
                        _write_all(board, up.apply(data))
                    elif data:
                        _write_all(master, down.apply(data))
                except OSError:         # EIO: the other end of a pty has closed
                    data = b""
                if not data:
                    return {"host_to_board": up.counts(), "board_to_host": down.counts()}
    finally:
        for fd in (board, master, slave):
            if fd is not None:
                os.close(fd)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= MAX_BYTE_ERRORS:
        raise argparse.ArgumentTypeError(f"a byte error rate is 0 .. {MAX_BYTE_ERRORS:g}, not {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gnc.hil.noise",
                                description="Relay a board's pty to a new pty, corrupting bytes both ways.")
    p.add_argument("--board", required=True, metavar="PTY", help="the board's pty (python -m gnc.hil.board --pty)")
    p.add_argument("--byte-errors", type=_rate, required=True, metavar="RATE",
                   help=f"probability each byte is corrupted, per direction, 0 .. {MAX_BYTE_ERRORS:g}")
    p.add_argument("--seed", type=int, default=0, help="seed of the errors (default 0)")
    args = p.parse_args(argv)
    try:
        counts = relay(args.board, args.byte_errors, args.seed)
    except OSError as e:
        p.exit(2, f"python -m gnc.hil.noise: error: {args.board}: {e.strerror or e}\n")
    print("relay closed: " + "; ".join(f"{way.replace('_', ' ')}: {c['bytes']} bytes, {c['corrupted_bytes']} "
                                       f"corrupted" for way, c in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
