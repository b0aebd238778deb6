"""Scenario files: parsing, defaults, and one test per validation error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

import geodata
from planner import (
    DEFAULT_MAX_ITERATIONS,
    HEIHE_SCENARIO,
    SAMPLE_SCENARIO,
    FleetType,
    Scenario,
    ScenarioError,
    SolverSpec,
    replace_fleet,
)

MINIMAL = """
[[fleet]]
name = "rl"
count = 2
capacity_t = 8
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def test_sample_scenario_reads():
    s = Scenario.from_file(SAMPLE_SCENARIO)
    assert s.network.source == "sample"
    assert s.site_paths() == [Path(geodata.SAMPLE_SITES)]
    assert s.num_trucks >= 2
    assert s.solver.max_iterations == "auto"  # reproducible by default, sized to the day
    assert s.source == str(SAMPLE_SCENARIO)


def test_heihe_scenario_reads_and_its_sites_are_labelled_illustrative():
    s = Scenario.from_file(HEIHE_SCENARIO)
    assert s.network.source.startswith("place:")
    [path] = s.site_paths()
    assert path.is_file()
    sites = geodata.read_sites(path, crs=s.sites_crs)
    work = sites[sites["kind"] == "dead_spot"]
    assert len(work) > 0
    # named in Chinese as the office names them ("示意" = illustrative), and flagged
    assert work["name"].str.contains("示意").all() and work["illustrative"].all()
    # the office's GCJ-02 points, read back to WGS-84 in Heihe (not ~500 m off)
    assert s.language == "zh-CN" and s.sites_crs == "GCJ-02"
    depot = sites.set_index("site_id").geometry["AH-DEPOT"]
    assert (round(depot.x, 4), round(depot.y, 4)) == (127.4905, 50.2365)


def test_defaults_of_a_minimal_file(tmp_path):
    s = Scenario.from_file(write(tmp_path, MINIMAL))
    assert s.network.source == "sample" and s.network.max_snap_m == 300
    assert s.site_files == ("sample",)
    # both engines raced, a work budget sized to the day (same seed, same plan)
    assert s.solver == SolverSpec("auto", 30.0, 0, DEFAULT_MAX_ITERATIONS)
    assert DEFAULT_MAX_ITERATIONS == "auto"
    assert s.date == dt.date.today()
    assert s.output_dir() == Path(f"out/{dt.date.today().isoformat()}")
    ft = s.fleet[0]
    assert (ft.shift_start, ft.shift_end, ft.break_window_s, ft.facilities) == (
        "06:00", "16:00", None, ())


def test_paths_are_relative_to_the_scenario_file(tmp_path):
    (tmp_path / "sub").mkdir()
    s = Scenario.from_file(write(tmp_path, '[sites]\nfiles = ["sub/a.csv"]\n'
                                 '[network]\nsource = "city.osm.pbf"\n' + MINIMAL))
    assert s.site_files == (str((tmp_path / "sub" / "a.csv").resolve()),)
    assert s.network.source == str((tmp_path / "city.osm.pbf").resolve())


def test_date_output_and_break(tmp_path):
    s = Scenario.from_file(write(tmp_path, 'date = 2025-05-06\n[output]\nfolder = '
                                 '"plans/{name}-{date}"\n' + MINIMAL +
                                 'break_start = "11:00"\nbreak_end = "13:00"\nbreak_min = 30\n'))
    assert s.date == dt.date(2025, 5, 6)
    assert s.output_dir() == Path("plans/day-2025-05-06")
    # lunch of 30 min within 11:00-13:00: it starts 11:00..12:30
    assert s.fleet[0].break_window_s == (11 * 3600, 12 * 3600 + 1800, 1800)


