"""Issue 11, one test per bad input: exit 2 with the file, the row and the fix, or exit 0 and
nothing lost; never a traceback, and the output location is checked before any work.

Each case failed on the code the issue was filed against (a traceback, a silent loss or
a wrong result); the comment says how.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest

import run_plan
from routing.__main__ import main as routing_main

DATA = Path(__file__).parent / "planner" / "data"
SITES = (DATA / "small_sites.csv").read_text(encoding="utf-8")
FAST = ("--time-limit", "3", "--max-iterations", "30")
SMALL = """
name = "small"
date = 2025-05-06

[sites]
files = ["{files}"]

[[fleet]]
name = "rear-loader"
count = 2
capacity_t = 10.0
depot = "DEPOT"
"""


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scenario(tmp_path: Path, sites: Path) -> str:
    path = tmp_path / "small.toml"
    path.write_text(SMALL.format(files=sites.as_posix()), encoding="utf-8")
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = run_plan.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def bad(capsys, *argv: str, before_work: bool = True) -> str:
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    if before_work:  # refused before the street network was loaded
        assert "street network loaded" not in err
    return err


def sites_file(tmp_path: Path, text: str | bytes, name: str = "sites.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# -- 1: output folders ------------------------------------------------------------------------
def test_out_on_a_folder_with_a_users_file_is_refused_and_the_file_kept(cwd, capsys):
    # was: exit 0, and important.txt next to the old plan was deleted
    (cwd / "plan").mkdir()
    (cwd / "plan" / "important.txt").write_text("keep me")
    err = bad(capsys, "--out", "plan", *FAST)
    assert "--out 'plan' already holds files that are not a plan of ours (important.txt)" in err
    assert "--force" in err
    assert (cwd / "plan" / "important.txt").read_text() == "keep me"


def test_force_writes_the_plan_beside_the_users_file(cwd, capsys):
    (cwd / "plan").mkdir()
    (cwd / "plan" / "important.txt").write_text("keep me")
    code, _, err = run(capsys, "--scenario", scenario(cwd, DATA / "small_sites.csv"),
                       "--out", "plan", "--force", *FAST)
    assert code == 0, err
    assert (cwd / "plan" / "important.txt").read_text() == "keep me"
    assert (cwd / "plan" / "index.html").is_file()


def test_out_on_a_file_is_refused(cwd, capsys):
    # was: exit 0, and the file was replaced by a folder
    (cwd / "notes.txt").write_text("mine")
    assert "--out 'notes.txt' is a file" in bad(capsys, "--out", "notes.txt")
    assert (cwd / "notes.txt").read_text() == "mine"


# -- 2: GeoPackage layers ----------------------------------------------------------------------
def two_layer_geopackage(tmp_path: Path) -> Path:
    import geopandas as gpd
    import pandas as pd

    df = pd.read_csv(DATA / "small_sites.csv", dtype={"open": str, "close": str})
    frame = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]),
                             geometry=gpd.points_from_xy(df.lon, df.lat), crs=4326)
    path = tmp_path / "sites.gpkg"
    frame.iloc[:2].to_file(path, layer="facilities")
    frame.iloc[2:].to_file(path, layer="spots")
    return path


def test_geopackage_with_two_layers_is_refused_with_their_names(cwd, capsys):
    # was: exit 0 with the first layer only, "every site is served"
    gpkg = two_layer_geopackage(cwd)
    err = bad(capsys, "--scenario", scenario(cwd, gpkg), "--out", "plan", before_work=False)
    assert "sites.gpkg" in err and "the file has 2 layers ('facilities', 'spots')" in err
    assert "--layer" in err


def test_layer_flag_names_the_layer(cwd, capsys):
    gpkg = two_layer_geopackage(cwd)
    err = bad(capsys, "--scenario", scenario(cwd, gpkg), "--layer", "spot", "--out", "plan",
              before_work=False)
    assert "layer 'spot' is not in the file; its layers: 'facilities', 'spots'" in err


# -- 5: site CSVs pandas could not parse -------------------------------------------------------
def test_zero_byte_site_file(cwd, capsys):
    # was: pandas EmptyDataError traceback
    empty = sites_file(cwd, b"")
    err = bad(capsys, "--scenario", scenario(cwd, empty), "--out", "plan", before_work=False)
    assert "sites.csv: 1 problem(s)" in err and "the file is empty (0 bytes)" in err


def test_unquoted_comma_inside_a_name(cwd, capsys):
    # was: pandas ParserError traceback ("Expected 10 fields in line 5, saw 11")
    broken = sites_file(cwd, SITES.replace("Dead spot 2,", "Dead spot 2, Annankatu,"))
    err = bad(capsys, "--scenario", scenario(cwd, broken), "--out", "plan", before_work=False)
    assert "line 5 (row 4): 11 values but the header has 10 columns" in err
    assert "unquoted ','" in err and "double quotes" in err


def semicolon_text() -> str:
    lines = []
    for line in SITES.splitlines():
        cells = line.split(",")
        lines.append(";".join(c.replace(".", ",") for c in cells))
    return "\n".join(lines) + "\n"


def test_semicolons_with_decimal_commas_are_read_and_said(cwd, capsys):
    # was: pandas ParserError traceback; now read, and the CLI says how
    path = sites_file(cwd, semicolon_text())
    code, out, err = run(capsys, "--scenario", scenario(cwd, path), "--out", "plan", *FAST)
    assert code == 0, err
    assert "read as UTF-8, ';' delimiter, decimal commas" in err
    assert "Unassigned: none" in out


def test_semicolon_file_with_a_bad_row_names_the_delimiter(cwd, capsys):
    # issue point 13: the message did not mention the delimiter
    path = sites_file(cwd, semicolon_text().replace(";4,7;", ";lots;"))
    err = bad(capsys, "--scenario", scenario(cwd, path), "--out", "plan", before_work=False)
    assert "(read as UTF-8, ';' delimiter, decimal commas)" in err
    assert "row 3 (site_id 'S-01'), column tonnes: got 'lots'" in err


CHINESE = SITES.replace("Dead spot 2", "中央街垃圾点").replace("Bin 5", "爱辉区垃圾桶")


def test_gbk_site_file_from_excel_on_chinese_windows(cwd, capsys):
    # was: UnicodeDecodeError traceback
    path = sites_file(cwd, CHINESE.encode("gbk"))
    code, _, err = run(capsys, "--scenario", scenario(cwd, path), "--out", "plan", *FAST)
    assert code == 0, err
    assert "read as GB18030 (GBK)" in err
    stops = json.loads((cwd / "plan" / "stops.geojson").read_text(encoding="utf-8"))
    assert "中央街垃圾点" in {f["properties"]["name"] for f in stops["features"]}


def test_encoding_flag(cwd, capsys):
    path = sites_file(cwd, SITES.replace("Dead spot 2", "Hämeentie").encode("cp1252"))
    err = bad(capsys, "--scenario", scenario(cwd, path), "--out", "plan", before_work=False)
    assert "not UTF-8 (byte 0xe4) and not Chinese GBK/GB18030 text" in err
    assert "--encoding" in err
    code, _, err = run(capsys, "--scenario", scenario(cwd, path), "--out", "plan",
                       "--encoding", "cp1252", *FAST)
    assert code == 0, err


def test_unknown_encoding_name(cwd, capsys):
    err = bad(capsys, "--encoding", "klingon", "--out", "plan")
    assert "--encoding: got 'klingon'; give a codec name" in err


def test_empty_file_through_campaign_add(cwd, capsys):
    # was: pandas EmptyDataError traceback after the network was loaded
    empty = sites_file(cwd, b"", "reports.csv")
    code, _, err = run(capsys, "campaign", "--add", str(empty), "--maps", "none",
                       "--out", "c")
    assert code == 2
    assert "reports.csv: 1 problem(s)" in err and "the file is empty (0 bytes)" in err


def test_empty_progress_file_for_a_campaign(cwd, capsys):
    empty = sites_file(cwd, b"", "done.csv")
    code, _, err = run(capsys, "campaign", "--progress", str(empty), "--maps", "none",
                       "--out", "c")
    assert code == 2 and "done.csv" in err and "cannot read the CSV" in err


# -- 6: output locations, before the solve ---------------------------------------------------------
@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("notes.txt/plan", "--out 'notes.txt/plan' is under 'notes.txt', which is a file"),
        (".", "--out '.' is the folder you are working in"),
        ("/proc/plan", "--out '/proc/plan': cannot write in '/proc'"),  # even root may not
        ("/proc", "--out '/proc' is a mount point"),
    ],
    ids=["under-a-file", "dot", "read-only", "mount-point"],
)
def test_output_location_is_checked_before_any_work(cwd, capsys, out, message):
    # was: each found only after the whole solve, as a traceback
    (cwd / "notes.txt").write_text("mine")
    assert message in bad(capsys, "--out", out)


def test_campaign_out_read_only(cwd, capsys):
    code, out, err = run(capsys, "campaign", "--out", "/proc/campaign", "--maps", "none")
    assert code == 2
    assert "--out '/proc/campaign': cannot write in '/proc'" in err
    assert "lower bound" not in out  # nothing was planned


# -- 7: split loads --------------------------------------------------------------------------------
def test_a_tiny_capacity_is_refused_without_allocating(cwd, capsys):
    # was: 440,802 loads and a 1.41 TiB allocation
    code, _, err = run(capsys, "--capacity", "0.001", "--out", "plan", *FAST)
    assert code == 2
    assert "loads of at most 0.001 t would make" in err and "capacity_t, in tonnes" in err
    assert not (cwd / "plan").exists()


# -- 8, 11, 13: problem JSON -------------------------------------------------------------------
def problem_json(tmp_path: Path, **changes) -> Path:
    data = {
        "duration_s": [[0, 100, 200], [100, 0, 100], [200, 100, 0]],
        "distance_m": [[0, 1000, 2000], [1000, 0, 1000], [2000, 1000, 0]],
        "stops": [{"id": "S", "location": 1, "load_t": 2}],
        "facilities": [{"id": "L", "location": 2}],
        "depots": [{"id": "D", "location": 0}],
        "vehicles": [{"id": "T", "start_depot": "D", "capacity_t": 8}],
    }
    data.update(changes)
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(data))
    return path


def solve_json(capsys, path: Path, tmp_path: Path) -> tuple[int, str]:
    code = routing_main(["solve", str(path), "--out", str(tmp_path / "plan.json"), "--quiet",
                         "--time-limit", "2", "--max-iterations", "20"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def test_infinite_cost_per_km_in_problem_json(tmp_path, capsys):
    # was: OverflowError traceback
    path = problem_json(tmp_path)
    path.write_text(path.read_text().replace('"capacity_t": 8', '"capacity_t": 8, '
                                             '"cost_per_km": Infinity'))
    code, err = solve_json(capsys, path, tmp_path)
    assert code == 2 and "vehicles[0].cost_per_km: inf is not a finite number" in err


def test_problem_json_time_past_midnight(tmp_path, capsys):
    # was: accepted, though the CSV reader refuses 27:00
    vehicles = [{"id": "T", "start_depot": "D", "capacity_t": 8, "shift": ["06:00", "27:00"]}]
    code, err = solve_json(capsys, problem_json(tmp_path, vehicles=vehicles), tmp_path)
    assert code == 2 and "vehicles[0].shift[1]: time '27:00' is past 24:00" in err


def test_problem_json_null_duration_with_a_distance(tmp_path, capsys):
    dur = [[0, None, 200], [100, 0, 100], [200, 100, 0]]
    code, err = solve_json(capsys, problem_json(tmp_path, duration_s=dur), tmp_path)
    assert code == 2
    assert "duration_s[0][1] is null (no street path) but distance_m[0][1] is 1000" in err


def test_problem_json_break_longer_than_a_day(tmp_path, capsys):
    # was: accepted, then the whole solve failed (and the truck without a break sat idle)
    vehicles = [{"id": "T", "start_depot": "D", "capacity_t": 8,
                 "break": {"earliest_s": "11:00", "latest_s": "12:00", "duration_s": 100080}},
                {"id": "T2", "start_depot": "D", "capacity_t": 8}]
    code, err = solve_json(capsys, problem_json(tmp_path, vehicles=vehicles), tmp_path)
    assert code == 2
    assert "vehicles[0].break.duration_s: 100080 s (27.8 h) is longer than a day" in err


def test_problem_json_non_square_matrix_names_the_file(tmp_path, capsys):
    code, err = solve_json(capsys, problem_json(tmp_path, duration_s=[[0, 1]]), tmp_path)
    assert code == 2 and "problem.json: duration_s[0] has 2 entries" in err


def test_plan_json_has_the_mode_of_every_output(tmp_path, capsys):
    # was: 0600 (mkstemp) while the daily outputs were 0644
    old = os.umask(0o022)
    try:
        code, _ = solve_json(capsys, problem_json(tmp_path), tmp_path)
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o644


# -- 12, 13: coordinates -----------------------------------------------------------------------
def test_lon_lat_swapped_inside_valid_ranges(cwd, capsys):
    # was: exit 0 and the site "4,978 km from the nearest drivable street"
    swapped = SITES.replace("24.952532,60.165417", "60.165417,24.952532")
    err = bad(capsys, "--scenario", scenario(cwd, sites_file(cwd, swapped)), "--out", "plan",
              before_work=False)
    assert "row 6 (site_id 'S-04')" in err and "lon/lat look swapped" in err


def test_projected_coordinates_without_crs_point_to_sites_crs(cwd, capsys):
    rows = ["site_id,kind,tonnes,x,y", "DEPOT,depot,0,386175,6672431",  # EPSG:3067
            "TRANSFER,transfer,0,385908,6672546", "S-01,dead_spot,4.7,385620,6671653"]
    path = sites_file(cwd, "\n".join(rows) + "\n")
    err = bad(capsys, "--scenario", scenario(cwd, path), "--out", "plan", before_work=False)
    assert "projected coordinates but no CRS" in err and "--sites-crs" in err
    code, out, err = run(capsys, "--scenario", scenario(cwd, path), "--out", "plan",
                         "--sites-crs", "EPSG:3067", *FAST)
    assert code == 0, err
    assert "Unassigned: none" in out


def test_unknown_sites_crs(cwd, capsys):
    assert "--sites-crs: got 'GCJ-03'" in bad(capsys, "--sites-crs", "GCJ-03", "--out", "p")


def test_csv_outputs_have_a_bom_and_quote_formula_like_names(cwd, capsys):
    # was: no BOM (Excel on Chinese Windows misreads UTF-8) and =HYPERLINK(...) verbatim
    evil = SITES.replace("Dead spot 2", '"=HYPERLINK(""http://x"",""click"")"')
    code, _, err = run(capsys, "--scenario", scenario(cwd, sites_file(cwd, evil)),
                       "--out", "plan", *FAST)
    assert code == 0, err
    raw = (cwd / "plan" / "dispatch.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    names = {r["name"] for r in rows if r["site_id"] == "S-02"}
    assert names == {"'=HYPERLINK(\"http://x\",\"click\")"}


def test_readme_exit_codes_are_the_ones_returned(cwd, capsys, monkeypatch):
    import planner

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Exit codes ("):][:900]
    for code in ("`0`", "`2`", "`3`", "`130`"):
        assert code in section, code
    assert (run_plan.EXIT_OK, run_plan.EXIT_BAD_INPUT, run_plan.EXIT_UNASSIGNED) == (0, 2, 3)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(planner, "plan_day", interrupted)
    assert run(capsys, "--out", "plan")[0] == 130  # Ctrl-C: 130, and nothing written
    assert not (cwd / "plan").exists()
