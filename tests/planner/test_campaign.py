"""Clearance campaigns: days known by hand, loading caps, calendar, priorities, re-planning."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest

import routing
from planner import (
    CAMPAIGN_SAMPLE,
    Calendar,
    CampaignError,
    CampaignScenario,
    Dump,
    campaign_main,
    plan_campaign,
    read_progress,
    run_campaign,
    write_campaign,
)
from planner._campaign_day import _check_loaders
from planner._campaign_io import with_trucks
from routing import Break, Depot, Facility, Problem, Vehicle

MONDAY = dt.date(2025, 3, 3)
H = 3600


def line_problem(*, trucks=2, shift=(8 * H, 12 * H), leg_s=1800, n_sites=1, facilities=1,
                 break_=None, unreachable=()):
    """Depot 0, dumps 1..n, facilities after them; every leg takes ``leg_s``."""
    n = 1 + n_sites + facilities
    d = np.full((n, n), float(leg_s))
    np.fill_diagonal(d, 0.0)
    for loc in unreachable:
        d[loc, :] = d[:, loc] = math.inf
        d[loc, loc] = 0.0
    facs = tuple(Facility(f"L{k}", 1 + n_sites + k, unload_s=600) for k in range(facilities))
    return Problem(duration_s=d, distance_m=d * 10, stops=(), depots=(Depot("D", 0),),
                   facilities=facs,
                   vehicles=tuple(Vehicle(f"T{i}", "D", capacity_t=8.0, shift=shift,
                                          break_=break_) for i in range(trucks)))


def assert_days_valid(campaign):
    """Every day passes the independent checker and no excavator loads two trucks."""
    for day in campaign.days:
        if day.plan is None:
            continue
        routing.check_plan(day.problem, day.plan)
        _check_loaders(day.problem, day.plan, {d.site_id: d.loaders for d in campaign.dumps})


def assert_conserved(campaign):
    """Tonnes cleared over the days plus what is reported left equal the backlog."""
    left = sum(u.load_t for u in campaign.unassigned)
    assert campaign.tonnes + left == pytest.approx(sum(campaign.backlog_t.values()))


# shift 8-10: one 8 t load per truck a day; 8-12: two (the second truck waits 10 min
# for the excavator) -> 48 t = 6 loads take 3 days, then 2 days
@pytest.mark.parametrize(("shift_end", "days"), [(10 * H, 3), (12 * H, 2)])
def test_days_known_by_hand(shift_end, days):
    base = line_problem(shift=(8 * H, shift_end))
    c = plan_campaign(base, [Dump("S", 1, tonnes=48.0, load_min=10)], Calendar(MONDAY))
    assert c.working_days == days
    assert c.trips == 6
    assert [d.date for d in c.days] == [MONDAY + dt.timedelta(days=k) for k in range(days)]
    assert c.bound.whole_days == days  # the bound is tight here
    assert_days_valid(c)
    assert_conserved(c)


def test_loading_rate_caps_the_site_more_trucks_do_not_help():
    # one excavator, 60 min a truck: at most a handful of loads a day whatever the fleet
    def days(trucks):
        base = line_problem(trucks=trucks, shift=(6 * H, 18 * H), leg_s=600)
        c = plan_campaign(base, [Dump("S", 1, tonnes=400.0, load_min=60)], Calendar(MONDAY))
        assert_days_valid(c)
        return c

    few, many = days(4), days(12)
    assert few.working_days == many.working_days
    assert many.bound.by_loading >= many.bound.by_trucks
    assert many.working_days >= many.bound.whole_days


def test_two_excavators_load_two_trucks_at_once():
    base = line_problem(trucks=4, shift=(6 * H, 18 * H), leg_s=600)
    one = plan_campaign(base, [Dump("S", 1, tonnes=400.0, load_min=60)], Calendar(MONDAY))
    two = plan_campaign(base, [Dump("S", 1, tonnes=400.0, load_min=60, loaders=2)],
                        Calendar(MONDAY))
    assert two.working_days < one.working_days
    assert_days_valid(two)


def test_closure_of_the_only_landfill_shifts_the_work():
    base = line_problem(shift=(8 * H, 10 * H))
    dumps = [Dump("S", 1, tonnes=48.0, load_min=10)]
    closed = MONDAY + dt.timedelta(days=1)
    c = plan_campaign(base, dumps, Calendar(MONDAY, closures=((closed, "L0"),)))
    assert c.working_days == 4  # 3 days of work, one lost
    lost = c.days[1]
    assert lost.date == closed and lost.plan is None and lost.closed == ("L0",)
    assert "closed" in lost.note
    assert_conserved(c)


def test_closure_of_one_landfill_sends_trucks_to_the_other():
    base = line_problem(shift=(8 * H, 10 * H), facilities=2)
    c = plan_campaign(base, [Dump("S", 1, tonnes=48.0)],
                      Calendar(MONDAY, closures=((MONDAY, "L0"),)))
    first = c.days[0]
    used = {v.id for r in first.plan.routes for v in r.visits if v.kind == "facility"}
    assert used == {"L1"}
    assert c.working_days == 3
    assert_days_valid(c)


def test_days_off_and_weekends_are_skipped():
    base = line_problem(shift=(8 * H, 10 * H))
    friday = MONDAY + dt.timedelta(days=4)
    cal = Calendar(MONDAY + dt.timedelta(days=3), days_off=(friday,))  # start on Thursday
    c = plan_campaign(base, [Dump("S", 1, tonnes=48.0)], cal)
    assert [d.date.isoformat() for d in c.days] == ["2025-03-06", "2025-03-10", "2025-03-11"]


def test_urgent_site_is_cleared_no_later_than_an_equal_one_that_can_wait():
    base = line_problem(trucks=3, n_sites=2, shift=(8 * H, 16 * H), leg_s=900)
    dumps = [Dump("LOW", 1, tonnes=160.0, priority=5), Dump("HIGH", 2, tonnes=160.0,
                                                              priority=1)]
    c = plan_campaign(base, dumps, Calendar(MONDAY))
    assert c.working_days >= 2  # a real choice had to be made
    cleared = c.cleared_on()
    assert cleared["HIGH"] <= cleared["LOW"]
    assert c.days[0].cleared_t["HIGH"] > c.days[0].cleared_t["LOW"]
    assert_days_valid(c)
    assert_conserved(c)


def test_breaks_are_taken_and_checked():
    base = line_problem(trucks=3, shift=(7 * H, 16 * H), leg_s=900,
                        break_=Break(11 * H, 12 * H, 1800))
    c = plan_campaign(base, [Dump("S", 1, tonnes=300.0, loaders=2)], Calendar(MONDAY))
    assert_days_valid(c)
    breaks = [v for r in c.days[0].plan.routes for v in r.visits if v.kind == "break"]
    assert len(breaks) == 3


def test_unreachable_site_is_reported_quickly_with_its_backlog():
    base = line_problem(n_sites=2, unreachable=(2,))
    c = plan_campaign(base, [Dump("OK", 1, tonnes=16.0), Dump("ISLAND", 2, tonnes=500.0)],
                      Calendar(MONDAY))
    assert c.solve_seconds < 5
    (u,) = c.unassigned
    assert u.site_id == "ISLAND" and u.load_t == 500.0 and "unreachable" in u.reason
    assert c.cleared_on()["OK"] is not None
    assert_conserved(c)


def test_calendar_that_ends_reports_what_is_left():
    base = line_problem(shift=(8 * H, 10 * H))
    cal = Calendar(MONDAY, end=MONDAY + dt.timedelta(days=1))
    c = plan_campaign(base, [Dump("S", 1, tonnes=48.0)], cal)
    assert c.working_days == 2
    assert c.unassigned[0].load_t == pytest.approx(16.0)
    assert "calendar ends" in c.unassigned[0].reason
    assert_conserved(c)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"weekdays": ()}, "no working day"),
    ({"weekdays": (5, 6), "end": MONDAY + dt.timedelta(days=4)}, "no working day between"),
    ({"end": MONDAY - dt.timedelta(days=1)}, "before start"),
])
def test_calendar_without_a_working_day_is_an_error(kwargs, match):
    with pytest.raises(CampaignError, match=match):
        Calendar(MONDAY, **kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tonnes": -5.0}, "tonnes must be >= 0"),
    ({"load_min": 0.0}, "load_min"),
    ({"loaders": 0}, "loaders"),
])
def test_bad_dump_is_an_error(kwargs, match):
    with pytest.raises(CampaignError, match=match):
        Dump(**{"site_id": "S", "location": 1, "tonnes": 10.0, **kwargs})


def test_base_with_stops_or_dump_outside_matrix_is_an_error():
    base = line_problem()
    with pytest.raises(CampaignError, match="outside the matrices"):
        plan_campaign(base, [Dump("S", 9, tonnes=8.0)], Calendar(MONDAY))


def test_progress_is_subtracted():
    base = line_problem(shift=(8 * H, 10 * H))
    c = plan_campaign(base, [Dump("S", 1, tonnes=48.0)], Calendar(MONDAY),
                      cleared={"S": 32.0})
    assert c.backlog_t["S"] == 16.0 and c.cleared_before_t["S"] == 32.0
    assert c.working_days == 1


# -- scenario files, progress files, the CLI (no network needed) ----------------------
def campaign_dict(count=3, **campaign):
    return {
        "name": "t", "network": {"source": "sample"},
        "sites": {"files": [str(CAMPAIGN_SAMPLE.parent / "campaign-sites.geojson")]},
        "fleet": [{"name": "tipper", "count": count, "capacity_t": 8.0, "depot": "DEPOT"}],
        "campaign": {"start": MONDAY, **campaign},
    }


def test_sample_campaign_file_reads():
    spec = CampaignScenario.from_file(CAMPAIGN_SAMPLE)
    assert spec.calendar.start.weekday() == 0
    assert spec.scenario.fleet[0].capacity_t == 8.0
    assert ("CD-1", 12, 2) in spec.rates


@pytest.mark.parametrize(("data", "match"), [
    (campaign_dict(count=0), "zero trucks"),
    (campaign_dict(weekdays=[]), "no working day"),
    (campaign_dict(weekdays=["someday"]), "weekdays"),
    (campaign_dict(start="March"), "campaign.start"),
    (campaign_dict(colour="red"), "unknown key 'colour'"),
    ({**campaign_dict(), "campaign": None}, r"missing \[campaign\]"),
])
def test_bad_campaign_file_is_an_error(data, match):
    with pytest.raises(CampaignError, match=match):
        CampaignScenario.from_dict(data)


@pytest.mark.parametrize("text", [
    "site_id,tonnes_cleared\nCD-1,100\nCD-1,50\nCD-2,8\n",
    "date,site_id,tonnes\n2025-03-03,CD-1,150\n2025-03-04,CD-2,8\n",
])
def test_read_progress_both_layouts(tmp_path, text):
    path = tmp_path / "done.csv"
    path.write_text(text)
    done, history = read_progress(path)
    assert done == {"CD-1": 150.0, "CD-2": 8.0}
    assert len(history) == (2 if text.startswith("date") else 0)


def test_read_progress_rejects_negative_tonnes(tmp_path):
    path = tmp_path / "done.csv"
    path.write_text("site_id,tonnes_cleared\nCD-1,-3\n")
    with pytest.raises(CampaignError, match="tonnes >= 0"):
        read_progress(path)


# -- the sample campaign on the bundled network ---------------------------------------
@pytest.fixture(scope="module")
def sample_run():
    return run_campaign(CampaignScenario.from_file(CAMPAIGN_SAMPLE))


@pytest.mark.slow
def test_sample_campaign_is_feasible_and_near_the_bound(sample_run):
    c = sample_run.campaign
    assert c.tonnes == pytest.approx(12_000.0)
    assert not c.unassigned
    assert c.bound.whole_days <= c.working_days <= 1.25 * c.bound.whole_days + 1
    assert c.solve_seconds < 60
    assert_days_valid(c)
    closure = next(d for d in c.days if d.date == dt.date(2025, 3, 5))
    assert closure.closed == ("LANDFILL",)
    assert dt.date(2025, 3, 14) not in {d.date for d in c.days}  # a holiday


@pytest.mark.slow
def test_sample_campaign_outputs(sample_run, tmp_path):
    written = write_campaign(sample_run, tmp_path, maps="first")
    assert (tmp_path / "remaining.png").read_bytes()[:4] == b"\x89PNG"
    days = [k for k in written if k.startswith("day-")]
    assert days == ["day-01-2025-03-03"]
    first, *rest = sample_run.campaign.days
    later = {sid for d in rest for sid, t in d.cleared_t.items() if t > 0}
    later -= {sid for sid, t in first.cleared_t.items() if t > 0}
    assert later  # the sample's dumps take more than a day
    page = (tmp_path / days[0] / "index.html").read_text()
    assert page.count("scheduled for day") >= len(later)  # not shown as unassigned work
    assert "not in the plan" not in page
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["working_days"] == sample_run.campaign.working_days
    assert {s["site_id"] for s in summary["sites"]} == {f"CD-{k}" for k in range(1, 9)}
    assert all(s["cleared_on"] for s in summary["sites"])
    lines = (tmp_path / "summary.csv").read_text().splitlines()
    assert len(lines) == 1 + sample_run.campaign.working_days


@pytest.mark.slow
def test_replanning_with_progress_and_new_reports(sample_run, tmp_path):
    reports = tmp_path / "reports.geojson"
    reports.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [24.9501, 60.1701]},
         "properties": {"site_id": "NEW-1", "kind": "dead_spot", "tonnes": 96.0,
                        "priority": 1}}]}))
    spec = CampaignScenario.from_file(CAMPAIGN_SAMPLE)
    start = dt.date(2025, 3, 10)
    run = run_campaign(spec, cleared={"CD-1": 3200.0, "CD-2": 1000.0}, add=reports,
                       start=start, G=sample_run.G)
    c = run.campaign
    assert c.days[0].date == start
    assert c.backlog_t["CD-1"] == 0.0 and c.backlog_t["CD-2"] == 1400.0
    assert c.backlog_t["NEW-1"] == 96.0
    assert c.tonnes == pytest.approx(12_000.0 - 4200.0 + 96.0)
    assert c.working_days < sample_run.campaign.working_days
    assert c.cleared_on()["CD-1"] < start
    assert_days_valid(c)


@pytest.mark.slow
def test_cli_campaign_subcommand(tmp_path, capsys):
    code = campaign_main(["--trucks", "20", "--maps", "none", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "lower bound" in out and "plan/bound" in out
    assert (tmp_path / "summary.csv").is_file()
    assert not list(tmp_path.glob("day-*"))


def test_cli_bad_input_exits_2(tmp_path, capsys):
    bad = tmp_path / "c.toml"
    bad.write_text('name = "x"\n[campaign]\nstart = 2025-03-03\nweekdays = []\n'
                   '[[fleet]]\nname = "a"\ncount = 1\ncapacity_t = 8.0\n')
    assert campaign_main(["--scenario", str(bad)]) == 2
    assert "no working day" in capsys.readouterr().err


def test_with_trucks_rejects_zero():
    spec = CampaignScenario.from_file(CAMPAIGN_SAMPLE)
    with pytest.raises(CampaignError, match="at least 1"):
        with_trucks(spec, 0)


# -- the notebook ------------------------------------------------------------------------
@pytest.mark.slow
def test_campaign_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = Path(__file__).parents[2] / "notebooks" / "03_campaign.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stripped
    # cwd notebooks/: the notebook finds the project one level up; it writes to a temp dir
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "lower bound" in text


@pytest.mark.slow
def test_campaign_days_are_written_in_the_scenarios_time_zone_and_tiles(sample_run, tmp_path):
    import dataclasses

    import maps

    scenario = dataclasses.replace(
        sample_run.spec.scenario, timezone="Asia/Shanghai",
        map_tiles=maps.tile_source("https://tiles.example.cn/{z}/{x}/{y}.png",
                                   attribution="Example City"))
    run = dataclasses.replace(sample_run, spec=dataclasses.replace(sample_run.spec,
                                                                   scenario=scenario))
    write_campaign(run, tmp_path, maps="first")
    day = tmp_path / "day-01-2025-03-03"
    assert json.loads((day / "summary.json").read_text())["timezone"] == "Asia/Shanghai"
    assert "tiles.example.cn" in (day / "index.html").read_text(encoding="utf-8")
