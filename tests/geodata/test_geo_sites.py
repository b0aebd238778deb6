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
        (GOOD, HEADER.replace("kind", "label"), "missing column 'kind'"),
        (GOOD + GOOD, HEADER, r"row 2, column site_id: duplicate 'DS-1'"),
        ("DS-1,dead_spot,-2,,,,,24.94,60.17\n", HEADER,
         r"row 1 \(site_id 'DS-1'\), column tonnes: got '-2'"),
        ("DS-1,dead_spot,lots,,,,,24.94,60.17\n", HEADER, "tonnes: got 'lots', not a number"),
        ("DS-1,dead_spot,1,,25:00,,,24.94,60.17\n", HEADER, "column open: got '25:00'"),
        ("DS-1,dead_spot,1,,14:00,09:00,,24.94,60.17\n", HEADER, "close '09:00' is not after open"),
        ("DS-1,skip,1,,,,,24.94,60.17\n", HEADER, "column kind: got 'skip'; use one of depot"),
        ("DS-1,dead_spot,1,,,,7,24.94,60.17\n", HEADER, "column priority: got '7'"),
        ("DS-1,dead_spot,1,,,,,60.17,124.94\n", HEADER, "lon/lat look swapped"),
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


# -- the reader gate: whatever the parser says becomes a file-row-fix message ------------
def write_bytes(tmp_path, data: bytes, name: str = "sites.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def problems_of(path: Path, **kwargs) -> str:
    with pytest.raises(geodata.SiteValidationError) as info:
        geodata.read_sites(path, **kwargs)
    assert str(path) in str(info.value)  # the file is named
    return str(info.value)


@pytest.mark.parametrize("name", ["sites.csv", "sites.geojson", "sites.gpkg"])
def test_zero_byte_file(tmp_path, name):
    message = problems_of(write_bytes(tmp_path, b"", name))
    assert "the file is empty (0 bytes)" in message and "header row" in message


def test_blank_lines_only(tmp_path):
    assert "holds no header row" in problems_of(write_bytes(tmp_path, b"\n\n  \n"))


def test_header_only(tmp_path):
    assert "no sites: the file holds no rows" in problems_of(write(tmp_path, ""))


def test_unquoted_comma_in_a_name(tmp_path):
    path = write(tmp_path, "DS-1,dead_spot,3,Main St, corner,24.94,60.17\n"
                 "DS-2,dead_spot,3,\"Main St, 5\",24.94,60.17\n",
                 header="site_id,kind,tonnes,name,lon,lat\n")
    message = problems_of(path)
    assert "line 2 (row 1): 7 values but the header has 6 columns" in message
    assert "unquoted ','" in message and "double quotes" in message
    assert "row 2" not in message  # the quoted comma is fine


def test_broken_quotes_name_the_line(tmp_path):
    path = write(tmp_path, 'DS-1,dead_spot,3,"Main" St,24.94,60.17\n',
                 header="site_id,kind,tonnes,name,lon,lat\n")
    message = problems_of(path)
    assert "line 2:" in message and "check the quotes" in message


def test_semicolons_with_decimal_commas_are_read_and_said(tmp_path, caplog):
    path = write(tmp_path, "DS-1;dead_spot;3,5;Kauppatori;24,9520;60,1675\n",
                 header="site_id;kind;tonnes;name;lon;lat\n")
    with caplog.at_level("WARNING", logger="geodata"):
        sites = geodata.read_sites(path)
    assert sites["tonnes"].iloc[0] == 3.5
    assert sites.geometry.x.iloc[0] == pytest.approx(24.952)
    assert "';' delimiter, decimal commas" in caplog.text


def test_semicolon_file_with_a_bad_row_says_how_it_was_read(tmp_path):
    path = write(tmp_path, "DS-1;dead_spot;lots;24,95;60,17\n",
                 header="site_id;kind;tonnes;lon;lat\n")
    message = problems_of(path)
    assert "(read as UTF-8, ';' delimiter, decimal commas)" in message
    assert "column tonnes: got 'lots'" in message


GBK_TEXT = ("site_id,kind,tonnes,name,lon,lat\n"
            "HH-1,dead_spot,3,爱辉区中央街垃圾点,127.50,50.25\n")


def test_gbk_file_from_excel_on_chinese_windows(tmp_path, caplog):
    path = write_bytes(tmp_path, GBK_TEXT.encode("gbk"))
    with caplog.at_level("WARNING", logger="geodata"):
        sites = geodata.read_sites(path)
    assert sites["name"].iloc[0] == "爱辉区中央街垃圾点"
    assert "read as GB18030 (GBK)" in caplog.text


def test_gbk_file_with_a_bad_row_says_the_encoding(tmp_path):
    path = write_bytes(tmp_path, GBK_TEXT.replace(",3,", ",三,").encode("gbk"))
    assert "(read as GB18030 (GBK))" in problems_of(path)


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["bom", "no-bom"])
def test_utf8_with_or_without_bom(tmp_path, bom):
    path = write_bytes(tmp_path, bom + GBK_TEXT.encode("utf-8"))
    sites = geodata.read_sites(path)
    assert list(sites["site_id"]) == ["HH-1"]  # not '\ufeffsite_id' as a column
    assert sites["name"].iloc[0].startswith("爱辉区")


