"""Coordinates of reports: WGS-84, or the offset systems of Chinese map apps.

Phones with Amap, Tencent or Baidu maps report positions in GCJ-02 or BD-09, which lie
a few hundred metres off WGS-84. A report names its system in ``crs``; the service keeps
what was reported and plans with WGS-84, converted by ``geodata.to_wgs84`` where this
version of geodata has it.
"""

from __future__ import annotations

import math
import re

import numpy as np

__all__ = ["CRS_NAMES", "WGS84", "canonical_crs", "convert_to_wgs84"]

WGS84 = "WGS-84"
#: Accepted spellings of each coordinate system, by canonical name.
CRS_NAMES: dict[str, tuple[str, ...]] = {
    WGS84: ("WGS-84", "WGS84", "EPSG:4326", "4326"),
    "GCJ-02": ("GCJ-02", "GCJ02"),
    "BD-09": ("BD-09", "BD09", "BD-09LL", "BD09LL"),
}
_LOOKUP = {re.sub(r"[\s_-]", "", alias.upper()): name
           for name, aliases in CRS_NAMES.items() for alias in aliases}


def canonical_crs(value: str) -> str:
    """The canonical name of a coordinate system (``"gcj02"`` -> ``"GCJ-02"``).

    Raises
    ------
    ValueError
        An unknown name; the message lists the accepted ones.

    Examples
    --------
    >>> canonical_crs("epsg:4326"), canonical_crs("bd09")
    ('WGS-84', 'BD-09')
    """
    name = _LOOKUP.get(re.sub(r"[\s_-]", "", str(value).upper()))
    if name is None:
        raise ValueError(f"unknown coordinate system {value!r}; use one of "
                         f"{', '.join(CRS_NAMES)}")
    return name


def convert_to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """``(lon, lat)`` in WGS-84 of a point given in ``crs`` (a canonical name).

    Raises
    ------
    LookupError
        ``crs`` is not WGS-84 and this version of geodata cannot convert it.
    ValueError
        The conversion gave no finite coordinates.
    """
    if crs == WGS84:
        return float(lon), float(lat)
    import geodata

    convert = getattr(geodata, "to_wgs84", None)
    if convert is None:
        raise LookupError(f"this version cannot convert {crs} coordinates yet; convert them "
                          "to WGS-84 (EPSG:4326, what GPS gives) before reporting, or send "
                          "the position from the phone's GPS with crs \"WGS-84\"")
    out = convert(lon, lat, crs)
    x, y = (float(np.ravel(v)[0]) for v in out[:2])
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise ValueError(f"converting ({lon}, {lat}) from {crs} gave ({x}, {y}); check the "
                         "coordinates (lon first, then lat)")
    return x, y
