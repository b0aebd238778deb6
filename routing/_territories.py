"""Territories: a city's day cut into parts that one search can hold.

OR-Tools' routing solver slows down sharply with the size of its model: on a 1,000-stop
day of the Heidelberg extract (1,251 nodes with the landfill copies) one local-search
solution takes about 0.2 s, on a 3,000-stop day (3,749 nodes) 5-15 s, so a two-minute
search makes three moves. Cut into territories of a few hundred stops, each model is
small enough to search properly, and the parts are solved one after the other in shares
of the time limit (one model at a time in the process, as OR-Tools requires).

``territories`` groups the stops around seeds spread over the city by drive time
(farthest-first from the depots, then a few rounds of moving each seed to its group's
medoid), with groups kept to at most ``size`` stops, and gives each group trucks in
proportion to the truck-hours its work needs (``routing._reasons.work_hours_lb``).
Stops a territory's trucks could not take are offered to every truck afterwards
("repair across borders", ``routing._repair``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from routing._model import Problem, Stop, Vehicle
from routing._reasons import work_hours_lb


def _medoid(d: np.ndarray, members: np.ndarray) -> int:
    sub = d[np.ix_(members, members)]
    return int(members[int(np.argmin(sub.sum(axis=1)))])


def territories(problem: Problem, stops: Sequence[Stop], vehicles: Sequence[Vehicle], *,
                size: int) -> list[tuple[list[Stop], list[Vehicle]]]:
    """Stops grouped by place, each group with its share of the trucks.

    Parameters
    ----------
    problem
        The problem (for the drive times).
    stops, vehicles
        The stops to group and the trucks to share out.
    size
        The most stops a group may hold.

    Returns
    -------
    list of (stops, vehicles)
        Every stop in exactly one group, every truck in at most one; groups that get no
        truck are merged into their nearest neighbour.
    """
    k = max(1, min(len(vehicles), math.ceil(len(stops) / size)))
    if k == 1:
        return [(list(stops), list(vehicles))]
    places = np.array([s.location for s in stops])
    dur = problem.duration_s
    big = float(np.nanmax(np.where(np.isfinite(dur), dur, 0))) * 4 + 1
    d = dur[np.ix_(places, places)]
    d = np.where(np.isfinite(d), d, big)
    d = (d + d.T) / 2
    # farthest-first seeds, starting from the stop farthest from the depots
    homes = np.array([problem.depot(v.start_depot).location for v in vehicles])
    from_home = np.where(np.isfinite(dur[np.ix_(homes, places)]), dur[np.ix_(homes, places)],
                         big).min(axis=0)
    seeds = [int(np.argmax(from_home))]
    nearest = d[seeds[0]].copy()
    while len(seeds) < k:
        seeds.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, d[seeds[-1]])
    cap = math.ceil(len(stops) / k * 1.15)
    for _ in range(4):
        groups = _assign(d, seeds, cap)
        seeds = [_medoid(d, np.array(g)) for g in groups if g]
    groups = [g for g in _assign(d, seeds, cap) if g]
    return _share_trucks(problem, [[stops[i] for i in g] for g in groups], list(vehicles), d,
                         groups)


def _assign(d: np.ndarray, seeds: list[int], cap: int) -> list[list[int]]:
    """Each stop to its nearest seed with room, closest pairs first."""
    n, k = d.shape[0], len(seeds)
    to_seed = d[:, seeds]  # n x k
    order = np.argsort(to_seed, axis=None, kind="stable")
    groups: list[list[int]] = [[] for _ in range(k)]
    done = np.zeros(n, dtype=bool)
    for flat in order:
        i, g = divmod(int(flat), k)
        if done[i] or len(groups[g]) >= cap:
            continue
        groups[g].append(i)
        done[i] = True
    return groups


def _hours(problem: Problem, stops: list[Stop]) -> float:
    """A group's truck-hours: its work plus a facility round trip per load.

    The work is a lower bound (``work_hours_lb``); the round trip runs from the group's
    middle to the nearest facility, which is where the far groups lose their time.
    """
    dur = problem.duration_s
    places = np.array([s.location for s in stops])
    sub = dur[np.ix_(places, places)]
    middle = places[int(np.argmin(np.where(np.isfinite(sub), sub, 1e12).sum(axis=1)))]
    trips = [dur[middle, f.location] + dur[f.location, middle] + f.unload_s
             for f in problem.facilities if np.isfinite(dur[middle, f.location])]
    loads = math.ceil(sum(s.load_t for s in stops) / problem.max_capacity_t - 1e-9)
    return work_hours_lb(problem, stops) + loads * min(trips, default=0.0) / 3600


def _share_trucks(problem: Problem, groups: list[list[Stop]], vehicles: list[Vehicle],
                  d: np.ndarray, members: list[list[int]]
                  ) -> list[tuple[list[Stop], list[Vehicle]]]:
    """Trucks to groups in proportion to work (largest remainders), none left empty."""
    while True:
        need = np.array([max(_hours(problem, g), 1e-6) for g in groups])
        quota = need / need.sum() * len(vehicles)
        count = np.floor(quota).astype(int)
        for g in np.argsort(-(quota - count))[: len(vehicles) - count.sum()]:
            count[g] += 1
        empty = [g for g in range(len(groups)) if count[g] == 0]
        if not empty or len(groups) == 1:
            break
        # merge the emptiest group into the group nearest to it
        g = empty[0]
        others = [h for h in range(len(groups)) if h != g]
        gap = [float(d[np.ix_(members[g], members[h])].mean()) for h in others]
        h = others[int(np.argmin(gap))]
        groups[h] = groups[h] + groups[g]
        members[h] = members[h] + members[g]
        del groups[g], members[g]
    out, start = [], 0
    for g, c in zip(groups, count, strict=True):
        out.append((g, vehicles[start:start + int(c)]))
        start += int(c)
    return out
