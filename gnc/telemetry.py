"""Telemetry streamed to disk as the vehicle flies: Arrow IPC files, one record batch per chunk.

Why Arrow IPC (the file format, a.k.a. Feather v2) and not Parquet: a record batch is appended
and on disk the moment it is written, and the file's bytes before its footer are an Arrow IPC
stream, so a file cut short by a kill -9 still yields every batch written whole; a Parquet file
is unreadable until its footer is written at close.  A complete file opens in one line:

    pd.read_feather("runs/descent-seed0/telemetry.arrow")       # pandas
    pl.read_ipc("runs/descent-seed0/telemetry.arrow")           # polars
    pa.ipc.open_file("runs/descent-seed0/telemetry.arrow").read_all()

and one cut short by a kill (no footer) with `gnc.telemetry.read(path)` (every whole chunk).

Every column is float64, one row per kept flight-software step; a batch holds CHUNK_ROWS rows
(the last one fewer), whatever the steps per call into compiled code, so a flight's file is
the same bytes however it was flown (gnc.flight.Flight flushes a batch when its buffer is
full, and write() of arrays held in memory cuts them at the same rows).  NaNs are written as
the one quiet NaN: the sign and payload an operation gives a NaN differ by CPU and compiler.
No metadata that varies (no time stamps): the bytes depend on the values only.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

CHUNK_ROWS = 1000     # rows per record batch: 20 s of a 50 Hz descent, 780 kB; what a kill -9 may lose
SUFFIX = ".arrow"
_MAGIC = 8            # b"ARROW1" and two bytes of padding before the stream


def file_name(flight: str = "") -> str:
    """telemetry.arrow, or telemetry-FLIGHT.arrow for one flight of several (the mission's phases)."""
    return f"telemetry-{flight}{SUFFIX}" if flight else f"telemetry{SUFFIX}"


class Stream:
    """One telemetry file being written: write_rows(rows) appends whole chunks of a flight's
    rows (2-D, a column per name), close() the rows its flight still holds (unwritten) and the
    footer.  Usable as a context manager.

    The file takes its name with its first chunk: pyarrow writes the schema only with the
    first batch, so a file opened at the start would be empty, unreadable, until then; a
    kill before the first chunk leaves no telemetry file rather than an empty one."""

    def __init__(self, path: Path, columns: list[str]):
        self.path, self.columns = Path(path), list(columns)
        self.schema = pa.schema([(c, pa.float64()) for c in self.columns])
        self.rows = 0
        self.unwritten: Callable[[], np.ndarray] | None = None   # the flight's rows not yet handed over
        self._sink = self._writer = None
        self._closed = False

    def _open(self) -> Path:
        """The writer on a temporary name beside path (returned, for os.replace)."""
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        self._sink = pa.OSFile(str(tmp), "wb")                 # unbuffered: a batch written is in the file
        self._writer = pa.ipc.new_file(self._sink, self.schema)
        return tmp

    def write_rows(self, rows: np.ndarray) -> None:
        """Append rows (n x len(columns)) as one record batch; n is CHUNK_ROWS but for the last."""
        if len(rows) == 0:
            return
        # from the buffers: pa.array() would import pandas when it is installed (50 MB)
        arrays = [pa.Array.from_buffers(pa.float64(), len(rows), [None, pa.py_buffer(_canonical_nans(rows[:, i]))])
                  for i in range(len(self.columns))]
        batch = pa.record_batch(arrays, schema=self.schema)
        if self._writer is None:
            tmp = self._open()
            self._writer.write_batch(batch)
            os.replace(tmp, self.path)
        else:
            self._writer.write_batch(batch)
        self.rows += len(rows)

    def close(self) -> None:
        """Write the rows unwritten() still holds (the flight's last, short batch), then the footer; once.
        A flight that kept no row still gets its file: the schema, no batch."""
        if self._closed:
            return
        if self.unwritten is not None:
            self.write_rows(self.unwritten())
            self.unwritten = None       # the flight it names is free to go
        tmp = self._open() if self._writer is None else None
        self._writer.close()
        self._sink.close()
        if tmp is not None:
            os.replace(tmp, self.path)
        self._writer = self._sink = None
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Recorder:
    """Where a run streams its telemetry: a folder, and the flight's name in its file's
    (file_name; the mission names each phase's with named()).  A runner calls open(columns)."""

    def __init__(self, folder: Path, flight: str = "", streams: list[Stream] | None = None):
        self.folder, self.flight = Path(folder), flight
        self.streams: list[Stream] = [] if streams is None else streams

    def named(self, flight: str) -> "Recorder":
        """The same folder, for the flight named flight (its streams closed by this one's close())."""
        return Recorder(self.folder, flight, self.streams)

    def open(self, columns: list[str]) -> Stream:
        s = Stream(self.folder / file_name(self.flight), columns)
        self.streams.append(s)
        return s

    def close(self) -> None:
        """Close every stream: an interrupted run's files hold every row flown, and open as complete ones."""
        for s in self.streams:
            s.close()


def write(path: Path, telemetry: Mapping[str, np.ndarray]) -> Path:
    """Write columns held in memory (equal lengths) as a streamed flight would have: CHUNK_ROWS per batch."""
    columns = list(telemetry)
    n = len(telemetry[columns[0]]) if columns else 0
    rows = np.column_stack([np.asarray(telemetry[c], np.float64) for c in columns]) if columns else np.zeros((0, 0))
    with Stream(path, columns) as s:
        for i in range(0, n, CHUNK_ROWS):
            s.write_rows(rows[i:i + CHUNK_ROWS])
    return Path(path)


def read(path) -> pa.Table:
    """A telemetry file as a pyarrow Table: a complete one, or every whole chunk of one a kill
    cut short (its batches up to the first incomplete one)."""
    source = pa.memory_map(str(path))
    try:
        return pa.ipc.open_file(source).read_all()
    except pa.ArrowInvalid:
        pass
    source.seek(_MAGIC)
    reader = pa.ipc.open_stream(source)
    batches = []
    while True:
        try:
            batches.append(reader.read_next_batch())
        except (StopIteration, pa.ArrowInvalid, OSError):
            break
    return pa.Table.from_batches(batches, schema=reader.schema)


class Columns(Mapping):
    """A complete telemetry file read column by column as float64 arrays, each read from the
    file on first use, that column's bytes only (a run's result after streaming: the summary
    and plots read the columns they use, not the whole file, and not through a memory map,
    whose page faults would map the neighbouring columns too)."""

    def __init__(self, path):
        self.path = Path(path)
        with pa.OSFile(str(self.path)) as f:
            self._names = pa.ipc.open_file(f).schema.names
        self._loaded: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            only = pa.ipc.IpcReadOptions(included_fields=[self._names.index(name)])
            out = []
            with pa.OSFile(str(self.path)) as f:
                reader = pa.ipc.open_file(f, options=only)
                for b in range(reader.num_record_batches):
                    out.append(_values(reader.get_batch(b).column(0)))
            self._loaded[name] = np.concatenate(out) if out else np.zeros(0)
        return self._loaded[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __reduce__(self):            # to a plot worker: the path, not the columns
        return Columns, (self.path,)


def _values(a: pa.Array) -> np.ndarray:
    """A float64 column without nulls as a numpy copy: a view would keep the batch's whole body
    (every column) in memory, and to_numpy() imports pandas when it is installed (50 MB)."""
    return np.frombuffer(a.buffers()[1], np.float64)[a.offset:a.offset + len(a)].copy()


def _canonical_nans(a: np.ndarray) -> np.ndarray:
    """a as a contiguous float64 array, every NaN the one quiet NaN."""
    a = np.ascontiguousarray(a, np.float64)
    if not np.isnan(a).any():
        return a
    return np.where(np.isnan(a), np.nan, a)
