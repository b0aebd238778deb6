"""The service's parts in-process: settings, coordinates, the database rules, the bridge."""

from __future__ import annotations

import sqlite3

import pytest
from service_fixtures import SCENARIO

from service import _plans_db as plans
from service import _sites_db as sites
from service._coords import canonical_crs, convert_to_wgs84
from service._db import Database
from service._errors import ServiceConfigError
from service._runner import exit_reason
from service._settings import Settings, is_loopback


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("changes", "message"), [
    ({"host": "0.0.0.0"}, "SANITATION_ROUTES_TOKEN"),   # no token: loopback only
    ({"token": "short"}, "at least 16"),
    ({"token": "t" * 20, "workers": 0}, "workers"),
    ({"token": "t" * 20, "tiles": "tiles.png"}, "--tiles"),
    ({"token": "t" * 20, "cors_origins": ("dispatch.example.org",)}, "--cors-origin"),
    ({"token": "t" * 20, "public_url": "10.0.0.5:8000"}, "--public-url"),
    ({"token": "t" * 20, "worker_nice": 40}, "--worker-nice"),
    ({"scenario_path": "missing.toml"}, "missing.toml does not exist"),
])
def test_bad_settings_name_the_option_and_the_fix(tmp_path, changes, message):
    kwargs = {"db_path": tmp_path / "s.db", "scenario_path": SCENARIO, **changes}
    with pytest.raises(ServiceConfigError, match=message):
        Settings(**kwargs)


def test_any_address_is_fine_with_a_token(tmp_path):
    s = Settings(db_path=tmp_path / "s.db", scenario_path=SCENARIO, host="0.0.0.0",
                 token="t" * 24)
    assert s.host == "0.0.0.0"


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.53", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("10.0.0.5", False), ("example.org", False)])
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


# -- coordinates ------------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "name"), [
    ("WGS-84", "WGS-84"), ("wgs84", "WGS-84"), ("EPSG:4326", "WGS-84"), ("gcj-02", "GCJ-02"),
    ("GCJ02", "GCJ-02"), ("bd09", "BD-09"), ("BD-09LL", "BD-09")])
def test_crs_names(given, name):
    assert canonical_crs(given) == name


def test_an_unknown_crs_lists_the_accepted_ones():
    with pytest.raises(ValueError, match="WGS-84, GCJ-02, BD-09"):
        canonical_crs("EPSG:3857")


def test_chinese_coordinates_are_refused_clearly_without_a_converter(monkeypatch):
    import geodata

    monkeypatch.delattr(geodata, "to_wgs84", raising=False)
    with pytest.raises(LookupError, match="convert them to WGS-84"):
        convert_to_wgs84(127.499, 50.247, "GCJ-02")
    assert convert_to_wgs84(24.9, 60.1, "WGS-84") == (24.9, 60.1)


def test_chinese_coordinates_are_converted_with_geodata(monkeypatch):
    import geodata

    calls = []

    def fake(lon, lat, crs):
        calls.append((lon, lat, crs))
        return lon - 0.006, lat - 0.001

    monkeypatch.setattr(geodata, "to_wgs84", fake, raising=False)
    lon, lat = convert_to_wgs84(127.499, 50.247, "BD-09")
    assert calls == [(127.499, 50.247, "BD-09")]
    assert (round(lon, 3), round(lat, 3)) == (127.493, 50.246)


# -- the database -----------------------------------------------------------------------------
@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "s.db")
    yield database
    database.close()


def test_the_database_is_in_wal_mode_and_a_failed_write_leaves_nothing(db):
    with db.connection() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with pytest.raises(sqlite3.IntegrityError), db.transaction(conn):
            sites.insert_report(conn, {"kind": "dead_spot", "lon": 24.9, "lat": 60.1,
                                       "tonnes": 1.0})
            conn.execute("INSERT INTO sites (site_id) VALUES ('broken')")  # NOT NULL kind
        assert sites.list_sites(conn)[1] == 0


