"""What every program's plots share: matplotlib without a display, long series cut to what a
figure can show with their extremes kept, a fixed layout, plain-text log-axis labels, PNGs
replaced atomically, one title line.

Where a plot's time goes (docs/benchmarks.md, "Run timing"): matplotlib's automatic layouts
draw the whole figure once more to measure it, log-axis labels go through its TeX parser,
and every tick is five artists, made and copied one by one, beyond the view too; all three
are avoided here (layout, plain_log_labels, light_ticks).  Drawing the lines themselves is
cheap."""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

DPI = 110
PNG_LEVEL = 3
# per-series buckets: at least the pixel columns of the widest axes drawn (12 in at 110 dpi,
# less the margins), so that a bucket is never wider than a pixel column
COLUMNS = 1400


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # titles just above their axes: left to matplotlib (None), each one's place is found by
    # measuring the axes' tick labels, a tenth of a figure's drawing; no axes here has any on top
    matplotlib.rcParams["axes.titley"] = 1.0
    return plt


def envelope(index: np.ndarray, *series: np.ndarray, columns: int = COLUMNS) -> np.ndarray:
    """These row indices (ascending) cut to what a line of each series can show: split into
    `columns` runs of consecutive rows, each keeps its first and last row and the rows of
    every series' lowest and highest value.  Drawn as a line, the result covers the same
    pixels as every row would: a one-sample spike still sets its column's extreme."""
    index = np.asarray(index)
    if len(index) <= 4 * columns:
        return index
    run = -(-len(index) // columns)                 # rows per bucket, rounded up
    whole = len(index) // run * run                 # the rows of the full buckets; the rest is one more
    starts = np.arange(0, whole, run)
    keep = [index[::run], index[run - 1::run], index[-1:]]
    for y in series:
        v = np.asarray(y)[index]
        body = v[:whole].reshape(-1, run)
        keep += [index[starts + np.nanargmin(body, axis=1)], index[starts + np.nanargmax(body, axis=1)]]
        if whole < len(index):
            tail = v[whole:]
            keep.append(index[whole + np.array([np.nanargmin(tail), np.nanargmax(tail)])])
    return np.unique(np.concatenate(keep))


def layout(fig, left: float = 0.9, right: float = 0.25, top: float = 0.75, bottom: float = 0.6,
           wspace: float = 0.75, hspace: float = 0.85) -> None:
    """Place fig's subplot grid with fixed margins and gaps, in inches.  tight_layout and
    constrained layout measure every text by drawing the figure once more, which cost about
    as much as the drawing itself; each figure here knows what its margins hold."""
    w, h = fig.get_size_inches()
    nrows, ncols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry()
    ax_w = (w - left - right - (ncols - 1) * wspace) / ncols
    ax_h = (h - top - bottom - (nrows - 1) * hspace) / nrows
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h,
                        wspace=wspace / ax_w, hspace=hspace / ax_h)


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def plain(label: str) -> str:
    """A log-axis label in plain text: '$\\mathdefault{-10^{-2}}$' -> '−10⁻²'.  matplotlib
    writes these labels in TeX syntax and parses each one with its mathtext parser, the
    slowest step of drawing a log axis; the same glyphs as text look the same."""
    if not label.startswith("$"):
        return label
    s = label.strip("$").replace(r"\mathdefault", "").replace(r"\times", "×").replace(r"\cdot", "·")
    s = re.sub(r"\^\{([^}]*)\}", lambda m: m.group(1).translate(_SUPERSCRIPT), s)
    return s.replace("{", "").replace("}", "").replace("-", "−")


def plain_log_labels(*axes, which: str = "y") -> None:
    """Give these axes' log or symlog scales (set before) plain-text tick labels (plain())."""
    from matplotlib.ticker import Formatter

    class Plain(Formatter):
        """The scale's own formatter, its labels passed through plain()."""

        def __init__(self, inner):
            self.inner = inner

        def set_axis(self, axis):
            super().set_axis(axis)
            self.inner.set_axis(axis)

        def set_locs(self, locs):
            self.inner.set_locs(locs)

        def __call__(self, x, pos=None):
            return plain(self.inner(x, pos))

    for ax in axes:
        for axis in ([ax.xaxis] if "x" in which else []) + ([ax.yaxis] if "y" in which else []):
            axis.set_major_formatter(Plain(axis.get_major_formatter()))
            axis.set_minor_formatter(Plain(axis.get_minor_formatter()))