def test_utf16_unicode_text_with_tabs(tmp_path):
    path = write_bytes(tmp_path, GBK_TEXT.replace(",", "\t").encode("utf-16"), "sites.txt")
    assert geodata.read_sites(path)["tonnes"].iloc[0] == 3


def test_explicit_encoding(tmp_path):
    text = "site_id,kind,tonnes,name,lon,lat\nDS-1,dead_spot,3,Hämeentie,24.95,60.18\n"
    path = write_bytes(tmp_path, text.encode("cp1252"))
    assert "not UTF-8 (byte 0xe4) and not Chinese GBK/GB18030" in problems_of(path)
    assert geodata.read_sites(path, encoding="cp1252")["name"].iloc[0] == "Hämeentie"
    assert "line 2: not valid utf-8" in problems_of(path, encoding="utf-8")
    assert "encoding 'klingon' is unknown" in problems_of(path, encoding="klingon")


def test_two_layer_geopackage_needs_a_layer_name(tmp_path):
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import Point

    path = tmp_path / "sites.gpkg"
    for layer, ids in (("depots", ["DEP"]), ("spots", ["DS-1", "DS-2"])):
        frame = gpd.GeoDataFrame({"site_id": ids, "kind": ["depot"] * len(ids)},
                                 geometry=[Point(24.94, 60.17)] * len(ids), crs=4326)
        frame.to_file(path, layer=layer)
    message = problems_of(path)
    assert "the file has 2 layers ('depots', 'spots')" in message and "layer=" in message
    assert list(geodata.read_sites(path, layer="spots")["site_id"]) == ["DS-1", "DS-2"]
    assert "layer 'spot' is not in the file" in problems_of(path, layer="spot")


def test_garbage_vector_file(tmp_path):
    message = problems_of(write_bytes(tmp_path, b"{not json", "sites.geojson"))
    assert "cannot read the file" in message and "GeoJSON, GeoPackage or CSV" in message


def test_a_folder_is_not_a_site_file(tmp_path):
    assert "is a folder, not a site file" in problems_of(tmp_path)


def test_swapped_lon_lat_inside_valid_ranges(tmp_path):
    # Helsinki: (60.17, 24.94) is a valid point too, 4,978 km away in the Gulf of Aden
    body = "".join(f"DS-{k},dead_spot,1,,,,,24.9{k},60.17\n" for k in range(4))
    message = problems_of(write(tmp_path, body + "DS-X,dead_spot,1,,,,,60.17,24.94\n"))
    assert "row 5 (site_id 'DS-X')" in message and "lon/lat look swapped" in message
    assert "DS-1'" not in message


def test_far_but_not_swapped_is_left_to_snapping(tmp_path):
    body = "".join(f"DS-{k},dead_spot,1,,,,,24.9{k},60.17\n" for k in range(4))
    sites = geodata.read_sites(write(tmp_path, body + "DS-X,dead_spot,1,,,,,25.5,65.0\n"))
    assert len(sites) == 5


def test_stream_column_and_default(tmp_path):
    path = write(tmp_path, "A,bin,1,kitchen,24.94,60.17\nB,bin,1,,24.95,60.17\n",
                 header="site_id,kind,tonnes,stream,lon,lat\n")
    assert list(geodata.read_sites(path)["stream"]) == ["kitchen", "mixed"]
    assert set(geodata.read_sites(write(tmp_path, GOOD))["stream"]) == {"mixed"}


def test_projected_without_crs_names_every_way_to_give_it(tmp_path):
    message = problems_of(write(tmp_path, "DS-1,dead_spot,1,385800,6672100\n",
                                header="site_id,kind,tonnes,x,y\n"))
    assert "--sites-crs" in message and "crs column" in message and "GCJ-02" in message


def test_lon_lat_with_a_projected_crs(tmp_path):
    message = problems_of(write(tmp_path, GOOD), crs="EPSG:3067")
    assert "columns lon/lat hold degrees but crs 'EPSG:3067' is projected" in message


def test_unknown_crs_in_a_column(tmp_path):
    path = write(tmp_path, "S1,dead_spot,1,1,2,EPSG:99999\n",
                 header="site_id,kind,tonnes,x,y,crs\n")
    message = problems_of(path)
    assert "rows 1, column crs: got 'EPSG:99999'" in message and "'BD-09'" in message


def test_geojson_that_declares_its_crs_refuses_another(tmp_path):
    path = DATA / "polygon_site.geojson"
    assert "drop crs=" in problems_of(path, crs="EPSG:3067")