def test_a_worker_of_an_old_attempt_changes_nothing(db):
    with db.connection() as conn, db.transaction(conn):
        plan = plans.insert_plan(conn, {"date": "2025-05-06"}, [])
        assert plans.claim_next(conn) == (plan["id"], 1)
        assert plans.fail_unfinished(conn, "restarted ({id})") == [plan["id"]]
        assert plans.get_plan(conn, plan["id"])["reason"] == f"restarted ({plan['id']})"
        # the first worker is still alive somewhere and reports or finishes: ignored
        assert not plans.record_progress(conn, plan["id"], 1, best_cost=10.0)
        assert not plans.finish_plan(conn, plan["id"], 1, {"totals": {}}, {"x": b"1"})
        assert plans.requeue(conn, plan["id"])
        assert plans.claim_next(conn) == (plan["id"], 2)
        assert not plans.finish_plan(conn, plan["id"], 1, {}, {})
        assert plans.finish_plan(conn, plan["id"], 2, {"totals": {}}, {"index.html": b"<p>"})
        assert plans.get_plan(conn, plan["id"])["status"] == "done"
        assert plans.plan_file(conn, plan["id"], "index.html") == b"<p>"
        assert not plans.requeue(conn, plan["id"])  # only failed plans go back


def test_clearing_from_a_plan_counts_each_site_once(db):
    with db.connection() as conn, db.transaction(conn):
        whole = sites.insert_report(conn, {"kind": "dead_spot", "lon": 24.9, "lat": 60.1,
                                           "tonnes": 4.0})["site_id"]
        part = sites.insert_report(conn, {"kind": "dead_spot", "lon": 24.9, "lat": 60.1,
                                          "tonnes": 25.0})["site_id"]
        p1 = plans.insert_plan(conn, {}, [])["id"]
        out = sites.apply_plan_clears(conn, p1, {whole: 4.0, part: 20.0, "DEPOT": 0.0})
        assert out["cleared"] == [whole]
        assert out["reduced"] == [{"site_id": part, "tonnes_left": 5.0}]
        assert sites.get_site(conn, whole)["status"] == "cleared"
        assert sites.get_site(conn, part)["tonnes"] == 5.0
        again = sites.apply_plan_clears(conn, p1, {whole: 4.0, part: 20.0})
        assert not again["cleared"] and not again["reduced"]
        assert sites.get_site(conn, part)["tonnes"] == 5.0


def test_exit_reasons_name_the_signal_and_the_stage():
    assert "killed by SIGKILL while solving" in exit_reason(-9, "solving")
    assert "exited with code 1" in exit_reason(1, None)


# -- the bridge to the planner ----------------------------------------------------------------
def test_a_plan_request_cannot_go_over_the_scenario_time_limit():
    from planner import Scenario, ScenarioError
    from service._planning import scenario_for

    base = Scenario.from_file(SCENARIO)
    s = scenario_for(base, {"date": "2025-05-06", "time_limit_s": 3, "trucks": 1,
                            "engine": "pyvrp"})
    assert (s.date.isoformat(), s.solver.time_limit_s, s.num_trucks, s.solver.engine) == (
        "2025-05-06", 3.0, 1, "pyvrp")
    with pytest.raises(ScenarioError, match="at most 20 s"):
        scenario_for(base, {"time_limit_s": 21})


def test_the_sites_planned_are_the_scenario_facilities_and_the_reports():
    from planner import Scenario
    from service._planning import sites_frame

    reports = [{"site_id": "R-00001", "kind": "dead_spot", "lon": 24.94, "lat": 60.17,
                "tonnes": 2.0, "priority": 1, "stream": "kitchen"}]
    frame = sites_frame(Scenario.from_file(SCENARIO), reports)
    assert list(frame["site_id"]) == ["DEPOT", "TRANSFER", "R-00001"]
    row = frame.iloc[2]
    assert (row["kind"], row["tonnes"], row["priority"], row["stream"]) == (
        "dead_spot", 2.0, 1, "kitchen")
    assert row["service_min"] == 20.0  # the default for a dead spot
