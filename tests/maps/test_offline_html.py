"""Self-contained pages: Leaflet inlined, no CDN, coordinates at screen precision."""

from __future__ import annotations

import folium
import pytest
from branca.element import JavascriptLink

from maps import OfflineError, render_html
from maps._offline import base_network_layer, leaflet_assets, new_map, screen_coords


def test_leaflet_is_inlined_with_its_images():
    js, css = leaflet_assets()
    assert "1.9.3" in js
    assert "sourceMappingURL" not in js
    assert "url(images/" not in css  # layer-control icons as data: URIs
    assert "data:image/png;base64," in css


def test_a_cdn_script_is_refused():
    m = new_map([[60.0, 24.0], [60.1, 24.1]], title="x")
    m.get_root().header.add_child(JavascriptLink("https://cdn.example.org/x.js"))
    with pytest.raises(OfflineError, match="cdn.example.org"):
        render_html(m)


def test_folium_defaults_are_stripped():
    html = render_html(new_map([[60.0, 24.0], [60.1, 24.1]], title="x"))
    assert "<script src" not in html and "<link" not in html
    assert html.count('name="viewport"') == 1


def test_screen_coords_round_and_simplify():
    line = [(24.9300001, 60.17), (24.931, 60.1700000004), (24.932, 60.17), (24.932, 60.171)]
    # the middle vertex is collinear: dropped; the rest rounded to 5 decimals, [lat, lon]
    assert screen_coords(line) == [[60.17, 24.93], [60.17, 24.932], [60.171, 24.932]]


def test_base_network_draws_each_street_once(G):
    group = base_network_layer(G)
    lines = [c for c in group._children.values() if isinstance(c, folium.PolyLine)]
    assert len(lines) == 1  # one polyline layer for the whole network
    total_vertices = sum(len(part) for part in lines[0].locations)
    assert total_vertices < G.number_of_edges() * 3  # two-way streets drawn once, merged
