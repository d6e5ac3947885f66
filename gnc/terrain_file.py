"""A DEM file's relief in the landing frame: the file map the core flies (gnc.core.terrain).

The file (gnc.geotiff: a LOLA or LROC NAC GeoTIFF) is resampled once, at assembly, onto
a strip in the regional map's axes (u uprange along the approach ground track, v across
it), from half_width_m beyond the target to half_width_m uprange of powered descent
initiation, half_width_m either side of the track, at resolution_m (0: the file's own
posting).  Node (u, v) is the point of the site's datum sphere straight below landing-frame
(east, north) = u (ae, an) + v (an, -ae): direction (e, n, sqrt(rs^2 - e^2 - n^2)) in
east-north-up axes, whose latitude and longitude the file is sampled at (bilinear
between its pixel centres).  Its height is the ground's radius less the datum's,
R_file + h_file - (moon.radius_m + site.elevation_m): the core adds a map's height
radially at (e, n), so the ground of a point h above the datum lies h e / rs off the
node's direction (12 m for 1 km of relief 20 km from the target).

Only the part of the strip the file covers is kept (found on a probe grid of PROBE_M);
nodes without data are the datum, and the relief fades to it over the FADE_M next to
the uncovered nodes and the strip's own edges (a quarter of the kept extent at most), so
no slant beam falls off a cliff at the file's edge.  The stretch of the ground track
(v = 0) the file covers, and its fraction of the track from PDI, go into the run's
report.

The map depends only on the file and the scenario's geometry, never on the seed, so the
last CACHE maps are kept and a campaign's runs on one process resample once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from gnc import geotiff
from gnc.core import moon as M

PROBE_M = 500.0         # coverage probe spacing (at least the map's resolution)
FADE_M = 1000.0         # the relief fades to the datum over this much next to the uncovered nodes
CACHE = 2               # resampled maps kept per process
DATUM_TOL_M = 0.5       # the file's ground at the target may differ this much from the datum


@dataclass(frozen=True)
class FileMap:
    heights: np.ndarray     # (n_u, n_v) m above the datum sphere: rows along track (u), columns across (v)
    res: float              # m per cell
    u0: float               # m, u of row 0
    v0: float               # m, v of column 0
    uprange: tuple          # (ae, an): east, north of the unit vector of +u
    source: str             # the file
    posting: float          # m, the file's coarser pixel size
    track_m: tuple          # (u_lo, u_hi) m: the stretch of the ground track (v = 0) the file covers
    track_fraction: float   # of the ground track from PDI (u_pdi) to the target

    @property
    def resolution(self) -> float:
        """The finest relief the map carries, m: the coarser of the file's posting and the map's cell."""
        return max(self.posting, self.res)


def _directions(w, e, n):
    """Unit vectors (MCMF) of the datum-sphere points below landing-frame (e, n)."""
    rs = w[M.W_SITE_R]
    C = w[M.W_C_LF:M.W_C_LF + 9].reshape(3, 3)
    z = np.sqrt(np.maximum(rs * rs - e * e - n * n, 0.0))
    return (e[..., None] * C[0] + n[..., None] * C[1] + z[..., None] * C[2]) / rs


def sample(dem: geotiff.Dem, w, e, n):
    """(height above the datum sphere, valid) of the file at landing-frame (e, n) (arrays)."""
    d = _directions(w, np.asarray(e, float), np.asarray(n, float))
    lat = np.arcsin(np.clip(d[..., 2], -1.0, 1.0))
    lon = np.arctan2(d[..., 1], d[..., 0])
    h, ok = dem.heights_at(lat, lon)
    return np.where(ok, dem.projection.radius + h - w[M.W_SITE_R], 0.0), ok


def _grid(lo, hi, step):
    n = int(math.floor((hi - lo) / step + 1e-9)) + 1
    return lo + step * np.arange(n)


def _edge_distance(ok: np.ndarray, res: float) -> np.ndarray:
    """Per node, the distance to the nearest node without data (or beyond the grid) along
    its row or its column, whichever is shorter, m: the fade's measure (exact for the
    straight edges of a strip; at most sqrt(2) long across a diagonal edge)."""
    def along(mask, axis):
        m = np.moveaxis(mask, axis, -1)
        idx = np.arange(m.shape[-1])
        last = np.maximum.accumulate(np.where(m, -1, idx), axis=-1)
        nxt = np.minimum.accumulate(np.where(m, m.shape[-1], idx)[..., ::-1], axis=-1)[..., ::-1]
        d = np.minimum(idx - last, nxt - idx)
        return np.moveaxis(d, -1, axis)
    return np.minimum(along(ok, 0), along(ok, 1)) * res


def build(dem: geotiff.Dem, w, uprange: tuple, u_pdi: float, half_width: float, resolution: float,
          max_cells: int) -> FileMap:
    """The file map of dem over the strip from half_width beyond the target to half_width
    uprange of u_pdi (m, tangent-plane distance of PDI), half_width across the track, in at
    most max_cells cells."""
    res = float(resolution) if resolution > 0.0 else dem.posting
    ae, an = uprange

    def en(u, v):
        return u * ae + v * an, u * an - v * ae
    u_lo, u_hi = -half_width, u_pdi + half_width
    probe = max(res, PROBE_M)
    pu, pv = np.meshgrid(_grid(u_lo, u_hi, probe), _grid(-half_width, half_width, probe), indexing="ij")
    _, ok = sample(dem, w, *en(pu, pv))
    if not ok.any():
        raise geotiff.DemFileError(f"{dem.source}: covers none of the approach strip ({(u_hi - u_lo) / 1000:.0f} x "
                                   f"{2 * half_width / 1000:.0f} km along the ground track from PDI to the target)")
    rows, cols = np.flatnonzero(ok.any(axis=1)), np.flatnonzero(ok.any(axis=0))
    a_lo, a_hi = max(pu[rows[0], 0] - probe, u_lo), min(pu[rows[-1], 0] + probe, u_hi)
    c_lo, c_hi = max(pv[0, cols[0]] - probe, -half_width), min(pv[0, cols[-1]] + probe, half_width)
    # columns on a grid through v = 0, so the track's own column is sampled
    v = res * np.arange(math.ceil(c_lo / res), math.floor(c_hi / res) + 1)
    u = _grid(a_lo, a_hi, res)
    if len(u) * len(v) > max_cells:
        raise geotiff.DemFileError(f"{dem.source}: resampled at {res:g} m the covered strip is {len(u)} x {len(v)} "
                                   f"cells, over {max_cells:,}: set terrain.dem_resolution_m coarser")
    uu, vv = np.meshgrid(u, v, indexing="ij")
    h, ok = sample(dem, w, *en(uu, vv))
    extent = min(len(u), len(v)) * res
    fade = _edge_distance(ok, res) / min(FADE_M, 0.25 * extent)
    h *= np.where(fade >= 1.0, 1.0, 0.5 - 0.5 * np.cos(np.pi * np.clip(fade, 0.0, 1.0)))
    # the track: the column at v = 0, if the strip reaches it
    on_track = np.flatnonzero(np.isclose(v, 0.0, atol=0.25 * res))
    covered = ok[:, on_track[0]] if len(on_track) else np.zeros(len(u), bool)
    if covered.any():
        track = (float(u[covered][0]), float(u[covered][-1]))
        fraction = float(min(covered[(u >= 0.0) & (u <= u_pdi)].sum() * res / u_pdi, 1.0)) if u_pdi > 0.0 else 1.0
    else:
        track, fraction = (0.0, 0.0), 0.0
    return FileMap(h, res, float(u[0]), float(v[0]), (float(ae), float(an)), dem.source, dem.posting, track, fraction)


@lru_cache(maxsize=CACHE)
def _read(path: str, mtime_ns: int, size: int) -> geotiff.Dem:
    return geotiff.read(path)


def read(path) -> geotiff.Dem:
    """The DEM of the file, read once while the file is unchanged (the last CACHE files)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise geotiff.DemFileError(f"{p}: DEM file not found") from None
    return _read(str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=CACHE)
