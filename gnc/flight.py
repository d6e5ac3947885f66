"""A flight in progress: a program's compiled loop (gnc.core.loop) driven from Python.

Flight holds what crosses from call to call: the plant, the frames (one row per flight
computer), the loop counters, the telemetry buffers and the noise seed.  `until(k)` flies
to step k or an event, in chunks when the caller wants progress between them, and grows
the telemetry when a buffer fills.  Every program's runner flies through it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from gnc.core import loop
from gnc.core.layout import AF_LEN, SF_LEN


class Flight:
    def __init__(self, fly_loop, plant, cfg: np.ndarray, fs: np.ndarray, tel_cols: int, tel_rows: int,
                 tel_every: int = 1, seed: int = 0):
        """fly_loop: a compiled loop (gnc.programs.loops.loop); cfg, fs: 2-D, a row per flight
        computer, held (not copied): the caller may write uplinks into cfg between calls."""
        self.fly_loop, self.plant, self.cfg, self.fs = fly_loop, plant, cfg, fs
        self.sf = np.zeros((len(cfg), SF_LEN))
        self.af = np.zeros((len(cfg), AF_LEN))
        self.ctr = loop.counters()
        self.tel_every, self.tel_rows, self.tel_cols = tel_every, tel_rows, tel_cols
        self.tel = [np.zeros((tel_rows, tel_cols))]
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
        event = loop.EV_NONE
        while self.k < k_end:
            k1 = min(self.k + chunk, k_end) if chunk else k_end
            event = self.fly_loop(self.plant, self.sf, self.cfg, self.fs, self.af, self.tel[-1], self.tel_every,
                                  k1, self.seed, self.ctr)
            self.seed = -1
            self.event = event
            if event == loop.EV_TEL_FULL:
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
        return self.tel[-2][-1] if len(self.tel) > 1 else None

    def telemetry(self) -> np.ndarray:
        """Every row written, in order."""
        return np.concatenate(self.tel[:-1] + [self.tel[-1][:int(self.ctr[loop.C_ROW])]])
