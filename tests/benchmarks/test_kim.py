"""The Kim (2006) benchmark: reader, conversion to a Problem, the independent re-check.

``data/kim_tiny.txt`` is a hand-made instance in the set's format: a depot at (0, 0),
landfills 1 (1 mile east, 07:00-16:45 written ``1675``, 10 min unload) and 2 (2 miles
north, 07:45 written ``0775``, 5 min), five stops on a one-mile grid (20.5 yd in all);
capacity 10, daily total 15, 4 stops a day, 1 h lunch, 40 mph (a mile is 90 s).
``GOOD`` serves it with two trucks and 14 miles, every rule kept (worked out in the
comments).
"""

import json
from pathlib import Path

import pytest

import routing
from benchmarks import kim
from benchmarks._kim import (
    KimFormatError,
    parse_hhmm,
    plan_routes,
    read_kim,
    recheck,
    to_problem,
)
from benchmarks._kim_baselines import routes_to_plan

TINY = Path(__file__).parent / "data" / "kim_tiny.txt"

# Truck A: 0 -2 mi-> 10 (06:03) -1-> 11 (wait to 08:00) -2-> L1 (08:08, unload; lunch
# 11:00-12:00 there) -1-> 13 (wait to 13:00) -1-> L1 -1-> home 13:23; 8 miles, 13 yd
# in two trips. Truck B: 0 -1-> 12 -2-> 14 -1-> L2 (wait to 07:45) -2-> home 07:53, lunch
# after; 6 miles, 7.5 yd.
GOOD = [[10, 11, "L1", 13, "L1"], [12, 14, "L2"]]


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    """The tiny instance with one piece of text replaced (a tighter rule to break)."""
    text = TINY.read_text()
    assert old in text
    path = tmp_path / "kim_variant.txt"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("text", "seconds"), [
    ("0400", 4 * 3600),
    ("400", 4 * 3600),  # the 1599 and 1932 files drop the leading zero
    ("0", 0),
    ("1030", 10 * 3600 + 30 * 60),
    ("830", 8 * 3600 + 30 * 60),
    ("650", 6 * 3600 + 50 * 60),  # minutes below 60: HHMM
    ("1675", 16 * 3600 + 45 * 60),  # minutes >= 60: decimal hours, 16.75 h
    ("0775", 7 * 3600 + 45 * 60),
    ("2400", 24 * 3600),
])
def test_kim_times_are_hhmm_or_decimal_hours(text, seconds):
    assert parse_hhmm(text) == seconds


@pytest.mark.parametrize("text", ["12x0", "", "12:30", "24000", "2460"])
def test_kim_time_that_is_not_hhmm_is_refused(text):
    with pytest.raises(ValueError, match="HHMM|after 24:00"):
        parse_hhmm(text)


def test_tiny_instance_reads_header_sites_and_times():
    inst = read_kim(TINY)
    assert (inst.capacity, inst.daily_total, inst.max_stops, inst.lunch_s, inst.mph) == (
        10.0, 15.0, 4, 3600, 40.0)
    assert (inst.depot.id, inst.depot.early_s, inst.depot.late_s) == (0, 6 * 3600, 18 * 3600)
    assert [f.id for f in inst.landfills] == [1, 2]
    assert inst.landfills[0].late_s == 16 * 3600 + 45 * 60
    assert inst.landfills[1].early_s == 7 * 3600 + 45 * 60
    assert [s.id for s in inst.stops] == [10, 11, 12, 13, 14]
    assert inst.stops[-1].load == 2.5
    assert inst.drive_s(5280) == pytest.approx(90.0)
    # 20.5 yd against a 15 yd daily total, 5 stops against 4 a day: two trucks at least
    assert inst.truck_lower_bound() == 2


def test_windows_line_endings_are_read(tmp_path):
    # the published files have CRLF line endings
    path = tmp_path / "crlf.txt"
    path.write_bytes(TINY.read_text().replace("\n", "\r\n").encode())
    assert read_kim(path).stops == read_kim(TINY).stops