def test_variants_with_dataclasses_replace():
    s = Scenario.from_file(SAMPLE_SCENARIO)
    two = dataclasses.replace(s, fleet=(dataclasses.replace(s.fleet[0], count=2),))
    assert two.num_trucks == 2
    assert replace_fleet(s, capacity_t=12.0).fleet[0].capacity_t == 12.0
    # a variant is validated like a file
    with pytest.raises(ScenarioError, match="capacity_t: got -1"):
        replace_fleet(s, capacity_t=-1)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        # TOML syntax: the parser's position and the fix
        ("[fleet\nname = 1", r"invalid TOML: .*line 1.*fix the syntax"),
        # a typo in a key: suggest the right one
        ("[solver]\ntime_limit = 5\n" + MINIMAL,
         r"solver: unknown key 'time_limit'; did you mean 'time_limit_s'\?"),
        ("fleets = 3\n" + MINIMAL, r"unknown key 'fleets' at the top level; did you mean 'fleet'"),
        # wrong type: the value received and what to give
        ("[network]\nmax_snap_m = \"far\"\n" + MINIMAL,
         r"network.max_snap_m: got 'far'; give a number"),
        # fleet: missing required key, bad values, named by index and name
        ("[[fleet]]\nname = \"rl\"\ncount = 1\n", r"fleet\[1\] \('rl'\): missing 'capacity_t'"),
        (MINIMAL.replace("capacity_t = 8", "capacity_t = -3"),
         r"fleet\[1\] \('rl'\).capacity_t: got -3; give the payload in tonnes > 0"),
        (MINIMAL.replace("count = 2", "count = 2.5"),
         r"fleet\[1\] \('rl'\).count: got 2.5; give a whole number"),
        (MINIMAL + 'shift_start = "6am"\n', r"shift_start: got '6am'; give a time as \"HH:MM\""),
        (MINIMAL + 'shift_start = "16:00"\nshift_end = "06:00"\n',
         r"shift_end '06:00' is not after shift_start '16:00'"),
        (MINIMAL + "break_min = 30\n", r"break_min is set but break_start/break_end are missing"),
        (MINIMAL + 'break_start = "11:00"\nbreak_end = "11:10"\nbreak_min = 30\n',
         r"break window 11:00-11:10 is shorter than break_min = 30 minutes"),
        (MINIMAL + MINIMAL, r"fleet: the type name 'rl' is used twice"),
        ("name = \"x\"\n", r"no \[\[fleet\]\]; add at least one truck type"),
        # solver
        ("[solver]\nengine = \"gurobi\"\n" + MINIMAL,
         r"solver.engine: got 'gurobi'; use one of ortools, pyvrp, auto"),
        ("[solver]\ntime_limit_s = 0\n" + MINIMAL, r"solver.time_limit_s: got 0; give seconds > 0"),
        # inline facilities and depots
        (MINIMAL + '[[facilities]]\nid = "LF"\nkind = "dump"\nlon = 24.9\nlat = 60.1\n',
         r"facilities\[1\] \('LF'\).kind: got 'dump'; use one of landfill, transfer"),
        (MINIMAL + '[[depots]]\nid = "D2"\nlon = 60.1\nlat = 124.9\n',
         r"depots\[1\] \('D2'\).lat: got 124.9; give a latitude"),
        (MINIMAL + '[[depots]]\nid = "X"\nlon = 1\nlat = 1\n[[facilities]]\nid = "X"\n'
         'lon = 1\nlat = 1\n', r"the id 'X' is used twice"),
        # misc top level
        ("date = \"6 May\"\n" + MINIMAL, r"date: got '6 May'; give a date as YYYY-MM-DD"),
        ("closed_facilities = \"LF\"\n" + MINIMAL,
         r"closed_facilities: got 'LF'; give a list of facility ids"),
        ("[output]\nfolder = \"out/{day}\"\n" + MINIMAL,
         r"output.folder: got 'out/\{day\}'; only \{date\} and \{name\} may be filled in"),
        ("[sites]\nfiles = []\n" + MINIMAL, r"sites.files is empty"),
    ],
)
def test_each_validation_error_names_file_field_and_fix(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match=match) as info:
        Scenario.from_file(path)
    assert str(path) in str(info.value)  # the message names the file


def test_every_problem_is_reported_at_once(tmp_path):
    text = ("[solver]\nengine = \"x\"\nseed = -1\n"
            + MINIMAL.replace("capacity_t = 8", "capacity_t = 0"))
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(write(tmp_path, text))
    assert len(info.value.problems) == 3


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope.toml: file does not exist"):
        Scenario.from_file(tmp_path / "nope.toml")


def test_fleet_type_in_code_is_validated():
    with pytest.raises(ScenarioError, match=r"count: got -1"):
        FleetType("rl", count=-1, capacity_t=8)


def test_streams_and_daily_limits_read_from_toml(tmp_path):
    text = MINIMAL + '''
[facility_streams]
"TRANSFER" = ["residual", "bulky"]

[solver]
max_iterations = "none"
'''
    text = text.replace('capacity_t = 8', 'capacity_t = 8\nstreams = ["residual"]\n'
                        'max_daily_t = 40\nmax_stops = 250', 1)
    s = Scenario.from_file(write(tmp_path, text))
    ft = s.fleet[0]
    assert (ft.streams, ft.max_daily_t, ft.max_stops) == (("residual",), 40, 250)
    assert s.accepted_streams() == {"TRANSFER": ("residual", "bulky")}
    assert s.solver.max_iterations is None  # "none": the time limit only


@pytest.mark.parametrize(("line", "message"), [
    ("max_daily_t = 0", "max_daily_t: got 0; give tonnes > 0"),
    ("max_stops = 2.5", "max_stops: got 2.5; give a whole number"),
    ("streams = \"residual\"", "streams: got 'residual'; give a list of strings"),
])
def test_bad_limits_and_streams_name_the_field(tmp_path, line, message):
    text = MINIMAL.replace('capacity_t = 8', f'capacity_t = 8\n{line}', 1)
    with pytest.raises(ScenarioError, match=re.escape(message)):
        Scenario.from_file(write(tmp_path, text))
