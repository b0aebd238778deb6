"""Map tiles of the pages: OpenStreetMap by default, Tianditu, Amap, or any XYZ template.

A page draws its routes offline (the street network is embedded); tiles are the backdrop
when a network is there. Chinese tile services draw their streets in their own coordinate
systems: Amap (Gaode) and Tencent in GCJ-02, so routes and stops, computed in WGS-84 on
OpenStreetMap streets, are shifted into GCJ-02 before they are drawn over such tiles
(``TileSource.display``). Tianditu uses CGCS2000, which is WGS-84 to within centimetres.

A key (Tianditu's ``tk``) is read from an environment variable named in the scenario,
never from a file; it ends up in the pages' tile URLs, as every browser key does.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from maps._errors import MapsError

__all__ = ["TILE_CRS", "TILE_PRESETS", "TileSource", "tile_source"]

logger = logging.getLogger(__name__)

#: Coordinate systems a tile source can draw its streets in.
TILE_CRS = ("WGS-84", "GCJ-02")

_TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
             "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")


@dataclass(frozen=True, slots=True)
class TileSource:
    """Where the background tiles of the pages come from.

    Parameters
    ----------
    name
        Shown in the layer list (``"OpenStreetMap"``).
    url
        An XYZ template with ``{z}``, ``{x}``, ``{y}``; optional ``{s}`` (a subdomain)
        and ``{key}`` (replaced by the key from ``key_env``).
    attribution
        The credit line the tile provider asks for (HTML).
    crs
        ``"WGS-84"`` or ``"GCJ-02"``: the system the tiles draw their streets in.
    key_env
        The environment variable that holds the key, for a ``url`` with ``{key}``.
    subdomains
        The letters or digits ``{s}`` takes.
    max_zoom
        The deepest zoom the provider serves.
    labels_url
        A second, transparent template drawn above (Tianditu's street names).
    """

    name: str
    url: str
    attribution: str
    crs: str = "WGS-84"
    key_env: str = ""
    subdomains: str = "abc"
    max_zoom: int = 19
    labels_url: str = ""

    def __post_init__(self) -> None:
        problems = []
        for tpl, what in ((self.url, "url"), (self.labels_url, "labels_url")):
            if not tpl and what == "labels_url":
                continue
            missing = [p for p in ("{z}", "{x}", "{y}") if p not in tpl]
            if missing:
                problems.append(f"{what} {tpl!r} lacks {', '.join(missing)}; an XYZ template "
                                "looks like https://tile.example.org/{z}/{x}/{y}.png")
        if self.crs not in TILE_CRS:
            problems.append(f"crs must be one of {', '.join(TILE_CRS)}, got {self.crs!r}")
        if "{key}" in self.url + self.labels_url and not self.key_env:
            problems.append(f"url {self.url!r} needs a key: name the environment variable "
                            "that holds it (key_env)")
        if not self.attribution.strip():
            problems.append(f"tiles {self.name!r} need an attribution (the provider's credit)")
        if not 1 <= self.max_zoom <= 22:
            problems.append(f"max_zoom must be 1..22, got {self.max_zoom}")
        if problems:
            raise MapsError("map tiles: " + "; ".join(problems))

    @property
    def shifted(self) -> bool:
        """True when routes must be moved into GCJ-02 to lie on these tiles' streets."""
        return self.crs == "GCJ-02"

    def urls(self, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
        """The tile and label templates with the key filled in (label ``""`` if none).

        Raises
        ------
        MapsError
            If the template needs a key and the environment variable is not set.
        """
        env = os.environ if environ is None else environ
        key = ""
        if "{key}" in self.url + self.labels_url:
            key = env.get(self.key_env, "").strip()
            if not key:
                raise MapsError(
                    f"map tiles {self.name!r} need a key in the environment variable "
                    f"{self.key_env}; set it (export {self.key_env}=...) or choose "
                    "tiles = \"osm\" in the scenario's [map] table"
                )
        return self.url.replace("{key}", key), self.labels_url.replace("{key}", key)

    def display(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS-84 ``lon, lat`` (degrees) moved into the tiles' system (arrays, same shape)."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if not self.shifted or lon.size == 0:
            return lon, lat
        from geodata import wgs84_to_gcj02

        x, y = wgs84_to_gcj02(lon, lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


#: Tile sources by the name a scenario gives (``[map] tiles = "tianditu"``).
TILE_PRESETS: dict[str, TileSource] = {
    "osm": TileSource(
        "OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
        "contributors", subdomains="", max_zoom=19),
    "tianditu": TileSource(
        "天地图 Tianditu", _TIANDITU.replace("{layer}", "vec"),
        '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>',
        key_env="TIANDITU_KEY", subdomains="01234567", max_zoom=18,
        labels_url=_TIANDITU.replace("{layer}", "cva")),
    "amap": TileSource(
        "高德地图 Amap",
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "&copy; 高德地图 AutoNavi", crs="GCJ-02", subdomains="1234", max_zoom=18),
}

_TEMPLATE = re.compile(r"^https?://", re.I)


def tile_source(tiles: str | TileSource | None = None, *, attribution: str | None = None,
                crs: str | None = None, key_env: str | None = None,
                name: str | None = None) -> TileSource:
    """A tile source from a preset name or an XYZ template.

    Parameters
    ----------
    tiles
        ``"osm"`` (default), ``"tianditu"`` (needs a key), ``"amap"`` (GCJ-02), an XYZ
        template ``https://.../{z}/{x}/{y}.png``, or a ``TileSource`` (returned as is).
    attribution, crs, key_env, name
        Override the preset's, or describe a template (``attribution`` is required
        for one; ``crs`` defaults to ``"WGS-84"``).

    Returns
    -------
    TileSource

    Raises
    ------
    MapsError
        Unknown preset, a template without ``{z}/{x}/{y}`` or attribution, a bad ``crs``.

    Examples
    --------
    >>> tile_source("tianditu").key_env
    'TIANDITU_KEY'
    >>> tile_source("https://tiles.example.org/{z}/{x}/{y}.png", attribution="Example",
    ...             crs="GCJ-02").shifted
    True
    """
    if isinstance(tiles, TileSource):
        return tiles
    spec = (tiles or "osm").strip()
    preset = TILE_PRESETS.get(spec.lower())
    if preset is None and not _TEMPLATE.match(spec):
        raise MapsError(
            f"map tiles {spec!r}: use one of {', '.join(TILE_PRESETS)} or an XYZ template "
            "like https://tile.example.org/{z}/{x}/{y}.png"
        )
    if preset is None:
        subdomains = "abc" if "{s}" in spec else ""
        return TileSource(name or "Map tiles", spec, attribution or "", crs or "WGS-84",
                          key_env or "", subdomains)
    changes = {k: v for k, v in (("attribution", attribution), ("crs", crs),
                                 ("key_env", key_env), ("name", name)) if v}
    return replace(preset, **changes) if changes else preset
