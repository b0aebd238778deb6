"""Facts about each visit that the sheets, pages and files share.

The time window a visit had to respect, its waste stream, "load k of n" for the pieces of
a split dump, and why a truck leaves the depot when it does. A route is scheduled to
leave as late as possible without delaying any visit (``routing.schedule_route``): a
truck that would otherwise wait for a window, an opening hour or the lunch break stays
at the depot instead. ``departure`` says which visit set the time, so a 07:02 departure
on a 06:00 shift reads as a decision, not an accident.
"""

from __future__ import annotations

import datetime as dt
import weakref
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from i18n import N_, gettext
from maps._context import PlanContext, VisitInfo
from maps._style import hhmm

__all__ = ["Departure", "departure", "explain_departure", "load_pieces", "local_moment",
           "multi_stream", "stream_of", "visit_window", "window_of"]

#: How a departure is explained (``Departure.code``) and the sentence people read.
DEPARTURE_TEXTS = {
    "shift_start": N_("Leaves at {depart}, when the shift starts."),
    "window": N_("Leaves at {depart}, {minutes} min after the shift starts ({shift}): "
                 "leaving earlier would only mean waiting for {site}, whose window opens at "
                 "{until}."),
    "opening": N_("Leaves at {depart}, {minutes} min after the shift starts ({shift}): "
                  "leaving earlier would only mean waiting for {site} to open at {until}."),
    "break": N_("Leaves at {depart}, {minutes} min after the shift starts ({shift}): leaving "
                "earlier would only mean waiting for the lunch break, which starts no "
                "earlier than {until}."),
    "later": N_("Leaves at {depart}, {minutes} min after the shift starts ({shift}): the "
                "latest departure that delays no visit."),
}


_STOPS: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}


def _stops(problem: Any) -> dict[str, Any]:
    """Stops by id and by site id (split loads share their site's), built once per problem."""
    if problem is None:
        return {}
    entry = _STOPS.get(id(problem))
    if entry is not None and entry[0]() is problem:
        return entry[1]
    out: dict[str, Any] = {}
    for stop in getattr(problem, "stops", ()) or ():
        out.setdefault(stop.site_id, stop)
        out[stop.id] = stop
    try:
        for key in [k for k, (ref, _) in _STOPS.items() if ref() is None]:
            del _STOPS[key]
        _STOPS[id(problem)] = (weakref.ref(problem), out)
    except TypeError:  # an object without weak references: no cache
        pass
    return out


def _problem_stop(problem: Any, visit: Any) -> Any:
    stops = _stops(problem)
    return stops.get(visit.id) or stops.get(visit.site_id or visit.id)


def _facility(problem: Any, fid: str) -> Any:
    return next((f for f in getattr(problem, "facilities", ()) or () if f.id == fid), None)


def _vehicle(problem: Any, vid: str) -> Any:
    return next((v for v in getattr(problem, "vehicles", ()) or () if v.id == vid), None)


def window_of(problem: Any, vehicle_id: str, visit: Any) -> tuple[int | None, int | None]:
    """``(open_s, close_s)`` a visit had to respect, seconds from midnight (None: none).

    Stops and facilities: their window or opening hours (service must start within it).
    The depot: leave at or after the shift start, be back by its end. A break: the
    earliest and the latest start of the lunch. ``problem`` may be the one given to
    ``routing.solve`` (split loads are found by their site).
    """
    window = None
    if visit.kind == "stop":
        window = getattr(_problem_stop(problem, visit), "window", None)
    elif visit.kind == "facility":
        window = getattr(_facility(problem, visit.id), "window", None)
    elif visit.kind in ("start", "end", "break"):
        vehicle = _vehicle(problem, vehicle_id)
        if vehicle is None:
            return None, None
        if visit.kind == "break":
            brk = vehicle.break_
            return (brk.earliest_s, brk.latest_s) if brk is not None else (None, None)
        return (vehicle.shift[0], None) if visit.kind == "start" else (None, vehicle.shift[1])
    if window is None:
        return None, None
    return int(window[0]), int(window[1])


def visit_window(ctx: PlanContext, info: VisitInfo) -> tuple[int | None, int | None]:
    """``window_of`` for a visit of the plan context."""
    return window_of(ctx.problem, info.vehicle_id, info.visit)


def multi_stream(ctx: PlanContext) -> bool:
    """Whether the problem has more than one waste stream (then outputs show it)."""
    return len({s.stream for s in getattr(ctx.problem, "stops", ()) or ()}) > 1


def stream_of(ctx: PlanContext, visit: Any) -> str:
    """The waste stream of a stop visit (``""`` for other visits or an unknown stop)."""
    if visit.kind != "stop":
        return ""
    return str(getattr(_problem_stop(ctx.problem, visit), "stream", "") or "")


