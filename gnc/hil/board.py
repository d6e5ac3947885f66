"""A flight computer in this process: the firmware's own HIL protocol
(csrc/firmware/common/hil_protocol.c; docs/protocol.md, "Session") over any byte stream,
running the flight software on every sensor frame.

Board is the protocol without I/O (bytes in, bytes out), so the same board serves a
pyserial port, a pseudo-terminal it creates itself, or the in-process stub link
(gnc.hil.transport.StubTransport).  Its protocol is not a second implementation: the
C flight build's extension module holds hil_protocol.c over a host board layer
(csrc/firmware/host/board_host.c: byte buffers for the UART, the monotonic clock in
nanoseconds as cycle counter, so the hello says clock_hz = 1e9), and every message is
answered by the code that answers it on the AVR and the STM32F4.  What stays in Python
is the fault injection around it, on the messages the C board sends.  The flight
software is the build's own for --fsw c (double) and c-float (float: frames, state and
codec in float, as on a microcontroller), or the numba reference (--fsw numba) stepped
from C through a cffi callback; so every stub needs the C build.

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
import os
import select
import sys
import tty
from dataclasses import dataclass

import numpy as np

from gnc import wire
from gnc.core import layout as L
from gnc.hil.options import FAULTS

ACTUATOR = wire.MSG["actuator"]
OUT_CAP = 64 * 1024              # bytes taken from the C board at a time (it holds fewer)

_owner: dict[str, "Board"] = {}  # extension module -> the Board its one protocol state belongs to
_hooked: set[str] = set()        # extension modules whose step hooks run the numba flight software
_hook_errors: list[BaseException] = []


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


def _hook_failed(exc_type, exc, tb):
    # cffi would print and swallow it; Board.receive raises it instead
    _hook_errors.append(exc)


def _attach_numba(module) -> None:
    """The C board's step hooks (board_host.c) call the numba flight software, on the C
    protocol's own frames and state (double arrays, viewed in place)."""
    if module.__name__ in _hooked:
        return
    from gnc.core.fsw.step import fsw_reset, fsw_step

    ffi = module.ffi

    def frame(ptr, n: int) -> np.ndarray:
        return np.frombuffer(ffi.buffer(ptr, n * 8), np.float64)

    @ffi.def_extern(name="gnc_host_hook_step", onerror=_hook_failed)
    def _step(sf, cfg, fs, af):
        fsw_step(frame(sf, L.SF_LEN), frame(cfg, L.CF_LEN), frame(fs, L.FS_LEN), frame(af, L.AF_LEN))

    @ffi.def_extern(name="gnc_host_hook_reset", onerror=_hook_failed)
    def _reset(fs):
        fsw_reset(frame(fs, L.FS_LEN))

    _hooked.add(module.__name__)


def _msg_type(run: bytes) -> int:
    """msg_type of a COBS-encoded message: the body's second byte, which the first COBS block
    holds when it is longer than the (never zero) version byte, and is a stuffed 0 otherwise."""
    return run[2] if run[0] >= 3 else 0


