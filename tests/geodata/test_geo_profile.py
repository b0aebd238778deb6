"""Truck profile rules on tiny hand-built graphs."""

from __future__ import annotations

import dataclasses
import math

import pytest

import geodata
from geodata._profile import edge_rejection

COORDS = {0: (24.90, 60.20), 1: (24.91, 60.20)}


def one_edge(make_graph, **tags):
    return make_graph([(0, 1, {"length": 500.0, **tags})], COORDS)


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "footway"},
        {"highway": "cycleway"},
        {"highway": "path"},
        {"highway": "steps"},
        {"highway": "pedestrian"},
        {"highway": "bridleway"},
        {"highway": "track"},  # not in the default allowed_highways
        {"highway": "construction"},
        {"highway": "proposed"},
        {"highway": "service", "service": "parking_aisle"},
        {"highway": "residential", "access": "private"},
        {"highway": "residential", "access": "no"},
        {"highway": "residential", "motor_vehicle": "no"},
        {"highway": "residential", "hgv": "no"},  # hgv=no road
        {"highway": "residential", "maxheight": "3.2"},  # low bridge, truck is 3.6 m
        {"highway": "residential", "maxheight": "11'6\""},  # 3.51 m in feet and inches
        {"highway": "residential", "maxweight": "12 t"},  # weight limit below 26 t
        {"highway": "residential", "maxweight": "7500 kg"},
        {"highway": "residential", "maxwidth": "2.2 m"},
        {"highway": ["residential", "footway"]},  # simplified edge with a forbidden part
    ],
)
def test_forbidden_ways_are_dropped(make_graph, tags):
    assert edge_rejection(tags, geodata.TruckProfile()) is not None
    with pytest.raises(geodata.GeodataError, match="no drivable street"):
        geodata.apply_profile(one_edge(make_graph, **tags), largest_component=False)


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "residential", "hgv": "destination"},  # deliveries allowed
        {"highway": "residential", "maxheight": "4.2 m"},
        {"highway": "residential", "maxweight": "30"},
        {"highway": "service", "access": "private", "hgv": "yes"},  # most specific tag wins
        {"highway": "residential", "maxheight": "default"},  # no number: no limit
    ],
)
def test_permitted_ways_are_kept(tags):
    assert edge_rejection(tags, geodata.TruckProfile()) is None


def test_track_allowed_when_listed(make_graph):
    profile = geodata.TruckProfile(allowed_highways=(*geodata.TruckProfile().allowed_highways,
                                                     "track"))
    H = geodata.apply_profile(one_edge(make_graph, highway="track"), profile=profile,
                              largest_component=False)
    assert H.number_of_edges() == 1


@pytest.mark.parametrize(
    ("tags", "speed"),
    [
        ({"highway": "residential"}, 30.0),  # osmnx's fallback would give ~80 km/h
        ({"highway": "living_street"}, 10.0),
        ({"highway": "service"}, 15.0),
        ({"highway": "tertiary"}, 40.0),
        ({"highway": "residential", "maxspeed": "30 mph"}, 48.28032),
        ({"highway": "residential", "maxspeed": "FI:urban"}, 50.0),
        ({"highway": "residential", "maxspeed": "signals"}, 30.0),  # unreadable: class speed
        ({"highway": "motorway", "maxspeed": "120"}, 80.0),  # capped by top_speed_kph
        ({"highway": "motorway", "maxspeed": "none"}, 80.0),
    ],
)
def test_speed_from_maxspeed_or_class_fallback(make_graph, tags, speed):
    H = geodata.apply_profile(one_edge(make_graph, **tags), largest_component=False)
    (data,) = (d for *_, d in H.edges(data=True))
    assert data["speed_kph"] == pytest.approx(speed)
    assert data["travel_time"] == pytest.approx(500.0 / (speed / 3.6))


def test_top_speed_cap_is_configurable(make_graph):
    slow = dataclasses.replace(geodata.TruckProfile(), top_speed_kph=25.0)
    H = geodata.apply_profile(one_edge(make_graph, highway="residential"), profile=slow,
                              largest_component=False)
    assert next(iter(H.edges(data=True)))[2]["speed_kph"] == 25.0


def test_missing_geometry_length_and_name_are_filled(make_graph):
    G = make_graph([(0, 1, {"highway": "residential"})], COORDS)
    del G.edges[0, 1, 0]["geometry"]
    H = geodata.apply_profile(G, largest_component=False)
    data = H.edges[0, 1, 0]
    assert data["geometry"].geom_type == "LineString"
    assert data["length"] == pytest.approx(556, rel=0.01)  # 0.01° of longitude at 60.2° N
    assert data["name"] == ""
    assert "geometry" not in G.edges[0, 1, 0]  # the input graph is untouched


def test_largest_strongly_connected_component(make_graph):
    coords = {0: (24.90, 60.20), 1: (24.91, 60.20), 2: (24.92, 60.20)}
    G = make_graph([(0, 1, {"highway": "residential"}), (1, 0, {"highway": "residential"}),
                    (1, 2, {"highway": "residential"})], coords)  # 2 is a one-way dead end
    H = geodata.apply_profile(G)
    assert set(H.nodes) == {0, 1}
    assert len(G) == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [("height_m", -1.0), ("weight_t", 0), ("top_speed_kph", math.nan),
     ("allowed_highways", "residential"), ("fallback_speeds_kph", {"residential": 0})],
)
def test_profile_validation(field, value):
    with pytest.raises(geodata.GeodataError, match=field):
        geodata.TruckProfile(**{field: value})


def test_profile_from_toml(tmp_path):
    path = tmp_path / "truck.toml"
    path.write_text('height_m = 3.3\n[fallback_speeds_kph]\nresidential = 25\n')
    profile = geodata.TruckProfile.from_file(path)
    assert profile.height_m == 3.3
    assert profile.fallback_speeds_kph == {"residential": 25}
    assert hash(profile) != hash(geodata.TruckProfile())


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (geodata.parse_length_m, "3.5", 3.5),
        (geodata.parse_length_m, "3.5 m", 3.5),
        (geodata.parse_length_m, "3,5", 3.5),
        (geodata.parse_length_m, "11'6\"", 3.5052),
        (geodata.parse_length_m, "none", None),
        (geodata.parse_weight_t, "12 t", 12.0),
        (geodata.parse_weight_t, "12t", 12.0),
        (geodata.parse_weight_t, "7500 kg", 7.5),
        (geodata.parse_speed_kph, "50", 50.0),
        (geodata.parse_speed_kph, "30 mph", 48.28032),
        (geodata.parse_speed_kph, "FI:urban", 50.0),
        (geodata.parse_speed_kph, "DE:zone30", 30.0),
        (geodata.parse_speed_kph, ["50", "30"], 30.0),
    ],
)
def test_tag_parsers(parse, text, expected):
    assert parse(text) == (pytest.approx(expected) if expected is not None else None)