def _cached_map(path, mtime_ns, size, site, strip) -> FileMap:
    w = np.zeros(M.W_LEN)
    w[M.W_SITE_R] = site[0]
    w[M.W_C_LF:M.W_C_LF + 9] = site[1:]
    return build(_read(path, mtime_ns, size), w, *strip)


def file_map(path, w, uprange: tuple, u_pdi: float, half_width: float, resolution: float, max_cells: int) -> FileMap:
    """build() of the file at path, cached on the file and the site: a campaign's runs resample
    it once.  The map's heights are shared: read only."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise geotiff.DemFileError(f"{p}: DEM file not found") from None
    site = (float(w[M.W_SITE_R]),) + tuple(float(c) for c in w[M.W_C_LF:M.W_C_LF + 9])
    strip = (tuple(uprange), float(u_pdi), float(half_width), float(resolution), int(max_cells))
    m = _cached_map(str(p), st.st_mtime_ns, st.st_size, site, strip)
    m.heights.flags.writeable = False
    return m


def site_problem(path, lat_deg: float, lon_deg: float, moon_radius: float, elevation: float) -> str | None:
    """What is wrong with the DEM file for a landing at (lat_deg, lon_deg) on the datum sphere
    moon_radius + elevation (moon.radius_m, site.elevation_m), in a line, or None:
    unreadable or unsupported, no data at the target, or ground there off the datum by more
    than DATUM_TOL_M (the landing frame's datum is the target's ground: the flight
    software's altitudes are measured from it)."""
    try:
        dem = read(path)
    except geotiff.DemFileError as e:
        return str(e)
    h, ok = dem.heights_at(np.array([math.radians(lat_deg)]), np.array([math.radians(lon_deg)]))
    if not ok[0]:
        return f"{path}: no data at the target ({lat_deg:g}, {lon_deg:g} deg)"
    off = dem.projection.radius + float(h[0]) - (moon_radius + elevation)
    if abs(off) > DATUM_TOL_M:
        return (f"{path}: the ground at the target is {off:+.2f} m off the datum of site.elevation_m = {elevation:g} "
                f"(the landing frame's datum is the target's ground): set site.elevation_m = {elevation + off:.2f}")
    return None
