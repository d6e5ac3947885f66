"""A flight in progress: a program's compiled loop (gnc.core.loop) driven from Python.

Flight holds what crosses from call to call: the plant, the frames (one row per flight
computer), the loop counters, the telemetry buffer and the noise seed.  `until(k)` flies
to step k or an event, in chunks when the caller wants progress between them.

Telemetry goes into a buffer of gnc.telemetry.CHUNK_ROWS rows.  With a sink (a
gnc.telemetry.Stream) a full buffer is appended to the file as one record batch and
reused, so memory does not grow with the flight, and closing the sink (finish(), or the
run's Recorder on Ctrl-C) writes the rows left; without one the full buffers are kept in
memory (telemetry() joins them).  A buffer fills at the same rows whatever the steps per
call, so the file is the same bytes however it is flown.
Every program's runner flies through it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

import numpy as np

from gnc import interrupt
from gnc.core import loop
from gnc.core.layout import AF_LEN, SF_LEN
from gnc.telemetry import CHUNK_ROWS, Columns


class Flight:
    def __init__(self, fly_loop, plant, cfg: np.ndarray, fs: np.ndarray, tel_cols: int, tel_every: int = 1,
                 seed: int = 0, sink=None, tel_rows: int | None = None):
        """fly_loop: a compiled loop (gnc.programs.loops.loop); cfg, fs: 2-D, a row per flight
        computer, held (not copied): the caller may write uplinks into cfg between calls.
        sink: a gnc.telemetry.Stream the telemetry streams to, None to keep it in memory;
        tel_rows: rows per buffer (default CHUNK_ROWS, read when called: a test sets it)."""
        tel_rows = tel_rows or CHUNK_ROWS
        self.fly_loop, self.plant, self.cfg, self.fs = fly_loop, plant, cfg, fs
        self.sf = np.zeros((len(cfg), SF_LEN))
        self.af = np.zeros((len(cfg), AF_LEN))
        self.ctr = loop.counters()
        self.tel_every, self.tel_rows, self.tel_cols = tel_every, tel_rows, tel_cols
        self.sink = sink
        self.tel = [np.zeros((tel_rows, tel_cols))]
        if sink is not None:        # written when the sink closes, also on Ctrl-C or SIGTERM
            sink.unwritten = lambda: self.tel[-1][:int(self.ctr[loop.C_ROW])]
        self.seed = seed
        self.event = loop.EV_NONE    # the last call's

    @property
    def k(self) -> int:
        """The next step to fly."""
        return int(self.ctr[loop.C_K])

    @property
    def iterations(self) -> int:
        return int(self.ctr[loop.C_ITER])

    def until(self, k_end: int, chunk: int | None = None,
              progress: Callable[["Flight"], None] | None = None) -> int:
        """Fly to step k_end or an event; returns the event (gnc.core.loop EV_NONE or the
        plant's).  chunk: steps per call into compiled code, progress(flight) after each."""
        event, k1 = loop.EV_NONE, self.k
        while self.k < k_end:
            if self.k >= k1:            # not after a full buffer: the chunk goes on to its end
                k1 = min(self.k + chunk, k_end) if chunk else k_end
            args = (self.plant, self.sf, self.cfg, self.fs, self.af, self.tel[-1], self.tel_every, k1, self.seed,
                    self.ctr)
            if self.seed >= 0:          # the first call: a cold loop compiles its parts side by side first
                from gnc.programs.loops import compile_parts
                compile_parts(self.fly_loop, args)
            event = self.fly_loop(*args)
            self.seed = -1
            self.event = event
            if event == loop.EV_TEL_FULL:
                with interrupt.held():      # a Ctrl-C here would write the chunk twice or not at all
                    if self.sink is not None:
                        self.sink.write_rows(self.tel[-1])
                    else:
                        self.tel.append(np.zeros((self.tel_rows, self.tel_cols)))
                    self.ctr[loop.C_ROW] = 0
                continue
            if progress is not None:
                progress(self)
            if event != loop.EV_NONE:
                break
        return event

    def last_row(self) -> np.ndarray | None:
        """The newest telemetry row, None before the first."""
        row = int(self.ctr[loop.C_ROW])
        if row > 0:
            return self.tel[-1][row - 1]
        if self.sink is not None:       # the buffer just went to the file and still holds it
            return self.tel[-1][-1] if self.sink.rows else None
        return self.tel[-2][-1] if len(self.tel) > 1 else None

    def finish(self) -> None:
        """Close the sink: the rows still in the buffer (the flight's last, short batch), the footer."""
        if self.sink is not None:
            with interrupt.held():
                self.sink.close()

    def telemetry(self) -> np.ndarray:
        """Every row kept in memory (none with a sink), in order."""
        if self.sink is not None:
            return np.zeros((0, self.tel_cols))
        return np.concatenate(self.tel[:-1] + [self.tel[-1][:int(self.ctr[loop.C_ROW])]])

    def columns(self, names: list[str]) -> Mapping[str, np.ndarray]:
        """The telemetry by column name: read back from the file when streamed (after finish()),
        else copied from memory."""
        return telemetry_columns(self, names)


def telemetry_columns(flight, names: list[str]) -> Mapping[str, np.ndarray]:
    """A flight's (Flight's, HilFlight's) telemetry by column name, streamed or in memory."""
    if flight.sink is not None:
        flight.finish()
        return Columns(flight.sink.path)
    tel = flight.telemetry()
    return {name: tel[:, i].copy() for i, name in enumerate(names)}
