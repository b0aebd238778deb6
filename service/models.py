"""The API's request and response bodies (pydantic, at the boundary only).

Requests are strict (a string is not a number, unknown fields are refused) so that a
mistake in a client gets a 422 naming the field and the fix instead of a guess.
``FIXES`` holds the fix shown for each field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from service._coords import canonical_crs

__all__ = [
    "FIXES",
    "PLAN_ID",
    "SITE_ID",
    "TRUCK_ID",
    "ClearIn",
    "PlanAccepted",
    "PlanIn",
    "SiteIn",
    "SitePage",
    "SitePatch",
]

#: Ids in URLs: letters, digits, ``_``, ``-`` and ``.`` (never ``/`` or a leading dot).
SITE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
TRUCK_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
PLAN_ID = r"^[0-9a-f]{12}$"
STREAM = r"^[a-z][a-z0-9_-]{0,31}$"

#: The fix shown with a validation error, by field name.
FIXES: dict[str, str] = {
    "lon": "give the longitude in degrees, -180..180 (east positive), as a JSON number",
    "lat": "give the latitude in degrees, -90..90 (north positive), as a JSON number",
    "kind": "use \"dead_spot\" (an illegal dump) or \"bin\"",
    "tonnes": "give the estimated waste in tonnes, a number > 0 (at most 10000)",
    "priority": "give a whole number from 1 (most urgent) to 5",
    "name": "give a short label, at most 200 characters",
    "note": "give a note of at most 2000 characters",
    "photo_url": "give an http:// or https:// address of the photo",
    "stream": "give a waste stream in lower case, e.g. \"mixed\", \"residual\", \"kitchen\", "
              "\"recyclable\"",
    "crs": "use \"WGS-84\" (GPS), \"GCJ-02\" (Amap, Tencent) or \"BD-09\" (Baidu)",
    "status": "use \"open\" or \"cleared\"",
    "date": "give the day as \"YYYY-MM-DD\"",
    "engine": "use \"ortools\", \"pyvrp\" or \"auto\"",
    "language": "use \"en\" or \"zh-CN\" (the language of the pages, sheets and reasons)",
    "time_limit_s": "give seconds > 0, at most the scenario's [solver] time_limit_s",
    "trucks": "give a whole number of trucks, 1..500",
    "site_id": "site ids are letters, digits, '_', '-' and '.', starting with a letter or "
               "digit (no '/')",
    "truck": "truck ids are letters, digits, '_' and '-' (e.g. T01)",
    "plan_id": "plan ids are the 12 hex digits POST /v1/plans answered with",
    "bbox": "give west,south,east,north in degrees, e.g. 24.93,60.16,24.96,60.18",
    "limit": "give a whole number 1..500",
    "offset": "give a whole number >= 0",
    "Idempotency-Key": "give 1..200 printable ASCII characters, new for each new report",
    "body": "send a JSON object (Content-Type: application/json) with the fields of the "
            "API docs (/docs)",
}

_STRICT = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class SiteIn(BaseModel):
    """A new report: where, what, how much."""

    model_config = _STRICT

    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description=FIXES["lon"])
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description=FIXES["lat"])
    kind: Literal["dead_spot", "bin"] = Field("dead_spot", description=FIXES["kind"])
    tonnes: float = Field(gt=0, le=10_000, allow_inf_nan=False, description=FIXES["tonnes"])
    priority: int = Field(3, ge=1, le=5, description=FIXES["priority"])
    name: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)
    photo_url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$",
                                  description=FIXES["photo_url"])
    stream: str = Field("mixed", pattern=STREAM, description=FIXES["stream"])
    crs: str = Field("WGS-84", max_length=20, description="coordinate system of lon/lat: "
                     + FIXES["crs"])

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str) -> str:
        return canonical_crs(value)


class SitePatch(BaseModel):
    """A correction: mark cleared (or open again), correct tonnes, priority, note."""

    model_config = _STRICT

    status: Literal["open", "cleared"] | None = None
    tonnes: float | None = Field(None, gt=0, le=10_000, allow_inf_nan=False)
    priority: int | None = Field(None, ge=1, le=5)
    name: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)
    stream: str | None = Field(None, pattern=STREAM)

    @model_validator(mode="after")
    def _something(self) -> SitePatch:
        if not self.model_fields_set:
            raise ValueError("nothing to change; give at least one of status, tonnes, "
                             "priority, name, note, stream")
        return self


class SiteOut(BaseModel):
    """A site as stored (WGS-84), with what was reported if it came in another CRS."""

    site_id: str
    kind: str
    lon: float
    lat: float
    tonnes: float
    stream: str
    priority: int
    name: str | None
    note: str | None
    photo_url: str | None
    service_min: float | None
    open: str | None
    close: str | None
    status: str
    source: str
    reported_at: str
    updated_at: str
    cleared_at: str | None
    cleared_by: str | None
    reported_position: dict[str, Any] | None


class SitePage(BaseModel):
    """One page of sites."""

    items: list[SiteOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class PlanIn(BaseModel):
    """What to plan; every field is optional (the scenario's settings otherwise)."""

    model_config = _STRICT

    date: dt.date | None = Field(None, strict=False, description=FIXES["date"])  # ISO text
    engine: Literal["ortools", "pyvrp", "auto"] | None = None
    time_limit_s: float | None = Field(None, gt=0, allow_inf_nan=False,
                                       description=FIXES["time_limit_s"])
    trucks: int | None = Field(None, ge=1, le=500)
    language: Literal["en", "zh-CN"] | None = Field(None, description=FIXES["language"])

    @field_validator("date", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"got {value!r}; give the day as text \"YYYY-MM-DD\"")
        return value


class PlanAccepted(BaseModel):
    """The answer to a new plan or a re-run: where to poll."""

    id: str
    status: str
    url: str


class ClearIn(BaseModel):
    """Which trucks' sites to mark cleared; all of the plan's when omitted."""

    model_config = _STRICT

    trucks: list[str] | None = Field(None, max_length=500)

    @field_validator("trucks")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        import re

        for truck in value or ():
            if not re.fullmatch(TRUCK_ID, truck):
                raise ValueError(f"truck id {truck!r} is not valid; {FIXES['truck']}")
        return value
