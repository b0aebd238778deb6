"""run_plan.main(): exit codes, messages without tracebacks, progress, outputs, determinism."""

from __future__ import annotations

import json
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
                 "best cost"):
        assert step in err
    # every sample site is served or listed unassigned
    summary = json.loads((folder / "summary.json").read_text())
    assert summary  # written and valid JSON


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
