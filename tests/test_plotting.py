"""The plots' shared helpers: cutting long series must not lose what a figure shows."""
from __future__ import annotations

import os

import numpy as np
import pytest

from gnc.plotting import COLUMNS, envelope, light_ticks, plain, plain_log_labels, pyplot
from gnc.plotworkers import PlotWorkers


def test_envelope_keeps_a_one_sample_spike_and_dip():
    rng = np.random.default_rng(3)
    y = rng.normal(0.0, 1.0, 100_003)           # not a multiple of the bucket size: the tail bucket counts too
    y[54_321] = 1e3                              # one sample far above the rest
    y[7] = -5e2
    y[-2] = 7e2                                  # in the last, partial bucket
    keep = envelope(np.arange(len(y)), y)
    assert len(keep) <= 4 * COLUMNS + 4          # cut: far fewer rows than the series
    assert y[keep].max() == 1e3 and y[keep].min() == -5e2
    assert 100_001 in keep
    assert keep[0] == 0 and keep[-1] == len(y) - 1
    assert np.all(np.diff(keep) > 0)             # ascending, each row once


def test_envelope_keeps_each_columns_extremes_of_every_series():
    """Per run of consecutive rows, the lowest and highest of each series survive: the
    drawn line covers the same pixels as the whole series."""
    rng = np.random.default_rng(4)
    n, columns = 50_000, 100
    a, b = rng.normal(size=n), rng.normal(size=n)
    index = np.arange(1_000, n)                  # a sub-range of rows, as a zoomed panel takes
    keep = envelope(index, a, b, columns=columns)
    run = -(-len(index) // columns)
    for start in range(0, len(index), run):
        rows = index[start:start + run]
        kept = keep[(keep >= rows[0]) & (keep <= rows[-1])]
        for y in (a, b):
            assert y[kept].max() == y[rows].max() and y[kept].min() == y[rows].min()


def test_envelope_leaves_short_series_whole():
    index = np.arange(10, 30)
    assert np.array_equal(envelope(index, np.zeros(40)), index)


def test_plain_log_labels_read_as_matplotlibs():
    assert plain(r"$\mathdefault{10^{-2}}$") == "10⁻²"
    assert plain(r"$\mathdefault{-10^{1}}$") == "−10¹"
    assert plain(r"$\mathdefault{0}$") == "0"
    assert plain(r"$\mathdefault{2\times10^{3}}$") == "2×10³"
    assert plain("") == "" and plain("12") == "12"


def _pixels(light: bool, ylim: tuple[float, float]) -> tuple[np.ndarray, list]:
    """A small figure with a log axis (and a linear one) rendered, with or without light minor ticks."""
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(4, 2.5), sharex=True)
    t = np.linspace(0.0, 10.0, 50)
    a.semilogy(t, np.geomspace(*ylim, 50), color="k")
    plain_log_labels(a)
    a.grid(True, alpha=0.3)
    b.plot(t, np.sin(t))
    if light:
        light_ticks(fig)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
    locators = [type(ax.yaxis.get_minor_locator()).__name__ for ax in (a, b)]
    plt.close(fig)
    return rgba, locators


def test_light_ticks_draw_the_same_pixels_for_less():
    before, _ = _pixels(False, (1e-3, 1e3))
    after, locators = _pixels(True, (1e-3, 1e3))
    assert locators == ["NullLocator", "NullLocator"]    # the log axis's Ticks replaced; the linear one had none
    assert np.array_equal(before, after)


def test_light_ticks_leave_labelled_minor_ticks_to_matplotlib():
    # under a decade matplotlib labels the minor ticks (2, 3, 5 ...): those stay Ticks
    before, _ = _pixels(False, (2.0, 7.0))
    after, locators = _pixels(True, (2.0, 7.0))
    assert locators[0] == "LogLocator"
    assert np.array_equal(before, after)


class _FakeProgram:
    """A program whose plots module writes one small file per figure: PlotWorkers' plumbing
    without a flight or matplotlib's drawing (the worker still imports matplotlib)."""

    NAMES = ("a", "b", "c", "d", "e")

    def __init__(self, fail: str = ""):
        self.fail = fail

    def part(self, module):
        return self

    def plot(self, result, out, only=None):
        written = {}
        for name in self.NAMES if only is None else sorted(only):
            if name == self.fail:
                raise ValueError(f"figure {name} failed")
            path = out / f"{name}.png"
            path.write_text(f"{result['run']} {os.getpid()}")
            written[name] = path
        return written


def test_plot_workers_draw_every_figure_in_the_programs_order(tmp_path):
    workers = PlotWorkers(_FakeProgram(), None, 0, processes=2)
    try:
        workers.start({"run": "r1"}, tmp_path)
        written = workers.wait()
    finally:
        workers.close()
    assert list(written) == list(_FakeProgram.NAMES)
    assert all(p.read_text().startswith("r1 ") for p in written.values())


def test_a_failed_figure_fails_the_run_with_its_traceback(tmp_path):
    workers = PlotWorkers(_FakeProgram(fail="c"), None, 0, processes=2)
    try:
        workers.start({"run": "r1"}, tmp_path)
        with pytest.raises(RuntimeError, match="figure c failed"):
            workers.wait()
    finally:
        workers.close()


def test_closing_before_the_result_leaves_no_worker(tmp_path):
    workers = PlotWorkers(_FakeProgram(), None, 0, processes=2)
    pid = workers.pid
    workers.close()                              # as a failed flight or a Ctrl-C does
    if pid is not None:                          # None: drawn in process (one core, other threads)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not list(tmp_path.iterdir())
