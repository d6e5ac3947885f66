"""The wire codec: the messages of gnc/frames.toml as bytes on a serial link (HIL).
It lives beside its schema (gnc/frames.py), which gnc.codegen turns into the C codec.

A message on the wire is COBS(body) between two 0x00 delimiters (protocol 4: the
leading one ends whatever cut message the receiver holds, so a lost delimiter costs
that message only, never the next), where

    body = header | payload | CRC-32 (u32 LE, zlib.crc32 of header | payload)
    header = u8 protocol_version, u8 msg_type, u16 seq, u32 t_ms   (little-endian)

Sensor, actuator, config and uplink (a config frame for a running flight software)
payloads are the frame's fields in schema order with their wire types; docs/protocol.md is the full description.  In memory those frames
are flat float64 arrays indexed by gnc/core/layout.py, exactly what the numba
flight software reads and writes.  f32 fields round-trip as float32(x), f64 fields
exactly; integer fields as round(x / scale) * scale, clamped to the wire type's range.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from gnc.frames import Frame, schema

PROTOCOL_VERSION = schema().protocol_version
SCHEMA_FINGERPRINT = schema().fingerprint()    # csrc/layout.h's GNC_SCHEMA_FINGERPRINT, from the same text
MSG = dict(schema().enums["messages"])          # name -> msg_type
MSG_NAME = {code: name for name, code in MSG.items()}
FRAME_MESSAGES = ("sensor", "actuator", "config", "uplink")
FRAME_OF = {"sensor": "sensor", "actuator": "actuator", "config": "config", "uplink": "config"}   # message -> frame kind
DELIMITERS = 2                                  # a 0x00 before and after every message

HEADER = struct.Struct("<BBHI")                 # version, msg_type, seq, t_ms
HEADER_SIZE = HEADER.size
CRC_SIZE = 4
HELLO = struct.Struct("<BIBI")                  # real_size, clock_hz, flags, schema fingerprint; the name follows
RESET = struct.Struct("<I")                     # the host's schema fingerprint
HELLO_NAME_MAX = 48
HELLO_FLAG_SYSTICK_CYCLES = 1                   # cycle counter emulated from SysTick, not a true cycle counter
LOG_MAX = 200

_NUMPY_WIRE = {"f32": "<f4", "f64": "<f8", "u8": "u1", "u16": "<u2", "u32": "<u4"}
_INT_MAX = {"u8": 0xFF, "u16": 0xFFFF, "u32": 0xFFFFFFFF}
_TIME_LIMIT = 2.0 ** 63                         # |t_ms| beyond this (or NaN) is sent as 0, as in C


class FrameLayout:
    """How one frame kind maps between its float64 array and its payload bytes."""

    def __init__(self, frame: Frame):
        self.kind = frame.kind
        self.length = frame.length
        times = [f for f in frame.fields if f.wire == "header_time"]
        if len(times) > 1:
            raise ValueError(f"frames.toml: {frame.kind} has more than one header_time field")
        self.time_field = times[0] if times else None
        self.fields = tuple(f for f in frame.fields if f.wire != "header_time")
        for f in self.fields:
            if f.wire not in _NUMPY_WIRE:
                raise ValueError(f"frames.toml: {frame.kind}.{f.name} has no wire type")
        self.dtype = np.dtype([(f.name, _NUMPY_WIRE[f.wire], (f.n,)) for f in self.fields])
        self.payload_size = self.dtype.itemsize

    def frame_time(self, frame: np.ndarray) -> float:
        return 0.0 if self.time_field is None else float(frame[self.time_field.offset])

    def pack(self, frame: np.ndarray) -> bytes:
        rec = np.zeros((), self.dtype)
        # Overflow to inf (f32) and NaN/inf (integers) are defined outcomes here, not errors.
        with np.errstate(over="ignore", invalid="ignore"):
            for f in self.fields:
                x = frame[f.offset:f.offset + f.n]
                if f.wire in ("f32", "f64"):
                    rec[f.name] = x.astype(_NUMPY_WIRE[f.wire])
                else:
                    rec[f.name] = quantise(x / f.scale if f.scale else x, _INT_MAX[f.wire])
        return rec.tobytes()

    def unpack(self, payload: bytes, t: float) -> np.ndarray:
        rec = np.frombuffer(payload, self.dtype, count=1)[0]
        frame = np.empty(self.length)
        if self.time_field is not None:
            frame[self.time_field.offset] = t
        for f in self.fields:
            value = rec[f.name].astype(np.float64)
            frame[f.offset:f.offset + f.n] = value * f.scale if f.scale else value
        return frame


LAYOUTS = {kind: FrameLayout(schema()[FRAME_OF[kind]]) for kind in FRAME_MESSAGES}


def quantise(x: np.ndarray, hi: int) -> np.ndarray:
    """round-half-even(x) clamped to [0, hi], NaN -> 0 (the C codec does the same)."""
    x = np.where(np.isnan(x), 0.0, x)
    return np.rint(np.clip(x, 0.0, hi))


def time_to_ms(t: float) -> int:
    """Header time tag: round-half-even(t * 1000) mod 2**32."""
    x = float(t) * 1000.0
    if not -_TIME_LIMIT < x < _TIME_LIMIT:
        return 0
    return round(x) % 2 ** 32


def payload_max(msg_type: int) -> int:
    """Largest payload of a message type, in bytes."""
    name = MSG_NAME[msg_type]
    if name in LAYOUTS:
        return LAYOUTS[name].payload_size
    return {"hello": HELLO.size + HELLO_NAME_MAX, "log": LOG_MAX, "reset": RESET.size}[name]


def cobs_max(n: int) -> int:
    """Largest COBS encoding of n bytes: one code byte per started 254-byte block."""
    return n + max(1, -(-n // 254))


def wire_size(msg_type: int) -> int:
    """Worst-case bytes on the wire for a message type, COBS overhead and both delimiters included."""
    return cobs_max(HEADER_SIZE + payload_max(msg_type) + CRC_SIZE) + DELIMITERS


def wire_time(msg_type: int, baud: float, bits_per_byte: int = 10) -> float:
    """Seconds to send the worst case of a message type (8N1 = 10 bits per byte)."""
    return wire_size(msg_type) * bits_per_byte / baud


# ---------------------------------------------------------------- COBS

def cobs_encode(data: bytes) -> bytes:
    """Consistent Overhead Byte Stuffing: the output has no zero byte.

    A data block ending the input right after 254 non-zero bytes gets no trailing
    code byte (the variant of the `cobs` package), so the overhead is ceil(n/254).
    """
    out = bytearray()
    runs = bytes(data).split(b"\x00")
    for i, run in enumerate(runs):
        last = i == len(runs) - 1
        while len(run) >= 254:
            out.append(0xFF)
            out += run[:254]
            run = run[254:]
            if last and not run:
                return bytes(out)
        out.append(len(run) + 1)
        out += run
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Inverse of cobs_encode; ValueError on a zero byte or a block running past the end."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        block = data[i + 1:i + code]
        if code == 0 or i + code > n or 0 in block:
            raise ValueError("malformed COBS")
        out += block
        i += code
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


# ---------------------------------------------------------------- messages

@dataclass(frozen=True)
class Hello:
    real_size: int          # sizeof(real) on the board: 4 or 8
    clock_hz: int
    flags: int
    name: str               # "board/firmware-version"
    fingerprint: int = SCHEMA_FINGERPRINT   # the board's frame schema (gnc.frames.Schema.fingerprint)

    @property
    def systick_cycles(self) -> bool:
        return bool(self.flags & HELLO_FLAG_SYSTICK_CYCLES)


@dataclass(frozen=True, eq=False)
class Message:
    msg_type: int
    seq: int
    t_ms: int
    payload: np.ndarray | Hello | str | int   # frame array, Hello, log text, a reset's schema fingerprint

    @property
    def t(self) -> float:
        return self.t_ms / 1000.0

    @property
    def kind(self) -> str:
        return MSG_NAME[self.msg_type]


class WireError(ValueError):
    """A received message that must be dropped; `kind` names the Decoder.stats counter."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def _payload_bytes(name: str, payload) -> bytes:
    if name in LAYOUTS:
        layout = LAYOUTS[name]
        frame = np.asarray(payload, dtype=np.float64)
        if frame.shape != (layout.length,):
            raise ValueError(f"{name} frame must have shape ({layout.length},), not {frame.shape}")
        return layout.pack(frame)
    if name == "hello":
        raw = payload.name.encode("ascii")
        if len(raw) > HELLO_NAME_MAX or b"\x00" in raw:
            raise ValueError(f"hello name must be NUL-free ASCII of at most {HELLO_NAME_MAX} bytes")
        return HELLO.pack(payload.real_size, payload.clock_hz, payload.flags, payload.fingerprint) + raw
    if name == "log":
        raw = payload.encode("utf-8")
        if len(raw) > LOG_MAX:
            raise ValueError(f"log text is {len(raw)} bytes, more than {LOG_MAX}")
        return raw
    return RESET.pack(SCHEMA_FINGERPRINT if payload is None else payload)


