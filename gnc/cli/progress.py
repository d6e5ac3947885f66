"""The progress of a long command, on standard error.

On a terminal, a tqdm bar that redraws itself in place.  Off one (a CI log, a pipe, a
file) redraws would pile up as carriage returns, so the same progress comes as a plain
line when the command starts, every GNC_PROGRESS_S seconds (default 10) after that, and
once at the end.

One object serves every command: a run calls it with (fraction, status), a campaign
calls .count(done, total), a HIL session calls .status(text), and any of them may say it
is compiling first (the cold numba cache; the line then counts the seconds until the
first progress comes).
"""
from __future__ import annotations

import os
import threading
import time

from tqdm import tqdm

PERIOD_ENV = "GNC_PROGRESS_S"
DEFAULT_PERIOD_S = 10.0
COMPILING = "compiling the flight code, once"


def period_s() -> float:
    """Seconds between two progress lines off a terminal (GNC_PROGRESS_S, default 10)."""
    text = os.environ.get(PERIOD_ENV, "")
    try:
        value = float(text) if text else DEFAULT_PERIOD_S
    except ValueError:
        value = DEFAULT_PERIOD_S
    return value if value >= 0.0 else DEFAULT_PERIOD_S


def progress(stream, label: str, compiling: bool = False, quiet: bool = False):
    """The progress display of a command on stream: a Bar on a terminal, Lines off one,
    None when quiet."""
    if quiet:
        return None
    if stream.isatty():
        return Bar(stream, label, compiling)
    return Lines(stream, label, compiling, period_s())


class Progress:
    """What Bar and Lines share: the callbacks, the compiling ticker, the lock that keeps
    the ticker's and the command's writes apart."""

    def __init__(self, stream, label: str, compiling: bool, tick_s: float):
        self.stream, self.label = stream, label
        self.t0 = time.monotonic()
        self._lock = threading.RLock()
        self._started = threading.Event()
        self._closed = False
        if compiling:
            threading.Thread(target=self._tick, args=(tick_s,), daemon=True).start()

    def _tick(self, every: float) -> None:
        while not self._started.wait(every):
            with self._lock:
                if self._started.is_set():
                    return
                self.show_compiling(time.monotonic() - self.t0)

    def __call__(self, fraction: float, status: str) -> None:
        """A run's progress: fraction 0 .. 1 of the flight, status the phase."""
        self._started.set()
        with self._lock:
            if not self._closed:
                self.show(min(max(fraction, 0.0), 1.0), f"{fraction:4.0%}", status)

    def count(self, done: int, total: int) -> None:
        """A campaign's progress: done of total runs."""
        self._started.set()
        with self._lock:
            if not self._closed:
                self.show(done / total if total else 1.0, f"{done}/{total} runs", "")

    def status(self, text: str) -> None:
        """A session's progress, told as one line of text (no fraction)."""
        self._started.set()
        with self._lock:
            if not self._closed:
                self.show(None, "", text)

    def close(self) -> None:
        """The end: the last state stays visible (a line off a terminal, the bar on one)."""
        self._started.set()
        with self._lock:
            if not self._closed:
                self._closed = True
                self.finish(time.monotonic() - self.t0)

    def show_compiling(self, seconds: float) -> None:
        raise NotImplementedError

    def show(self, fraction: float | None, amount: str, status: str) -> None:
        raise NotImplementedError

    def finish(self, seconds: float) -> None:
        raise NotImplementedError


class StatusTqdm(tqdm):
    """tqdm with a free-text field, {status}, for the bar's format."""

    status = ""

    @property
    def format_dict(self):
        return {**super().format_dict, "status": self.status}


class Bar(Progress):
    """A tqdm bar on a terminal: redrawn in place at most ten times a second."""

    STEPS = 1000     # the bar's resolution: a run's fraction in tenths of a per cent
    BAR = "{desc} |{bar:24}| {status}  {elapsed}"
    LINE = "{desc} {status}  {elapsed}"       # a session: no fraction to show

    def __init__(self, stream, label: str, compiling: bool = False):
        self._bar = StatusTqdm(total=self.STEPS, file=stream, desc=label, leave=False, dynamic_ncols=True,
                               mininterval=0.1, bar_format=self.LINE if compiling else self.BAR)
        super().__init__(stream, label, compiling, 1.0)
        if compiling:
            self.show_compiling(0.0)

    def show_compiling(self, seconds: float) -> None:
        self._bar.status = COMPILING
        self._bar.refresh()

    def show(self, fraction, amount, status):
        bar = self._bar
        bar.bar_format = self.LINE if fraction is None else self.BAR
        bar.status = f"{amount}  {status}".strip()
        target = round((fraction or 0.0) * self.STEPS)
        if target == self.STEPS:
            bar.n = target
            bar.refresh()                    # the end, however soon after the last redraw: it may stay a while
        elif target != bar.n:
            bar.update(target - bar.n)       # redraws when mininterval has passed
        elif time.monotonic() - bar.last_print_t >= bar.mininterval:
            bar.refresh()                    # a new status alone

    def finish(self, seconds):
        self._bar.close()        # leave=False: the line is cleared for the report that follows


class Lines(Progress):
    """Plain lines off a terminal: at the first progress, then every period_s, then at the end."""

    def __init__(self, stream, label: str, compiling: bool, period: float):
        self.period = period
        self._last_line = -float("inf")
        self._last = ""
        super().__init__(stream, label, compiling, max(period, 0.05))

    def _line(self, text: str) -> None:
        self.stream.write(f"{self.label}: {text}\n")
        self.stream.flush()
        self._last_line = time.monotonic()

    def show_compiling(self, seconds: float) -> None:
        self._line(f"{COMPILING}: {seconds:.0f} s")

    def show(self, fraction, amount, status):
        self._last = f"{amount}  {status}".strip()
        if time.monotonic() - self._last_line >= self.period:
            self._line(f"{self._last}  ({time.monotonic() - self.t0:.0f} s)")

    def finish(self, seconds):
        self._line(f"{self._last + '  ' if self._last else ''}({seconds:.1f} s in all)")
