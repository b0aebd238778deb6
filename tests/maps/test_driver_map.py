"""A truck's driver page, checked on its rendered HTML."""

from __future__ import annotations

import re

import pytest

from maps import MapsError, driver_map, render_html


@pytest.fixture(scope="module")
def page(plan, problem, G, snapped, matrix) -> str:
    m = driver_map(plan, "T1", problem=problem, G=G, snapped=snapped, matrix=matrix,
                   date="2024-05-01")
    return render_html(m)


def test_phone_viewport_and_responsive_layout(page):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width:700px)" in page  # directions go below the map


def test_numbered_stops_and_unloads(page):
    for label in (">1<", ">2<", ">3<"):
        assert f'class=\\"sn-num\\" style=\\"background:#1f77b4\\"\\u003e{label[1]}' in page
    assert "U1,U2" in page  # both unloads at the landfill share one marker
    assert page.count("ETA ") >= 5


def test_direction_arrows_and_dashed_runs_to_the_landfill(page):
    assert "snArrows(" in page
    assert page.count('"dashArray": "10 7"') == 2  # two drives to the landfill


def test_locate_me_control(page):
    assert "map.locate(" in page and "locationfound" in page


def test_turn_by_turn_directions_panel(page):
    panel = page[page.index('<div id="sn-dir">'):]
    assert "Truck T1 · 2024-05-01" in panel
    assert "Head east on Rivi 0" in panel
    assert "Turn right onto Rivi 1" in panel
    assert '<span class="sn-in">in 110 m</span>' in panel
    assert "Arrive at stop 1 (dead spot DS-1, 4.0 t)" in panel
    assert "Unload 7.0 t at landfill Kaatopaikka (LF)" in panel
    assert "Arrive back at depot Varikko" in panel
    assert len(re.findall(r'class="sn-visit"', panel)) == 7  # every visit of the route


def test_no_cdn(page):
    assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)\s*=", page)


def test_unknown_truck_is_named(plan, problem, G, snapped, matrix):
    with pytest.raises(MapsError, match="truck 'T3' has no route.*T1"):
        driver_map(plan, "T3", problem=problem, G=G, snapped=snapped, matrix=matrix)