def encode_body(msg_type: int, seq: int, t: float | None, payload) -> bytes:
    """header | payload | CRC.  t=None takes a frame's header_time field (0 without one);
    seq is taken mod 2**16."""
    if msg_type not in MSG_NAME:
        raise ValueError(f"unknown message type {msg_type}")
    name = MSG_NAME[msg_type]
    data = _payload_bytes(name, payload)
    if t is None:
        t = LAYOUTS[name].frame_time(np.asarray(payload)) if name in LAYOUTS else 0.0
    covered = HEADER.pack(PROTOCOL_VERSION, msg_type, seq & 0xFFFF, time_to_ms(t)) + data
    return covered + struct.pack("<I", zlib.crc32(covered))


def encode(msg_type: int, seq: int, t: float | None, payload) -> bytes:
    """Complete wire bytes of one message: 0x00, COBS(body), 0x00."""
    return b"\x00" + cobs_encode(encode_body(msg_type, seq, t, payload)) + b"\x00"


def encode_sensor(seq: int, frame: np.ndarray) -> bytes:
    return encode(MSG["sensor"], seq, None, frame)


def encode_actuator(seq: int, frame: np.ndarray) -> bytes:
    return encode(MSG["actuator"], seq, None, frame)


def encode_config(seq: int, cfg: np.ndarray) -> bytes:
    return encode(MSG["config"], seq, None, cfg)


