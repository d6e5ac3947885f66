"""PNG plots of one run (matplotlib, Agg backend: no display needed).

plot_run() writes one file per figure, named after NAMES (regional_map only with a
regional terrain map).  Long runs are
thinned to a few thousand points per curve: a 50 Hz descent has ~50k rows, far
more than a figure can show, and drawing them all is what makes plotting slow.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gnc.core import hdu
from gnc.plotting import pyplot, save_png, thin, title
from gnc.programs.descent.hazard_plots import safety_map

NAMES = ("altitude", "speeds", "throttle", "attitude", "ground_track", "propellant", "nav_error",
         "regional_map", "safety_map")
ZOOM_M = 200.0          # ground track inset: the last this many metres around touchdown


def _local_up(tel, scenario) -> np.ndarray:
    """Unit local vertical at each row, landing frame.  Far from the site it differs from
    the landing frame's own up by the central angle (over 20 deg at powered descent start)."""
    r_site = scenario.moon.radius_m + scenario.site.elevation_m
    r = np.stack([tel["pos_e"], tel["pos_n"], tel["pos_u"] + r_site], axis=1)
    return r / np.linalg.norm(r, axis=1, keepdims=True)


def _phase_colors(phases: list[dict]) -> dict[str, tuple]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    names = list(dict.fromkeys(p["name"] for p in phases))
    return {name: cmap(i % 10) for i, name in enumerate(names)}


def _shade(ax, phases, colors) -> None:
    for p in phases:
        ax.axvspan(p["start_s"], p["end_s"], color=colors[p["name"]], alpha=0.12, lw=0)


def _phase_legend(fig, colors) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=c, alpha=0.35, label=name.replace("_", " ")) for name, c in colors.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=8,
               frameon=False, title="flight phase (shaded)", title_fontsize=8)


def plot(result, out: Path) -> dict[str, Path]:
    """Every plot of the run into out, and the hazard unit's safety map when it made one."""
    written = plot_run(result.telemetry, result.summary, result.scenario, out)
    hazard = result.hazard
    if hazard is not None and scanned(hazard[1]):
        written["safety_map"] = safety_map(out / "safety_map.png", *hazard, result.summary["touchdown"])
    return written


def scanned(hs) -> bool:
    """Did the hazard-detection unit make a map in this run (state array hs)?"""
    return hs[hdu.HS_STATUS] not in (hdu.ST_IDLE, hdu.ST_SCANNING)


