"""read_sites: formats, defaults and one test per validation error."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import geodata

DATA = Path(__file__).parent / "data"
HEADER = "site_id,kind,tonnes,service_min,open,close,priority,lon,lat\n"
GOOD = "DS-1,dead_spot,3,,08:00,12:00,2,24.94,60.17\n"


def write(tmp_path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_sample_sites_schema():
    sites = geodata.read_sites(geodata.SAMPLE_SITES)
    assert list(sites.columns[:12]) == ["site_id", "kind", "name", "tonnes", "service_min",
                                        "open", "close", "open_s", "close_s", "priority",
                                        "volume_m3", "source_geometry"]
    assert sites.crs.to_epsg() == 4326
    assert sites["site_id"].is_unique
    kinds = sites["kind"].value_counts()
    assert kinds["depot"] == 1 and kinds["transfer"] == 1 and kinds["dead_spot"] == 40
    assert (sites["tonnes"] > 8).sum() >= 3
    assert sites["open"].notna().sum() >= 6


def test_defaults_and_seconds(tmp_path):
    sites = geodata.read_sites(write(tmp_path, GOOD + "DEP,depot,,,,,,24.95,60.17\n"))
    ds, dep = sites.iloc[0], sites.iloc[1]
    assert (ds["open_s"], ds["close_s"]) == (8 * 3600, 12 * 3600)
    assert ds["service_min"] == geodata._sites.DEFAULT_SERVICE_MIN["dead_spot"]
    assert dep["tonnes"] == 0 and dep["priority"] == 3 and dep["open"] is None
    assert math.isnan(dep["open_s"])
    assert dep["name"] == "DEP"


def test_csv_with_xy_and_crs_column():
    sites = geodata.read_sites(DATA / "sites_xy_crs.csv")
    assert sites.crs.to_epsg() == 4326
    assert 24.9 < sites.geometry.x.iloc[0] < 25.0 and 60.1 < sites.geometry.y.iloc[0] < 60.2


def test_csv_with_xy_and_crs_keyword(tmp_path):
    path = write(tmp_path, "S1,dead_spot,1,385800,6672100\n", header="site_id,kind,tonnes,x,y\n")
    sites = geodata.read_sites(path, crs="EPSG:3067")
    assert 60.1 < sites.geometry.y.iloc[0] < 60.2


def test_polygon_site_becomes_representative_point():
    sites = geodata.read_sites(DATA / "polygon_site.geojson")
    point = sites.geometry.iloc[0]
    assert point.geom_type == "Point"
    assert sites["source_geometry"].iloc[0] == "Polygon"
    assert 24.940 < point.x < 24.941 and 60.170 < point.y < 60.1705


@pytest.mark.parametrize(
    ("body", "header", "match"),
    [
        (GOOD, "site_id,tonnes,lon,lat\n", "missing column 'kind'"),
        (GOOD + GOOD, HEADER, r"row 2, column site_id: duplicate 'DS-1'"),
        ("DS-1,dead_spot,-2,,,,,24.94,60.17\n", HEADER,
         r"row 1 \(site_id 'DS-1'\), column tonnes: got '-2'"),
        ("DS-1,dead_spot,lots,,,,,24.94,60.17\n", HEADER, "tonnes: got 'lots', not a number"),
        ("DS-1,dead_spot,1,,25:00,,,24.94,60.17\n", HEADER, "column open: got '25:00'"),
        ("DS-1,dead_spot,1,,14:00,09:00,,24.94,60.17\n", HEADER, "close '09:00' is not after open"),
        ("DS-1,skip,1,,,,,24.94,60.17\n", HEADER, "column kind: got 'skip'; use one of depot"),
        ("DS-1,dead_spot,1,,,,7,24.94,60.17\n", HEADER, "column priority: got '7'"),
        ("DS-1,dead_spot,1,,,,,60.17,124.94\n", HEADER, "lat/lon look swapped"),
        ("DS-1,dead_spot,1,,,,,-200,10\n", HEADER, "out of range"),
        ("DS-1,dead_spot,1,,,,,385800,6672100\n", HEADER, "projected coordinates but no CRS"),
        ("DS-1,dead_spot,1,,,,,,\n", HEADER, "give numeric coordinates"),
        ("DS-1,dead_spot,,,,,,24.94,60.17\n", HEADER, "column tonnes: empty"),
    ],
    ids=["missing-column", "duplicate-id", "negative-tonnes", "non-numeric-tonnes",
         "bad-time", "close-before-open", "unknown-kind", "priority-range", "swapped-lat-lon",
         "out-of-range", "projected-without-crs", "empty-geometry", "tonnes-missing"],
)
def test_validation_errors(tmp_path, body, header, match):
    path = write(tmp_path, body, header)
    with pytest.raises(geodata.SiteValidationError, match=match) as info:
        geodata.read_sites(path)
    assert str(path) in str(info.value)
    assert info.value.problems


def test_empty_geometry_in_geojson(tmp_path):
    path = tmp_path / "sites.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"site_id": "A", "kind": "depot"}, "geometry": null}]}')
    with pytest.raises(geodata.SiteValidationError, match="column geometry: empty"):
        geodata.read_sites(path)


def test_every_problem_is_collected(tmp_path):
    body = "DS-1,skip,-1,,25:00,,9,24.94,60.17\n"
    with pytest.raises(geodata.SiteValidationError) as info:
        geodata.read_sites(write(tmp_path, body))
    assert len(info.value.problems) == 4
    assert isinstance(info.value, ValueError)
