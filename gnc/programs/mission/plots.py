"""PNG plots of a mission run: each phase's own, from the phases it flew, and the
mission's timeline (mission_timeline.png): who flies what over the ~100 hours, the
ascender's four phasing burns, and each program's phases at their own time scale."""
from __future__ import annotations

from pathlib import Path

from gnc.plotting import layout, pyplot, save_png, title
from gnc.programs.ascent import plots as ascent
from gnc.programs.descent import plots as descent
from gnc.programs.rendezvous import plots as rendezvous

PHASES = {"descent": descent, "ascent": ascent, "rendezvous": rendezvous}
NAMES = ("mission_timeline",) + tuple(name for phase in PHASES.values() for name in phase.NAMES)
SLOW = descent.SLOW + ("ascent_profile",)


def prepare(scenario, seed: int) -> None:
    """The descent's prepare (gnc.plotworkers), for the descent scenario the mission flies."""
    from gnc.scenario import load

    descent.prepare(load(scenario.phases.descent), seed)


def plot(result, out: Path, only=None) -> dict[str, Path]:
    """Each phase's plots (or those of them in only) into out."""
    written = {}
    if only is None or "mission_timeline" in only:
        written["mission_timeline"] = timeline(result.summary, Path(out) / "mission_timeline.png")
    for name, phase in PHASES.items():
        if name in result.phases:
            written.update(phase.plot(result.phases[name], out, only))
    return written


def lanes(summary: dict) -> tuple[dict[str, list], list[tuple[float, str, float]], float]:
    """The mission clock's segments per vehicle {lane: [(start_h, end_h, label, colour)]},
    the ascender's burns [(t_h, name, dv)] and the clock's end (h), from the summary."""
    t = summary["timeline_h"]
    asc = summary.get("ascent", {})
    far = summary.get("rendezvous", {}).get("far_range", {})
    td, liftoff, insertion = t["touchdown"], t["liftoff"], t["insertion"]
    handover, capture = t.get("handover"), t.get("capture")
    end = (capture or handover or insertion) + 2.0
    origin = liftoff - asc.get("liftoff_s", 0.0) / 3600.0          # the ascent's clock, whose time the burns carry
    burns = [(origin + b["t_s"] / 3600.0, name, b["dv_mps"]) for name, b in far.get("burns", {}).items()]
    docked = [(capture, end, "docked", "C4")] if capture else []
    # from the hand-over both vehicles fly the rendezvous: the ascender as its target
    closing = [(handover, capture or end, "rendezvous", "C3")] if handover else []
    spans = {
        "lander": [(0.0, td, "descent", "C0"), (td, end, "on the surface", "0.82")],
        "ascender": [(td, liftoff, "on the lander", "0.82"), (liftoff, insertion, "ascent", "C1"),
                     (insertion, handover or end, "phasing, ground-guided", "C2")] + closing + docked,
        "orbiter-returner": [(0.0, handover or end, "in orbit", "0.88")] + closing + docked,
    }
    return spans, burns, end


def _gantt(ax, phases: list[dict], scale: float, unit: str, name: str) -> None:
    """One row per phase of a program, its span at the program's own clock / scale."""
    rows = [p for p in phases if p["end_s"] > p["start_s"] and p["name"] != "idle"]
    t0 = rows[0]["start_s"] if rows else 0.0
    for i, p in enumerate(rows):
        ax.broken_barh([((p["start_s"] - t0) / scale, (p["end_s"] - p["start_s"]) / scale)], (i - 0.35, 0.7),
                       color=f"C{i % 10}")
    ax.set_yticks(range(len(rows)), [p["name"].replace("_", " ") for p in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(left=0.0)
    ax.set_xlabel(f"{unit} from {rows[0]['name'].replace('_', ' ') if rows else 'start'}")
    ax.set_title(name, fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)


def timeline(summary: dict, path: Path) -> Path:
    """mission_timeline.png: the whole mission by vehicle with the phasing burns (top), and
    the descent, ascent and rendezvous phases each at its own scale (bottom)."""
    plt = pyplot()
    segments_of, burns, end = lanes(summary)
    fig = plt.figure(figsize=(10, 7.2))
    grid = fig.add_gridspec(2, 3, height_ratios=(1.0, 1.25))
    top = fig.add_subplot(grid[0, :])
    fig.suptitle(f"{title(summary)}: mission timeline")
    keys = {}
    for y, (lane, segments) in enumerate(reversed(segments_of.items())):
        for start, stop, label, colour in segments:
            bars = top.broken_barh([(start, stop - start)], (y - 0.3, 0.6), color=colour)
            if stop - start > 0.08 * end:                   # wide enough to hold its name
                top.text(0.5 * (start + stop), y, label, ha="center", va="center", fontsize=8)
            else:                                           # too narrow: named in the key
                keys.setdefault(label, (start, bars))
    ascender_y = list(reversed(segments_of)).index("ascender")
    for i, (t_h, name, dv) in enumerate(burns):
        top.plot([t_h], [ascender_y + 0.3], marker="v", color="k", ms=6)
        # B3 and B4 are an hour apart on a 100 h axis: alternate heights keep their labels apart
        top.annotate(f"{name} {dv:.1f} m/s", (t_h, ascender_y + 0.3), xytext=(0, 6 + 11 * (i % 2)),
                     textcoords="offset points", ha="center", fontsize=7.5)
    t = summary["timeline_h"]
    for key in ("touchdown", "liftoff", "capture"):
        if t.get(key) is not None:
            top.axvline(t[key], color="k", lw=0.6, ls=":")
            top.text(t[key], -0.75, f" {key} {t[key]:.1f} h", fontsize=7.5, va="top",
                     ha="right" if key == "capture" else "left")
    if keys:
        named = sorted(keys.items(), key=lambda kv: kv[1][0])          # in the order they happen
        top.legend([bars for _, (_, bars) in named], [label for label, _ in named], loc="lower center",
                   bbox_to_anchor=(0.5, 1.0), ncol=len(named), fontsize=8, frameon=False)
    top.set_yticks(range(len(segments_of)), list(reversed(segments_of)))
    top.set_ylim(-1.2, len(segments_of) - 0.2)
    top.set_xlim(0.0, end)
    top.set_xlabel("mission time from powered descent initiation (h)")
    top.grid(True, axis="x", alpha=0.3)
    zooms = (("descent", 1.0, "s"), ("ascent", 1.0, "s"), ("rendezvous", 3600.0, "h"))
    for col, (program, scale, unit) in enumerate(zooms):
        ax = fig.add_subplot(grid[1, col])
        phases = summary.get(program, {}).get("phases", [])
        _gantt(ax, phases, scale, unit, program)
    layout(fig, left=1.45, right=0.2, top=0.95, bottom=0.55, wspace=1.45, hspace=0.85)
    save_png(fig, path)
    plt.close(fig)
    return path
