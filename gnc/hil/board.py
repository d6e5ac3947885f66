"""A flight computer in Python: serves the HIL protocol (docs/protocol.md, "Session")
over any byte stream, running the flight software on every sensor frame.

Board is the protocol without I/O (bytes in, bytes out), so the same logic serves a
pyserial port, a pseudo-terminal it creates itself, or the in-process stub link
(gnc.hil.transport.StubTransport).  `step_cycles` in its actuator frames counts
nanoseconds of the flight-software step: its hello says clock_hz = 1e9.

    python -m gnc.hil.board --pty [--fault silent-after=N]      create a pty, print "PTY /dev/pts/N"
    python -m gnc.hil.board /dev/ttyUSB1 --baud 921600          serve a serial port (any pyserial URL)

Faults, for tests of the host (N counts the sensor frames answered since start):
    silent-after=N   answer N sensor frames, then nothing at all, ever (a hung board)
    garbage-every=N  every N-th reply: alternately noise before it (the reply survives)
                     and one flipped bit inside it (the reply is lost)
    reset-after=N    after N: reboot once (config and state lost, unprompted hello)
    exit-after=N     after N: the process exits and its port vanishes
    nan-after=N      after N: thrust_cmd NaN in every answer (a corrupted flight software, CRC-valid)
    overthrust-after=N  after N: thrust_cmd 1e9 N, far past the engine
    frozen-time-after=N after N: the time tag stays at answer N's
    replay-after=N   after N: every new sensor frame gets answer N again, its seq and all
                     (a board stuck in a loop, still talking)
"""
from __future__ import annotations

import argparse
import functools
import os
import select
import sys
import time
import tty
import zlib
from dataclasses import dataclass

import numpy as np

from gnc import wire
from gnc.core import layout as L
from gnc.frames import schema

CLOCK_HZ = 1_000_000_000       # step_cycles are nanoseconds
SCHEMA = wire.SCHEMA_FINGERPRINT   # this board's schema, as built into it
FAULTS = ("silent-after", "garbage-every", "reset-after", "exit-after", "nan-after", "overthrust-after",
          "frozen-time-after", "replay-after")




@dataclass
class Faults:
    silent_after: int | None = None
    garbage_every: int | None = None
    reset_after: int | None = None
    exit_after: int | None = None
    nan_after: int | None = None
    overthrust_after: int | None = None
    frozen_time_after: int | None = None
    replay_after: int | None = None
    seed: int = 0

    @classmethod
    def parse(cls, specs: list[str], seed: int = 0) -> "Faults":
        """From ["silent-after=200", ...]; ValueError names a bad one."""
        faults = cls(seed=seed)
        for spec in specs:
            name, _, value = spec.partition("=")
            if name not in FAULTS or not value.isdigit() or int(value) < 1:
                raise ValueError(f"bad fault {spec!r}: expected one of {', '.join(f + '=N' for f in FAULTS)}, N >= 1")
            setattr(faults, name.replace("-", "_"), int(value))
        return faults