def load_pieces(ctx: PlanContext) -> dict[str, tuple[int, int]]:
    """``stop id -> (k, n)``: the k-th of the n truck loads of a split dump, in time order.

    Only sites that need more than one load are listed; ``n`` counts the unassigned
    loads too, so "load 2 of 3" with one left over says so.
    """
    served = ctx.served()
    left: dict[str, int] = {}
    for u in ctx.unassigned:
        left[u.site_id] = left.get(u.site_id, 0) + 1
    out: dict[str, tuple[int, int]] = {}
    for site_id, infos in served.items():
        n = len(infos) + left.get(site_id, 0)
        if n < 2:
            continue
        ordered = sorted(infos, key=lambda i: (i.visit.arrival_s, i.vehicle_id))
        for k, info in enumerate(ordered, start=1):
            out[info.visit.id] = (k, n)
    return out


@dataclass(frozen=True, slots=True)
class Departure:
    """When and why a truck leaves the depot.

    ``code`` is one of ``DEPARTURE_TEXTS`` (``shift_start``: on time; ``window``,
    ``opening``, ``break``: later, so as not to wait for that visit; ``later``: later,
    reason not attributable); ``delay_s`` is seconds after the shift start; ``site_id``
    and ``until_s`` name the visit that set the time and its earliest start.
    """

    code: str
    depart_s: int
    shift_start_s: int
    delay_s: int
    site_id: str
    until_s: int | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable form for ``summary.json`` (times as ``HH:MM``)."""
        return {"code": self.code, "depart": hhmm(self.depart_s),
                "shift_start": hhmm(self.shift_start_s), "delay_min": round(self.delay_s / 60),
                "waits_for": self.site_id, "until": hhmm(self.until_s), "text": self.text}


def explain_departure(problem: Any, route: Any, *,
                      names: Mapping[str, str] | None = None) -> Departure:
    """Why a truck leaves when it does (see the module docstring).

    Parameters
    ----------
    problem
        The routing problem (for the shift, windows and opening hours).
    route
        The truck's ``routing.Route``.
    names
        Display names by site id, used in the sentence; default the site ids.

    Returns
    -------
    Departure
        On time, or the visit whose earliest start the late departure meets exactly;
        its ``text`` in the current language (``i18n.use``).
    """
    names = names or {}
    depart = int(route.visits[0].departure_s)
    vehicle = _vehicle(problem, route.vehicle_id)
    shift0 = int(vehicle.shift[0]) if vehicle is not None else depart
    delay = depart - shift0
    fields = {"depart": hhmm(depart), "shift": hhmm(shift0), "minutes": round(delay / 60)}
    if delay < 60:
        return Departure("shift_start", depart, shift0, max(delay, 0), "", None,
                         gettext(DEPARTURE_TEXTS["shift_start"]).format(**fields))
    for v in route.visits[1:-1]:
        opens, _ = window_of(problem, route.vehicle_id, v)
        if opens is None or abs(v.start_s - opens) > 1 or v.start_s - v.arrival_s >= 60:
            continue  # not held back by its earliest start
        code = {"stop": "window", "facility": "opening", "break": "break"}[v.kind]
        sid = v.site_id or v.id
        name = names.get(sid, sid)
        site = f"{sid} ({name})" if v.kind == "stop" and name != sid else name
        text = gettext(DEPARTURE_TEXTS[code]).format(site=site, until=hhmm(opens), **fields)
        return Departure(code, depart, shift0, delay, "" if v.kind == "break" else sid, opens,
                         text)
    return Departure("later", depart, shift0, delay, "", None,
                     gettext(DEPARTURE_TEXTS["later"]).format(**fields))


def departure(ctx: PlanContext, vehicle_id: str) -> Departure:
    """``explain_departure`` for a truck of the plan context."""
    names = {i.site_id: i.name for i in ctx.visits[vehicle_id]}
    return explain_departure(ctx.problem, ctx.route(vehicle_id), names=names)


def local_moment(date: str, seconds: float, timezone: str = "UTC") -> dt.datetime | None:
    """The moment ``seconds`` after local midnight of ``date``, in UTC, to the minute.

    Rounded to the minute the way ``hhmm`` rounds, so a GPX time shows the minute the
    sheet shows. ``None`` when ``date`` is not an ISO date.

    Examples
    --------
    >>> local_moment("2025-03-03", 6 * 3600, "Asia/Shanghai").isoformat()
    '2025-03-02T22:00:00+00:00'
    """
    try:
        day = dt.date.fromisoformat(str(date))
    except ValueError:
        return None
    # aware + timedelta is wall-clock arithmetic: "06:00" stays 06:00 on a DST day
    local = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(timezone))
    return (local + dt.timedelta(minutes=round(seconds / 60.0))).astimezone(dt.UTC)
