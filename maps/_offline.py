"""Self-contained HTML: Leaflet inlined, no CDN, plain-Leaflet replacements for plugins.

folium's default page loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; where
those are blocked or the phone is offline the driver sees a blank page. Here the map's
``default_js`` / ``default_css`` are emptied, Leaflet 1.9.3 (JS and CSS, its two layer
control images as data URIs) comes from the installed ``xstatic-leaflet`` package, and
the few features we need from plugins are rebuilt with plain Leaflet: popups without
jQuery, direction arrowheads, a locate-me button and a faint street-network base layer.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import folium
import networkx as nx
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

from maps._errors import OfflineError
from maps._style import BADGE_CSS, BASE_NETWORK_COLOUR

__all__ = [
    "DirectionArrows",
    "LocateControl",
    "PlainPopup",
    "base_network_layer",
    "leaflet_assets",
    "new_map",
    "render_html",
    "screen_coords",
]

logger = logging.getLogger(__name__)

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
#: Degrees: about 1 m, finer than a phone screen shows at street zoom.
SIMPLIFY_DEG = 1e-5
DECIMALS = 5


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
    # drop the sourcemap comment so the browser never asks for the .map file
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    return js, css


def screen_coords(coords: Iterable[Sequence[float]], *, simplify: bool = True) -> list[list[float]]:
    """``(lon, lat)`` pairs to Leaflet ``[lat, lon]``, simplified and rounded to 5 decimals.

    Simplification (Douglas-Peucker, 1e-5°, about 1 m) keeps a subset of the original
    vertices, so the line still lies on the streets.
    """
    pts = [(float(x), float(y)) for x, y in coords]
    if simplify and len(pts) > 2:
        pts = list(LineString(pts).simplify(SIMPLIFY_DEG, preserve_topology=False).coords)
    out: list[list[float]] = []
    for x, y in pts:
        p = [round(y, DECIMALS), round(x, DECIMALS)]
        if not out or out[-1] != p:
            out.append(p)
    return out


class PlainPopup(MacroElement):
    """A popup bound to its parent layer with ``bindPopup(html)`` (folium's needs jQuery)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }},"
        " {maxWidth: {{ this.max_width }}});"
        "{% endmacro %}"
    )

    def __init__(self, html: str, *, max_width: int = 280):
        super().__init__()
        self._name = "PlainPopup"
        self.html = html
        self.max_width = int(max_width)


_ARROWS_JS = """
function snArrows(map, specs, spacing) {
  var groups = specs.map(function (s) { var g = L.layerGroup(); s[1].addLayer(g); return g; });
  function parts(ll) { return ll.length && !(ll[0] instanceof L.LatLng) ? ll : [ll]; }
  function draw() {
    var view = map.getBounds().pad(0.2), budget = 600;
    specs.forEach(function (s, i) {
      var g = groups[i]; g.clearLayers();
      if (!map.hasLayer(s[1])) return;
      parts(s[0].getLatLngs()).forEach(function (ll) {
        var pts = ll.map(function (p) { return map.latLngToLayerPoint(p); });
        var next = spacing / 2, walked = 0;
        for (var k = 1; k < pts.length && budget > 0; k++) {
          var a = pts[k - 1], b = pts[k], d = a.distanceTo(b);
          while (d > 0 && walked + d >= next && budget > 0) {
            var t = (next - walked) / d;
            var p = L.point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
            var at = map.layerPointToLatLng(p);
            if (view.contains(at)) {
              var deg = Math.atan2(b.y - a.y, b.x - a.x) * 180 / Math.PI;
              g.addLayer(L.marker(at, {interactive: false, keyboard: false, icon: L.divIcon({
                className: 'sn-arrow', iconSize: [14, 14], iconAnchor: [7, 7],
                html: '<svg width="14" height="14" viewBox="0 0 14 14" style="transform:rotate(' +
                  deg.toFixed(0) + 'deg)"><path d="M2 2 L12 7 L2 12 L5 7 Z" fill="' + s[2] +
                  '" stroke="#fff" stroke-width="1"/></svg>'})}));
              budget--;
            }
            next += spacing;
          }
          walked += d;
        }
      });
    });
  }
  map.on('zoomend moveend overlayadd overlayremove', draw);
  draw();
}
"""


