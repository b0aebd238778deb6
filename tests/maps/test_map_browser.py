"""The pages in a real headless Chromium, at a phone's and a desktop's size.

Each page is checked on what the browser drew at first view: no stop hidden behind
another (markers' screen boxes overlap by at most a small fraction, or the stops merge
into one marker that lists them), no direction arrow over a marker, the legend present,
the view fitted to the routes, no JavaScript error; on a phone the layer list and the
panels start folded so the map stays visible. The grid fixture runs quickly; the
bundled sample (the plan the README shows) is planned once for the slow case.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from browser import CHROMIUM, DESKTOP, PHONE, inspect, overlap, screenshot

import maps

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"phone": PHONE, "desktop": DESKTOP}
#: Markers may touch: at most this fraction of the smaller one's box may be covered.
MAX_OVERLAP = 0.2


@pytest.fixture(scope="module")
def grid_pages(plan, problem, G, snapped, matrix, tmp_path_factory) -> dict[str, Path]:
    if CHROMIUM is None:
        pytest.skip("no chromium executable (apt-get install chromium) for the browser test")
    out = tmp_path_factory.mktemp("browser") / "day"
    return maps.write_outputs(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                              out_dir=out, date="2024-05-01")


@pytest.fixture(scope="module")
def sample_pages(tmp_path_factory) -> dict[str, Path]:
    if CHROMIUM is None:
        pytest.skip("no chromium executable (apt-get install chromium) for the browser test")
    import planner

    day = planner.plan_day(planner.Scenario.from_file(planner.SAMPLE_SCENARIO))
    return planner.write_day(day, tmp_path_factory.mktemp("sample") / "day")


def check_first_view(report: dict, *, phone: bool, overview: bool) -> None:
    """Everything a person needs to see at first view is visible (module docstring)."""
    assert report["errors"] == []
    icons = report["icons"]
    assert icons, "no marker drawn"
    for a, b in itertools.combinations(icons, 2):
        assert overlap(a, b) <= MAX_OVERLAP, f"{a['labels']} hides {b['labels']}"
    for icon in icons:
        if icon["cluster"]:  # a merged marker lists every stop in it
            assert icon["n"] == len(icon["labels"]) >= 2
            assert all(label in icon["title"] for label in icon["labels"])
    assert sum(i["n"] for i in icons) >= report["inView"] - 1  # every stop is shown
    for arrow in report["arrows"]:
        assert not any(overlap(arrow, i) > 0 for i in icons), "an arrow covers a marker"
    assert report["arrows"], "no direction arrow drawn"
    legend = report["panels"]["sn-legend"]
    assert "Full, driving to unload" in legend["text"]
    (s, w), (n, e) = report["fit"]
    (vs, vw), (vn, ve) = report["view"]
    eps = 1e-6
    assert vs - eps <= s and vw - eps <= w and n <= vn + eps and e <= ve + eps
    assert max((n - s) / (vn - vs), (e - w) / (ve - vw)) >= 0.5, "routes shrunk into a corner"
    offsets = {line["offset"] for line in report["lines"] if line["interactive"] is not False}
    assert offsets and min(offsets) > 0  # every route line sits right of its direction
    width, height = report["size"]
    if phone:
        assert not report["layersExpanded"]
        assert not any(p["open"] for p in report["panels"].values())
        covered = sum(p["rect"]["w"] * p["rect"]["h"] for p in report["panels"].values())
        covered += report["layerList"]["w"] * report["layerList"]["h"]
        assert covered < 0.08 * width * height
    elif overview:
        assert report["layersExpanded"] and report["panels"]["sn-summary"]["open"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("name", ["index.html", "truck-T1.html"])
def test_grid_pages_at_first_view(grid_pages, name, size, tmp_path):
    report = inspect(grid_pages[name], SIZES[size], tmp_path)
    check_first_view(report, phone=size == "phone", overview=name == "index.html")
    if name == "index.html":
        # DS-3 is loaded by T1 and T2 at one spot: one marker lists both
        merged = [i for i in report["icons"] if i["cluster"]]
        assert any({"T1·3", "T2·2"} <= set(i["labels"]) for i in merged)
        assert report["filtered"] == {"query": "T1", "rows": ["T1"]}  # the route list filters
        assert len({line["offset"] for line in report["lines"]}) >= 3  # lanes side by side


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("name", ["index.html", "truck-T01.html"])
def test_sample_pages_at_first_view(sample_pages, name, size, tmp_path):
    report = inspect(sample_pages[name], SIZES[size], tmp_path)
    check_first_view(report, phone=size == "phone", overview=name == "index.html")
    shot = screenshot(sample_pages[name], SIZES[size], tmp_path / f"{size}-{name}.png", tmp_path)
    assert shot.stat().st_size > 20_000  # a drawn map, not a blank page
    print(f"screenshot: {shot}")


def test_gcj02_is_the_same_in_the_browser(grid_pages, tmp_path):
    import geodata

    report = inspect(grid_pages["truck-T1.html"], DESKTOP, tmp_path)
    lon, lat = geodata.wgs84_to_gcj02(127.5302, 47.7284)  # where the located dot goes
    assert report["gcj"] == pytest.approx([float(lat), float(lon)], abs=1e-9)
