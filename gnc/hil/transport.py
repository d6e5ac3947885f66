"""Byte links between the host and a flight computer, behind one interface:

    write(data)            send bytes toward the board
    read(timeout) -> bytes whatever has arrived, waiting up to timeout s for the first byte
    close()
    name, baud, info       port name for messages, baud rate (None: unlimited), a dict for the link report

Every failure of the link itself (cannot open, device gone, write stuck) raises
TransportError with one line that names the port.

SerialTransport opens any pyserial URL: a device path (/dev/ttyACM0, COM3, a pty),
socket://host:port, rfc2217://host:port, loop://.  StubTransport runs a gnc.hil.board.Board
in this process behind an emulated serial line: wire time from the baud rate, added
latency and jitter, dropped or corrupted frames, byte errors (gnc.hil.noise); no pty, no thread.
Both count the bytes they carry (bytes_in, bytes_out): a session tells a noisy link by them.
"""
from __future__ import annotations

import os
import select
import time
from collections import deque

import numpy as np

from gnc.hil.link import wait_until
from gnc.hil.noise import ByteErrors, byte_error_pair

WRITE_TIMEOUT_S = 1.0       # a board that stops reading fills the OS buffer; fail instead of blocking forever
POLL_S = 200e-6             # read poll interval for URL handlers without a file descriptor (loop://, rfc2217://)


class TransportError(Exception):
    """The link is unusable; str() is one line naming the port."""


def _reason(err: Exception) -> str:
    if isinstance(getattr(err, "errno", None), int):     # pyserial repeats the port name around it
        return os.strerror(err.errno)
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


class SerialTransport:
    """A pyserial port by URL, opened non-blocking; reads wait in select() when the
    port has a file descriptor (device paths, ptys, socket://), else poll."""

    def __init__(self, url: str, baud: int = 115200, low_latency: bool = True):
        import serial

        self.name = url
        self.bytes_in = self.bytes_out = 0
        # a pty carries bytes as fast as they come: no wire time for the session to allow for
        self.pty = _is_pty(url)
        self.baud = None if self.pty else baud
        self._serial_errors = (serial.SerialException, OSError, ValueError)
        try:
            self._port = serial.serial_for_url(url, baudrate=baud, timeout=0, write_timeout=WRITE_TIMEOUT_S)
        except self._serial_errors as e:
            raise TransportError(f"cannot open {url}: {_reason(e)}") from None
        try:
            self._fd = self._port.fileno()
        except (AttributeError, NotImplementedError, OSError, ValueError):
            self._fd = None
        self.info = {"transport": "serial", "port": url, "baud": baud,
                     "low_latency": self._set_low_latency() if low_latency else "not requested",
                     "latency_timer_ms": _ftdi_latency_timer(url)}
        line = "(a pty: no wire, the baud rate is ignored)" if self.pty else f"at {baud} baud"
        self.info["describe"] = (f"serial {url} {line}, low-latency mode: {self.info['low_latency']}"
                                 + (f", FTDI latency timer {self.info['latency_timer_ms']} ms"
                                    if self.info["latency_timer_ms"] is not None else ""))

    def _set_low_latency(self) -> str:
        """ASYNC_LOW_LATENCY on Linux serial drivers (pyserial #290); ptys, USB CDC-ACM and
        other platforms do not have it, which is reported, not an error."""
        try:
            self._port.set_low_latency_mode(True)
            return "on"
        except (AttributeError, NotImplementedError, ValueError, OSError) as e:
            return f"unsupported by the driver ({_reason(e.__context__ or e)})"   # pyserial wraps the ioctl error

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self.bytes_out += len(data)
        except self._serial_errors as e:
            raise TransportError(f"{self.name}: write failed, the port is gone ({_reason(e)})") from None

    def read(self, timeout: float) -> bytes:
        try:
            if self._fd is not None:
                if not select.select([self._fd], [], [], max(timeout, 0.0))[0]:
                    return b""
                # select() says readable: at least one byte, or a hang-up that read() reports
                data = self._port.read(self._port.in_waiting or 1)
                self.bytes_in += len(data)
                return data
            deadline = time.perf_counter() + timeout
            while True:
                data = self._port.read(self._port.in_waiting or 1)
                if data or time.perf_counter() >= deadline:
                    self.bytes_in += len(data)
                    return data
                time.sleep(POLL_S)
        except self._serial_errors as e:
            raise TransportError(f"{self.name}: read failed, the port is gone ({_reason(e)})") from None

    def close(self) -> None:
        try:
            self._port.close()
        except self._serial_errors:
            pass          # closing a port that vanished: nothing left to release


def _is_pty(url: str) -> bool:
    """Is url the slave side of a Unix98 pseudo-terminal (device majors 136-143)?"""
    try:
        return 136 <= os.major(os.stat(url).st_rdev) <= 143
    except (OSError, ValueError):
        return False             # a URL (socket://, rfc2217://) or no such path


def _ftdi_latency_timer(url: str) -> int | None:
    """The FTDI driver's latency timer (ms; 16 by default, 1 is best for HIL), if url is one."""
    if not url.startswith("/dev/"):
        return None
    path = f"/sys/bus/usb-serial/devices/{os.path.basename(os.path.realpath(url))}/latency_timer"
    try:
        with open(path) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def list_ports() -> list[dict]:
    """pyserial's list of serial ports, with the FTDI latency timer where there is one."""
    from serial.tools import list_ports as lp

    ports = []
    for p in sorted(lp.comports(), key=lambda p: p.device):
        ports.append({"device": p.device, "description": p.description, "hwid": p.hwid,
                      "latency_timer_ms": _ftdi_latency_timer(p.device)})
    return ports


