"""The dispatcher overview, checked on its rendered HTML and the data it hands the browser."""

from __future__ import annotations

import re

import pytest
from maps_fixtures import LAT0, LON0, decode, node_xy, page_data

import maps._overview
from maps import build_context, overview_map, render_html
from maps._overview import render_overview
from maps._style import SITE_ICONS

CDN_TAG = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


@pytest.fixture(scope="module")
def page(plan, problem, G, snapped, matrix) -> str:
    m = overview_map(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                     date="2024-05-01", title="Grid test")
    return render_html(m)


@pytest.fixture(scope="module")
def data(page) -> dict:
    return page_data(page)


def markers(data: dict, group: str | None = None) -> list[dict]:
    keys = ("lat", "lon", "group", "kind", "label", "colour", "tooltip", "popup", "cluster")
    rows = [dict(zip(keys, m, strict=True)) for m in data["markers"]]
    return [r for r in rows if group is None or r["group"] == group]


def test_one_layer_per_used_truck_in_the_layer_control(page):
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.S).group(1)
    for truck in ("T1", "T2"):
        assert f"Truck {truck}" in overlays
    assert "Truck T3" not in page  # an unused truck gets no layer
    assert "Street network" in overlays  # the offline base layer can be toggled
    assert "Unassigned (3)" in overlays and "Depots and unloading" in overlays
    assert page.count("L.featureGroup.subGroup(") == 4  # T1, T2, unassigned, depots
    assert '"collapsed": SN.phone()' in page  # folded on a phone, open on a desktop


def test_routes_follow_the_streets_and_dash_to_the_landfill(data, G):
    vertices = {(round(x, 5), round(y, 5)) for _, _, d in G.edges(data=True)
                for x, y in d["geometry"].coords}
    by_truck = {r["g"]: r for r in data["routes"]}
    assert set(by_truck) == {"T1", "T2"}
    for spec in by_truck.values():
        for line, (_enc, lane, _dashed, _tip, lanes) in zip(
                decode([r[0] for r in spec["runs"]]), spec["runs"], strict=True):
            # simplified lines keep street vertices only (grid nodes, edge midpoints)
            assert {(round(x, 5), round(y, 5)) for x, y in line} <= vertices
            assert 0 <= lane < lanes
    t1_dashed = [r for r in by_truck["T1"]["runs"] if r[2]]
    assert t1_dashed  # T1 drives to the landfill twice: dashed
    assert "Truck T1, trip 1: " in " ".join(by_truck["T1"]["tips"])


def test_trucks_sharing_a_street_get_separate_lanes(data):
    # T1 and T2 both drive north on Sarake 2/3 towards the landfill at node 33
    lanes = {r["g"]: {run[1] for run in r["runs"]} for r in data["routes"]}
    assert 1 in lanes["T2"] or 1 in lanes["T1"]


def test_stops_are_numbered_and_coloured_by_their_truck(data):
    t1 = markers(data, "T1")
    assert [m["label"] for m in t1 if m["kind"] == "stop"] == ["1", "2", "3"]
    assert {m["colour"] for m in t1} == {"#1f77b4"}
    assert {m["colour"] for m in markers(data, "T2")} == {"#d62728"}
    assert "T1·2" in [m["cluster"] for m in t1]  # how a merged marker lists it


def test_popups_link_the_truck_pages(data):
    popups = " ".join(m["popup"] for m in markers(data))
    assert '<a href="truck-T1.html">Truck T1</a> stop 1, ETA 06:00' in popups
    ds3 = next(m["popup"] for m in markers(data, "T1") if "DS-3" in m["popup"])
    assert "Truck T1</a> stop 3" in ds3 and "Truck T2</a> stop 2" in ds3  # a split dump
    assert "in 2 trips" in ds3


def test_summary_links_every_truck_and_filters(data):
    panel = next(p for p in data["panels"] if p["id"] == "sn-summary")
    assert panel["position"] == "bottomleft" and panel["openPhone"] is False
    html = panel["html"]
    assert "Grid test" in html and "2024-05-01" in html
    for truck in ("T1", "T2"):
        assert f'<a href="truck-{truck}.html">{truck}</a>' in html
        assert f'data-zoom="{truck}"' in html
    assert 'class="sn-filter"' in html and 'data-find="t1 ds-1 ds-2 ds-3"' in html
    assert "Unassigned: <b>3</b>" in html
    assert re.search(r"<td>Total</td><td>5</td>", html)
    assert set(data["zoomTo"]) == {"T1", "T2"}


