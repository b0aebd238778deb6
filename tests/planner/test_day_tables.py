"""DayResult tables show times the way every other output does (one rounding)."""

from __future__ import annotations

import maps
from planner import DayResult
from routing import Plan, Route, Visit


def test_visits_table_rounds_minutes_like_the_sheets():
    # 07:31:40 is 07:32 on a sheet, in the GPX and in the notebook's table alike
    visits = (Visit("start", "D", 0, 27100, 27100, 27100),
              Visit("stop", "S", 1, 27100, 27100, 27700, load_t=1.0, load_after_t=1.0),
              Visit("end", "D", 0, 27900, 27900, 27900))
    route = Route("T1", visits, distance_km=1.0, duration_h=0.2, tonnes=1.0, unload_trips=0,
                  cost=1.0)
    day = DayResult(scenario=None, G=None, sites=None, snapped=None, matrix=None,
                    problem=None, plan=Plan(routes=(route,), unassigned=(), engine="hand"))
    table = day.visits_table()
    assert list(table["arrival"]) == ["07:32", "07:32", "07:45"]
    assert list(table["arrival"]) == [maps.hhmm(v.arrival_s) for v in visits]