class EmulatedLine:
    """One direction of an emulated serial line: bytes leave one after another at the
    baud rate (8N1: 10 bits a byte), then take latency + uniform(0, jitter) to arrive,
    never overtaking earlier bytes (a UART is FIFO)."""

    def __init__(self, baud, latency, jitter, drop, corrupt, rng, byte_errors: ByteErrors | None = None):
        self.baud, self.latency, self.jitter = baud, latency, jitter
        self.drop, self.corrupt, self.rng = drop, corrupt, rng
        self.byte_errors = byte_errors
        self.queue: deque[tuple[float, bytes]] = deque()
        self._free_at = 0.0          # when the transmitter has sent everything queued so far
        self._last_arrival = 0.0
        self.dropped = self.corrupted = 0

    def send(self, t: float, data: bytes) -> None:
        start = max(t, self._free_at)
        self._free_at = start + (len(data) * 10.0 / self.baud if self.baud else 0.0)
        if self.drop and self.rng.random() < self.drop:
            self.dropped += 1
            return
        if self.corrupt and self.rng.random() < self.corrupt:
            self.corrupted += 1
            buf = bytearray(data)
            buf[int(self.rng.integers(len(buf)))] ^= 1 << int(self.rng.integers(8))
            data = bytes(buf)
        if self.byte_errors is not None:
            data = self.byte_errors.apply(data)
        arrival = self._free_at + self.latency + (self.rng.uniform(0.0, self.jitter) if self.jitter else 0.0)
        self._last_arrival = max(arrival, self._last_arrival)
        self.queue.append((self._last_arrival, data))

    def next_time(self) -> float:
        return self.queue[0][0] if self.queue else float("inf")


class StubTransport:
    """A gnc.hil.board.Board in this process behind an emulated serial line.

    The board handles a message when it would have arrived; its reply leaves after the
    time the board really took (its flight-software step runs here, in this thread).
    baud=None removes the wire time; drop / corrupt are per-message probabilities in
    each direction, byte_errors the probability of each byte being corrupted, per direction.  A board that exits (fault exit-after) makes the port vanish."""

    def __init__(self, board=None, baud: float | None = None, latency_s: float = 0.0, jitter_s: float = 0.0,
                 drop: float = 0.0, corrupt: float = 0.0, seed: int = 0, byte_errors: float = 0.0):
        from gnc.hil.board import Board

        self.board = board if board is not None else Board()
        self.name, self.baud = "stub", baud
        rng = np.random.default_rng(seed)
        up, down = byte_error_pair(byte_errors, seed) if byte_errors else (None, None)
        self._up = EmulatedLine(baud, latency_s, jitter_s, drop, corrupt, rng, up)
        self._down = EmulatedLine(baud, latency_s, jitter_s, drop, corrupt, rng, down)
        self.bytes_in = self.bytes_out = 0
        self.info = {"transport": "stub", "baud": baud, "latency_ms": latency_s * 1e3,
                     "jitter_ms": jitter_s * 1e3, "drop": drop, "corrupt": corrupt, "byte_errors": byte_errors,
                     "fsw": self.board.fsw}
        wire = f"{baud:g} baud" if baud else "no wire time"
        self.info["describe"] = (f"stub: in-process board ({self.board.fsw} flight software), {wire}, "
                                 f"latency {latency_s * 1e3:g} ms + jitter up to {jitter_s * 1e3:g} ms"
                                 + (f", drop {drop:g}, corrupt {corrupt:g}" if drop or corrupt else "")
                                 + (f", byte error rate {byte_errors:g} per direction" if byte_errors else ""))
        self._closed = False
        self._down.send(time.perf_counter(), self.board.boot())

    def write(self, data: bytes) -> None:
        self._check()
        self._up.send(time.perf_counter(), bytes(data))
        self.bytes_out += len(data)

    def _check(self) -> None:
        if self._closed or self.board.exited:
            raise TransportError("stub: the board has gone (port closed)")

    def _run_board(self, now: float) -> None:
        while self._up.queue and self._up.queue[0][0] <= now:
            arrival, data = self._up.queue.popleft()
            c0 = time.perf_counter()
            reply = self.board.receive(data)
            if reply:
                self._down.send(arrival + (time.perf_counter() - c0), reply)
            self._check()

    def read(self, timeout: float) -> bytes:
        deadline = time.perf_counter() + max(timeout, 0.0)
        while True:
            now = time.perf_counter()
            self._run_board(now)
            out = []
            while self._down.queue and self._down.queue[0][0] <= now:
                out.append(self._down.queue.popleft()[1])
            if out:
                data = b"".join(out)
                self.bytes_in += len(data)
                return data
            if now >= deadline:
                return b""
            wait_until(min(deadline, self._up.next_time(), self._down.next_time()))

    def close(self) -> None:
        self._closed = True
        # what the line did to the messages, for the link report (the decoder counts what arrived)
        self.info["injected"] = {"dropped": self._up.dropped + self._down.dropped,
                                 "corrupted": self._up.corrupted + self._down.corrupted}
        if self._up.byte_errors is not None:
            self.info["injected_byte_errors"] = {"rate": self._up.byte_errors.rate,
                                                 "host_to_board": self._up.byte_errors.counts(),
                                                 "board_to_host": self._down.byte_errors.counts()}
