"""Turn-by-turn directions on hand-made legs where the turns are known."""

from __future__ import annotations

import itertools
import math

import pytest
from maps_fixtures import Leg, grid_graph

from maps import MapsError, Step, directions
from maps._directions import turn_modifier

M_PER_DEG = 111_195.0


def leg(name: str, start: tuple[float, float], bearing: float, length_m: float = 100.0) -> Leg:
    """A straight leg of ``length_m`` from ``start`` (lon, lat) heading ``bearing``."""
    lat = math.radians(start[1])
    dx = length_m * math.sin(math.radians(bearing)) / (M_PER_DEG * math.cos(lat))
    dy = length_m * math.cos(math.radians(bearing)) / M_PER_DEG
    end = (start[0] + dx, start[1] + dy)
    return Leg(name, length_m, length_m / 8.0, (start, end))


def chain(*parts: tuple[str, float]) -> list[Leg]:
    legs, at = [], (24.93, 60.17)
    for name, bearing in parts:
        legs.append(leg(name, at, bearing))
        at = legs[-1].coords[-1]
    return legs


def grid_legs(nodes: list[int]) -> list[Leg]:
    G = grid_graph()
    out = []
    for u, v in itertools.pairwise(nodes):
        d = G.edges[u, v, 0]
        out.append(Leg(d["name"], d["length"], d["travel_time"], tuple(d["geometry"].coords)))
    return out


def test_grid_route_left_right_and_merged_streets():
    # 00 -> 02 east on Rivi 0 (two legs merged), north on Sarake 2 (left),
    # east on Rivi 2 (right), arrive
    steps = directions(grid_legs([0, 1, 2, 12, 22, 23]), arrive="Arrive at stop 3")
    assert [s.instruction for s in steps] == [
        "Head east on Rivi 0",
        "Turn left onto Sarake 2",
        "Turn right onto Rivi 2",
        "Arrive at stop 3",
    ]
    assert steps[0].distance_m == pytest.approx(222, abs=2)  # two ~111 m legs merged
    assert steps[1].distance_m == pytest.approx(222, abs=2)
    assert [s.maneuver for s in steps] == ["depart", "turn", "turn", "arrive"]
    assert steps[-1].distance_m == 0


def test_street_name_change_straight_on_is_continue():
    steps = directions(chain(("Aleksanterinkatu", 90), ("Pohjoisesplanadi", 90)))
    assert steps[1].instruction == "Continue onto Pohjoisesplanadi"
    assert steps[1].maneuver == "continue"


@pytest.mark.parametrize(
    ("turn", "text"),
    [
        (30, "Turn slightly right onto B"),  # 20-45 degrees: slight
        (-90, "Turn left onto B"),
        (90, "Turn right onto B"),
        (-140, "Turn sharp left onto B"),  # 120-160 degrees: sharp
        (175, "Make a U-turn onto B"),
    ],
)
def test_turn_classes(turn, text):
    steps = directions(chain(("A", 0), ("B", turn % 360)))
    assert steps[1].instruction == text
    assert steps[1].turn_deg == pytest.approx(turn if abs(turn) < 180 else -180, abs=1)


def test_u_turn_on_the_same_street_is_not_merged():
    # a dead end: drive in and come back out along the same street
    steps = directions(chain(("Umpikuja", 0), ("Umpikuja", 180)))
    assert [s.instruction for s in steps[:2]] == ["Head north on Umpikuja",
                                                  "Make a U-turn on Umpikuja"]


def test_unnamed_legs_turn_without_a_street_name():
    steps = directions(chain(("", 0), ("", 270)))
    assert steps[0].instruction == "Head north"
    assert steps[1].instruction == "Turn left"


def test_multi_name_legs_merge_on_the_shared_name():
    steps = directions(chain(("Mannerheimintie; Mannerheimvägen", 0), ("Mannerheimintie", 5)))
    assert len(steps) == 2  # one street, then arrive
    assert steps[0].street == "Mannerheimintie"
    assert steps[0].distance_m == pytest.approx(200)


def test_path_object_and_empty_path():
    class P:
        legs = tuple(chain(("A", 0)))

    assert directions(P())[0].instruction == "Head north on A"
    only = directions([], arrive="Arrive at stop 2")
    assert [s.instruction for s in only] == ["Arrive at stop 2"]


def test_distance_text_for_drivers():
    assert Step("x", 347.0).distance_text == "350 m"
    assert Step("x", 1234.0).distance_text == "1.2 km"


@pytest.mark.parametrize("delta, expected", [(0, "straight"), (-25, "slight left"),
                                             (100, "right"), (-179, "uturn")])
def test_turn_modifier(delta, expected):
    assert turn_modifier(delta) == expected


def test_step_validates_distance():
    with pytest.raises(MapsError, match="distance_m must be >= 0"):
        Step("Turn left", -1.0)


def test_bad_input_names_the_type():
    with pytest.raises(MapsError, match="got int"):
        directions(5)


def test_short_unnamed_junction_link_is_absorbed():
    # 100 m north on A, a 10 m unnamed connector, then west on B: one left turn
    legs = chain(("A", 0))
    legs.append(leg("", legs[-1].coords[-1], 0, length_m=10.0))
    legs.append(leg("B", legs[-1].coords[-1], 270))
    steps = directions(legs)
    assert [s.instruction for s in steps] == ["Head north on A", "Turn left onto B",
                                              "Arrive at destination"]
    assert steps[0].distance_m == pytest.approx(110)
