"""What every program's plots share: matplotlib without a display, series thinned to what a
figure can show, PNGs replaced atomically, one title line."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MAX_POINTS = 4000       # per curve: a 50 Hz descent has ~50k rows, far more than a figure shows
DPI = 110


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def thin(index: np.ndarray) -> np.ndarray:
    """At most MAX_POINTS of these row indices, evenly spaced, always keeping the last."""
    if len(index) <= MAX_POINTS:
        return index
    stride = -(-len(index) // MAX_POINTS)
    return np.r_[index[::stride], index[-1]]


def title(summary: dict) -> str:
    return f"{summary['scenario']}, seed {summary['seed']}: {summary['outcome']}"


def save_png(fig, path: Path) -> None:
    """fig as a PNG at path, replacing it atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, dpi=DPI, format="png")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
