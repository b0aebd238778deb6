"""The dispatcher overview, checked on its rendered HTML."""

from __future__ import annotations

import re

import pytest

from maps import overview_map, render_html

CDN_TAG = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


@pytest.fixture(scope="module")
def page(plan, problem, G, snapped, matrix) -> str:
    m = overview_map(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                     date="2024-05-01", title="Grid test")
    return render_html(m)


def test_one_layer_per_used_truck_in_the_layer_control(page):
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.S).group(1)
    for truck in ("T1", "T2"):
        assert f"Truck {truck}" in overlays
    assert "Truck T3" not in page  # an unused truck gets no layer
    assert "Street network" in overlays  # the offline base layer can be toggled
    assert page.count("L.featureGroup(") == 5  # streets, T1, T2, unassigned, depots


def test_routes_follow_the_streets_with_arrows(page):
    assert page.count("L.polyline(") == 1 + 3 + 2  # network, T1 trips 1-3, T2 trips 1-2
    assert "snArrows(" in page


def test_dead_spot_popups_have_ids_truck_stop_and_eta(page):
    popups = re.findall(r"bindPopup\((\"(?:[^\"\\]|\\.)*\")", page)
    text = " ".join(popups)
    assert "DS-1" in text and "Truck T1 stop 1, ETA 06:00" in text
    # a split dump lists both loads and the trips it took
    ds3 = next(p for p in popups if "DS-3" in p and "dead spot" in p)
    assert "Truck T1 stop 3" in ds3 and "Truck T2 stop 2" in ds3
    assert "in 2 trips" in ds3


def test_unassigned_sites_are_drawn_with_their_reason(page):
    assert "Unassigned (3)" in page
    assert "no truck time left" in page
    assert "600 m from the nearest street" in page
    assert "not in the plan" in page  # DS-LOST: neither served nor listed by the plan
    assert '"color": "#d50000"' in page  # red outline


def test_depot_and_landfill_use_div_icons_not_default_markers(page):
    assert page.count("= L.divIcon(") == 2
    # every marker gets a DivIcon: Leaflet's default icon is an image URL (offline: broken)
    markers = re.findall(r"var (marker_\w+) = L\.marker\(", page)
    assert len(markers) == 2
    assert all(f"{m}.setIcon(div_icon_" in page for m in markers)
    assert "Varikko" in page and "Kaatopaikka" in page


def test_summary_panel(page):
    panel = page[page.index('id="sn-summary"'):]
    assert "2024-05-01" in panel and "Grid test" in panel
    assert "Unassigned: <b>3</b>" in panel
    assert re.search(r"<td>Total</td><td>5</td>", panel)


def test_self_contained(page):
    assert not CDN_TAG.search(page)
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()
    assert "L.map(" in page and "var L=" not in page[:200]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