def encode_uplink(seq: int, cfg: np.ndarray) -> bytes:
    """A config frame for the running flight software: the board keeps its state."""
    return encode(MSG["uplink"], seq, None, cfg)


def encode_hello(seq: int, t: float, real_size: int, clock_hz: int, flags: int, name: str,
                 fingerprint: int = SCHEMA_FINGERPRINT) -> bytes:
    return encode(MSG["hello"], seq, t, Hello(real_size, clock_hz, flags, name, fingerprint))


def encode_log(seq: int, t: float, text: str) -> bytes:
    return encode(MSG["log"], seq, t, text)


def encode_reset(seq: int, t: float = 0.0, fingerprint: int = SCHEMA_FINGERPRINT) -> bytes:
    """Re-initialise the board, whose schema must be the one `fingerprint` names."""
    return encode(MSG["reset"], seq, t, fingerprint)


def decode_body(body: bytes) -> Message:
    """Parse one un-COBSed body; WireError names why it must be dropped."""
    if len(body) < HEADER_SIZE + CRC_SIZE:
        raise WireError("short", f"{len(body)} bytes")
    (crc,) = struct.unpack_from("<I", body, len(body) - CRC_SIZE)
    if zlib.crc32(body[:-CRC_SIZE]) != crc:
        raise WireError("bad_crc")
    version, msg_type, seq, t_ms = HEADER.unpack_from(body)
    if version != PROTOCOL_VERSION:
        raise WireError("bad_version", f"protocol {version}, expected {PROTOCOL_VERSION}")
    if msg_type not in MSG_NAME:
        raise WireError("unknown_type", str(msg_type))
    name = MSG_NAME[msg_type]
    data = body[HEADER_SIZE:-CRC_SIZE]
    if name in LAYOUTS:
        fits = len(data) == LAYOUTS[name].payload_size
    else:
        least = {"hello": HELLO.size, "reset": RESET.size}.get(name, 0)
        fits = least <= len(data) <= payload_max(msg_type)
    if not fits:
        raise WireError("bad_length", f"{name} payload of {len(data)} bytes")
    if name in LAYOUTS:
        payload = LAYOUTS[name].unpack(data, t_ms / 1000.0)
    elif name == "hello":
        real_size, clock_hz, flags, fingerprint = HELLO.unpack_from(data)
        payload = Hello(real_size, clock_hz, flags, data[HELLO.size:].decode("ascii", "replace"), fingerprint)
    elif name == "log":
        payload = data.decode("utf-8", "replace")
    else:
        (payload,) = RESET.unpack(data)
    return Message(msg_type, seq, t_ms, payload)


