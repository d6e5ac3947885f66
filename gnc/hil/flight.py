"""A flight over a link: gnc.flight.Flight's interface (until, k, iterations, telemetry,
columns, finish, last_row, event, plant), flown step by step in Python through the same plant kernels,
with one flight computer's step taken by the board at the other end of a HIL session
(gnc.hil.session) and any other's (the rendezvous' second vehicle) in process:

    sense(k) -> [board row: sensor frame out, actuator frame back | other rows: fsw_step]
             -> record -> advance(k)

A program's runner flies through it unchanged when handed a session (`link=`): its
assembly, ground uplinks, judges and summary are those of `gnc run`.  Config changes
the runner makes between calls to until() (the rendezvous ground's plans, the go) reach
the board as uplinks, which keep the flight software's state.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Callable

import numpy as np

from gnc import interrupt
from gnc.core import fsw_c
from gnc.core.layout import AF_LEN, AF_THRUST_CMD, CF_ISP, CF_MASS0, SF_LEN
from gnc.core.loop import EV_NONE, seed_noise
from gnc.flight import telemetry_columns
from gnc.telemetry import CHUNK_ROWS

EV_ABORTED = -2      # the session ended on a link fault (plants' events are positive; EV_TEL_FULL is -1)


class HilFlight:
    def __init__(self, session, name: str, plant_module, plant, cfg: np.ndarray, fs: np.ndarray, *,
                 tel_cols: int, tel_rows: int = CHUNK_ROWS, sink=None, tel_every: int = 1, seed: int = 0,
                 board_row: int = 0,
                 fsw: str = "numba", continues: bool = False, dt: float,
                 resume: Callable[[np.ndarray, np.ndarray, float, float], np.ndarray] | None = None):
        """cfg, fs: 2-D, a row per flight computer, held (not copied): the caller may write
        uplinks into cfg between calls.  board_row: the row the board flies (its fs row
        stays unused: the state lives on the board); the others fly fsw in process.
        continues: the board's flight software goes on from its state (an uplink of the
        new config) instead of starting afresh (reset and config).  resume(cfg, last
        actuator frame, t, mass estimate) -> the config that restarts a reset board
        mid-flight; None: a board reset cannot be resumed in this program.  sink, tel_rows: as
        gnc.flight.Flight's (the telemetry streamed to a gnc.telemetry.Stream a buffer at a time)."""
        self.session, self.name, self.P, self.plant = session, name, plant_module, plant
        self.cfg, self.fs, self.board_row, self.dt = cfg, fs, board_row, dt
        self.continues, self.resume = continues, resume
        self.sf = np.zeros((len(cfg), SF_LEN))
        self.af = np.zeros((len(cfg), AF_LEN))
        self.step = fsw_c.step_kernel(fsw) if len(cfg) > 1 else None
        self.tel_every, self.tel_rows, self.tel_cols = tel_every, tel_rows, tel_cols
        self.sink = sink
        self.tel = [np.zeros((tel_rows, tel_cols))]
        self.row = 0
        if sink is not None:
            sink.unwritten = lambda: self.tel[-1][:self.row]
        self.seed = seed
        self.event = EV_NONE
        self.k = 0
        self.iterations = 0
        self.m_est = float(cfg[board_row, CF_MASS0])   # the ground's mass estimate from the thrust commands
        self.sent_cfg: np.ndarray | None = None        # the board's config as last sent

    def _warm_up(self) -> None:
        """Load or compile every kernel the step loop calls, on copies, before the clock matters."""
        p = type(self.plant)(*(copy.deepcopy(v) if isinstance(v, np.ndarray) else v for v in self.plant))
        sf, af = self.sf.copy(), self.af.copy()
        self.P.sense(0, p, sf, af)
        self.P.record(np.zeros(self.tel_cols), 0, 1, p, sf, af)
        self.P.advance(0, 1, p, af)
        if self.step is not None:
            self.step(sf[0], self.cfg[0].copy(), self.fs[0].copy(), af[0])

    def until(self, k_end: int, chunk: int | None = None,
              progress: Callable[["HilFlight"], None] | None = None) -> int:
        """Fly to step k_end or an event, as Flight.until; EV_ABORTED once the session
        has ended on a link fault (every later call too).  progress(flight) every chunk steps."""
        s = self.session
        if s.abort_reason is not None:
            self.event = EV_ABORTED
            return EV_ABORTED
        P, p, sf, af, cfg = self.P, self.plant, self.sf, self.af, self.cfg
        b = self.board_row
        try:
            if self.sent_cfg is None:
                self._warm_up()
                s.begin_flight(self)
                seed_noise(self.seed)
            elif not np.array_equal(cfg[b], self.sent_cfg):
                s.uplink(self, self.k)
            next_progress = self.k + chunk if chunk else None
            event = EV_NONE
            while self.k < k_end:
                k = self.k
                keep = self.iterations % self.tel_every == 0
                if keep and self.row >= self.tel_rows:
                    with interrupt.held():
                        if self.sink is not None:
                            self.sink.write_rows(self.tel[-1])
                        else:
                            self.tel.append(np.zeros((self.tel_rows, self.tel_cols)))
                        self.row = 0
                P.sense(k, p, sf, af)
                for v in range(len(cfg)):
                    if v == b:
                        s.exchange(self, k, sf[v], af[v])
                    else:
                        self.step(sf[v], cfg[v], self.fs[v], af[v])
                if keep:
                    P.record(self.tel[-1][self.row], k, k_end, p, sf, af)
                    self.row += 1
                self.m_est -= af[b, AF_THRUST_CMD] * self.dt / cfg[b, CF_ISP]
                steps, event = P.advance(k, k_end, p, af)
                self.k += steps
                self.iterations += 1
                s.stepped(self, k)
                if event != EV_NONE:
                    break
                if next_progress is not None and self.k >= next_progress and progress is not None:
                    progress(self)
                    next_progress = self.k + chunk
        except s.Abort as e:
            if s.stats.n == 0:
                raise              # the first handshake failed: nothing flown, no board (HandshakeError)
            s.aborted(self, str(e))
            event = EV_ABORTED
        except KeyboardInterrupt as e:
            s.aborted(self, interrupt.reason(e))
            event = EV_ABORTED
        self.event = event
        if progress is not None and event != EV_ABORTED:
            progress(self)
        return event

    def last_row(self) -> np.ndarray | None:
        """The newest telemetry row, None before the first."""
        if self.row > 0:
            return self.tel[-1][self.row - 1]
        if self.sink is not None:
            return self.tel[-1][-1] if self.sink.rows else None
        return self.tel[-2][-1] if len(self.tel) > 1 else None

    def finish(self) -> None:
        """As Flight.finish: the sink closed, the buffer's rows written."""
        if self.sink is not None:
            with interrupt.held():
                self.sink.close()

    def telemetry(self) -> np.ndarray:
        """Every row kept in memory (none with a sink), in order."""
        if self.sink is not None:
            return np.zeros((0, self.tel_cols))
        return np.concatenate(self.tel[:-1] + [self.tel[-1][:self.row]])

    def columns(self, names: list[str]) -> Mapping[str, np.ndarray]:
        """The telemetry by column name (gnc.flight.telemetry_columns)."""
        return telemetry_columns(self, names)