class Board:
    """The board's side of the protocol: receive(bytes) -> bytes to send back.

    The C protocol state is one per extension module (numba and c share the double one),
    so one such Board is live in a process: a new one (a fail-over's) takes the state over,
    and the old one refuses to go on."""

    def __init__(self, fsw: str = "numba", faults: Faults | None = None):
        from gnc.core import fsw_c  # here: it loads numba and the C builds, which --help does without

        fsw_c.require(fsw)          # ValueError or fsw_c.CBuildUnavailable, one line each
        try:
            self._module = fsw_c.module("c-float" if fsw == "c-float" else "c")
        except fsw_c.CBuildUnavailable as e:
            raise fsw_c.CBuildUnavailable(f"the stub board runs the firmware's protocol from the C build: {e}") \
                from None
        self.fsw = fsw
        self._lib = self._module.lib
        self._out = self._module.ffi.new("uint8_t[]", OUT_CAP)
        if fsw == "numba":
            _attach_numba(self._module)
            self._warm_up()
        self.faults = faults or Faults()
        self._rng = np.random.default_rng(self.faults.seed)
        self.answered = 0            # sensor frames answered since start (faults count these)
        self.replies = 0             # actuator frames sent, retransmissions included
        self.exited = False
        self._last = b""             # the last actuator frame sent as answered: retransmitted, or replayed
        self._rebooted = False
        self._frozen_t = 0.0         # the frozen-time fault's time tag
        self.name = ""
        self._power_on("power-on")   # as boot(); nobody hears this hello

    def _warm_up(self) -> None:
        """Compile or load the numba flight software now, not on the first frame of a session."""
        from gnc.core.fsw.step import fsw_reset, fsw_step

        fs = np.zeros(L.FS_LEN)
        fsw_reset(fs)
        fsw_step(np.zeros(L.SF_LEN), np.zeros(L.CF_LEN), fs, np.zeros(L.AF_LEN))

    def _power_on(self, reason: str) -> bytes:
        _owner[self._module.__name__] = self
        self._lib.gnc_host_boot(f"host-{self.fsw}".encode(), reason.encode(), self.fsw == "numba")
        hello = self._take()
        self.name = wire.decode(hello).payload.name
        return hello

    def boot(self) -> bytes:
        """Power on: the protocol starts afresh and sends its hello (a host may well miss it)."""
        return self._power_on("power-on")

    @property
    def silent(self) -> bool:
        return self.faults.silent_after is not None and self.answered >= self.faults.silent_after

    def _take(self) -> bytes:
        return bytes(self._module.ffi.buffer(self._out, self._lib.gnc_host_take(self._out, OUT_CAP)))

    def receive(self, data: bytes) -> bytes:
        if _owner.get(self._module.__name__) is not self:
            raise RuntimeError(f"this {self.fsw} board was replaced by a newer one in this process "
                               "(the C protocol state is one per build)")
        data = bytes(data)
        out = []
        start = 0
        while start < len(data) and not (self.silent or self.exited):
            # up to a delimiter: at most one message per feed, so each answer meets the faults as it was sent
            end = data.find(0, start) + 1 or len(data)
            out.append(self._feed(data[start:end]))
            start = end
        return b"".join(out)

    def _feed(self, chunk: bytes) -> bytes:
        lib = self._lib
        f = self.faults
        replaying = f.replay_after is not None and self.answered >= f.replay_after
        steps = lib.gnc_host_steps()
        sent = []
        while True:
            chunk = chunk[lib.gnc_host_feed(chunk, len(chunk)):]
            sent.append(self._take())
            if not chunk:
                break
        if _hook_errors:
            raise _hook_errors.pop()
        stepped = lib.gnc_host_steps() != steps
        return b"".join(self._answer(b"\x00" + run + b"\x00", stepped, replaying)
                        for run in b"".join(sent).split(b"\x00") if run)

    def _answer(self, msg: bytes, stepped: bool, replaying: bool) -> bytes:
        """One message of the C board, as the faults let it go out."""
        if _msg_type(msg[1:]) != ACTUATOR:
            return msg
        f = self.faults
        if stepped and not replaying:
            self.answered += 1
            msg = self._last = self._corrupt(msg)
        else:
            msg = self._last         # a retransmission (as first sent, faults and all), or stuck replaying
        self.replies += 1
        msg = self._garble(msg)
        if f.reset_after is not None and self.answered >= f.reset_after and not self._rebooted:
            self._rebooted = True
            msg += self._power_on("software")
        if f.exit_after is not None and self.answered >= f.exit_after:
            self.exited = True
        return msg

    def _corrupt(self, msg: bytes) -> bytes:
        """The actuator frame as a faulty flight software would send it (the nan-, overthrust-
        and frozen-time- faults), re-encoded; untouched without those faults."""
        f, n = self.faults, self.answered          # n counts this answer
        if f.frozen_time_after is None and f.nan_after is None and f.overthrust_after is None:
            return msg
        answer = wire.decode(msg)
        af = answer.payload
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
        return msg if np.array_equal(out, af, equal_nan=True) else wire.encode_actuator(answer.seq, out)

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