class Board:
    """The board's side of the protocol: receive(bytes) -> bytes to send back."""

    def __init__(self, fsw: str = "numba", faults: Faults | None = None):
        from gnc.core import fsw_c  # here: the protocol alone does not need numba

        self.fsw = fsw
        self._step = fsw_c.step_kernel(fsw)     # ValueError or fsw_c.CBuildUnavailable, one line each
        self._reset = functools.partial(fsw_c.reset, fsw)
        self.faults = faults or Faults()
        self._rng = np.random.default_rng(self.faults.seed)
        self.decoder = wire.Decoder()
        self.name = f"python-board/{fsw}-fsw"
        self.cfg = None
        self.fs = np.zeros(L.FS_LEN)
        self.af = np.zeros(L.AF_LEN)
        self.answered = 0            # sensor frames answered since start (faults count these)
        self.replies = 0             # actuator frames sent, retransmissions included
        self.exited = False
        self._seq = 0
        self._last = (None, b"")     # (sensor seq, reply wire) for retransmissions
        self._rebooted = False
        self._frozen_t = 0.0         # the frozen-time fault's time tag
        self._schema_ok = True       # False after a reset naming another schema, until a matching one
        self._rx_seq = None          # seq of the last message received intact
        self.counts = {"gaps": 0, "repeats": 0}   # the actuator frame's board_* counters (bad: the decoder's)
        self._warm_up()

    def _warm_up(self) -> None:
        """Compile or load the flight software now, not on the first frame of a session."""
        self._reset(self.fs)
        self._step(np.zeros(L.SF_LEN), np.zeros(L.CF_LEN), self.fs, self.af)
        self._reset(self.fs)

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def boot(self) -> bytes:
        """The hello banner a board sends when it starts (a host may well miss it)."""
        return self._hello(0)

    def _hello(self, seq: int) -> bytes:
        return wire.encode_hello(seq, 0.0, 8, CLOCK_HZ, 0, self.name, SCHEMA)

    @property
    def silent(self) -> bool:
        return self.faults.silent_after is not None and self.answered >= self.faults.silent_after

    def receive(self, data: bytes) -> bytes:
        out = []
        for msg in self.decoder.feed(data):
            if self.silent or self.exited:
                break
            if msg.kind == "reset":
                self.cfg = None
                self._last = (None, b"")
                self._schema_ok = msg.payload == SCHEMA
                out.append(self._hello(msg.seq) if self._schema_ok else wire.encode_log(
                    msg.seq, 0.0, f"schema mismatch board {SCHEMA:08x} host {msg.payload:08x}"))
            elif msg.kind == "config":
                out.append(self._configure(msg))
            elif msg.kind == "uplink":
                out.append(self._uplink(msg))
            elif msg.kind == "sensor":
                out.append(self._sense(msg))
            self._rx_seq = msg.seq
        return b"".join(out)

    def _configure(self, msg: wire.Message) -> bytes:
        cfg = msg.payload
        crc = zlib.crc32(wire.LAYOUTS["config"].pack(cfg))   # = CRC of the payload received
        programs = set(dict(schema().enums["programs"]).values())
        if not self._schema_ok:
            return wire.encode_log(msg.seq, 0.0, "config bad schema mismatch")
        if int(cfg[L.CF_PROGRAM]) not in programs or not cfg[L.CF_DT] > 0.0:
            return wire.encode_log(msg.seq, 0.0, f"config bad program {int(cfg[L.CF_PROGRAM])} dt {cfg[L.CF_DT]:g}")
        self.cfg = cfg
        self._reset(self.fs)
        self._last = (None, b"")
        return wire.encode_log(msg.seq, 0.0, f"config ok {crc:08x}")

    def _uplink(self, msg: wire.Message) -> bytes:
        """A new config for the running flight software: its state is kept (no reset)."""
        if self.cfg is None:
            return self._hello(msg.seq)
        cfg = msg.payload
        if int(cfg[L.CF_PROGRAM]) != int(self.cfg[L.CF_PROGRAM]):
            return wire.encode_log(msg.seq, 0.0, f"uplink bad program {int(cfg[L.CF_PROGRAM])}")
        self.cfg = cfg
        self._last = (None, b"")     # as the C board: only the reply just sent is cached
        return wire.encode_log(msg.seq, 0.0, f"uplink ok {zlib.crc32(wire.LAYOUTS['uplink'].pack(cfg)):08x}")

    def _sense(self, msg: wire.Message) -> bytes:
        if self.cfg is None:
            return self._hello(msg.seq)          # not configured: say who we are, so the host re-handshakes
        f = self.faults
        if msg.seq == self._last[0]:
            self.counts["repeats"] += 1
            reply = self._last[1]                # a retransmission: answer again, do not step twice
        elif f.replay_after is not None and self.answered >= f.replay_after:
            reply = self._last[1]                # stuck: the old answer to every new frame
        else:
            if self._rx_seq is not None and msg.seq != (self._rx_seq + 1) & 0xFFFF:
                self.counts["gaps"] += 1
            t0 = time.perf_counter_ns()
            self._step(msg.payload, self.cfg, self.fs, self.af)
            self.af[L.AF_STEP_CYCLES] = time.perf_counter_ns() - t0
            self.af[L.AF_BOARD_BAD] = self.decoder.errors()
            self.af[L.AF_BOARD_GAPS] = self.counts["gaps"]
            self.af[L.AF_BOARD_REPEATS] = self.counts["repeats"]
            self.answered += 1
            reply = wire.encode_actuator(msg.seq, self._corrupt(self.af))
            self._last = (msg.seq, reply)
        self.replies += 1
        reply = self._garble(reply)
        if f.reset_after is not None and self.answered >= f.reset_after and not self._rebooted:
            self._rebooted = True
            self.cfg = None
            self._reset(self.fs)
            self._last = (None, b"")
            reply += self.boot()
        if f.exit_after is not None and self.answered >= f.exit_after:
            self.exited = True
        return reply

    def _corrupt(self, af: np.ndarray) -> np.ndarray:
        """The actuator frame as a faulty flight software would send it (the nan-, overthrust-
        and frozen-time- faults); af itself, the flight software's own, is left alone."""
        f, n = self.faults, self.answered          # n counts this answer
        out = af.copy()
        if f.frozen_time_after is not None:
            if n == f.frozen_time_after:
                self._frozen_t = af[L.AF_T]
            if n > f.frozen_time_after:
                out[L.AF_T] = self._frozen_t
        if f.nan_after is not None and n > f.nan_after:
            out[L.AF_THRUST_CMD] = np.nan
        if f.overthrust_after is not None and n > f.overthrust_after:
            out[L.AF_THRUST_CMD] = 1e9
        return out

    def _garble(self, reply: bytes) -> bytes:
        every = self.faults.garbage_every
        if every is None or self.replies % every:
            return reply
        if (self.replies // every) % 2:
            noise = self._rng.integers(0, 256, int(self._rng.integers(8, 65)), dtype=np.uint8).tobytes()
            return noise + b"\x00" + reply
        buf = bytearray(reply)
        buf[1 + int(self._rng.integers(len(buf) - 2))] ^= 1 << int(self._rng.integers(8))   # inside the COBS run
        return bytes(buf)


def serve_fd(board: Board, fd: int) -> None:
    """Serve on a file descriptor (a pty master) until the board exits."""
    pending = board.boot()
    while True:
        while pending:
            pending = pending[os.write(fd, pending):]
        if board.exited:
            os.close(fd)      # the port vanishes now, not after the interpreter's slow teardown
            return
        if select.select([fd], [], [], 0.5)[0]:
            pending = board.receive(os.read(fd, 4096))


def serve_port(board: Board, port) -> None:
    """Serve on an open pyserial port until the board exits."""
    port.write(board.boot())
    while not board.exited:
        data = port.read(port.in_waiting or 1)
        if data:
            reply = board.receive(data)
            if reply:
                port.write(reply)
    port.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gnc.hil.board", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="faults" + __doc__.split("\nFaults")[1])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("port", nargs="?", metavar="PORT", help="serial port or pyserial URL to serve")
    where.add_argument("--pty", action="store_true",
                       help="create a pseudo-terminal and print 'PTY <path>' for the host to open")
    p.add_argument("--baud", type=int, default=115200, help="baud rate of PORT (ignored by a pty)")
    p.add_argument("--fsw", default="numba", help="flight-software build: numba, c or c-float (default numba)")
    p.add_argument("--fault", action="append", default=[], metavar="NAME=N", help="inject a fault (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="seed of the garbage bytes")
    args = p.parse_args(argv)
    try:
        faults = Faults.parse(args.fault, args.seed)
    except ValueError as e:
        p.error(str(e))
    from gnc.core.fsw_c import CBuildUnavailable

    try:
        board = Board(args.fsw, faults)
    except (ValueError, CBuildUnavailable) as e:
        p.exit(2, f"python -m gnc.hil.board: error: {e}\n")
    if args.pty:
        master, slave = os.openpty()
        # raw at once: a cooked slave would echo the host's bytes back into the board
        tty.setraw(slave)
        # the board keeps its slave fd open so the master never reads EIO while no host is attached
        print(f"PTY {os.ttyname(slave)}", flush=True)
        serve_fd(board, master)
    else:
        import serial

        try:
            port = serial.serial_for_url(args.port, baudrate=args.baud, timeout=0.5)
        except (serial.SerialException, OSError, ValueError) as e:
            p.exit(2, f"python -m gnc.hil.board: error: cannot open {args.port}: {e}\n")
        print(f"serving {args.port}", flush=True)
        serve_port(board, port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