def test_legend_explains_the_dashed_line(data):
    legend = next(p for p in data["panels"] if p["id"] == "sn-legend")["html"]
    for text in ("Full, driving to unload", "Driving direction", "Stops close together",
                 "Unassigned", "Depot", "stroke-dasharray"):
        assert text in legend
    assert "Scheduled for a later day" not in legend  # only on campaign days


def test_unassigned_sites_are_drawn_with_their_reason(data):
    miss = markers(data, "unassigned")
    assert {m["cluster"] for m in miss} == {"DS-5", "DS-OFF", "DS-LOST"}
    text = " ".join(m["popup"] for m in miss)
    assert "no truck time left" in text
    assert "600 m from the nearest street" in text
    assert "not in the plan" in text  # DS-LOST: neither served nor listed by the plan


def test_the_view_fits_the_routes_not_the_off_network_site(data):
    (s, w), (n, e) = data["fit"]
    lon0, lat0 = node_xy(0)
    lon3, lat3 = node_xy(33)
    assert (s, w, n, e) == pytest.approx((lat0, lon0, lat3, lon3), abs=1e-6)
    off = next(m for m in markers(data, "unassigned") if m["cluster"] == "DS-OFF")
    assert off["lon"] < w and off["lat"] < s  # drawn, but outside the fitted view
    assert w > LON0 - 0.005 and s > LAT0 - 0.002


def test_depot_and_landfill_badges(data):
    sites = markers(data, "sites")
    assert {(m["label"], m["colour"]) for m in sites} == {
        ("D", SITE_ICONS["depot"][1]), ("L", SITE_ICONS["landfill"][1])}
    lf = next(m for m in sites if m["label"] == "L")
    assert "Unloads:" in lf["popup"] and '<a href="truck-T2.html">' in lf["popup"]


def test_campaign_day_shows_later_dumps_as_scheduled(plan, problem, G, snapped, matrix):
    ctx = build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                        scheduled={"DS-LOST": 3, "DS-3": 4})
    assert "DS-LOST" not in {u.site_id for u in ctx.unassigned}  # planned, not unassigned
    data = page_data(render_html(render_overview(ctx)))
    later = markers(data, "later")
    assert [(m["cluster"], m["label"], m["kind"]) for m in later] == [
        ("DS-LOST: day 3", "3", "later")]  # DS-3 is served today: no second marker
    assert "Scheduled for day 3" in later[0]["popup"]
    ds3 = next(m["popup"] for m in markers(data, "T1") if "DS-3" in m["popup"])
    assert "The rest is scheduled for day 4." in ds3
    legend = next(p for p in data["panels"] if p["id"] == "sn-legend")["html"]
    assert "Scheduled for a later day" in legend
    summary = next(p for p in data["panels"] if p["id"] == "sn-summary")["html"]
    assert "Scheduled for later days: <b>1</b>" in summary and "Unassigned: <b>2</b>" in summary


def test_many_stops_draw_on_a_canvas(plan, problem, G, snapped, matrix, monkeypatch):
    ctx = build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix)
    assert '"preferCanvas": false' in render_html(render_overview(ctx))
    monkeypatch.setattr(maps._overview, "CANVAS_STOPS", 4)  # the grid plan has 5 stops
    assert '"preferCanvas": true' in render_html(render_overview(ctx))


def test_self_contained(page):
    assert not CDN_TAG.search(page)
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()
    assert "L.map(" in page and "var L=" not in page[:200]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_popups_give_the_time_window(matrix, G, snapped):
    from exports_fixtures import windowed_plan, windowed_problem

    problem = windowed_problem(matrix)
    data = page_data(render_html(overview_map(windowed_plan(problem), problem=problem, G=G,
                                              snapped=snapped, matrix=matrix)))
    ds2 = next(m["popup"] for m in markers(data, "T1") if "<b>DS-2</b>" in m["popup"])
    assert "Time window 07:00–09:00" in ds2
    ds1 = next(m["popup"] for m in markers(data) if "<b>DS-1</b>" in m["popup"])
    assert "Time window" not in ds1  # no window, no line
