"""Timing of a HIL link: the pacing clock of a real-time session, the per-step link
statistics a session records, and their outputs (link.json, link.arrow, link.png; the printed
report: gnc.hil.link_report).

Statistics follow the benchmarks' conventions: p50, p99 (nearest rank) and max, never
means; the loop's period, how late each frame went out, and the margin left before the
next deadline (negative = overrun) are kept apart, so a slow step and a sleep that
overshot are not confused.
"""
from __future__ import annotations

import json
import math
import time
from collections import deque
from pathlib import Path

import numpy as np
import pyarrow as pa

from gnc import wire
from gnc.core.layout import AF_BOARD_BAD, AF_BOARD_GAPS, AF_BOARD_REPEATS
from gnc.hil.link_report import LINK_JSON, REFERENCE_BAUDS
from gnc.hil.noise import injected_errors
from gnc.output import finite, replacing

SPIN_S = 200e-6          # sleep to this close to a deadline, then spin on perf_counter
LINK_SERIES, LINK_PNG = "link.arrow", "link.png"
SERIES = ("t_send", "rtt", "board_step", "late", "margin", "held")
# the board's own counters in every actuator frame (docs/protocol.md): what it could not
# decode, how often the host moved past a frame it never got, how often it answered a frame again
BOARD_COUNTERS = {"bad": AF_BOARD_BAD, "gaps": AF_BOARD_GAPS, "repeats": AF_BOARD_REPEATS}


def wait_until(deadline: float) -> float:
    """Return at perf_counter() >= deadline; returns that time.

    time.sleep alone overshoots by ~0.1 ms median and 0.5 ms at worst; sleeping to
    SPIN_S before the deadline and spinning the rest is sub-microsecond at the median
    (shared/reference/performance_notes.md, "Python pacing jitter")."""
    now = time.perf_counter()
    if deadline - now > SPIN_S:
        time.sleep(deadline - now - SPIN_S)
    while now < deadline:
        now = time.perf_counter()
    return now


def percentile(samples, p: float) -> float:
    """Nearest rank, so p99 of fewer than 100 samples is the max."""
    s = np.sort(np.asarray(samples, float))
    return float(s[max(0, math.ceil(p / 100.0 * len(s)) - 1)])


