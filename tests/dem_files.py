"""Small GeoTIFF DEMs written by the tests (tifffile), with the geo tags LOLA and LROC NAC
products carry, and the closed forms of spherical geometry the tests check the reader against.

Written independently of gnc.geotiff: the tags from the GeoTIFF 1.0 specification, the
projection from its textbook forms (Snyder 1987, equidistant cylindrical on the sphere)."""
from __future__ import annotations

import math

import numpy as np

MOON_R = 1737400.0


EQUIRECTANGULAR, POLAR_STEREOGRAPHIC = 17, 15


def write(path, heights, x_left, y_top, posting, projection, radius=MOON_R, model=1, nodata=None):
    """heights (rows from north to south, m above the sphere) as a float32 GeoTIFF: pixel-is-area,
    the top-left pixel's corner at projected (x_left, y_top) m, square pixels of posting m.
    projection: {GeoKey: value}, an int value a SHORT key, a float one a DOUBLE key
    (e.g. {3075: 17, 3088: lon0_deg, 3078: lat_ts_deg}); the sphere of radius and the
    projected model in metres are added."""
    import tifffile

    keys = {1024: model, 1025: 1, 2057: float(radius), 2058: float(radius), 3072: 32767, 3074: 32767,
            3076: 9001, **projection}
    doubles, entries = [], []
    for key in sorted(keys):
        value = keys[key]
        if isinstance(value, float):
            entries.append((key, 34736, 1, len(doubles)))
            doubles.append(value)
        else:
            entries.append((key, 0, 1, value))
    directory = [1, 1, 0, len(entries)] + [v for e in entries for v in e]
    tags = [(33550, "d", 3, (posting, posting, 0.0), True),
            (33922, "d", 6, (0.0, 0.0, 0.0, x_left, y_top, 0.0), True),
            (34735, "H", len(directory), directory, True),
            (34736, "d", len(doubles), doubles, True)]
    if nodata is not None:
        tags.append((42113, "s", 0, f"{nodata:g}", True))
    tifffile.imwrite(path, np.asarray(heights, np.float32), extratags=tags)


def equirectangular(lon0_deg, lat_ts_deg):
    """The GeoKeys of an equirectangular projection: central meridian, latitude of true scale."""
    return {3075: EQUIRECTANGULAR, 3088: float(lon0_deg), 3078: float(lat_ts_deg), 3089: 0.0}


def project(lat, lon, lon0, lat_ts, radius=MOON_R):
    """Equidistant cylindrical (equirectangular) on the sphere, radians in, metres out."""
    return radius * (lon - lon0) * math.cos(lat_ts), radius * lat


def unproject(x, y, lon0, lat_ts, radius=MOON_R):
    return y / radius, lon0 + x / (radius * np.cos(lat_ts))


def destination(lat, lon, azimuth, distance, radius=MOON_R):
    """The point distance m along the great circle leaving (lat, lon) at azimuth (from north), radians."""
    d = distance / radius
    lat2 = np.arcsin(np.sin(lat) * np.cos(d) + np.cos(lat) * np.sin(d) * np.cos(azimuth))
    lon2 = lon + np.arctan2(np.sin(azimuth) * np.sin(d) * np.cos(lat), np.cos(d) - np.sin(lat) * np.sin(lat2))
    return lat2, lon2


def great_circle(lat1, lon1, lat2, lon2, radius=MOON_R):
    """Distance over the sphere, m (haversine)."""
    a = np.sin(0.5 * (lat2 - lat1)) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(0.5 * (lon2 - lon1)) ** 2
    return 2.0 * radius * np.arcsin(np.sqrt(a))


def enu(lat, lon, lat0, lon0):
    """East, north, up components of the unit vector to (lat, lon) in the axes of (lat0, lon0)."""
    p = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    east = np.array([-math.sin(lon0), math.cos(lon0), 0.0])
    north = np.array([-math.sin(lat0) * math.cos(lon0), -math.sin(lat0) * math.sin(lon0), math.cos(lat0)])
    up = np.array([math.cos(lat0) * math.cos(lon0), math.cos(lat0) * math.sin(lon0), math.sin(lat0)])
    return east @ p, north @ p, up @ p