@pytest.mark.parametrize(("old", "new", "message"), [
    ("1300\t1400", "13x0\t1400", r"kim_variant.txt:13: field 'early'"),
    ("0.00\t5280.00\t0000", "0.00\t0000", r"kim_variant.txt:12: 7 fields; expected 8"),
    ("9999.00\t2\n", "9999.00\t3\n", r"kim_variant.txt:8: type 3"),
    ("14\t5280.00", "13\t5280.00", r"kim_variant.txt:14: id 13 appears twice"),
    ("40\t", "fast\t", r"kim_variant.txt:5: header line 5 must start with the mph"),
    ("0800\t1030", "1030\t0800", r"kim_variant.txt:11: need early <= late"),
])
def test_bad_instance_file_names_file_line_and_field(tmp_path, old, new, message):
    with pytest.raises(KimFormatError, match=message):
        read_kim(_variant(tmp_path, old, new))


def test_instance_without_landfill_is_refused(tmp_path):
    path = tmp_path / "no_landfill.txt"
    path.write_text(TINY.read_text().replace("9999.00\t2\n", "9.00\t1\n"))
    with pytest.raises(KimFormatError, match="at least one landfill"):
        read_kim(path)


def test_problem_has_the_rules_of_the_set():
    inst = read_kim(TINY)
    p = to_problem(inst, trucks=3, fixed_cost=1609.344)
    assert p.location_names[:3] == ("D0", "L1", "L2")
    assert p.distance_m[0, 3] == pytest.approx(2 * 5280 * 0.3048)  # depot -> stop 10
    assert p.duration_s[0, 3] == 180
    assert p.stop("10").window is None  # 00:00-24:00 adds nothing to the depot's hours
    assert p.stop("11").window == (8 * 3600, 10 * 3600 + 30 * 60)
    assert p.facility("L1").window == (7 * 3600, 16 * 3600 + 45 * 60)
    assert p.facility("L1").unload_s == 600
    v = p.vehicles[0]
    assert (v.capacity_t, v.max_daily_t, v.max_stops) == (10.0, 15.0, 4)
    assert v.shift == (6 * 3600, 18 * 3600)
    assert (v.break_.earliest_s, v.break_.latest_s, v.break_.duration_s) == (
        11 * 3600, 12 * 3600, 3600)
    assert p.end_empty and len(p.vehicles) == 3


def test_hand_made_plan_passes_both_checks_with_its_miles():
    inst = read_kim(TINY)
    result = recheck(inst, GOOD)
    assert result.ok, result.violations
    assert (result.trucks, result.miles) == (2, pytest.approx(14.0))
    problem = to_problem(inst, trucks=3, fixed_cost=1609.344)
    plan = routes_to_plan(problem, [[str(x) for x in r] for r in GOOD], engine="hand")
    routing.check_plan(problem, plan)  # the model's checker agrees
    assert plan_routes(plan) == GOOD
    assert sum(r.distance_km for r in plan.routes) == pytest.approx(14 * 1.609344)


