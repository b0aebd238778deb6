"""Scenario settings that reach the outputs: the city's time zone and the truck profile."""

from __future__ import annotations

import tomllib

import pytest

import geodata
import planner
from planner import Scenario, ScenarioError

FLEET = """
[[fleet]]
name = "rl"
count = 1
capacity_t = 8
"""


def read(text: str) -> Scenario:
    return Scenario.from_dict(tomllib.loads(text + FLEET), source="city.toml")


def test_timezone_defaults_to_utc_and_takes_an_iana_name():
    assert read("").timezone == "UTC"
    assert read('timezone = "Asia/Shanghai"\n').timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # a typo: the close name is offered
        ('"Europe/Helsinky"', "did you mean 'Europe/Helsinki'?"),
        # a city that is not a zone name: the message shows the form to use
        ('"Asia/Beijing"', 'give an IANA time zone name, e.g. "Asia/Shanghai"'),
        ("8", "timezone: got 8"),
    ],
)
def test_bad_timezone_names_the_field_and_the_fix(value, expected):
    with pytest.raises(ScenarioError, match="city.toml") as exc:
        read(f"timezone = {value}\n")
    assert expected in str(exc.value)


def test_truck_table_becomes_the_truck_profile():
    s = read('[truck]\nheight_m = 3.2\nweight_t = 18\nallowed_highways = ["residential", '
             '"service"]\nfallback_speeds_kph = { residential = 20 }\n')
    assert isinstance(s.truck, geodata.TruckProfile)
    assert (s.truck.height_m, s.truck.weight_t) == (3.2, 18)
    assert s.truck.allowed_highways == ("residential", "service")
    # a speed given for one class replaces that class only; the others keep their defaults
    assert s.truck.fallback_speeds_kph["residential"] == 20
    assert s.truck.fallback_speeds_kph["primary"] == geodata.TruckProfile().fallback_speeds_kph[
        "primary"]
    assert read("").truck is None  # no table: geodata's default profile


def test_bad_truck_table_reports_every_problem():
    with pytest.raises(ScenarioError) as exc:
        read('[truck]\nheight_m = -1\nwings = 2\nexclude_parking_aisles = "yes"\n')
    text = str(exc.value)
    assert "truck: unknown key 'wings'" in text
    assert "truck.exclude_parking_aisles: got 'yes'; give true or false" in text
    assert "truck.height_m must be a positive number" in text


def test_plan_day_loads_the_network_with_the_scenario_truck(monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def fake_load(source, **kwargs):
        seen.update(kwargs, source=source)
        raise Stop

    monkeypatch.setattr(geodata, "load_network", fake_load)
    s = read('[truck]\nheight_m = 3.0\n')
    with pytest.raises(Stop):
        planner.plan_day(s)
    assert seen["profile"] == s.truck and seen["profile"].height_m == 3.0