def decode(wire: bytes) -> Message:
    """One complete message (with or without its delimiters)."""
    try:
        body = cobs_decode(bytes(wire).strip(b"\x00"))
    except ValueError:
        raise WireError("bad_cobs") from None
    return decode_body(body)


ERROR_KINDS = ("bad_cobs", "short", "bad_crc", "bad_version", "unknown_type", "bad_length", "overflow")
MAX_RUN = max(wire_size(code) for code in MSG_NAME) - DELIMITERS   # longest legal run between delimiters


class Decoder:
    """Streaming receiver: feed any bytes, get the valid messages; never raises on input.

    Every dropped run increments one counter of `stats`; after garbage it resynchronises
    at the next 0x00.  Empty runs (back-to-back delimiters) are idle fill, not errors.
    """

    def __init__(self) -> None:
        self.stats = {"messages": 0, **{kind: 0 for kind in ERROR_KINDS}}
        self.foreign_version: int | None = None   # protocol of the last CRC-valid frame we could not read
        self._run = bytearray()
        self._skipping = False                    # inside an over-long run: drop up to the next 0x00

    def errors(self) -> int:
        """Dropped runs of every kind so far."""
        return sum(v for kind, v in self.stats.items() if kind != "messages")

    def feed(self, data: bytes) -> list[Message]:
        data = bytes(data)
        out = []
        start = 0
        while True:
            end = data.find(0, start)
            chunk = data[start:] if end < 0 else data[start:end]
            if not self._skipping:
                if len(self._run) + len(chunk) > MAX_RUN:
                    self.stats["overflow"] += 1
                    self._run.clear()
                    self._skipping = True
                else:
                    self._run += chunk
            if end < 0:
                return out
            if not self._skipping and self._run:
                message = self._take(bytes(self._run))
                if message is not None:
                    out.append(message)
            self._run.clear()
            self._skipping = False
            start = end + 1

    def _take(self, run: bytes) -> Message | None:
        try:
            body = cobs_decode(run)
        except ValueError:
            self.stats["bad_cobs"] += 1
            return None
        try:
            message = decode_body(body)
        except WireError as err:
            self.stats[err.kind] += 1
            if err.kind == "bad_version":
                self.foreign_version = body[0]
            return None
        self.stats["messages"] += 1
        return message


def protocol_tables() -> str:
    """Markdown tables of every message and field, for docs/protocol.md (via gnc.codegen)."""
    lines = ["| message | msg_type | payload bytes (max) | wire bytes (worst case) "
             "| wire time at 115200 baud (8N1) | at 921600 baud |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for code, name in sorted(MSG_NAME.items()):
        lines.append(f"| `{name}` | {code} | {payload_max(code)} | {wire_size(code)} "
                     f"| {wire_time(code, 115200) * 1e3:.2f} ms | {wire_time(code, 921600) * 1e3:.3f} ms |")
    both = (MSG["sensor"], MSG["actuator"])
    lines += ["", f"Sensor and actuator frame together: {sum(wire_size(m) for m in both)} bytes, "
                  f"{sum(wire_time(m, 115200) for m in both) * 1e3:.2f} ms at 115200 baud, "
                  f"{sum(wire_time(m, 921600) for m in both) * 1e3:.2f} ms at 921600 baud."]
    for kind, layout in LAYOUTS.items():
        if FRAME_OF[kind] != kind:
            lines += ["", f"### `{kind}` payload: the `{FRAME_OF[kind]}` payload"]
            continue
        lines += ["", f"### `{kind}` payload ({layout.payload_size} bytes, array length {layout.length})", "",
                  "| byte | field | n | wire | scale | unit | meaning |",
                  "| ---: | --- | ---: | --- | --- | --- | --- |"]
        fields = [(None, f) for f in schema()[kind].fields if f.wire == "header_time"]
        at = 0
        for f in layout.fields:
            fields.append((at, f))
            at += f.n * np.dtype(_NUMPY_WIRE[f.wire]).itemsize
        for at, f in fields:
            where = "header" if at is None else str(at)
            scale = "" if not f.scale else f"{f.scale:g}"
            lines.append(f"| {where} | `{f.name}` | {f.n} | {f.wire} | {scale} | {f.unit} "
                         f"| {f.doc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
