"""What the campaign plots of every program share: a distribution drawn so it has no gaps
(a histogram on bin edges fitted to the data, or an ECDF when the runs are few) against its
limits, a scatter coloured by each run's outcome, and the sensitivity grid of the judged
quantities against the dispersed inputs."""
from __future__ import annotations

import numpy as np

# below this many runs a histogram is mostly empty bins and single counts: an ECDF shows every run
ECDF_BELOW = 20
OUTCOME_COLOURS = ("tab:blue", "tab:orange", "tab:red", "tab:purple", "tab:brown", "tab:gray")


def bin_edges(values: np.ndarray) -> np.ndarray:
    """Histogram bin edges over the data's own range: the fewer bins of the Freedman-Diaconis
    and Sturges rules, so a bin is wide enough that few are empty between the runs (numpy's
    'auto' takes the more, which leaves gaps in a campaign of tens of runs); a constant
    sample gets one bin around its value."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        half = max(abs(lo) * 0.01, 1e-9)
        return np.array([lo - half, hi + half])
    edges = [np.histogram_bin_edges(values, bins=rule, range=(lo, hi)) for rule in ("fd", "sturges")]
    return min(edges, key=len)


def distribution(ax, values, label: str, unit: str, limits: tuple = (), colour: str = "tab:blue",
                 missing: str = "without a value") -> None:
    """values in unit on ax (nan for a run without one: counted under the axis as `missing`):
    a histogram, or an ECDF below ECDF_BELOW runs; each (value, name) of limits a red dashed
    line, kept in view when it is within 3 times the data's span of the data, else named
    under the axis as off scale (the histogram would be a spike against it)."""
    from matplotlib.ticker import MaxNLocator

    v = np.asarray(values, float)
    finite = v[np.isfinite(v)]
    dropped = v.size - finite.size
    ax.set_xlabel(f"{label} [{unit}]" + (f"\n{dropped} run{'s' if dropped > 1 else ''} {missing}" if dropped else ""))
    ax.grid(alpha=0.3)
    if finite.size == 0:
        ax.text(0.5, 0.5, f"every run {missing}", ha="center", va="center", transform=ax.transAxes)
        return
    if finite.size < ECDF_BELOW:
        x = np.sort(finite)
        ax.step(np.concatenate([[x[0]], x]), np.arange(x.size + 1) / x.size, where="post", color=colour)
        ax.plot(x, np.arange(1, x.size + 1) / x.size, "o", ms=3, color=colour)
        ax.set_ylabel("fraction of runs drawn <= x" if dropped else "fraction of runs <= x")
        ax.set_ylim(0, 1.05)
    else:
        ax.hist(finite, bins=bin_edges(finite), color=colour, alpha=0.8)
        ax.set_ylabel("runs")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    lo, hi = float(finite.min()), float(finite.max())
    reach = 3.0 * max(hi - lo, abs(hi) * 0.05, 1e-12)
    near = [(v, n) for v, n in limits if lo - reach <= v <= hi + reach]
    far = [(v, n) for v, n in limits if (v, n) not in near]
    for value, _ in near:
        ax.axvline(value, color="tab:red", ls="--")
    if near:
        ax.legend(ax.lines[-len(near):][:1], [f"{named(near)} {unit}"], fontsize=7, loc="best")
    if far:
        ax.set_xlabel(f"{ax.get_xlabel()}\n{named(far)} {unit} off scale")


def named(limits) -> str:
    """Limits as text: 'limit 3', 'min 0.05, max 0.2'; a name with the limits -x and x: 'limit ±x'."""
    by_name: dict[str, list[float]] = {}
    for value, name in limits:
        by_name.setdefault(name, []).append(value)
    parts = []
    for name, values in by_name.items():
        if len(values) == 2 and values[0] == -values[1]:
            parts.append(f"{name} ±{abs(values[0]):g}")
        else:
            parts.append(", ".join(f"{name} {v:g}" for v in values))
    return ", ".join(parts)


def by_outcome(ax, x, y, outcomes, success: str) -> None:
    """Points (x, y) coloured by each run's outcome, success first in blue, each outcome
    drawn once in a fixed colour (the legend is left to the caller)."""
    x, y, outcomes = np.asarray(x, float), np.asarray(y, float), np.asarray(outcomes)
    for kind, colour in zip(outcome_order(outcomes, success), OUTCOME_COLOURS):
        sel = outcomes == kind
        ax.scatter(x[sel], y[sel], s=9 if kind == success else 16, c=colour, marker="o" if kind == success else "x",
                   label=kind.replace("_", " "), linewidths=1)


def outcome_order(outcomes, success: str) -> list[str]:
    """The distinct outcomes, success first, then the rest by name (each keeps its colour)."""
    kinds = sorted(set(str(o) for o in outcomes))
    return sorted(kinds, key=lambda k: (k != success, k))


def sensitivity_grid(path, outcomes, success: str, rows, columns, title: str):
    """Each judged quantity of rows, (axis label, value per run, note under the label), against
    each dispersed input of columns, (axis label, value per run): one point per run coloured by
    its outcome (by_outcome), axes shared along each row and column, written to path: which
    input drives which quantity toward its limit."""
    from matplotlib.ticker import MaxNLocator

    from gnc.plotting import layout, pyplot, save_png

    plt = pyplot()
    n_rows, n_cols = len(rows), len(columns)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.55 * n_cols + 1.2, 1.3 * n_rows + 1.3), sharex="col",
                             sharey="row", squeeze=False)
    for i, (label, y, note) in enumerate(rows):
        for j, (input_label, x) in enumerate(columns):
            ax = axes[i, j]
            by_outcome(ax, x, y, outcomes, success)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=6)
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            if i == n_rows - 1:
                ax.set_xlabel(input_label, fontsize=7)
            if j == 0:
                ax.set_ylabel(label + (f"\n{note}" if note else ""), fontsize=7)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8, ncol=len(outcome_order(outcomes, success)))
    fig.suptitle(title, fontsize=10)
    layout(fig, left=0.95, right=0.15, top=0.6, bottom=0.55, wspace=0.12, hspace=0.12)
    save_png(fig, path)
    plt.close(fig)
    return path


def worst_share(values, limit: float | None, of: str = "limit") -> str:
    """'worst 89 % of limit': the largest |value| as a share of limit ('' without a limit or a
    value).  Shown as a share, not a line: drawn, the limit would squeeze the points into a row."""
    v = np.abs(np.asarray(values, float))
    if not limit or not np.isfinite(v).any():
        return ""
    return f"worst {100 * np.nanmax(v) / limit:.0f} % of {of}"
