"""Self-contained HTML: Leaflet and its plugins inlined, no CDN.

folium's default page loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; where
those are blocked or the phone is offline the driver sees a blank page. Here the map's
``default_js`` / ``default_css`` are emptied and everything is inlined from installed
packages: Leaflet 1.9.3 (``xstatic-leaflet``, its layer-control images as data URIs),
Leaflet.markercluster (``xstatic-leaflet-markercluster``), and two small plugins kept in
``maps/assets`` (Leaflet.FeatureGroup.SubGroup, Leaflet.PolylineOffset, see its
README), with the pages' own script and styles (``assets/sn.js``, ``assets/sn.css``).
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import folium.plugins
from branca.element import Element, MacroElement
from folium.utilities import JsCode
from jinja2 import Template

import i18n
from maps._errors import OfflineError
from maps._tiles import TileSource, tile_source

__all__ = [
    "PageScript",
    "add_cluster",
    "layer_control",
    "leaflet_assets",
    "new_map",
    "plugin_assets",
    "render_html",
    "sub_group",
    "to_json",
]

logger = logging.getLogger(__name__)

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
ASSETS = Path(__file__).parent / "assets"
#: Pixels: stops closer than this on screen merge into one marker that lists them.
CLUSTER_RADIUS_PX = 40


@functools.cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS text from xstatic-leaflet, images inlined as data URIs."""
    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("marker"):  # default marker icons are never used here
            return "none"
        data = base64.b64encode((base / "images" / name).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    return _no_sourcemap(js), css


def _no_sourcemap(js: str) -> str:
    # the browser would ask for the .map file
    return re.sub(r"//# sourceMappingURL=\S+", "", js)


@functools.cache
def plugin_assets() -> tuple[str, str]:
    """The plugins' and the pages' own JS and CSS (markercluster, subgroup, offset, sn)."""
    import xstatic.pkg.leaflet_markercluster as xmc

    mc = Path(xmc.BASE_DIR)
    js = [_no_sourcemap((mc / "leaflet.markercluster.js").read_text(encoding="utf-8"))]
    js += [(ASSETS / name).read_text(encoding="utf-8")
           for name in ("leaflet.featuregroup.subgroup.js", "leaflet.polylineoffset.js")]
    # the pages' own script without its comments (a phone downloads every byte)
    own = re.sub(r"/\*.*?\*/", "", (ASSETS / "sn.js").read_text(encoding="utf-8"), flags=re.S)
    js.append(re.sub(r"^\s*//[^\n]*$", "", own, flags=re.M))
    css = [(mc / "MarkerCluster.css").read_text(encoding="utf-8"),
           (ASSETS / "sn.css").read_text(encoding="utf-8")]
    return "\n".join(js), "\n".join(css)


def new_map(bounds: Sequence[Sequence[float]], *, title: str,
            tiles: TileSource | None = None, canvas: bool = False) -> folium.Map:
    """A folium Map with no CDN assets, tiles (online only) and fitted ``bounds``.

    ``bounds`` are ``[[south, west], [north, east]]`` in the tiles' coordinates;
    ``canvas`` draws lines on a canvas (fast with thousands of vertices).
    """
    tiles = tile_source(tiles)
    m = folium.Map(tiles=None, control_scale=True, zoom_control=True, prefer_canvas=canvas,
                   zoom_snap=0.25, max_zoom=tiles.max_zoom)
    m.default_js = []
    m.default_css = []
    url, labels = tiles.urls()
    layer = folium.TileLayer(url, name=tiles.name, attr=tiles.attribution,
                             max_zoom=tiles.max_zoom, subdomains=tiles.subdomains or "abc",
                             control=True)
    layer.add_to(m)
    if labels:
        folium.TileLayer(labels, name=tiles.name, attr=tiles.attribution, overlay=True,
                         control=False, max_zoom=tiles.max_zoom,
                         subdomains=tiles.subdomains or "abc").add_to(m)
    m.fit_bounds(bounds, padding=(24, 24))
    js, css = leaflet_assets()
    pjs, pcss = plugin_assets()
    root = m.get_root()
    root.header.add_child(Element(f"<title>{_html_text(title)}</title>"), name="sn_title",
                          index=0)
    root.header.add_child(Element(f"<style>{css}\n{pcss}</style>"), name="sn_css", index=1)
    root.header.add_child(Element(f"<script>{js}\n{pjs}</script>"), name="sn_leaflet", index=2)
    return m


def _html_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def add_cluster(m: folium.Map) -> folium.plugins.MarkerCluster:
    """The map's one cluster group: stops close together on screen merge into one marker."""
    cluster = folium.plugins.MarkerCluster(
        control=False, show=True, options={
            "maxClusterRadius": CLUSTER_RADIUS_PX, "showCoverageOnHover": False,
            "spiderfyOnMaxZoom": True, "chunkedLoading": True,
            "spiderLegPolylineOptions": {"weight": 1.5, "color": "#263238", "opacity": 0.6},
        })
    cluster.default_js = []
    cluster.default_css = []
    cluster.add_to(m)
    return cluster


def sub_group(m: folium.Map, parent: Any, name: str, *, show: bool = True,
              control: bool = True) -> folium.plugins.FeatureGroupSubGroup:
    """A layer of the cluster group with its own entry in the layer list."""
    group = folium.plugins.FeatureGroupSubGroup(parent, name=name, show=show, control=control)
    group.default_js = []
    group.add_to(m)
    return group


def layer_control(m: folium.Map, *, collapsed: bool | None = None) -> folium.LayerControl:
    """The layer list; ``collapsed=None``: collapsed on a phone, open on a wide screen."""
    ctl = folium.LayerControl(collapsed=JsCode("SN.phone()") if collapsed is None else collapsed)
    ctl.add_to(m)
    return ctl


class PageScript(MacroElement):
    """Runs ``SN.page(map, layers, data)`` (``assets/sn.js``) with the page's data.

    ``layers`` maps names to folium layers: ``streets`` (a FeatureGroup), ``cluster``
    (the MarkerCluster) and ``groups`` (key -> layer, where routes and markers go).
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }}_data = {{ this.data }};\n"
        "SN.page({{ this._parent.get_name() }}, {{ this.layers }}, {{ this.get_name() }}_data);"
        "{% endmacro %}"
    )

    def __init__(self, data: dict[str, Any], *, streets: Any, cluster: Any,
                 groups: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PageScript"
        self.data = to_json(data).replace("</", "<\\/")
        names = ",".join(f"{to_json(k)}:{g.get_name()}" for k, g in groups.items())
        cluster_name = cluster.get_name() if cluster is not None else "null"
        self.layers = f"{{streets:{streets.get_name()},cluster:{cluster_name},groups:{{{names}}}}}"


_CDN = re.compile(r"<(script|link)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//[^\s\"'>]*", re.I)
_VIEWPORT_RE = re.compile(r'<meta name="viewport"[^>]*>', re.S)


def render_html(m: folium.Map) -> str:
    """Render a map to one self-contained HTML page.

    Raises
    ------
    OfflineError
        If any ``<script src>`` or ``<link href>`` still points to the network.
    """
    m.default_js = []
    m.default_css = []
    html = m.get_root().render()
    html = _VIEWPORT_RE.sub("", html)
    html = re.sub(r'<meta http-equiv="content-type"[^>]*>', "", html, flags=re.I)
    html = html.replace("<head>", f'<head>\n<meta charset="utf-8">\n{VIEWPORT}', 1)
    # the page's language: browsers pick the fonts of its script (CJK for zh-CN) by it
    html = html.replace("<html>", f'<html lang="{i18n.html_lang()}">', 1)
    # indentation and blank lines are a tenth of a page; no JS, CSS or HTML here needs them
    html = re.sub(r"\n\s+", "\n", html)
    bad = _CDN.search(html)
    if bad:
        raise OfflineError(f"rendered page still loads from the network: {bad.group(0)!r}")
    return html


def to_json(value: object) -> str:
    """Compact JSON for inline data (non-ASCII kept: the page declares UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
