"""Digital elevation models from GeoTIFF files, the format LOLA and LROC NAC DTMs ship in.

    dem = read("NAC_DTM_CHANGE6.tif")
    h, ok = dem.heights_at(lat_rad, lon_rad)      # m above the file's sphere; ok False off the data

Read with tifffile (pure Python over numpy, ~1 MB installed): a DEM is one band of
numbers and a handful of GeoTIFF tags, which is all this needs; rasterio would bring GDAL
(tens of MB of wheels) for projections the Moon's DEMs do not use.

Supported, as LOLA and NAC products are written: one band; a projected CRS in metres
(GTModelTypeGeoKey 1, ProjLinearUnitsGeoKey 9001 or absent) on a sphere of the Moon's
IAU radius (GeogSemiMajorAxisGeoKey 1737400 m, no flattening); placed by
ModelPixelScaleTag and one ModelTiepointTag (no rotation); projection
  - equirectangular (CT_Equirectangular, 17): ProjCenterLongGeoKey (central meridian),
    ProjStdParallel1GeoKey (latitude of true scale), ProjCenterLatGeoKey (latitude of
    origin, 0 if absent), false easting/northing;
  - polar stereographic (CT_PolarStereographic, 15): ProjNatOriginLatGeoKey +-90 with
    ProjScaleAtNatOriginGeoKey (scale at the pole, 1 if absent), or a latitude of true
    scale between (the GDAL convention), ProjStraightVertPoleLongGeoKey (or
    ProjNatOriginLongGeoKey) the longitude straight down from the pole, false easting/northing.
Pixel values are heights above that sphere, times the GDAL scale plus offset when the
file gives them (GDAL_METADATA); the GDAL_NODATA value and non-finite values are no data.
Anything else (geographic degrees, another body's radius, another projection, a
rotated raster) raises DemFileError naming the file and what it does not support.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MOON_RADIUS_M = 1737400.0      # IAU sphere of the LOLA and LROC products
RADIUS_TOL_M = 1.0

# TIFF tags and GeoKeys (GeoTIFF 1.0 specification)
TAG_PIXEL_SCALE, TAG_TIEPOINT, TAG_TRANSFORM = 33550, 33922, 34264
TAG_GEOKEYS, TAG_GEO_DOUBLES, TAG_GEO_ASCII = 34735, 34736, 34737
TAG_GDAL_METADATA, TAG_GDAL_NODATA = 42112, 42113
KEY_MODEL_TYPE, KEY_RASTER_TYPE = 1024, 1025
KEY_SEMI_MAJOR, KEY_SEMI_MINOR, KEY_INV_FLATTENING = 2057, 2058, 2059
KEY_COORD_TRANS, KEY_LINEAR_UNITS = 3075, 3076
KEY_STD_PARALLEL1, KEY_NAT_ORIGIN_LONG, KEY_NAT_ORIGIN_LAT = 3078, 3080, 3081
KEY_FALSE_EASTING, KEY_FALSE_NORTHING = 3082, 3083
KEY_CENTER_LONG, KEY_CENTER_LAT, KEY_SCALE_AT_ORIGIN, KEY_POLE_LONG = 3088, 3089, 3092, 3095
MODEL_PROJECTED, MODEL_GEOGRAPHIC = 1, 2
PIXEL_IS_POINT = 2
CT_POLAR_STEREOGRAPHIC, CT_EQUIRECTANGULAR = 15, 17
LINEAR_METRE = 9001


class DemFileError(ValueError):
    """A DEM file this reader refuses: the message names the file and what is wrong."""


@dataclass(frozen=True)
class Projection:
    kind: int              # CT_EQUIRECTANGULAR or CT_POLAR_STEREOGRAPHIC
    radius: float          # m, the sphere's
    lon0: float            # rad: central meridian / longitude straight down from the pole
    lat0: float            # rad: equirectangular latitude of origin; polar: +-pi/2, the pole
    lat_ts: float          # rad: equirectangular latitude of true scale
    k0: float              # polar: scale at the pole
    false_e: float         # m
    false_n: float         # m

    def forward(self, lat, lon):
        """Projected (x, y), m, of latitude and longitude in radians (arrays or scalars)."""
        R = self.radius
        dlon = np.remainder(lon - self.lon0 + math.pi, 2.0 * math.pi) - math.pi
        if self.kind == CT_EQUIRECTANGULAR:
            return self.false_e + R * dlon * math.cos(self.lat_ts), self.false_n + R * (lat - self.lat0)
        if self.lat0 > 0.0:
            rho = 2.0 * R * self.k0 * np.tan(0.25 * math.pi - 0.5 * lat)
            return self.false_e + rho * np.sin(dlon), self.false_n - rho * np.cos(dlon)
        rho = 2.0 * R * self.k0 * np.tan(0.25 * math.pi + 0.5 * lat)
        return self.false_e + rho * np.sin(dlon), self.false_n + rho * np.cos(dlon)


@dataclass(frozen=True)
class Dem:
    heights: np.ndarray    # (rows, cols) m above the sphere; NaN where no data
    x0: float              # m, projected x of column 0's centre
    y0: float              # m, projected y of row 0's centre (rows run toward -y)
    dx: float              # m per column
    dy: float              # m per row
    projection: Projection
    source: str

    @property
    def posting(self) -> float:
        """The coarser of the two pixel sizes, m."""
        return max(self.dx, self.dy)

    def heights_at(self, lat, lon):
        """(height above the sphere, valid) at latitude, longitude (rad, arrays): bilinear
        between the four pixel centres around the point; not valid if any of them has no data
        or the point is off the raster."""
        x, y = self.projection.forward(np.asarray(lat, float), np.asarray(lon, float))
        fc = (x - self.x0) / self.dx
        fr = (self.y0 - y) / self.dy
        nr, nc = self.heights.shape
        inside = (fc >= 0.0) & (fc <= nc - 1) & (fr >= 0.0) & (fr <= nr - 1)
        j = np.clip(np.floor(np.where(inside, fc, 0.0)).astype(np.int64), 0, max(nc - 2, 0))
        i = np.clip(np.floor(np.where(inside, fr, 0.0)).astype(np.int64), 0, max(nr - 2, 0))
        ax = np.where(inside, fc, 0.0) - j
        ay = np.where(inside, fr, 0.0) - i
        g = self.heights
        j1, i1 = np.minimum(j + 1, nc - 1), np.minimum(i + 1, nr - 1)
        h = ((1.0 - ay) * ((1.0 - ax) * g[i, j] + ax * g[i, j1]) + ay * ((1.0 - ax) * g[i1, j] + ax * g[i1, j1]))
        ok = inside & np.isfinite(h)
        return np.where(ok, h, 0.0), ok


def _geokeys(tags, path) -> dict[int, object]:
    """GeoKey id -> value (int, float, tuple of floats or str) from the GeoKeyDirectoryTag."""
    raw = tags.get(TAG_GEOKEYS)
    if raw is None:
        raise DemFileError(f"{path}: not a GeoTIFF (no GeoKeyDirectoryTag): unsupported")
    d = [int(v) for v in raw.value]
    doubles = tuple(float(v) for v in tags[TAG_GEO_DOUBLES].value) if TAG_GEO_DOUBLES in tags else ()
    text = tags[TAG_GEO_ASCII].value if TAG_GEO_ASCII in tags else ""
    keys = {}
    for k in range(d[3]):
        key, where, count, offset = d[4 + 4 * k:8 + 4 * k]
        if where == 0:
            keys[key] = offset
        elif where == TAG_GEO_DOUBLES:
            vals = doubles[offset:offset + count]
            keys[key] = vals[0] if count == 1 else vals
        elif where == TAG_GEO_ASCII:
            keys[key] = text[offset:offset + count].rstrip("|\0")
        else:
            keys[key] = tuple(d[offset:offset + count])
    return keys


def _sphere(keys, path) -> float:
    a = keys.get(KEY_SEMI_MAJOR)
    if not isinstance(a, float):
        raise DemFileError(f"{path}: the CRS gives no sphere radius (GeogSemiMajorAxisGeoKey): unsupported "
                           f"(a Moon sphere of {MOON_RADIUS_M:g} m is required)")
    b = keys.get(KEY_SEMI_MINOR, a)
    inv_f = keys.get(KEY_INV_FLATTENING, 0.0)
    if abs(b - a) > RADIUS_TOL_M or inv_f not in (0, 0.0):
        raise DemFileError(f"{path}: ellipsoid {a:g} x {b:g} m (inverse flattening {inv_f:g}): unsupported, "
                           f"a sphere is required")
    if abs(a - MOON_RADIUS_M) > RADIUS_TOL_M:
        raise DemFileError(f"{path}: sphere of radius {a:g} m: unsupported, the Moon's IAU sphere "
                           f"({MOON_RADIUS_M:g} m) is required")
    return a


def _projection(keys, path) -> Projection:
    model = keys.get(KEY_MODEL_TYPE)
    if model == MODEL_GEOGRAPHIC:
        raise DemFileError(f"{path}: geographic CRS (degrees): unsupported; reproject to equirectangular or polar "
                           "stereographic in metres (e.g. gdalwarp -t_srs '+proj=eqc +R=1737400 +lat_ts=...')")
    if model != MODEL_PROJECTED:
        raise DemFileError(f"{path}: GTModelTypeGeoKey {model}: unsupported, a projected CRS is required")
    units = keys.get(KEY_LINEAR_UNITS, LINEAR_METRE)
    if units != LINEAR_METRE:
        raise DemFileError(f"{path}: linear unit code {units}: unsupported, metres (9001) are required")
    radius = _sphere(keys, path)
    kind = keys.get(KEY_COORD_TRANS)

    def deg(key, default=None):
        v = keys.get(key, default)
        if v is None:
            raise DemFileError(f"{path}: projection {kind} without GeoKey {key}: unsupported")
        return math.radians(float(v))

    fe, fn = float(keys.get(KEY_FALSE_EASTING, 0.0)), float(keys.get(KEY_FALSE_NORTHING, 0.0))
    if kind == CT_EQUIRECTANGULAR:
        lon0 = deg(KEY_CENTER_LONG, keys.get(KEY_NAT_ORIGIN_LONG, 0.0))
        lat_ts = deg(KEY_STD_PARALLEL1, 0.0)
        return Projection(kind, radius, lon0, deg(KEY_CENTER_LAT, 0.0), lat_ts, 1.0, fe, fn)
    if kind == CT_POLAR_STEREOGRAPHIC:
        lat = deg(KEY_NAT_ORIGIN_LAT)
        lon0 = deg(KEY_POLE_LONG, keys.get(KEY_NAT_ORIGIN_LONG, 0.0))
        k = float(keys.get(KEY_SCALE_AT_ORIGIN, 1.0))
        if abs(abs(lat) - 0.5 * math.pi) < 1e-12:
            k0 = k
        elif k == 1.0 and lat != 0.0:
            k0 = 0.5 * (1.0 + math.sin(abs(lat)))        # true scale at latitude lat (sphere)
        else:
            raise DemFileError(f"{path}: polar stereographic with origin latitude {math.degrees(lat):g} deg and "
                               f"scale {k:g}: unsupported")
        return Projection(kind, radius, lon0, math.copysign(0.5 * math.pi, lat), 0.0, k0, fe, fn)
    raise DemFileError(f"{path}: projection code {kind} (ProjCoordTransGeoKey): unsupported, only equirectangular "
                       f"({CT_EQUIRECTANGULAR}) and polar stereographic ({CT_POLAR_STEREOGRAPHIC})")


def _scale_offset(tags) -> tuple[float, float]:
    """GDAL's band scale and offset (GDAL_METADATA XML), 1 and 0 when absent."""
    xml = tags[TAG_GDAL_METADATA].value if TAG_GDAL_METADATA in tags else ""

    def item(role, default):
        m = re.search(rf'<Item[^>]*role="{role}"[^>]*>\s*([^<]+)<', xml)
        return float(m.group(1)) if m else default
    return item("scale", 1.0), item("offset", 0.0)