@pytest.mark.parametrize(("routes", "variant", "expected"), [
    # 6 + 4 + 3 yd on one trip; the capacity is 10
    ([[10, 11, 13, "L1"], [12, 14, "L2"]], None, "exceeds the capacity 10"),
    # 10 yd, unload, 7.5 more: 17.5 yd in the day against 15
    ([[10, 11, "L1", 12, 14, "L1"], [13, "L1"]], None, "exceeds the daily total 15"),
    # the same plan as GOOD with at most 2 stops a day
    (GOOD, ("4\t\t\t\t//", "2\t\t\t\t//"), "stop 3 of the day exceeds the limit of 2"),
    # stop 11 closes at 10:30; served after stop 13 (13:00) it is missed
    ([[10, "L1", 13, 11, "L1"], [12, 14, "L2"]], None, "stop 11: arrives"),
    # landfill 1 closing at 12:30: truck A's second unload (13:11) is too late
    (GOOD, ("0700\t1675", "0700\t1230"), "landfill 1: arrives 13:11:30"),
    # the depot closing at 13:00: truck A is back at 13:23
    (GOOD, ("600\t1800", "600\t1300"), "back at the depot 13:23:00"),
    ([[10, 11, "L1", 13, "L1"], [12, 14]], None, "the last visit must be a landfill"),
    # stop 13 open 10:45-11:30 for 5000 s: no lunch start between 11:00 and 12:00 fits
    ([[13, "L1"], [10, 11, "L1", 12, 14, "L2"]], ("1300\t1400\t600", "1045\t1130\t5000"),
     "no place for the 3600 s lunch"),
    ([[10, 10, 11, "L1", 13, "L1"], [12, 14, "L2"]], None, "stop 10 already served"),
    ([[10, 11, "L1", 13, "L1"], [12, "14", "L2"]], None, "'14' is neither a stop id"),
    ([[10, 11, "L1", 13, "L7"], [12, 14, "L2"]], None, "'L7' is neither"),
    ([[10, 11, "L1"], [12, 14, "L2"]], None, "1 stop(s) never served, e.g. [13]"),
])
def test_recheck_catches_each_rule(tmp_path, routes, variant, expected):
    path = _variant(tmp_path, *variant) if variant else TINY
    result = recheck(read_kim(path), routes)
    assert not result.ok
    assert any(expected in v for v in result.violations), result.violations


def test_a_plan_over_the_daily_total_fails_check_plan_too():
    inst = read_kim(TINY)
    problem = to_problem(inst, trucks=3, fixed_cost=1609.344)
    routes = [["10", "11", "L1", "12", "14", "L1"], ["13", "L1"]]
    with pytest.raises(routing.PlanViolation, match="daily limit"):
        routing.check_plan(problem, routes_to_plan(problem, routes, engine="hand"))


def _json_rows(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


@pytest.mark.slow
def test_baselines_find_the_two_truck_plan_and_both_checks_pass_it(capsys):
    assert kim.main([str(TINY), "--engine", "ortools", "--time-limit", "1", "--json"]) == 0
    rows = {r["engine"]: r for r in _json_rows(capsys)}
    assert set(rows) == {"ours:ortools", "baseline:pyvrp", "baseline:ortools"}
    inst = read_kim(TINY)
    for name in ("baseline:pyvrp", "baseline:ortools"):
        row = rows[name]
        assert row["error"] is None and row["feasible"], row
        # the daily total and the stop limit force a second truck; more is not needed
        assert row["vehicles"] == 2
        again = recheck(inst, row["routes"])  # the JSON routes are the instance's ids
        assert again.ok and row["miles"] == round(again.miles, 1)
        assert all(isinstance(x, int) or x.startswith("L") for r in row["routes"] for x in r)
    ours = rows["ours:ortools"]  # our engine is reported whatever it does
    assert ours["error"] is not None or ours["vehicles"] >= 2


@pytest.mark.parametrize("model", ["baseline:pyvrp", "baseline:ortools"])
def test_a_model_that_fails_is_a_row_with_its_reason(model):
    # one truck cannot collect 20.5 yd against a 15 yd daily total
    inst = read_kim(TINY)
    row = kim.run_model(inst, kim.our_problem(inst, 1), model, time_limit=0.5, seed=0)
    assert row["vehicles"] is None and row["check_plan"] is None
    assert "no feasible solution" in row["error"] or "no solution" in row["error"]


@pytest.mark.slow
def test_a_model_that_overruns_is_stopped_and_reported():
    inst = read_kim(TINY)
    row = kim.run_guarded(inst, 2, "baseline:pyvrp", time_limit=60, seed=0, wall_limit=2)
    assert row["error"].startswith("did not finish within 2 s (time limit 60 s)")
    assert row["seconds"] < 30


def test_bad_instance_file_exits_2_with_the_reason(tmp_path, capsys):
    path = _variant(tmp_path, "1300\t1400", "13x0\t1400")
    assert kim.main([str(path), "--baseline", "none"]) == 2
    assert "field 'early'" in capsys.readouterr().err