def _in_view(axis, locs: np.ndarray) -> np.ndarray:
    """The locs an Axis draws ticks at: those inside its view interval, compared in scale
    space within 1e-10 of its width, as matplotlib's Axis does."""
    lo, hi = np.sort(axis.get_transform().transform(np.sort(axis.get_view_interval())))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = axis.get_transform().transform(locs)
    tol = 1e-10 * (hi - lo)
    return locs[(t >= lo - tol) & (t <= hi + tol)]


def _light_marks(axis):
    """[(tick line, in-view locs)] to draw this axis's unlabelled minor ticks with, or None if
    matplotlib must draw them (labelled, gridded, none)."""
    from matplotlib.ticker import NullLocator

    if isinstance(axis.get_minor_locator(), NullLocator) or not axis.get_visible():
        return None
    locs = _in_view(axis, np.asarray(axis.get_minorticklocs(), float))
    tick = axis.get_minor_ticks(1)[0]           # the template the Axis copies every minor tick from
    labelled = (tick.label1.get_visible() or tick.label2.get_visible()) and any(
        axis.minor.formatter.format_ticks(locs))
    if labelled or tick.gridline.get_visible():
        return None
    return [(line, locs) for line in (tick.tick1line, tick.tick2line) if line.get_visible()]


def light_ticks(fig) -> None:
    """Fewer matplotlib Ticks for fig's axes, the same pixels: a Tick is five artists (two
    marks, a grid line, two labels) whose making and drawing cost half of a figure with log
    axes.  The unlabelled minor ticks (a log axis has ~8 a decade) become one line of tick
    markers per axis side; the major ticks are only those in view (a locator also returns
    one or two beyond each end, which matplotlib makes and then does not draw).  Call once
    the limits are final: the ticks are placed now."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, NullLocator

    # an axes with a fixed aspect sets its limits as it draws: its ticks are left to matplotlib
    free = [ax for ax in fig.axes if ax.get_aspect() == "auto"]
    groups: dict[int, list] = {}                # axes sharing a ticker (sharex) change together
    for ax in free:
        for axis in (ax.xaxis, ax.yaxis):
            groups.setdefault(id(axis.minor), []).append((ax, axis))
    for members in groups.values():
        marks = [_light_marks(axis) for _, axis in members]
        if any(m is None for m in marks):
            continue
        for (ax, axis), lines in zip(members, marks):
            for line, locs in lines:
                other = np.full(len(locs), line.get_xdata()[0] if axis is ax.yaxis else line.get_ydata()[0])
                m = Line2D([], [])
                m.update_from(line)             # marker, size, width, colour, axis-blended transform
                m.set_data((other, locs) if axis is ax.yaxis else (locs, other))
                m.set_zorder(axis.get_zorder())
                ax.add_artist(m)
                m.set_clip_on(False)            # add_artist clips to the axes: the ticks lie outside
            axis.set_minor_locator(NullLocator())
    for ax in free:
        for axis in (ax.xaxis, ax.yaxis):
            if not isinstance(axis.get_major_locator(), (NullLocator, FixedLocator)):
                axis.set_major_locator(FixedLocator(_in_view(axis, np.asarray(axis.get_majorticklocs(), float))))


def title(summary: dict) -> str:
    return f"{summary['scenario']}, seed {summary['seed']}: {summary['outcome']}"


def save_png(fig, path: Path) -> None:
    """fig as a PNG at path, replacing it atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    light_ticks(fig)
    try:
        # zlib level 3, not 6: half the encoding time for files ~7 % larger
        fig.savefig(tmp, dpi=DPI, format="png", pil_kwargs={"compress_level": PNG_LEVEL})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
