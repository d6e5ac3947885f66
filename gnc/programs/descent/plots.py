"""PNG plots of one run (matplotlib, Agg backend: no display needed).

plot_run() writes one file per figure, named after NAMES (regional_map only with a
regional terrain map).  A 50 Hz descent has ~45k rows, far more than a figure can show:
each curve is cut to the extremes of each pixel column (gnc.plotting.envelope), so it
looks the same and a one-step spike still shows.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gnc.core import hdu
from gnc.core.layout import VALID_ALT
from gnc.plotting import envelope, layout, plain_log_labels, pyplot, save_png, title
from gnc.programs.descent.hazard_plots import safety_map

NAMES = ("altitude", "speeds", "throttle", "attitude", "ground_track", "propellant", "nav_error",
         "regional_map", "safety_map")
SLOW = ("nav_error", "regional_map", "safety_map")    # the longest to draw: plot workers take them first
ZOOM_M = 200.0          # ground track inset: the last this many metres around touchdown


def _local_up(tel, scenario) -> np.ndarray:
    """Unit local vertical at each row, landing frame.  Far from the site it differs from
    the landing frame's own up by the central angle (over 20 deg at powered descent start)."""
    r_site = scenario.moon.radius_m + scenario.site.elevation_m
    r = np.stack([tel["pos_e"], tel["pos_n"], tel["pos_u"] + r_site], axis=1)
    return r / np.linalg.norm(r, axis=1, keepdims=True)


def altimeter_relief(tel, scenario) -> tuple[np.ndarray, np.ndarray]:
    """(time, relief) of each altimeter sample: the range from the truth pose along the
    boresight to the site's datum sphere less the measured range, i.e. how far the ground the
    beam hit stands above the datum, stretched by the slant (plus the range noise)."""
    k = np.flatnonzero(tel["sf.valid"].astype(np.int64) & VALID_ALT)
    r_site = scenario.moon.radius_m + scenario.site.elevation_m
    o = np.stack([tel["pos_e"][k], tel["pos_n"][k], tel["pos_u"][k] + r_site], axis=1)
    w, x, y, z = (tel[c][k] for c in ("q_w", "q_x", "q_y", "q_z"))
    bx, by, bz = np.asarray(scenario.sensors.altimeter.boresight, float) / np.linalg.norm(
        scenario.sensors.altimeter.boresight)
    d = np.stack([(1 - 2 * (y * y + z * z)) * bx + 2 * (x * y - w * z) * by + 2 * (x * z + w * y) * bz,
                  2 * (x * y + w * z) * bx + (1 - 2 * (x * x + z * z)) * by + 2 * (y * z - w * x) * bz,
                  2 * (x * z - w * y) * bx + 2 * (y * z + w * x) * by + (1 - 2 * (x * x + y * y)) * bz], axis=1)
    b = np.einsum("ij,ij->i", o, d)
    disc = b * b - (np.einsum("ij,ij->i", o, o) - r_site * r_site)
    s = -b - np.sqrt(np.maximum(disc, 0.0))
    keep = disc >= 0.0
    return tel["t"][k][keep], (s - tel["sf.alt_range"][k])[keep]


def _phase_colors(phases: list[dict]) -> dict[str, tuple]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    names = list(dict.fromkeys(p["name"] for p in phases))
    return {name: cmap(i % 10) for i, name in enumerate(names)}


def _shade(ax, phases, colors) -> None:
    """Each phase's time span shaded in its colour, full height: one artist for all (an
    axvspan each cost a tenth of a figure's drawing)."""
    from matplotlib.collections import PolyCollection

    spans = [[(p["start_s"], 0.0), (p["start_s"], 1.0), (p["end_s"], 1.0), (p["end_s"], 0.0)] for p in phases]
    ax.add_collection(PolyCollection(spans, facecolors=[colors[p["name"]] for p in phases], alpha=0.12, lw=0,
                                     transform=ax.get_xaxis_transform()), autolim=False)


def _phase_legend(fig, colors) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=c, alpha=0.35, label=name.replace("_", " ")) for name, c in colors.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=8,
               frameon=False, title="flight phase (shaded)", title_fontsize=8)


