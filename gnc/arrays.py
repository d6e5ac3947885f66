"""The host-side array layouts (gnc/arrays.toml) as Python objects: fields, sizes, column names.

`python -m gnc.codegen` writes each layout's offset constants into its owning module;
the column names of the telemetry rows come from here.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gnc.frames import FRAME_KINDS, schema

SCHEMA_PATH = Path(__file__).with_name("arrays.toml")


@dataclass(frozen=True)
class Field:
    name: str
    size: int | str     # an int, or an expression over names the owning module sees
    unit: str
    doc: str
    column: str
    axes: tuple[str, ...]
    frame: str | None

    def column_names(self) -> list[str]:
        if self.frame:
            return [f"{self.column}.{c}" for c in schema()[self.frame].column_names()]
        if self.axes:
            return [f"{self.column}_{a}" for a in self.axes]
        if self.size == 1:
            return [self.column]
        raise ValueError(f"arrays.toml: field {self.name!r} of size {self.size} names no axes or frame")


@dataclass(frozen=True)
class Layout:
    prefix: str
    module: str
    doc: str
    fields: tuple[Field, ...]
    c_header: str = ""              # csrc/ file codegen writes the constants into too ("": Python only)
    c_names: tuple[tuple[str, str], ...] = ()   # the sizes' names as C spells them

    def const(self, f: Field) -> str:
        return f"{self.prefix}_{f.name.upper()}"

    @property
    def length_const(self) -> str:
        return f"{self.prefix}_LEN"

    def offsets(self) -> list[tuple[str, int | str]]:
        """(NAME, offset) of every field and then of PREFIX_LEN: an int while every size
        before it is one, from the first symbolic size on `PREVIOUS + size`."""
        out, at = [], 0
        for f in self.fields:
            out.append((self.const(f), at))
            size = f.size
            if isinstance(size, str) and any(op in size for op in "+-"):
                size = f"({size})"      # it follows a +
            at = at + size if isinstance(at, int) and isinstance(size, int) else f"{self.const(f)} + {size}"
        out.append((self.length_const, at))
        return out

    def column_names(self) -> list[str]:
        """One name per element, in order."""
        return [c for f in self.fields for c in f.column_names()]


def _field(key: str, spec: dict) -> Field:
    name = spec["name"]
    size = spec.get("size", 1)
    axes = tuple(spec.get("axes", ()))
    frame = spec.get("frame")
    if frame is not None and frame not in FRAME_KINDS:
        raise ValueError(f"arrays.toml: {key}.{name} names an unknown frame {frame!r}")
    if axes and len(axes) != size:
        raise ValueError(f"arrays.toml: {key}.{name} has size {size} and {len(axes)} axes")
    return Field(name, size, spec.get("unit", ""), spec.get("doc", ""), spec.get("column", name), axes, frame)


def _parse(raw: dict) -> dict[str, Layout]:
    layouts, prefixes = {}, set()
    for key, table in raw.items():
        fields = tuple(_field(key, spec) for spec in table["fields"])
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"arrays.toml: {key} names a field twice")
        if table["prefix"] in prefixes:
            raise ValueError(f"arrays.toml: prefix {table['prefix']!r} used twice")
        prefixes.add(table["prefix"])
        layouts[key] = Layout(table["prefix"], table["module"], table.get("doc", ""), fields,
                              table.get("c_header", ""), tuple(table.get("c_names", {}).items()))
    return layouts


@lru_cache(maxsize=1)
def layouts() -> dict[str, Layout]:
    with open(SCHEMA_PATH, "rb") as fh:
        return _parse(tomllib.load(fh))