def read(path) -> Dem:
    """The DEM of a GeoTIFF file; DemFileError if unreadable or unsupported."""
    import tifffile

    path = Path(path)
    try:
        tif = tifffile.TiffFile(path)
    except FileNotFoundError:
        raise DemFileError(f"{path}: DEM file not found") from None
    except (tifffile.TiffFileError, OSError, ValueError) as e:
        raise DemFileError(f"{path}: not a readable TIFF file ({e})") from None
    with tif:
        page = tif.pages.first
        tags = page.tags
        keys = _geokeys(tags, path)
        projection = _projection(keys, path)
        if TAG_TRANSFORM in tags:
            raise DemFileError(f"{path}: ModelTransformationTag (rotated or sheared raster): unsupported, "
                               "ModelPixelScaleTag and ModelTiepointTag are required")
        if TAG_PIXEL_SCALE not in tags or TAG_TIEPOINT not in tags:
            raise DemFileError(f"{path}: no ModelPixelScaleTag / ModelTiepointTag: unsupported")
        tie = [float(v) for v in tags[TAG_TIEPOINT].value]
        if len(tie) != 6:
            raise DemFileError(f"{path}: {len(tie) // 6} tie points: unsupported, one is required")
        sx, sy = (float(v) for v in tags[TAG_PIXEL_SCALE].value[:2])
        if not (sx > 0.0 and sy > 0.0):
            raise DemFileError(f"{path}: pixel scale {sx:g} x {sy:g}: unsupported, positive sizes are required")
        if page.samplesperpixel != 1:
            raise DemFileError(f"{path}: {page.samplesperpixel} samples per pixel: unsupported, one band is required")
        try:
            heights = page.asarray().astype(np.float64)
        except Exception as e:      # a compression without its codec, a truncated file
            raise DemFileError(f"{path}: cannot read the pixels ({e})") from None
        if heights.ndim != 2:
            raise DemFileError(f"{path}: pixel array of shape {heights.shape}: unsupported, one band is required")
        nodata = tags[TAG_GDAL_NODATA].value if TAG_GDAL_NODATA in tags else None
        scale, offset = _scale_offset(tags)
    if nodata is not None:
        heights[heights == float(str(nodata).strip("\0 "))] = np.nan
    heights[~np.isfinite(heights)] = np.nan
    heights = heights * scale + offset
    # pixel-is-area (the default): the tie point is a pixel's corner; pixel-is-point: its centre
    half = 0.0 if keys.get(KEY_RASTER_TYPE) == PIXEL_IS_POINT else 0.5
    i, j, x, y = tie[0], tie[1], tie[3], tie[4]
    return Dem(heights, x + (half - i) * sx, y - (half - j) * sy, sx, sy, projection, str(path))