def plot_run(tel: dict[str, np.ndarray], summary: dict, scenario, out_dir) -> dict[str, Path]:
    """Write every plot of NAMES but the safety map as <name>.png into out_dir; returns {name: path}."""
    plt = pyplot()

    out = Path(out_dir)
    n = len(tel["t"])
    rows = thin(np.arange(n))
    t = tel["t"][rows]
    phases = summary["phases"]
    colors = _phase_colors(phases)
    head = title(summary)
    written = {}

    def figure(name, nrows=1, ncols=1, legend=True, **kw):
        fig, axes = plt.subplots(nrows, ncols, figsize=(10, 3.2 * nrows + 1.3), squeeze=False, **kw)
        fig.suptitle(f"{head}: {name.replace('_', ' ')}")
        for ax in axes.flat:
            ax.grid(True, alpha=0.3)
        if legend:
            _phase_legend(fig, colors)
        return fig, axes

    def finish(fig, name, legend=True):
        legend_in = 0.65          # the phase legend's height in inches, whatever the figure's
        fig.tight_layout(rect=(0, legend_in / fig.get_figheight() if legend else 0, 1, 1))
        path = out / f"{name}.png"
        save_png(fig, path)
        plt.close(fig)
        written[name] = path

    up = _local_up({k: tel[k][rows] for k in ("pos_e", "pos_n", "pos_u")}, scenario)
    vel = np.stack([tel["vel_e"][rows], tel["vel_n"][rows], tel["vel_u"][rows]], axis=1)
    v_up = np.einsum("ij,ij->i", vel, up)
    v_hor = np.linalg.norm(vel - v_up[:, None] * up, axis=1)

    # altitude: whole flight, and the terminal descent from the start of the approach
    fig, ax = figure("altitude", 2)
    alt = tel["alt"][rows]
    ax[0, 0].plot(t, alt / 1000.0, color="k", lw=1.2)
    ax[0, 0].set(xlabel="time (s)", ylabel="height above ground (km)", title="whole flight")
    t_zoom = next((p["start_s"] for p in phases if p["name"] == "approach"), t[0])
    late = rows[tel["t"][rows] >= t_zoom]
    # log scale: the hover, avoidance and slow descent happen in the last 100 m
    ax[1, 0].semilogy(tel["t"][late], np.maximum(tel["alt"][late], 0.1), color="k", lw=1.2)
    ax[1, 0].set(xlabel="time (s)", ylabel="height above ground (m)", title="terminal descent, log scale")
    for a in ax.flat:
        _shade(a, phases, colors)
    ax[1, 0].set_xlim(tel["t"][late][0], tel["t"][late][-1])
    finish(fig, "altitude")

    # speeds: log scale, they span three decades
    fig, ax = figure("speeds")
    a = ax[0, 0]
    floor = 1e-3
    a.semilogy(t, np.maximum(v_hor, floor), label="horizontal", color="C0", lw=1.2)
    a.semilogy(t, np.maximum(-v_up, floor), label="descent rate (downward +)", color="C3", lw=1.2)
    a.semilogy(t, np.maximum(v_up, floor), label="climb rate (upward +)", color="C3", lw=0.8, ls=":")
    a.axhline(scenario.touchdown.max_horizontal_m_s, color="C0", ls="--", lw=0.8, label="touchdown limit, horizontal")
    a.axhline(scenario.touchdown.max_vertical_m_s, color="C3", ls="--", lw=0.8, label="touchdown limit, vertical")
    a.set(xlabel="time (s)", ylabel="ground-relative speed (m/s)", ylim=(1e-2, None),
          title="truth, local horizontal and vertical")
    a.legend(fontsize=8, loc="lower center")
    _shade(a, phases, colors)
    finish(fig, "speeds")

    # throttle
    fig, ax = figure("throttle")
    a = ax[0, 0]
    f_max = scenario.engine.thrust_max_n
    a.plot(t, tel["af.thrust_cmd"][rows] / f_max, label="commanded", color="C1", lw=1.0)
    a.plot(t, tel["thrust"][rows] / f_max, label="actual", color="k", lw=1.0, ls="--")
    a.axhline(scenario.engine.thrust_min_n / f_max, color="grey", ls=":", lw=0.8, label="minimum throttle")
    a.set(xlabel="time (s)", ylabel=f"thrust / maximum ({f_max:g} N)", ylim=(-0.03, 1.08))
    a.legend(fontsize=8, loc="center left")
    _shade(a, phases, colors)
    finish(fig, "throttle")

    # attitude: tilt of the thrust axis (body +z) from the local vertical, body rate
    fig, ax = figure("attitude", 2, sharex=True)
    w, x, y, z = (tel[k][rows] for k in ("q_w", "q_x", "q_y", "q_z"))
    body_z = np.stack([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)], axis=1)
    tilt = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", body_z, up), -1.0, 1.0)))
    rate = np.degrees(np.sqrt(tel["rate_x"][rows] ** 2 + tel["rate_y"][rows] ** 2 + tel["rate_z"][rows] ** 2))
    ax[0, 0].plot(t, tilt, color="k", lw=1.0)
    ax[0, 0].axhline(scenario.touchdown.max_tilt_deg, color="C3", ls="--", lw=0.8, label="touchdown limit")
    ax[0, 0].set(ylabel="tilt from local vertical (deg)")
    ax[0, 0].legend(fontsize=8, loc="upper right")
    ax[1, 0].plot(t, rate, color="k", lw=1.0)
    ax[1, 0].axhline(scenario.touchdown.max_rate_deg_s, color="C3", ls="--", lw=0.8, label="touchdown limit")
    ax[1, 0].set(xlabel="time (s)", ylabel="body rate magnitude (deg/s)")
    ax[1, 0].legend(fontsize=8, loc="upper right")
    for a in ax.flat:
        _shade(a, phases, colors)
    finish(fig, "attitude")

    # ground track: whole flight in km, then the last ZOOM_M metres around touchdown in m
    fig, ax = figure("ground_track", 1, 2, legend=False)
    td = summary.get("touchdown") or {}
    end_e = td.get("east_m", tel["pos_e"][-1])
    end_n = td.get("north_m", tel["pos_n"][-1])
    far = np.flatnonzero(np.hypot(tel["pos_e"] - end_e, tel["pos_n"] - end_n) > ZOOM_M)
    near = thin(np.arange(far[-1] + 1 if len(far) else 0, n))
    for a, idx, scale, unit in ((ax[0, 0], rows, 1e-3, "km"), (ax[0, 1], near, 1.0, "m")):
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
    fig, ax = figure("propellant")
    a = ax[0, 0]
    m = tel["mass"]
    a.plot(t, m[0] - m[rows], color="k", lw=1.2, label="used (main engine and RCS)")
    a.axhline(scenario.vehicle.propellant_kg, color="C3", ls="--", lw=0.8, label="loaded")
    a.set(xlabel="time (s)", ylabel="propellant used (kg)")
    a.legend(fontsize=8, loc="upper left")
    _shade(a, phases, colors)
    finish(fig, "propellant")

    # navigation error with the filter's own 3-sigma; symlog: errors shrink from
    # hundreds of metres to centimetres as the altimeter and velocimeter come in
    fig, ax = figure("nav_error", 2, 3, sharex=True)
    for col, axis in enumerate(("e", "n", "u")):
        for row, (kind, nav, unit, lin) in enumerate((("pos", "af.nav_pos", "m", 1.0),
                                                      ("vel", "af.nav_vel", "m/s", 0.01))):
            a = ax[row, col]
            err = tel[f"{nav}[{col}]"][rows] - tel[f"{kind}_{axis}"][rows]
            sig3 = 3.0 * tel[f"nav_sig_{kind}_{axis}"][rows]
            a.fill_between(t, -sig3, sig3, color="0.5", alpha=0.35, lw=0, label="±3 sigma (filter)")
            a.plot(t, err, color="k", lw=0.8, label="estimate − truth")
            a.set_yscale("symlog", linthresh=lin)
            a.set_title(f"{'position' if kind == 'pos' else 'velocity'} {dict(e='east', n='north', u='up')[axis]}",
                        fontsize=10)
            if col == 0:
                a.set_ylabel(f"error ({unit})")
            if row == 1:
                a.set_xlabel("time (s)")
            _shade(a, phases, colors)
    ax[0, 0].legend(fontsize=8, loc="upper right")
    finish(fig, "nav_error")

    # the regional terrain under the approach: regenerated from the run's seed (a few ms)
    path = out / "regional_map.png"
    if scenario.terrain.enabled and scenario.terrain.regional_enabled:
        from gnc.programs.descent.assemble import terrain_of
        from gnc.programs.descent.hazard_plots import regional_map
        written["regional_map"] = regional_map(path, terrain_of(scenario, summary["seed"]), tel, phases,
                                               scenario.sensors.altimeter.boresight, title=f"{head}: regional terrain")
    else:
        path.unlink(missing_ok=True)
    return written