def spread(samples) -> dict | None:
    """p50 / p99 / max / n of the finite samples; None when there are none."""
    x = np.asarray(samples, float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return None
    return {"p50": percentile(x, 50), "p99": percentile(x, 99), "max": float(x.max()), "n": int(len(x))}


def round_trip_wire_time(baud: float) -> float:
    """Seconds for one sensor frame out and one actuator frame back at 8N1, back to back."""
    return wire.wire_time(wire.MSG["sensor"], baud) + wire.wire_time(wire.MSG["actuator"], baud)


def corrupted_in_flight(decoder: dict, handshakes: list[dict]) -> int:
    """Messages the decoder dropped, less those heard before a handshake's hello (the tail
    of whatever the board was sending when the port opened)."""
    dropped = sum(v for kind, v in decoder.items() if kind != "messages")
    return int(dropped - sum(h["garbled_before_hello"] for h in handshakes))


class LinkStats:
    """What a session measures about its link, one slot per exchange (a sensor frame out,
    its answer or a held command back), over every flight of the session.

    Per exchange (NaN where it does not apply): k, the flight-software step; flight, the
    index of the flight (a mission's phase) in `flights`; t_send, perf_counter when the
    sensor frame went out; rtt, from that send to its actuator frame; board_step, the
    board's own step time from the actuator frame; late, how far after its tick the frame
    went out (real-time mode); margin, time left before the next tick when the step's work
    was done; held, 1 where the host applied a held command.  Counts are kept per flight."""

    def __init__(self, mode: str):
        self.mode = mode
        self.n = 0
        self.series = {name: np.full(1024, np.nan) for name in SERIES}
        self.series["held"] = np.zeros(1024, np.int8)
        self.series["k"] = np.zeros(1024, np.int64)
        self.series["flight"] = np.zeros(1024, np.int16)
        self.flights: list[dict] = []
        self.counts: list[dict] = []
        self.count = _fresh_count()        # the current flight's
        self.board_counts: list[dict] = []
        self.board_count = _fresh_board_count()     # the current flight's, from the board's actuator frames
        self._board_seen = None            # (handshakes, counters) of the last fresh answer
        self.events: list[dict] = []
        self.handshakes: list[dict] = []
        self.board_log: deque[str] = deque(maxlen=40)
        self.health = None           # the session's gnc.hil.noise.LinkHealth: the "noise" entry

    @property
    def period(self) -> float:
        return self.flights[-1]["period_s"] if self.flights else math.nan

    def begin_flight(self, name: str, period: float) -> None:
        """The exchanges from here on belong to flight `name` at `period` s a step."""
        self.flights.append({"name": name, "period_s": period, "first": self.n})
        self.count = _fresh_count()
        self.counts.append(self.count)
        self.board_count = _fresh_board_count()
        self.board_counts.append(self.board_count)

    def board_counted(self, af: np.ndarray) -> None:
        """Take the board's counters (since its boot) from a fresh answer.  The first answer
        after a handshake is the baseline: what the board counted before it (the tail of a
        boot, an earlier session) is not this link's."""
        now = tuple(float(af[i]) for i in BOARD_COUNTERS.values())
        if not all(math.isfinite(v) and v >= 0 for v in now):
            return                        # a corrupted flight software's frame: a bad command, not a count
        seen, self._board_seen = self._board_seen, (len(self.handshakes), now)
        if seen is None or seen[0] != len(self.handshakes):
            return
        for name, before, after in zip(BOARD_COUNTERS, seen[1], now):
            self.board_count[name] += int(max(after - before, 0.0))

    def begin(self, k: int) -> int:
        """A new exchange for step k of the current flight; returns its slot."""
        i = self.n
        if i == len(self.series["k"]):
            for name, arr in self.series.items():
                grown = np.full(2 * len(arr), np.nan) if arr.dtype.kind == "f" else np.zeros(2 * len(arr), arr.dtype)
                grown[:i] = arr
                self.series[name] = grown
        self.series["k"][i] = k
        self.series["flight"][i] = len(self.flights) - 1
        self.n += 1
        return i

    def event(self, k: int, kind: str, detail: str, **extra) -> None:
        flight = self.flights[-1]["name"] if self.flights else None
        self.events.append({"step": int(k), "t": round(k * self.period, 6), "flight": flight, "event": kind,
                            "detail": detail, **extra})

    def trimmed(self) -> dict[str, np.ndarray]:
        """The series of the exchanges made, with each exchange's mission time t (its flight's clock)."""
        s = {name: arr[:self.n].copy() for name, arr in self.series.items()}
        periods = np.array([f["period_s"] for f in self.flights] or [math.nan])
        s["t"] = s["k"] * periods[s["flight"]]
        return s

    def report(self, decoder: dict, transports: list[dict], hello: dict | None, baud: float | None) -> dict:
        s = self.trimmed()
        total, board_total = _fresh_count(), _fresh_board_count()
        for c in self.counts:
            for key, v in c.items():
                total[key] += v
        for c in self.board_counts:
            for key, v in c.items():
                board_total[key] += v
        limit = {"sensor_bytes": wire.wire_size(wire.MSG["sensor"]),
                 "actuator_bytes": wire.wire_size(wire.MSG["actuator"]),
                 "bits_per_byte": 10,
                 "round_trip_s": {str(b): round_trip_wire_time(b) for b in REFERENCE_BAUDS}}
        if baud:
            limit["round_trip_s"]["session"] = round_trip_wire_time(baud)
            limit["session_baud"] = baud
        frames = {**_frames(total), "corrupted": corrupted_in_flight(decoder, self.handshakes),
                  "garbled_before_hello": sum(h["garbled_before_hello"] for h in self.handshakes)}
        phases = []
        for j, f in enumerate(self.flights):
            sel = s["flight"] == j
            phases.append({"name": f["name"], "period_s": f["period_s"], "steps": int(sel.sum()),
                           "frames": _frames(self.counts[j]), "board_counters": self.board_counts[j],
                           **self._timing({n: a[sel] for n, a in s.items()}, f["period_s"], self.counts[j])})
        first = self.flights[0]["period_s"] if self.flights else math.nan
        return {
            "mode": self.mode,
            "period_s": first,
            "steps": int(self.n),
            "transports": transports,
            "board": hello,
            "frames": frames,
            "board_counters": board_total,
            "decoder": {k: int(v) for k, v in decoder.items()},
            "wire_time_limit": limit,
            **self._timing(s, first, total),
            "phases": phases,
            "events": self.events,
            "handshakes": self.handshakes,
            "board_log": list(self.board_log),
            "noise": None if self.health is None else self.health.report(injected_errors(transports)),
        }

    def _timing(self, s: dict[str, np.ndarray], period: float, count: dict) -> dict:
        """Round trip, board step, loop period and margins of a set of exchanges: the loop
        period is measured within each flight only (a handshake lies between two flights)."""
        gaps = [np.diff(s["t_send"][s["flight"] == j]) for j in np.unique(s["flight"])]
        gap = np.concatenate(gaps) if gaps else np.zeros(0)
        margin = s["margin"][np.isfinite(s["margin"])]
        return {
            "round_trip_s": spread(s["rtt"]),
            "board_step_s": spread(s["board_step"]),
            "loop_period_s": spread(gap),
            "period_jitter_s": spread(np.abs(gap - period)) if self.mode == "realtime" else None,
            "send_late_s": spread(s["late"]),
            "margin_s": None if len(margin) == 0 else {"min": float(margin.min()), "p1": percentile(margin, 1)},
            "overruns": count["overruns"],
            "slips": count["slips"],
        }


def _fresh_count() -> dict:
    # late_by_board: of the late, those in hand in time but not by the board's own step time (Session's board_baud)
    return {"sent": 0, "retransmitted": 0, "received": 0, "on_time": 0, "late": 0, "late_by_board": 0, "duplicate": 0,
            "stray": 0, "bad_commands": 0, "held_steps": 0, "overruns": 0, "slips": 0}


def _fresh_board_count() -> dict:
    return {name: 0 for name in BOARD_COUNTERS}


def _frames(c: dict) -> dict:
    fresh = c["sent"] - c["retransmitted"]
    return {**{k: v for k, v in c.items() if k not in ("overruns", "slips")},
            "lost": max(fresh - c["on_time"] - c["late"], 0)}


def write_link(report: dict, series: dict[str, np.ndarray], out_dir, plots: bool = True) -> dict[str, Path]:
    """link.json (the report), link.arrow (the per-exchange series, an Arrow IPC file as the
    telemetry is, each column in its own type) and link.png into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"link": out / LINK_JSON, "link_series": out / LINK_SERIES}
    with replacing(written["link"]) as tmp:
        tmp.write_text(json.dumps(finite(report), indent=2, allow_nan=False) + "\n")
    table = pa.table({name: np.asarray(values) for name, values in series.items()})
    with replacing(written["link_series"]) as tmp, pa.OSFile(str(tmp), "wb") as sink, \
            pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    png = out / LINK_PNG
    if plots and report["steps"] > 1:
        plot_link(report, series, png)
        written["link_plot"] = png
    else:
        png.unlink(missing_ok=True)
    return written


def plot_link(report: dict, series: dict[str, np.ndarray], path: Path) -> None:
    """Round-trip histogram against the wire-time limit; loop period over mission time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    period = report["period_s"]
    fig, ax = plt.subplots(2, 1, figsize=(10, 7.5))
    rates = ", ".join(f"{ph['name']} {1.0 / ph['period_s']:g} Hz" for ph in report["phases"])
    fig.suptitle(f"HIL link, {report['mode']} mode, {rates}, {report['steps']} exchanges")
    a = ax[0]
    rtt = series["rtt"][np.isfinite(series["rtt"])] * 1e3
    if len(rtt):
        a.hist(rtt, bins=np.geomspace(max(rtt.min(), 1e-3), max(rtt.max(), 1e-2) * 1.01, 80),
               color="C0", log=True)
    a.set_xscale("log")
    limits = report["wire_time_limit"]["round_trip_s"]
    for (label, limit), color in zip(limits.items(), ("C1", "C2", "C3")):
        name = f"wire time at {label} baud" if label != "session" else \
            f"wire time at the session's {report['wire_time_limit']['session_baud']:g} baud"
        a.axvline(limit * 1e3, color=color, ls="--", lw=1.0, label=f"{name}: {limit * 1e3:.2f} ms")
    a.axvline(period * 1e3, color="k", ls=":", lw=1.0, label=f"period {period * 1e3:g} ms")
    a.set(xlabel="round trip, sensor frame out to actuator frame back (ms)", ylabel="steps",
          title="round trip (measured) against the wire time of the two frames at 8N1 (arithmetic)")
    a.legend(fontsize=8)
    a.grid(True, alpha=0.3)

    a = ax[1]
    phases = report["phases"]
    several = len(phases) > 1
    # one flight: mission time; several (a mission's phases, each on its own clock): exchange number
    x = np.arange(len(series["t_send"])) if several else series["t"]
    for j, ph in enumerate(phases):
        sel = np.flatnonzero((series["flight"] == j) & np.isfinite(series["t_send"]))
        if len(sel) < 2:
            continue
        gap = np.diff(series["t_send"][sel]) * 1e3
        a.plot(x[sel[1:]], gap, ".", ms=1.5, color=f"C{j % 10}" if several else "k",
               label=f"{ph['name']}: period between sensor frames")
        held = np.flatnonzero(series["held"][sel[1:]])
        if len(held):
            a.plot(x[sel[1:]][held], gap[held], "x", ms=4, color="C3",
                   label="held command (no reply in time)" if j == 0 else None)
        a.axhline(ph["period_s"] * 1e3, color=f"C{j % 10}" if several else "C0", ls="--", lw=1.0,
                  label=f"{ph['name']} nominal {ph['period_s'] * 1e3:g} ms")
    a.set_yscale("log")
    for e in report["events"]:
        hit = np.flatnonzero((series["k"] == e["step"]) &
                             (series["flight"] == next((j for j, ph in enumerate(phases) if ph["name"] == e["flight"]),
                                                       -1)))
        if len(hit):
            a.axvline(x[hit[0]], color="C3", lw=0.8, alpha=0.6)
    a.set(xlabel="exchange (sensor frame out, answer back), over the session's flights" if several
          else "mission time (s)", ylabel="loop period (ms)", title="loop period (events: red lines)")
    a.legend(fontsize=8, loc="upper right")
    a.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