def prepare(scenario, seed: int) -> None:
    """Load the compiled terrain generator the regional map regenerates its terrain with (half
    a second the first time in a process, a few ms after): a plot worker calls this while
    the flight flies (gnc.plotworkers)."""
    if scenario.terrain.enabled and scenario.terrain.regional_enabled:
        from gnc.programs.descent.assemble import terrain_of

        terrain_of(scenario, seed)


def plot(result, out: Path, only=None) -> dict[str, Path]:
    """Every plot of the run into out, and the hazard unit's safety map when it made one;
    only: the names to draw (default: all)."""
    written = plot_run(result.telemetry, result.summary, result.scenario, out, only)
    hazard = result.hazard
    if (only is None or "safety_map" in only) and hazard is not None and scanned(hazard[1]):
        written["safety_map"] = safety_map(out / "safety_map.png", *hazard, result.summary["touchdown"])
    return written


def scanned(hs) -> bool:
    """Did the hazard-detection unit make a map in this run (state array hs)?"""
    return hs[hdu.HS_STATUS] not in (hdu.ST_IDLE, hdu.ST_SCANNING)


def plot_run(tel: dict[str, np.ndarray], summary: dict, scenario, out_dir, only=None) -> dict[str, Path]:
    """Write every plot of NAMES but the safety map (or those of them in only) as <name>.png
    into out_dir; returns {name: path}."""
    plt = pyplot()

    out = Path(out_dir)
    n = len(tel["t"])
    every = np.arange(n)
    t = tel["t"]
    phases = summary["phases"]
    colors = _phase_colors(phases)
    head = title(summary)
    written = {}

    def wanted(name):
        return only is None or name in only

    def figure(name, nrows=1, ncols=1, legend=True, **kw):
        fig, axes = plt.subplots(nrows, ncols, figsize=(10, 3.2 * nrows + 1.3), squeeze=False, **kw)
        fig.suptitle(f"{head}: {name.replace('_', ' ')}")
        for ax in axes.flat:
            ax.grid(True, alpha=0.3)
        if legend:
            _phase_legend(fig, colors)
        return fig, axes

    def finish(fig, name, legend=True, titled=True, **margins):
        # inches: the phase legend below the x labels, the suptitle (and axes titles) above
        margins.setdefault("bottom", 0.55 + (0.8 if legend else 0.0))
        margins.setdefault("top", 0.75 if titled else 0.45)
        layout(fig, **margins)
        path = out / f"{name}.png"
        save_png(fig, path)
        plt.close(fig)
        written[name] = path

    up = _local_up(tel, scenario)
    vel = np.stack([tel["vel_e"], tel["vel_n"], tel["vel_u"]], axis=1)
    v_up = np.einsum("ij,ij->i", vel, up)
    v_hor = np.linalg.norm(vel - v_up[:, None] * up, axis=1)

    # altitude: whole flight, the relief under the altimeter's beam, and the terminal descent
    # from the start of the approach
    if wanted("altitude"):
        fig, ax = figure("altitude", 3)
        alt = tel["alt"]
        rows = envelope(every, alt)
        ax[0, 0].plot(t[rows], alt[rows] / 1000.0, color="k", lw=1.2)
        ax[0, 0].set(xlabel="time (s)", ylabel="height above ground (km)", title="whole flight")
        t_alt, relief = altimeter_relief(tel, scenario)
        ax[1, 0].plot(t_alt, relief, ".", color="C0", ms=1.5)
        ax[1, 0].set(xlabel="time (s)", ylabel="relief (m)",
                     title="under the altimeter beam: range to the datum sphere less the measured range")
        t_zoom = next((p["start_s"] for p in phases if p["name"] == "approach"), t[0])
        late = envelope(np.flatnonzero(t >= t_zoom), alt)
        # log scale: the hover, avoidance and slow descent happen in the last 100 m
        ax[2, 0].semilogy(t[late], np.maximum(alt[late], 0.1), color="k", lw=1.2)
        ax[2, 0].set(xlabel="time (s)", ylabel="height above ground (m)", title="terminal descent, log scale")
        plain_log_labels(ax[2, 0])
        for a in ax.flat:
            _shade(a, phases, colors)
        ax[2, 0].set_xlim(t[late][0], t[late][-1])
        finish(fig, "altitude")

    # speeds: log scale, they span three decades
    if wanted("speeds"):
        fig, ax = figure("speeds")
        a = ax[0, 0]
        floor = 1e-3
        rows = envelope(every, v_hor, v_up)
        a.semilogy(t[rows], np.maximum(v_hor[rows], floor), label="horizontal", color="C0", lw=1.2)
        a.semilogy(t[rows], np.maximum(-v_up[rows], floor), label="descent rate (downward +)", color="C3", lw=1.2)
        a.semilogy(t[rows], np.maximum(v_up[rows], floor), label="climb rate (upward +)", color="C3", lw=0.8, ls=":")
        a.axhline(scenario.touchdown.max_horizontal_m_s, color="C0", ls="--", lw=0.8,
                  label="touchdown limit, horizontal")
        a.axhline(scenario.touchdown.max_vertical_m_s, color="C3", ls="--", lw=0.8, label="touchdown limit, vertical")
        a.set(xlabel="time (s)", ylabel="ground-relative speed (m/s)", ylim=(1e-2, None),
              title="truth, local horizontal and vertical")
        plain_log_labels(a)
        a.legend(fontsize=8, loc="lower center")
        _shade(a, phases, colors)
        finish(fig, "speeds")

    # throttle
    if wanted("throttle"):
        fig, ax = figure("throttle")
        a = ax[0, 0]
        f_max = scenario.engine.thrust_max_n
        cmd, actual = tel["af.thrust_cmd"], tel["thrust"]
        rows = envelope(every, cmd, actual)
        a.plot(t[rows], cmd[rows] / f_max, label="commanded", color="C1", lw=1.0)
        a.plot(t[rows], actual[rows] / f_max, label="actual", color="k", lw=1.0, ls="--")
        a.axhline(scenario.engine.thrust_min_n / f_max, color="grey", ls=":", lw=0.8, label="minimum throttle")
        a.set(xlabel="time (s)", ylabel=f"thrust / maximum ({f_max:g} N)", ylim=(-0.03, 1.08))
        a.legend(fontsize=8, loc="center left")
        _shade(a, phases, colors)
        finish(fig, "throttle", titled=False)

    # attitude: tilt of the thrust axis (body +z) from the local vertical, body rate
    if wanted("attitude"):
        fig, ax = figure("attitude", 2, sharex=True)
        w, x, y, z = (tel[k] for k in ("q_w", "q_x", "q_y", "q_z"))
        body_z = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1)
        tilt = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", body_z, up), -1.0, 1.0)))
        rate = np.degrees(np.sqrt(tel["rate_x"] ** 2 + tel["rate_y"] ** 2 + tel["rate_z"] ** 2))
        for a, series, label in ((ax[0, 0], tilt, "tilt from local vertical (deg)"),
                                 (ax[1, 0], rate, "body rate magnitude (deg/s)")):
            rows = envelope(every, series)
            a.plot(t[rows], series[rows], color="k", lw=1.0)
            a.set(ylabel=label)
        ax[0, 0].axhline(scenario.touchdown.max_tilt_deg, color="C3", ls="--", lw=0.8, label="touchdown limit")
        ax[0, 0].legend(fontsize=8, loc="upper right")
        ax[1, 0].axhline(scenario.touchdown.max_rate_deg_s, color="C3", ls="--", lw=0.8, label="touchdown limit")
        ax[1, 0].set(xlabel="time (s)")
        ax[1, 0].legend(fontsize=8, loc="upper right")
        for a in ax.flat:
            _shade(a, phases, colors)
        finish(fig, "attitude", titled=False, hspace=0.25)

    # ground track: whole flight in km, then the last ZOOM_M metres around touchdown in m
    if wanted("ground_track"):
        fig, ax = figure("ground_track", 1, 2, legend=False)
        td = summary.get("touchdown") or {}
        end_e = td.get("east_m", tel["pos_e"][-1])
        end_n = td.get("north_m", tel["pos_n"][-1])
        far = np.flatnonzero(np.hypot(tel["pos_e"] - end_e, tel["pos_n"] - end_n) > ZOOM_M)
        near = np.arange(far[-1] + 1 if len(far) else 0, n)
        track = (tel["pos_e"], tel["pos_n"], tel["af.nav_pos[0]"], tel["af.nav_pos[1]"])
        for a, idx, scale, unit in ((ax[0, 0], every, 1e-3, "km"), (ax[0, 1], near, 1.0, "m")):
            idx = envelope(idx, *track)
            a.plot(tel["pos_e"][idx] * scale, tel["pos_n"][idx] * scale, color="k", lw=1.2, label="truth")
            a.plot(tel["af.nav_pos[0]"][idx] * scale, tel["af.nav_pos[1]"][idx] * scale, color="C1", lw=1.0,
                   ls="--", label="navigation estimate")
            a.plot(0, 0, "g+", ms=14, mew=2, label="target")
            a.plot(end_e * scale, end_n * scale, "rx", ms=9, mew=2, label="touchdown" if td else "end of run")
            a.set(xlabel=f"east of target ({unit})", ylabel=f"north of target ({unit})")
            a.set_aspect("equal", adjustable="datalim")
        ax[0, 0].set_title("whole flight")
        ax[0, 0].legend(fontsize=8, loc="best")
        ax[0, 1].set_title(f"last {ZOOM_M:g} m")
        finish(fig, "ground_track", legend=False)

    # propellant
    if wanted("propellant"):
        fig, ax = figure("propellant")
        a = ax[0, 0]
        used = tel["mass"][0] - tel["mass"]
        rows = envelope(every, used)
        a.plot(t[rows], used[rows], color="k", lw=1.2, label="used (main engine and RCS)")
        a.axhline(scenario.vehicle.propellant_kg, color="C3", ls="--", lw=0.8, label="loaded")
        a.set(xlabel="time (s)", ylabel="propellant used (kg)")
        a.legend(fontsize=8, loc="upper left")
        _shade(a, phases, colors)
        finish(fig, "propellant", titled=False)

    # the size of the navigation error under the filter's own 3-sigma, on a log scale:
    # both shrink from hundreds of metres to centimetres as the altimeter and velocimeter
    # come in, and a consistent filter keeps the black line inside the grey
    if wanted("nav_error"):
        fig, ax = figure("nav_error", 2, 3, sharex=True)
        for col, axis in enumerate(("e", "n", "u")):
            for row, (kind, nav, unit) in enumerate((("pos", "af.nav_pos", "m"), ("vel", "af.nav_vel", "m/s"))):
                a = ax[row, col]
                sig3 = 3.0 * tel[f"nav_sig_{kind}_{axis}"]
                floor = 0.01 * float(np.min(sig3[sig3 > 0.0], initial=1.0))     # two decades under the tightest
                err = np.maximum(np.abs(tel[f"{nav}[{col}]"] - tel[f"{kind}_{axis}"]), floor)
                rows = envelope(every, err, sig3)
                a.fill_between(t[rows], floor, np.maximum(sig3[rows], floor), color="0.5", alpha=0.35, lw=0,
                               label="3 sigma (filter)")
                a.plot(t[rows], err[rows], color="k", lw=0.8, label="|estimate − truth|")
                a.set_yscale("log")
                a.set_ylim(bottom=floor)
                plain_log_labels(a)
                a.set_title(f"{'position' if kind == 'pos' else 'velocity'} "
                            f"{dict(e='east', n='north', u='up')[axis]}", fontsize=10)
                if col == 0:
                    a.set_ylabel(f"error ({unit})")
                if row == 1:
                    a.set_xlabel("time (s)")
                _shade(a, phases, colors)
        ax[0, 0].legend(fontsize=8, loc="upper right")
        finish(fig, "nav_error", hspace=0.45, wspace=0.7)

    # the regional terrain under the approach: regenerated from the run's seed (a few ms)
    path = out / "regional_map.png"
    terrain = None
    if wanted("regional_map") and scenario.terrain.enabled and scenario.terrain.regional_enabled:
        from gnc.programs.descent.assemble import terrain_of
        terrain = terrain_of(scenario, summary["seed"])
    if terrain is not None and terrain.regional is not None:     # none left when a DEM file resolves its craters
        from gnc.programs.descent.hazard_plots import regional_map
        written["regional_map"] = regional_map(path, terrain, tel, phases, scenario.sensors.altimeter.boresight,
                                               title=f"{head}: regional terrain")
    elif wanted("regional_map"):
        path.unlink(missing_ok=True)
    return written
