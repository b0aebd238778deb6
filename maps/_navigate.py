"""Links that hand a stop to the phone's own navigation app.

Three per place: a ``geo:`` URI (RFC 5870, WGS-84; Android offers every map app that
handles it), Amap (Gaode) navigation (its URI API, coordinates in GCJ-02) and Baidu Maps
navigation (its app URI, coordinates in BD-09). The conversions are geodata's, so a link
lands on the same street the route was planned to, in the system each app reads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

__all__ = ["NavLinks", "navigate_links"]

logger = logging.getLogger(__name__)

#: Who opens the app (both APIs ask for a source name).
SOURCE = "sanitation-routes"


@dataclass(frozen=True, slots=True)
class NavLinks:
    """The navigation links of one place (``geo``, ``amap``, ``baidu``: URLs)."""

    geo: str
    amap: str
    baidu: str


def navigate_links(lonlat: Sequence[tuple[float, float]],
                   labels: Sequence[str]) -> list[NavLinks]:
    """Navigation links for places given in WGS-84 ``(lon, lat)``, with their labels.

    Examples
    --------
    >>> link = navigate_links([(24.9384, 60.1699)], ["DS-1"])[0]
    >>> link.geo
    'geo:60.169900,24.938400?q=60.169900,24.938400(DS-1)'
    """
    from geodata import wgs84_to_bd09, wgs84_to_gcj02

    if len(lonlat) == 0:
        return []
    xy = np.asarray(lonlat, dtype=float)
    glon, glat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    blon, blat = wgs84_to_bd09(xy[:, 0], xy[:, 1])
    out = []
    for k, label in enumerate(labels):
        lon, lat = xy[k]
        name = quote(label, safe="")
        out.append(NavLinks(
            geo=f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({name})",
            amap=(f"https://uri.amap.com/navigation?to={glon[k]:.6f},{glat[k]:.6f},{name}"
                  f"&mode=car&coordinate=gaode&callnative=1&src={SOURCE}"),
            baidu=(f"baidumap://map/direction?destination=latlng:{blat[k]:.6f},{blon[k]:.6f}"
                   f"|name:{name}&coord_type=bd09ll&mode=driving&src={SOURCE}"),
        ))
    return out
