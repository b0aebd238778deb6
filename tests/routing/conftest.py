"""Small routing problems whose best plans are known by hand.

Places sit on a straight road: ``line(xs)`` gives matrices where driving ``x`` metres
takes ``x / 10`` seconds (36 km/h). Costs are 1 per km unless a fixture says otherwise,
so a plan's cost is its length in km.
"""

from __future__ import annotations

import numpy as np
import pytest

from routing import Break, Depot, Facility, Problem, Stop, Vehicle

H = 3600
SPEED_MPS = 10.0


def line(xs, *, speed_mps: float = SPEED_MPS) -> tuple[np.ndarray, np.ndarray]:
    """Duration (s) and distance (m) matrices of places at positions ``xs`` on one road."""
    x = np.asarray(xs, dtype=float)
    dist = np.abs(x[:, None] - x[None, :])
    return dist / speed_mps, dist


def line_problem(xs, *, stops, facilities=(), depots=None, vehicles, end_empty=True,
                 name="line", blocked=()) -> Problem:
    """A problem on one road; ``blocked`` lists (a, b) location pairs with no path."""
    dur, dist = line(xs)
    for a, b in blocked:
        dur[a, b] = dist[a, b] = np.inf
    return Problem(
        duration_s=dur,
        distance_m=dist,
        stops=tuple(stops),
        facilities=tuple(facilities),
        depots=tuple(depots or (Depot("D", 0),)),
        vehicles=tuple(vehicles),
        name=name,
        end_empty=end_empty,
    )


@pytest.fixture
def make_line_problem():
    """The ``line_problem`` builder, for tests that shape their own case."""
    return line_problem


@pytest.fixture
def tiny_problem() -> Problem:
    """A 20 t dump 2 km out, a landfill 4 km out, two 8 t trucks.

    The dump splits into 8 + 8 + 4 t. Best: one truck shuttles three times,
    D -> DS -> L -> DS -> L -> DS -> L -> D = 2 + 2+2 + 2+2 + 4 = 16 km (two trucks: 20 km).
    """
    return line_problem(
        [0, 2000, 4000],
        stops=[Stop("DS", 1, load_t=20.0, service_s=600)],
        facilities=[Facility("L", 2, unload_s=600)],
        vehicles=[Vehicle("T1", "D", capacity_t=8.0), Vehicle("T2", "D", capacity_t=8.0)],
    )


@pytest.fixture
def two_spots_problem() -> Problem:
    """Two light spots on opposite sides of the depot, landfill beyond the east one.

    West spot W at -3 km, east spot E at +2 km, landfill L at +5 km. Both fit one truck:
    D -> W -> E -> L -> D = 3 + 5 + 3 + 5 = 16 km.
    """
    return line_problem(
        [0, -3000, 2000, 5000],
        stops=[Stop("W", 1, load_t=2.0, service_s=300), Stop("E", 2, load_t=3.0, service_s=300)],
        facilities=[Facility("L", 3, unload_s=600)],
        vehicles=[Vehicle("T1", "D", capacity_t=10.0)],
    )


@pytest.fixture
def lunch_problem() -> Problem:
    """One truck, a long day of six 1 t spots, lunch 11:00-12:00 for 45 min."""
    xs = [0, 1000, 2000, 3000, 4000, 5000, 6000, 8000]
    return line_problem(
        xs,
        stops=[Stop(f"S{k}", k, load_t=1.0, service_s=H) for k in range(1, 7)],
        facilities=[Facility("L", 7, unload_s=600)],
        vehicles=[Vehicle("T1", "D", capacity_t=10.0, shift=(7 * H, 17 * H),
                          break_=Break(11 * H, 12 * H, 45 * 60))],
    )


@pytest.fixture
def cvrp_problem() -> Problem:
    """A classic CVRP: depot in the middle, four customers of 4 t, two 8 t trucks.

    West pair at -1 km and -2 km, east pair at +1 km and +2 km: the best plan sends one
    truck each way, 4 + 4 = 8 km.
    """
    return line_problem(
        [0, -1000, -2000, 1000, 2000],
        stops=[Stop(f"C{k}", k, load_t=4.0) for k in range(1, 5)],
        vehicles=[Vehicle(f"V{k}", "D", capacity_t=8.0, shift=(0, 10**6)) for k in (1, 2)],
        end_empty=False,
    )
