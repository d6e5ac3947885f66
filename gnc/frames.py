"""The frame schema (gnc/frames.toml) as Python objects: field offsets, sizes, enums.

Everything that needs to know the layout of the sensor, actuator, config or
flight-software-state frames asks this module (or the code generated from it).
"""
from __future__ import annotations

import tomllib
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("frames.toml")

WIRE_TYPES = {"f32": "f", "f64": "d", "u8": "B", "u16": "H", "u32": "I", "header_time": None, None: None}
FRAME_KINDS = ("sensor", "actuator", "config", "fsw_state")
WIRE_FRAMES = ("sensor", "actuator", "config")      # fsw_state never leaves the flight computer
PREFIX = {"sensor": "SF", "actuator": "AF", "config": "CF", "fsw_state": "FS"}
ENUM_PREFIX = {"messages": "MSG", "programs": "PROGRAM", "phases": "PHASE",
               "valid_bits": "VALID", "health_bits": "HEALTH", "laws": "LAW"}


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    n: int
    unit: str
    wire: str | None
    scale: float | None
    doc: str

    @property
    def const(self) -> str:
        return self.name.upper()


@dataclass(frozen=True)
class Frame:
    kind: str
    fields: tuple[Field, ...]

    @property
    def length(self) -> int:
        return sum(f.n for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.kind} frame has no field {name!r}")

    def column_names(self) -> list[str]:
        """One name per array element: 'imu_dv[0]' style for vectors."""
        out = []
        for f in self.fields:
            out += [f.name] if f.n == 1 else [f"{f.name}[{i}]" for i in range(f.n)]
        return out


@dataclass(frozen=True)
class Schema:
    protocol_version: int
    enums: dict[str, dict[str, int]]
    frames: dict[str, Frame]

    def __getitem__(self, kind: str) -> Frame:
        return self.frames[kind]

    def canonical_text(self) -> str:
        """Everything the bytes on the wire depend on, one item a line: the protocol
        version, every message type's code, every wire frame's fields in order (name, n,
        wire type, scale).  Units and docs are left out: they change no byte."""
        lines = [f"protocol_version {self.protocol_version}"]
        lines += [f"message {name} {code}"
                  for name, code in sorted(self.enums["messages"].items(), key=lambda item: item[1])]
        for kind in WIRE_FRAMES:
            lines.append(f"frame {kind}")
            lines += [f"field {f.name} {f.n} {f.wire} {'-' if f.scale is None else repr(float(f.scale))}"
                      for f in self.frames[kind].fields]
        return "\n".join(lines) + "\n"

    def fingerprint(self) -> int:
        """CRC-32 of canonical_text(): a host and a board that agree on it read each
        other's frames alike, whatever the protocol version says (MAVLink's CRC_EXTRA idea)."""
        return zlib.crc32(self.canonical_text().encode("utf-8"))


def parse(raw: dict) -> Schema:
    """A Schema from the parsed TOML of a frames.toml (e.g. an edited copy)."""
    return _parse(raw)


def _parse(raw: dict) -> Schema:
    frames = {}
    for kind in FRAME_KINDS:
        offset, fields, seen = 0, [], set()
        for spec in raw[kind]["fields"]:
            name = spec["name"]
            if name in seen:
                raise ValueError(f"frames.toml: {kind}.{name} defined twice")
            seen.add(name)
            wire = spec.get("wire")
            if kind != "fsw_state" and wire not in WIRE_TYPES:
                raise ValueError(f"frames.toml: {kind}.{name} has unknown wire type {wire!r}")
            n = int(spec.get("n", 1))
            fields.append(Field(name, offset, n, spec.get("unit", ""), wire,
                                spec.get("scale"), spec.get("doc", "")))
            offset += n
        frames[kind] = Frame(kind, tuple(fields))
    enums = {k: dict(raw[k]) for k in ENUM_PREFIX}
    return Schema(int(raw["protocol_version"]), enums, frames)


@lru_cache(maxsize=1)
def schema() -> Schema:
    with open(SCHEMA_PATH, "rb") as fh:
        return _parse(tomllib.load(fh))


def phase_name(code: int) -> str:
    for name, value in schema().enums["phases"].items():
        if value == int(code):
            return name
    return f"unknown({int(code)})"


def health_names(bits: int) -> list[str]:
    """The names of the health bits set in bits."""
    return [name for name, bit in schema().enums["health_bits"].items() if int(bits) >> bit & 1]
