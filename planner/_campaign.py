"""Clearance campaigns: clearing large backlogs over many working days.

A campaign is a day's problem too big for one day: 12,000 t on 8 chronic dumps with 8 t
trucks is 1,500 truck loads. Routing them as one vehicle routing problem would be slow
and pointless, because the loads of one site are interchangeable: what matters is *how
many* loads each site gets on each day, and then a feasible timetable for each day.
:func:`plan_campaign` therefore works in three layers.

1. **Cycle times** (from the travel matrix, per truck type and per set of open
   facilities). A load from dump ``j`` costs the truck one *cycle*: loading at the
   dump, driving to the best open facility ``f`` it may use, unloading, driving back:
   ``load_min + t(j, f) + unload(f) + t(f, j)``. Each dump also has a daily *loading
   cap*: ``loaders`` excavators, each filling one truck in ``load_min`` minutes, can
   start at most ``loaders * (minutes the site can be reached and the truck still get
   home) / load_min`` loads a day.
2. **Allocation** (a small linear programme, ``scipy.optimize.linprog`` / HiGHS, a few
   hundred variables). Variables ``y[j, d, c]``: loads of dump ``j`` on future working
   day ``d`` by truck type ``c``. Subject to each day's truck-hours per type (shift minus
   break minus the drive out and home, minus half a cycle lost at the end of the day),
   each dump's loading cap per day, and clearing every dump's backlog, with landfill
   closures of each date changing the cycle times (or removing a facility) on that date.
   The smallest horizon ``D`` for which the programme is feasible is the target number
   of days; with ``D`` fixed, the objective puts urgent tonnes early (tonnes weighted
   ``2 ** (5 - priority)`` times the day number) and, as a tie-break, fewer km. Only
   the first day of the solution is used: it gives each dump a *quota* of loads for
   today. After the day is simulated the programme is solved again on what is left
   (rolling horizon), so shortfalls are caught up the next day.
3. **The day's routes** (a discrete-event *shuttle schedule*, no VRP). Trucks leave
   the depot at shift start; whenever a truck is free (at the depot or just unloaded
   at a facility) it takes the dump where it can start loading earliest, dumps with
   quota left first, then dumps with the most loader-days left. Each excavator is a
   resource with a timetable: a truck arriving while every loader is busy waits for the
   first free slot, so two trucks are never loaded by one excavator at the same time.
   A cycle is committed only if the facility is open when the truck arrives and the
   truck can still take its break (within its window, where it is, after an unload)
   and be home by shift end within its longest day. Each truck's visits are then
   timed by ``routing.schedule_route``; each load is a ``Stop`` whose time window is
   its loader slot, so the day is an ordinary ``routing.Problem`` and every day's plan
   is verified by ``routing.check_plan``, plus a check that no excavator serves two
   trucks at once. The day's outputs (maps, sheets, GPX) are the same as a daily plan's.

What is modelled and what is not
--------------------------------
Modelled: shifts, longest day, breaks, truck capacities, facility opening hours, dump
time windows, facilities a truck may use, facility closures by date, days off and
working weekdays, loading rate and number of excavators per dump (daily cap *and*
intra-day queuing at the excavator), priorities, re-planning from what was cleared.
Not modelled: queuing at the facility (trucks unload in parallel; the weighbridge
capacity of a landfill is not a limit), the excavators' own breaks, a truck serving
two dumps on one trip (a campaign load is always a full truck from one dump, except
a dump's last, partial load), traffic varying over the day, and the daily allocation
is a heuristic (rolling LP + greedy dispatch), not a proven optimum.

The lower bound on the days
---------------------------
``days >= max(truck-hours needed / truck-hours per day, max over dumps of loads /
daily loading cap)`` where a load of dump ``j`` needs at least ``load + min_f (t(j, f) +
unload(f)) + (shortest drive into j)`` and a truck offers at most ``shift (or longest
day) - break - shortest drive home`` a day, loads counted with the largest truck. It
ignores closures and end-of-day fragments, so it is optimistic; the sample campaign
plans within 1.25 times the rounded-up bound plus one day (see ``Campaign.bound``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from planner._errors import ScenarioError
from routing import Plan, Problem, Unassigned

__all__ = [
    "WEEKDAYS",
    "Calendar",
    "Campaign",
    "CampaignBound",
    "CampaignDay",
    "CampaignError",
    "Dump",
    "plan_campaign",
]

logger = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPS_T = 1e-6
#: Working days with nothing cleared in a row before the campaign gives up.
STALL_DAYS = 20


class CampaignError(ScenarioError):
    """A campaign that cannot be planned: names the field, the value and the fix."""


@dataclass(frozen=True, slots=True)
class Dump:
    """One dump of a campaign: where it is, its backlog and how fast it can be loaded.

    Parameters
    ----------
    site_id
        The site id (also the prefix of the load ids ``"<site_id>#<k>"``).
    location
        Index into the campaign's travel matrices.
    tonnes
        Backlog on the ground, t.
    load_min
        Minutes one excavator needs to fill one truck.
    loaders
        Excavators working at the dump (each loads one truck at a time).
    priority
        1 (most urgent) to 5 (can wait).
    window
        ``(open_s, close_s)``: loading must start within it; ``None``: any time.
    """

    site_id: str
    location: int
    tonnes: float
    load_min: float = 10.0
    loaders: int = 1
    priority: int = 3
    window: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.site_id, str) or not self.site_id:
            problems.append(f"site_id: got {self.site_id!r}; give a non-empty id")
        name = f"dump {self.site_id}"
        if not math.isfinite(self.tonnes) or self.tonnes < 0:
            problems.append(f"{name}: tonnes must be >= 0, got {self.tonnes}")
        if not math.isfinite(self.load_min) or self.load_min <= 0:
            problems.append(f"{name}: load_min must be > 0 minutes, got {self.load_min}")
        if not isinstance(self.loaders, int) or self.loaders < 1:
            problems.append(f"{name}: loaders must be a whole number >= 1, got {self.loaders}")
        if not 1 <= self.priority <= 5:
            problems.append(f"{name}: priority must be 1..5, got {self.priority}")
        if self.location < 0:
            problems.append(f"{name}: location must be >= 0, got {self.location}")
        if self.window is not None and not 0 <= self.window[0] <= self.window[1]:
            problems.append(f"{name}: window {self.window} must satisfy 0 <= open <= close")
        if problems:
            raise CampaignError("<campaign>", problems)

    @property
    def load_s(self) -> int:
        """Seconds one excavator needs to fill one truck."""
        return round(self.load_min * 60)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Which dates the campaign works, and which facilities are closed on which dates.

    Parameters
    ----------
    start
        First date that may be worked.
    weekdays
        Working weekdays, Monday = 0 .. Sunday = 6.
    days_off
        Holidays: dates not worked even on a working weekday.
    closures
        ``(date, facility_id)`` pairs: the facility is closed that date.
    end
        Last date that may be worked; ``None``: open-ended.

    Examples
    --------
    >>> import datetime as dt
    >>> cal = Calendar(dt.date(2025, 3, 7), days_off=(dt.date(2025, 3, 10),))
    >>> [d.isoformat() for d in cal.working_days(limit=2)]
    ['2025-03-07', '2025-03-11']
    """

    start: dt.date
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    days_off: tuple[dt.date, ...] = ()
    closures: tuple[tuple[dt.date, str], ...] = ()
    end: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("weekdays", "days_off", "closures"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        problems: list[str] = []
        if not isinstance(self.start, dt.date):
            problems.append(f"start: got {self.start!r}; give a date as YYYY-MM-DD")
        bad = [w for w in self.weekdays if not isinstance(w, int) or not 0 <= w <= 6]
        if bad:
            problems.append(f"weekdays: got {list(self.weekdays)!r}; give weekdays 0..6 "
                            f"or names {', '.join(WEEKDAYS)}")
        if not self.weekdays:
            problems.append("weekdays is empty: the calendar has no working day; list at "
                            "least one, e.g. weekdays = [\"mon\", \"tue\", \"wed\"]")
        if self.end is not None and isinstance(self.start, dt.date):
            if self.end < self.start:
                problems.append(f"end {self.end} is before start {self.start}; fix the dates")
            elif not problems and next(self.working_days(), None) is None:
                problems.append(f"no working day between {self.start} and {self.end} (all "
                                "are days off or not working weekdays); widen the calendar")
        if problems:
            raise CampaignError("<calendar>", problems)

    def is_working(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day of the calendar."""
        return (day.weekday() in self.weekdays and day not in self.days_off
                and day >= self.start and (self.end is None or day <= self.end))

    def working_days(self, *, since: dt.date | None = None,
                     limit: int | None = None) -> Iterator[dt.date]:
        """Working days from ``since`` (default ``start``) on, at most ``limit`` of them."""
        day = max(since or self.start, self.start)
        count = 0
        days_off = set(self.days_off)
        idle = 0  # days in a row that are not worked: a year of them ends the search
        while (limit is None or count < limit) and (self.end is None or day <= self.end):
            if day.weekday() in self.weekdays and day not in days_off:
                idle = 0
                count += 1
                yield day
            else:
                idle += 1
                if idle > 400:
                    return
            day += dt.timedelta(days=1)

    def closed_on(self, day: dt.date) -> frozenset[str]:
        """Ids of the facilities closed on ``day``."""
        return frozenset(f for d, f in self.closures if d == day)


@dataclass(frozen=True, slots=True)
class CampaignBound:
    """A lower bound on the working days a campaign needs (see the module docstring).

    Attributes
    ----------
    days
        ``max(by_trucks, by_loading)``, fractional days.
    truck_hours_needed, truck_hours_per_day
        Optimistic truck-hours the backlog needs and the fleet offers a day.
    by_trucks, by_loading
        Days by fleet time, and by the slowest dump's loading cap.
    slowest_site
        The dump whose loading cap gives ``by_loading``.
    """

    days: float
    truck_hours_needed: float
    truck_hours_per_day: float
    by_trucks: float
    by_loading: float
    slowest_site: str

    @property
    def whole_days(self) -> int:
        """The bound rounded up to whole working days."""
        return max(0, math.ceil(self.days - 1e-9))


@dataclass(frozen=True)
class CampaignDay:
    """One working day of a campaign.

    Attributes
    ----------
    number, date
        Working day number (1 = the first planned day) and its date.
    problem, plan
        The day as a ``routing.Problem`` (one stop per truck load, windowed to its
        loader slot) and its checked ``Plan``; ``None`` when nothing could be worked.
    cleared_t, remaining_t
        Tonnes cleared that day and left after it, per dump.
    closed
        Facilities closed that date.
    note
        Why nothing was worked, or other remarks.
    """

    number: int
    date: dt.date
    problem: Problem | None
    plan: Plan | None
    cleared_t: Mapping[str, float]
    remaining_t: Mapping[str, float]
    closed: tuple[str, ...] = ()
    note: str = ""

    @property
    def trips(self) -> int:
        """Truck loads (= trips to a facility) that day."""
        return 0 if self.plan is None else sum(len(r.stops) for r in self.plan.routes)

    @property
    def tonnes(self) -> float:
        """Tonnes cleared that day."""
        return round(sum(self.cleared_t.values()), 6)

    @property
    def distance_km(self) -> float:
        """Km driven that day by the whole fleet."""
        return 0.0 if self.plan is None else self.plan.distance_km

    @property
    def trucks_used(self) -> int:
        """Trucks that left the depot that day."""
        return 0 if self.plan is None else self.plan.trucks_used


@dataclass(frozen=True)
class Campaign:
    """A planned campaign: the days, what is left and why, and the lower bound.

    Attributes
    ----------
    dumps
        The dumps (with their original backlog).
    calendar
        The calendar planned against.
    days
        Every working day from the first planned one to the last with work (a day with
        every facility closed is listed with ``plan=None``).
    backlog_t
        Tonnes per dump at the start of planning (after ``cleared_before_t``).
    cleared_before_t
        Tonnes per dump already cleared before the first planned day.
    unassigned
        Backlog the campaign does not clear, per dump, with the reason.
    bound
        The lower bound on the days for ``backlog_t``.
    solve_seconds
        Wall-clock time of planning.
    """

    dumps: tuple
    calendar: Calendar
    days: tuple[CampaignDay, ...]
    backlog_t: Mapping[str, float]
    cleared_before_t: Mapping[str, float]
    unassigned: tuple[Unassigned, ...]
    bound: CampaignBound
    solve_seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    @property
    def working_days(self) -> int:
        """Working days the campaign takes (from its first planned day to its last)."""
        return len(self.days)

    @property
    def trips(self) -> int:
        """Truck loads over the campaign."""
        return sum(d.trips for d in self.days)

    @property
    def tonnes(self) -> float:
        """Tonnes cleared by the planned days."""
        return round(sum(d.tonnes for d in self.days), 6)

    @property
    def distance_km(self) -> float:
        """Km driven over the campaign."""
        return sum(d.distance_km for d in self.days)

    @property
    def ratio(self) -> float:
        """Planned days over the whole-day lower bound (1.0 = provably fewest)."""
        return self.working_days / max(1, self.bound.whole_days)

    def cleared_on(self) -> dict[str, dt.date | None]:
        """The date each dump is cleared (``None``: never; before start: the day before)."""
        out: dict[str, dt.date | None] = {}
        before = self.days[0].date - dt.timedelta(days=1) if self.days else self.calendar.start
        for dump in self.dumps:
            sid = dump.site_id
            if self.backlog_t.get(sid, 0.0) <= EPS_T:
                out[sid] = before
                continue
            out[sid] = next((d.date for d in self.days
                             if d.remaining_t.get(sid, 0.0) <= EPS_T), None)
        return out

    def summary(self) -> dict:
        """Headline numbers, per-day and per-dump rows (for JSON and the CLI)."""
        cleared_on = self.cleared_on()
        return {
            "working_days": self.working_days,
            "lower_bound_days": round(self.bound.days, 3),
            "lower_bound_whole_days": self.bound.whole_days,
            "ratio": round(self.ratio, 3),
            "bound": {
                "truck_hours_needed": round(self.bound.truck_hours_needed, 2),
                "truck_hours_per_day": round(self.bound.truck_hours_per_day, 2),
                "days_by_trucks": round(self.bound.by_trucks, 3),
                "days_by_loading": round(self.bound.by_loading, 3),
                "slowest_site": self.bound.slowest_site,
            },
            "trips": self.trips,
            "tonnes": round(self.tonnes, 3),
            "distance_km": round(self.distance_km, 3),
            "unassigned_t": round(sum(u.load_t for u in self.unassigned), 3),
            "solve_seconds": round(self.solve_seconds, 3),
            "days": [self.day_row(d) for d in self.days],
            "sites": [
                {"site_id": dump.site_id, "priority": dump.priority,
                 "tonnes": round(dump.tonnes, 3),
                 "cleared_before_t": round(self.cleared_before_t.get(dump.site_id, 0.0), 3),
                 "backlog_t": round(self.backlog_t.get(dump.site_id, 0.0), 3),
                 "load_min": dump.load_min, "loaders": dump.loaders,
                 "cleared_on": None if cleared_on[dump.site_id] is None
                 else cleared_on[dump.site_id].isoformat()}
                for dump in self.dumps
            ],
            "unassigned": [{"site_id": u.site_id, "tonnes": round(u.load_t, 3),
                            "reason": u.reason} for u in self.unassigned],
        }

    @staticmethod
    def day_row(day: CampaignDay) -> dict:
        """One day as a flat row."""
        return {"day": day.number, "date": day.date.isoformat(),
                "trucks": day.trucks_used, "trips": day.trips, "tonnes": round(day.tonnes, 3),
                "distance_km": round(day.distance_km, 3),
                "remaining_t": round(sum(day.remaining_t.values()), 3),
                "closed": " ".join(day.closed), "note": day.note}


def plan_campaign(
    base: Problem,
    dumps: Sequence[Dump],
    calendar: Calendar,
    *,
    cleared: Mapping[str, float] | None = None,
    max_days: int = 250,
) -> Campaign:
    """Plan a campaign day by day until every dump is cleared (see the module docstring).

    Parameters
    ----------
    base
        The fleet, depots, facilities and matrices (s, m) as a ``routing.Problem``
        without stops: the dumps are the work.
    dumps
        The dumps with their backlog (t), loading time per truck (min) and excavators.
    calendar
        Working days, days off, facility closures by date.
    cleared
        Tonnes per dump already cleared (re-planning); subtracted from the backlog.
    max_days
        Give up after this many working days; what is left is reported unassigned.

    Returns
    -------
    Campaign
        Days with checked plans, backlog left with reasons, the lower bound.

    Raises
    ------
    CampaignError
        Stops in ``base``, duplicate or unknown dump ids, a dump location outside the
        matrices, ``max_days < 1``.

    Examples
    --------
    >>> import datetime as dt, numpy as np
    >>> from routing import Problem, Depot, Facility, Vehicle
    >>> d = np.array([[0, 600, 900], [600, 0, 600], [900, 600, 0]])
    >>> base = Problem(duration_s=d, distance_m=d * 10, stops=(), depots=(Depot("D", 0),),
    ...                facilities=(Facility("L", 2, unload_s=600),),
    ...                vehicles=(Vehicle("T1", "D", capacity_t=8.0),))
    >>> c = plan_campaign(base, [Dump("S", 1, tonnes=100.0)], Calendar(dt.date(2025, 3, 3)))
    >>> c.working_days, c.tonnes
    (1, 100.0)
    """
    from planner._campaign_day import DayPlanner, lower_bound

    started = time.perf_counter()
    dumps = tuple(dumps)
    _validate(base, dumps, max_days)
    cleared = dict(cleared or {})
    unknown = sorted(set(cleared) - {d.site_id for d in dumps})
    if unknown:
        logger.warning("progress for unknown site(s) %s ignored", ", ".join(unknown))
    before = {d.site_id: min(d.tonnes, max(0.0, cleared.get(d.site_id, 0.0))) for d in dumps}
    remaining = {d.site_id: round(d.tonnes - before[d.site_id], 6) for d in dumps}
    backlog = dict(remaining)
    planner = DayPlanner(base, dumps, calendar)
    unassigned: list[Unassigned] = []
    for dump in dumps:
        reason = planner.unreachable_reason(dump)
        if reason and remaining[dump.site_id] > EPS_T:
            unassigned.append(Unassigned(dump.site_id, dump.site_id,
                                         remaining[dump.site_id], reason))
            remaining[dump.site_id] = 0.0
    bound = lower_bound(planner, remaining)
    days: list[CampaignDay] = []
    stalled = 0
    dates = calendar.working_days(limit=max_days)
    for number, date in enumerate(dates, start=1):
        if sum(remaining.values()) <= EPS_T:
            break
        day = planner.plan_day(number, date, remaining)
        days.append(day)
        remaining = dict(day.remaining_t)
        stalled = stalled + 1 if day.tonnes <= EPS_T else 0
        logger.info("day %d %s: %d trips, %.1f t, %.1f t left", number, date, day.trips,
                    day.tonnes, sum(remaining.values()))
        if stalled >= STALL_DAYS:
            break
    left = {s: t for s, t in remaining.items() if t > EPS_T}
    if left:
        if stalled >= STALL_DAYS:
            why = f"nothing could be cleared for {STALL_DAYS} working days in a row " \
                  "(facilities closed, or no trip fits a shift)"
        elif calendar.end is not None and len(days) < max_days:
            why = f"the calendar ends on {calendar.end}"
        else:
            why = f"not cleared within max_days = {max_days} working days"
        unassigned.extend(Unassigned(s, s, round(t, 6), why) for s, t in left.items())
    while days and days[-1].tonnes <= EPS_T:  # trailing idle days are not part of it
        days.pop()
    return Campaign(
        dumps=dumps, calendar=calendar, days=tuple(days), backlog_t=backlog,
        cleared_before_t=before, unassigned=tuple(unassigned), bound=bound,
        solve_seconds=round(time.perf_counter() - started, 3),
    )


def _validate(base: Problem, dumps: tuple[Dump, ...], max_days: int) -> None:
    problems: list[str] = []
    if base.stops:
        problems.append(f"base problem has {len(base.stops)} stop(s); give the backlog as "
                        "dumps and a base without stops (base.with_changes(stops=()))")
    if not dumps:
        problems.append("no dumps: a campaign needs at least one dump with a backlog")
    ids = [d.site_id for d in dumps]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"dump id {dup!r} is used twice; make ids unique")
    for d in dumps:
        if d.location >= base.num_locations:
            problems.append(f"dump {d.site_id}: location {d.location} is outside the "
                            f"matrices (0..{base.num_locations - 1})")
    if not base.facilities:
        problems.append("no facility (landfill or transfer station) to unload at")
    if not isinstance(max_days, int) or max_days < 1:
        problems.append(f"max_days must be a whole number >= 1, got {max_days!r}")
    if problems:
        raise CampaignError(base.name, problems)
