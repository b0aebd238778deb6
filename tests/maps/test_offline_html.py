"""Self-contained pages: Leaflet and its plugins inlined, no CDN; the street layer."""

from __future__ import annotations

import numpy as np
import pytest
from branca.element import JavascriptLink
from maps_fixtures import node_xy

import maps
import maps._context
from maps import OfflineError, render_html
from maps._offline import leaflet_assets, new_map, plugin_assets
from maps._streets import street_lines, tolerance_for


def test_leaflet_is_inlined_with_its_images():
    js, css = leaflet_assets()
    assert "1.9.3" in js
    assert "sourceMappingURL" not in js
    assert "url(images/" not in css  # layer-control icons as data: URIs
    assert "data:image/png;base64," in css


def test_plugins_and_page_script_are_inlined():
    js, css = plugin_assets()
    html = render_html(new_map([[60.0, 24.0], [60.1, 24.1]], title="x"))
    for name in ("L.MarkerClusterGroup", "subGroup=function", "L.PolylineOffset",
                 "SN.page"):
        assert name in js and name in html
    assert "sourceMappingURL" not in js
    assert ".leaflet-cluster-anim" in css and ".sn-num" in css


def test_a_cdn_script_is_refused():
    m = new_map([[60.0, 24.0], [60.1, 24.1]], title="x")
    m.get_root().header.add_child(JavascriptLink("https://cdn.example.org/x.js"))
    with pytest.raises(OfflineError, match="cdn.example.org"):
        render_html(m)


def test_folium_defaults_are_stripped():
    html = render_html(new_map([[60.0, 24.0], [60.1, 24.1]], title="x"))
    assert "<script src" not in html and "<link" not in html
    assert html.count('name="viewport"') == 1
    assert html.count("charset") == 1  # one declaration: <meta charset="utf-8">
    assert '<meta charset="utf-8">' in html


def test_streets_are_drawn_once_and_merged(G):
    lines = street_lines(G)
    assert len(lines) == G.number_of_edges() // 2  # a two-way street once
    merged = lines.all()
    assert len(merged) < len(lines)  # joined where they meet
    assert sum(len(c) for c in merged) < G.number_of_edges() * 3 / 2


def test_a_driver_page_takes_only_the_streets_along_its_route(G):
    lines = street_lines(G)
    column = np.array([node_xy(0), node_xy(30)])  # a route up "Sarake 0", the west edge
    near = lines.near(column, margin_m=50)
    assert near and sum(len(c) for c in near) < sum(len(c) for c in lines.all())
    xs = np.concatenate([c[:, 0] for c in near])
    # the streets touching the column (up to the next column, 111 m east) and no further
    assert xs.max() <= node_xy(1)[0] + 1e-9
    assert lines.near(np.array([[10.0, 10.0], [10.1, 10.1]])) == []  # nothing far away


def test_simplification_follows_the_first_view():
    city = [[49.38, 8.63], [49.44, 8.73]]  # about 7 km across
    street = [[60.170, 24.930], [60.172, 24.934]]  # about 220 m across
    assert tolerance_for(city, pixels=400) > 5e-5  # metres per pixel: lines can be coarse
    assert tolerance_for(street, pixels=400) == 1e-5  # never coarser than a metre there


def test_the_street_layer_is_built_once_per_write(plan, problem, G, snapped, matrix,
                                                  tmp_path, monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return street_lines(*args, **kwargs)

    # every page (the overview and both driver pages) reuses the context's street lines
    monkeypatch.setattr(maps._context, "street_lines", counting)
    maps.write_outputs(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                       out_dir=tmp_path / "day", date="2024-05-01")
    assert len(calls) == 1