class DirectionArrows(MacroElement):
    """Arrowheads every ``spacing_px`` pixels along polylines, redrawn on zoom and pan.

    Plain Leaflet (the polyline-decorator plugin is CDN-only). Each arrow layer lives in
    the polyline's FeatureGroup, so hiding a truck's layer hides its arrows too.
    """

    _template = Template(
        "{% macro header(this, kwargs) %}<script>{{ this.js }}</script>{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "snArrows({{ this._parent.get_name() }}, ["
        "{% for line, group, colour in this.lines %}"
        "[{{ line.get_name() }}, {{ group.get_name() }}, {{ colour|tojson }}],"
        "{% endfor %}], {{ this.spacing_px }});"
        "{% endmacro %}"
    )

    def __init__(self, lines: Sequence[tuple[folium.PolyLine, folium.FeatureGroup, str]], *,
                 spacing_px: int = 90):
        super().__init__()
        self._name = "DirectionArrows"
        self.lines = list(lines)
        self.spacing_px = int(spacing_px)
        self.js = _ARROWS_JS.strip()


class LocateControl(MacroElement):
    """A locate-me button with plain ``map.locate`` (folium's plugin is CDN-based)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function (map) {
  var dot = null, ring = null;
  var Ctl = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
    var box = L.DomUtil.create('div', 'leaflet-bar leaflet-control');
    var a = L.DomUtil.create('a', 'sn-locate', box);
    a.href = '#'; a.title = 'Show my location'; a.setAttribute('role', 'button');
    a.innerHTML = '&#9678;';
    L.DomEvent.on(a, 'click', function (e) {
      L.DomEvent.stop(e);
      map.locate({setView: true, maxZoom: 17, enableHighAccuracy: true});
    });
    return box;
  }});
  new Ctl().addTo(map);
  map.on('locationfound', function (e) {
    if (dot) { map.removeLayer(dot); map.removeLayer(ring); }
    ring = L.circle(e.latlng, {radius: e.accuracy, weight: 1, color: '#1565c0',
                               fillOpacity: 0.1, interactive: false}).addTo(map);
    dot = L.circleMarker(e.latlng, {radius: 7, weight: 3, color: '#fff',
                                    fillColor: '#1565c0', fillOpacity: 1}).addTo(map)
      .bindPopup('You are here (within ' + Math.round(e.accuracy) + ' m)');
  });
  map.on('locationerror', function (e) {
    L.popup().setLatLng(map.getCenter()).setContent('Location unavailable: ' + e.message)
      .openOn(map);
  });
})({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "LocateControl"


def _edge_lines(G: nx.MultiDiGraph) -> list[LineString]:
    seen: set[tuple] = set()
    lines: list[LineString] = []
    for u, v, data in G.edges(data=True):
        geom = data.get("geometry")
        if geom is None:
            geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                               (G.nodes[v]["x"], G.nodes[v]["y"])])
        key = tuple(sorted([tuple(geom.coords[0]), tuple(geom.coords[-1])]))
        key = (*key, round(geom.length, 7))
        if key in seen:  # the other direction of a two-way street
            continue
        seen.add(key)
        lines.append(geom)
    return lines


def base_network_layer(G: nx.MultiDiGraph, *, name: str = "Street network") -> folium.FeatureGroup:
    """The graph's streets as one faint grey polyline layer (visible offline, no tiles).

    Two-way streets are drawn once, lines are merged where they meet and simplified to
    about 1 m.
    """
    merged = linemerge(MultiLineString(_edge_lines(G))) if G.number_of_edges() else None
    parts = [] if merged is None else (
        list(merged.geoms) if hasattr(merged, "geoms") else [merged]
    )
    parts = [p for p in shapely.simplify(parts, SIMPLIFY_DEG) if not p.is_empty] if parts else []
    latlngs = [screen_coords(p.coords, simplify=False) for p in parts]
    group = folium.FeatureGroup(name=name, show=True)
    if latlngs:
        folium.PolyLine(latlngs, color=BASE_NETWORK_COLOUR, weight=2, opacity=0.45,
                        interactive=False, smooth_factor=1.5).add_to(group)
    return group


def new_map(bounds: Sequence[Sequence[float]], *, title: str) -> folium.Map:
    """A folium Map with no CDN assets, OSM tiles (online only) and fitted ``bounds``.

    ``bounds`` are ``[[south, west], [north, east]]``.
    """
    m = folium.Map(tiles=None, control_scale=True, zoom_control=True, prefer_canvas=False)
    m.default_js = []
    m.default_css = []
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", max_zoom=19,
                     control=True).add_to(m)
    m.fit_bounds(bounds, padding=(20, 20))
    js, css = leaflet_assets()
    root = m.get_root()
    root.header.add_child(Element(f"<title>{title}</title>"), name="sn_title", index=0)
    root.header.add_child(Element(f"<style>{css}\n{BADGE_CSS}</style>"), name="sn_css", index=1)
    root.header.add_child(Element(f"<script>{js}</script>"), name="sn_leaflet", index=2)
    return m


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
    html = html.replace("<head>", f'<head>\n<meta charset="utf-8">\n{VIEWPORT}', 1)
    # indentation and blank lines are a tenth of a page; no JS, CSS or HTML here needs them
    html = re.sub(r"\n\s+", "\n", html)
    bad = _CDN.search(html)
    if bad:
        raise OfflineError(f"rendered page still loads from the network: {bad.group(0)!r}")
    return html


def to_json(value: object) -> str:
    """Compact JSON for inline data."""
    return json.dumps(value, separators=(",", ":"))
