"""The coordinate systems of Chinese web maps: GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu).

Points copied from Chinese map apps are not WGS-84: by regulation, maps published in
China shift WGS-84 by the GCJ-02 transform (a few hundred metres, varying smoothly), and
Baidu shifts GCJ-02 once more into BD-09. OpenStreetMap is WGS-84, so such points must
be converted before they are snapped to streets.

The forward transforms (WGS-84 -> GCJ-02, GCJ-02 -> BD-09) are the published formulas;
their inverses are found by fixed-point iteration on the forward transform until the
round trip agrees within :data:`TOLERANCE_DEG` (about 1 mm), far inside the 0.5 m that
snapping needs. GCJ-02 is defined only in mainland China: outside the rectangle of
:func:`in_china` its offset is zero by definition, as every implementation of the
formula treats it. The BD-09 step is applied wherever it is asked for, as Baidu's own
formula is.

All functions take scalars or numpy arrays of longitudes and latitudes in degrees and
return a ``(lon, lat)`` pair of float arrays of the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

__all__ = [
    "CHINESE_CRS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "chinese_crs",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

#: Names accepted for the two Chinese systems (compared without case, spaces, - or _).
CHINESE_CRS: dict[str, str] = {"gcj02": "GCJ-02", "bd09": "BD-09", "bd09ll": "BD-09",
                               "amap": "GCJ-02", "gaode": "GCJ-02", "baidu": "BD-09"}
#: Inverses stop when the round trip is within this many degrees (about 1 mm).
TOLERANCE_DEG = 1e-8
_MAX_ITERATIONS = 30

# The Krasovsky 1940 ellipsoid of the published GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def chinese_crs(crs: Any) -> str | None:
    """``"GCJ-02"`` or ``"BD-09"`` if ``crs`` names one of them, else ``None``.

    Examples
    --------
    >>> chinese_crs("gcj-02"), chinese_crs("BD09"), chinese_crs("EPSG:4326")
    ('GCJ-02', 'BD-09', None)
    """
    if not isinstance(crs, str):
        return None
    key = "".join(ch for ch in crs.strip().lower() if ch not in " -_")
    return CHINESE_CRS.get(key)


def _arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def in_china(lon: Any, lat: Any) -> np.ndarray:
    """Whether points lie in the rectangle where GCJ-02 applies, as a boolean array.

    The rectangle is lon 72.004..137.8347, lat 0.8293..55.8271 (degrees), the bounds
    every implementation of the published formula uses.
    """
    lon, lat = _arrays(lon, lat)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published GCJ-02 offset (degrees) at WGS-84 points; zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 to GCJ-02 (the published forward transform), degrees.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.410244, 39.916404)
    """
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, lon: np.ndarray, lat: np.ndarray, what: str
            ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The point whose ``forward`` image is ``(lon, lat)``, by fixed-point iteration."""
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if np.all(np.abs(ex) < TOLERANCE_DEG) and np.all(np.abs(ey) < TOLERANCE_DEG):
            break
    else:  # the offsets vary slowly, so this converges in a handful of steps
        logger.warning("%s inverse did not converge within %d iterations", what,
                       _MAX_ITERATIONS)
    return x, y


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS-84: the inverse of :func:`wgs84_to_gcj02` within about 1 mm.

    Outside China the offset is zero, so points there come back unchanged.
    """
    lon, lat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon, lat, "GCJ-02")


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (Baidu's published formula), degrees."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to GCJ-02: the inverse of :func:`gcj02_to_bd09` within about 1 mm."""
    lon, lat = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, lon, lat, "BD-09")


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 to BD-09 (through GCJ-02), degrees."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to WGS-84 (through GCJ-02), degrees."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(x: Any, y: Any, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in ``crs`` as WGS-84 longitude and latitude (degrees).

    Parameters
    ----------
    x, y
        Longitude/latitude (degrees) for ``"GCJ-02"`` and ``"BD-09"``; for an EPSG code or
        any CRS pyproj knows, the coordinates in that CRS's axis units, x (easting or
        longitude) first.
    crs
        ``"GCJ-02"`` (Amap/Gaode, Tencent), ``"BD-09"`` (Baidu), or anything
        ``pyproj.CRS.from_user_input`` accepts (``"EPSG:3067"``, ``4326``...).

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 (EPSG:4326) degrees.

    Raises
    ------
    pyproj.exceptions.CRSError
        If ``crs`` is neither Chinese system nor a CRS pyproj knows.

    Examples
    --------
    >>> lon, lat = to_wgs84(127.4990, 50.2470, "GCJ-02")  # Heihe, from Amap
    >>> bool(abs(lon - 127.4990) > 1e-4)
    True
    """
    name = chinese_crs(crs)
    if name == "GCJ-02":
        return gcj02_to_wgs84(x, y)
    if name == "BD-09":
        return bd09_to_wgs84(x, y)
    from pyproj import CRS, Transformer

    source = CRS.from_user_input(crs)
    x, y = _arrays(x, y)
    if source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return x.copy(), y.copy()
    transformer = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
