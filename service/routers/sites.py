"""``/v1/sites``: reports of dumps and bins, from the field and from the scenario."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse

from service import _sites_db as sites
from service._coords import WGS84, convert_to_wgs84
from service._errors import ApiError
from service.dependencies import DB, State, Writer
from service.models import FIXES, SITE_ID, STREAM, SiteIn, SiteOut, SitePage, SitePatch

__all__ = ["IDEMPOTENCY_KEY", "IdempotencyKey", "parse_bbox", "replay_or_none", "router"]

router = APIRouter(prefix="/v1/sites", tags=["sites"])

SiteId = Annotated[str, Path(pattern=SITE_ID, description=FIXES["site_id"])]
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,200}$"
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY,
    description="makes a retried POST safe: the same key and body answer what the first "
                "request did, without a second report")]


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """``"W,S,E,N"`` (degrees, WGS-84) as four floats, checked."""
    parts = value.split(",")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise ApiError(422, f"bbox: got {value!r}, not four numbers", fix=FIXES["bbox"],
                       field="query.bbox") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)) or not (
            -180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise ApiError(422, f"bbox: got {value!r}; it needs west < east within ±180 and "
                       "south < north within ±90", fix=FIXES["bbox"], field="query.bbox")
    return w, s, e, n


def replay_or_none(conn, scope: str, key: str | None, body_hash: str) -> JSONResponse | None:
    """The stored answer of an earlier request with this ``Idempotency-Key``, if any."""
    if key is None:
        return None
    try:
        stored = sites.replayed_response(conn, scope, key, body_hash)
    except KeyError:
        raise ApiError(422, f"Idempotency-Key {key!r} was already used with a different body",
                       fix="use a new key for a new request; repeat a key only to retry the "
                           "same request", field="header.Idempotency-Key") from None
    if stored is None:
        return None
    status, body = stored
    return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"})


@router.post("", status_code=201, response_model=SiteOut, dependencies=[Writer],
             summary="Report a dump or a bin", responses={
                 401: {"description": "no token"}, 403: {"description": "wrong token"},
                 422: {"description": "a field is wrong: the answer names it and the fix"}})
def report_site(body: SiteIn, conn: DB, state: State, response: Response,
                key: IdempotencyKey = None):
    """Store a new report (WGS-84; GCJ-02/BD-09 converted where geodata can)."""
    data = body.model_dump()
    crs = data.pop("crs")
    try:
        lon, lat = convert_to_wgs84(body.lon, body.lat, crs)
    except LookupError as exc:
        raise ApiError(422, f"crs: {exc}", fix=FIXES["crs"], field="body.crs") from None
    except ValueError as exc:
        raise ApiError(422, f"lon/lat: {exc}", fix=FIXES["lon"], field="body.lon") from None
    if crs != WGS84:
        data.update(input_lon=body.lon, input_lat=body.lat, input_crs=crs, lon=lon, lat=lat)
    scope, digest = "POST /v1/sites", sites.request_hash(body.model_dump(mode="json"))
    with state.db.transaction(conn):
        replay = replay_or_none(conn, scope, key, digest)
        if replay is not None:
            return replay
        site = sites.insert_report(conn, data)
        if key is not None:
            sites.remember_response(conn, scope, key, digest, 201, site)
    response.headers["Location"] = f"/v1/sites/{site['site_id']}"
    return site


@router.get("", response_model=SitePage, summary="List sites (filter, paginate)")
def list_sites(
    conn: DB,
    kind: Literal["dead_spot", "bin"] | None = None,
    status: Literal["open", "cleared"] | None = None,
    stream: Annotated[str | None, Query(pattern=STREAM)] = None,
    bbox: Annotated[str | None, Query(max_length=100, description=FIXES["bbox"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    """Sites in report order; ``next_offset`` is ``null`` on the last page."""
    box = parse_bbox(bbox) if bbox is not None else None
    items, total = sites.list_sites(conn, kind=kind, status=status, stream=stream, bbox=box,
                                    limit=limit, offset=offset)
    following = offset + len(items)
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "next_offset": following if following < total else None}


def _site_or_404(conn, site_id: str) -> dict:
    site = sites.get_site(conn, site_id)
    if site is None:
        raise ApiError(404, f"there is no site {site_id!r}",
                       fix="list the sites with GET /v1/sites", field="path.site_id")
    return site


@router.get("/{site_id}", response_model=SiteOut, summary="One site")
def get_site(site_id: SiteId, conn: DB):
    """The site with this id."""
    return _site_or_404(conn, site_id)


@router.patch("/{site_id}", response_model=SiteOut, dependencies=[Writer],
              summary="Mark cleared, correct tonnes or priority")
def patch_site(site_id: SiteId, body: SitePatch, conn: DB, state: State):
    """Change the fields given.

    ``status``, ``tonnes``, ``priority``, ``name``, ``note``, ``stream``; ``null`` clears
    ``name`` or ``note``.
    """
    changes = body.model_dump(exclude_unset=True)
    for required in ("status", "tonnes", "priority", "stream"):
        if required in changes and changes[required] is None:
            raise ApiError(422, f"{required}: null is not allowed", fix=FIXES[required],
                           field=f"body.{required}")
    with state.db.transaction(conn):
        site = sites.update_site(conn, site_id, changes)
    if site is None:
        _site_or_404(conn, site_id)
    return site
