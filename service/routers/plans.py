"""``/v1/plans``: plan the day in a worker process, poll it, fetch its maps and files."""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response

from service import _plans_db as plans
from service import _sites_db as sites
from service._errors import ApiError
from service.dependencies import DB, State, Writer
from service.models import FIXES, PLAN_ID, TRUCK_ID, ClearIn, PlanAccepted, PlanIn
from service.routers.sites import IdempotencyKey, replay_or_none

__all__ = ["plan_out", "router"]

router = APIRouter(prefix="/v1/plans", tags=["plans"])

PlanId = Annotated[str, Path(pattern=PLAN_ID, description=FIXES["plan_id"])]
Truck = Annotated[str, Path(pattern=TRUCK_ID, description=FIXES["truck"])]

#: Files of a done plan by URL name: (file name, media type, download name or None).
PLAN_FILES = {
    "map": ("index.html", "text/html; charset=utf-8", None),
    "routes.geojson": ("routes.geojson", "application/geo+json", None),
    "stops.geojson": ("stops.geojson", "application/geo+json", None),
    "summary.json": ("summary.json", "application/json", None),
    "dispatch.csv": ("dispatch.csv", "text/csv; charset=utf-8", "dispatch-{id}.csv"),
    "problem.json": ("problem.json", "application/json", None),
    "plan.json": ("plan.json", "application/json", None),
}
#: Files of a truck by the URL's ending after ``/trucks/{truck}``, and what each is for.
TRUCK_FILES = {
    "/map": ("truck-{truck}.html", "text/html; charset=utf-8", None,
             "A driver's page (route, stops, directions, self-contained)"),
    "/sheet.csv": ("sheet-{truck}.csv", "text/csv; charset=utf-8", "sheet-{truck}-{id}.csv",
                   "A driver's route sheet (order, site, street, ETA, tonnes)"),
    ".gpx": ("truck-{truck}.gpx", "application/gpx+xml", "truck-{truck}-{id}.gpx",
             "A truck's street track and stops, for navigation devices (GPX)"),
}


def _links(plan_id: str, trucks: list[str]) -> dict[str, Any]:
    base = f"/v1/plans/{plan_id}"
    links: dict[str, Any] = {name.replace(".", "_"): f"{base}/{name}" for name in PLAN_FILES}
    links["trucks"] = {t: {"map": f"{base}/trucks/{t}/map",
                           "sheet_csv": f"{base}/trucks/{t}/sheet.csv",
                           "gpx": f"{base}/trucks/{t}.gpx",
                           "qr_svg": f"{base}/trucks/{t}/qr.svg"} for t in trucks}
    return links


def plan_out(conn, row: dict[str, Any]) -> dict[str, Any]:
    """A plan as the API shows it: status, progress, reason, results and links."""
    out: dict[str, Any] = {
        "id": row["id"], "status": row["status"], "request": row["request"],
        "sites": len(row["inputs"]), "attempt": row["attempt"],
        "created_at": row["created_at"], "started_at": row["started_at"],
        "finished_at": row["finished_at"], "reason": row["reason"],
        "progress": {"stage": row["stage"], "best_cost": row["best_cost"],
                     "elapsed_s": row["elapsed_s"], "updated_at": row["progress_at"]},
        "url": f"/v1/plans/{row['id']}",
    }
    if row["status"] == "queued":
        ahead = conn.execute("SELECT count(*) FROM plans WHERE status = 'queued' AND"
                             " (queued_at < ? OR (queued_at = ? AND seq < ?))",
                             (row["queued_at"], row["queued_at"], row["seq"])).fetchone()[0]
        out["queue_position"] = ahead + 1
    if row["status"] == "failed":
        out["rerun"] = f"/v1/plans/{row['id']}/rerun"
    result = row["result"]
    if row["status"] == "done" and result:
        out["result"] = {k: result[k] for k in ("date", "engine", "seed", "objective", "totals",
                                                "idle_trucks", "trucks", "unassigned",
                                                "not_used", "timings")}
        out["links"] = _links(row["id"], [t["truck"] for t in result["trucks"]])
    return out


def _plan_or_404(conn, plan_id: str) -> dict[str, Any]:
    row = plans.get_plan(conn, plan_id)
    if row is None:
        raise ApiError(404, f"there is no plan {plan_id!r}",
                       fix="list the plans with GET /v1/plans", field="path.plan_id")
    return row


def _check_queue(conn, state) -> None:
    queued = plans.queued_count(conn)
    if queued < state.settings.queue_size:
        return
    typical = plans.recent_duration_s(conn) or state.scenario.solver.time_limit_s
    wait = max(1, math.ceil(typical * (queued + 1) / state.settings.workers))
    raise ApiError(429, f"the plan queue is full ({queued} waiting, {state.runner.running} "
                   "solving)", fix=f"retry in about {wait} s (Retry-After), or wait for a "
                   "queued plan to finish", headers={"Retry-After": str(wait)})


@router.post("", status_code=202, response_model=PlanAccepted, dependencies=[Writer],
             summary="Plan the day (answers at once; poll the plan)",
             responses={429: {"description": "the queue is full; see Retry-After"}})
def create_plan(state: State, conn: DB, response: Response,
                body: Annotated[PlanIn | None, Body()] = None, key: IdempotencyKey = None):
    """Queue a plan of every open site; it runs in a worker process."""
    from planner import ScenarioError
    from service._planning import scenario_for

    request = (body or PlanIn()).model_dump(mode="json", exclude_none=True)
    request.setdefault("date", dt.date.today().isoformat())  # kept, so a re-run is the same
    try:
        scenario_for(state.scenario, request)
    except ScenarioError as exc:
        field = exc.problems[0].split(":", 1)[0] if exc.problems else ""
        raise ApiError(422, "; ".join(exc.problems), fix=FIXES.get(field, FIXES["body"]),
                       field=f"body.{field}" if field in FIXES else "body") from None
    scope, digest = "POST /v1/plans", sites.request_hash(request)
    with state.db.transaction(conn):
        replay = replay_or_none(conn, scope, key, digest)
        if replay is not None:
            return replay
        _check_queue(conn, state)
        row = plans.insert_plan(conn, request, sites.open_sites(conn))
        answer = {"id": row["id"], "status": row["status"], "url": f"/v1/plans/{row['id']}"}
        if key is not None:
            sites.remember_response(conn, scope, key, digest, 202, answer)
    state.runner.notify()
    response.headers["Location"] = answer["url"]
    return answer


@router.get("", summary="List plans, newest first")
def list_plans(conn: DB,
               status: Literal["queued", "running", "done", "failed"] | None = None,
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               offset: Annotated[int, Query(ge=0)] = 0):
    """Plans with their status and totals (newest first)."""
    rows, total = plans.list_plans(conn, status=status, limit=limit, offset=offset)
    following = offset + len(rows)
    return {"items": [plan_out(conn, r) for r in rows], "total": total, "limit": limit,
            "offset": offset, "next_offset": following if following < total else None}


@router.get("/{plan_id}", summary="Status, progress, totals")
def get_plan(plan_id: PlanId, conn: DB):
    """The plan's status and what goes with it.

    ``queued`` (with its place), ``running`` (stage, best cost, elapsed), ``done``
    (totals, trucks, unassigned with reasons, links) or ``failed`` (the reason).
    """
    return plan_out(conn, _plan_or_404(conn, plan_id))


@router.post("/{plan_id}/rerun", status_code=202, response_model=PlanAccepted,
             dependencies=[Writer], summary="Run a failed plan again, same inputs")
def rerun_plan(plan_id: PlanId, state: State, conn: DB, response: Response):
    """Queue a failed plan again with the sites and settings it was asked with."""
    with state.db.transaction(conn):
        row = _plan_or_404(conn, plan_id)
        if row["status"] != "failed":
            raise ApiError(409, f"plan {plan_id} is {row['status']}; only a failed plan is "
                           "re-run", fix="POST /v1/plans for a new plan of today's sites")
        _check_queue(conn, state)
        plans.requeue(conn, plan_id)
    state.runner.notify()
    response.headers["Location"] = f"/v1/plans/{plan_id}"
    return {"id": plan_id, "status": "queued", "url": f"/v1/plans/{plan_id}"}


@router.post("/{plan_id}/clear", dependencies=[Writer],
             summary="Mark the sites the plan serves cleared")
def clear_from_plan(plan_id: PlanId, state: State, conn: DB,
                    body: Annotated[ClearIn | None, Body()] = None):
    """Record what the plan collects.

    Sites the plan (or the trucks named) collects whole become ``cleared``; sites it
    collects in part keep the tonnes left. Repeating the call changes nothing.
    """
    with state.db.transaction(conn):
        row = _done_plan(conn, plan_id)
        trucks = {t["truck"]: t for t in row["result"]["trucks"]}
        wanted = (body.trucks if body and body.trucks is not None else list(trucks))
        unknown = [t for t in wanted if t not in trucks]
        if unknown:
            raise ApiError(422, f"trucks: plan {plan_id} has no truck {', '.join(unknown)}",
                           fix=f"use some of {', '.join(trucks) or '(no truck left)'}",
                           field="body.trucks")
        reported = {s["site_id"] for s in row["inputs"]}
        served: dict[str, float] = {}
        for truck in wanted:
            for load in trucks[truck]["sites"]:
                if load["site_id"] in reported:
                    served[load["site_id"]] = served.get(load["site_id"], 0.0) + load["tonnes"]
        return {"plan": plan_id, "trucks": wanted,
                **sites.apply_plan_clears(conn, plan_id, served)}


def _done_plan(conn, plan_id: str) -> dict[str, Any]:
    row = _plan_or_404(conn, plan_id)
    if row["status"] != "done":
        fix = ("re-run it: POST /v1/plans/{id}/rerun" if row["status"] == "failed"
               else "poll GET /v1/plans/{id} until its status is done").format(id=plan_id)
        raise ApiError(409, f"plan {plan_id} is {row['status']}, so it has no outputs yet",
                       fix=fix)
    return row


def _file(conn, plan_id: str, spec: tuple, truck: str | None = None) -> Response:
    row = _done_plan(conn, plan_id)
    name, media, download = spec
    name = name.format(truck=truck)
    content = plans.plan_file(conn, plan_id, name)
    if content is None:
        trucks = [t["truck"] for t in row["result"]["trucks"]]
        if truck is not None:
            raise ApiError(404, f"plan {plan_id} has no route for truck {truck!r}",
                           fix=f"use one of {', '.join(trucks) or '(no truck left the depot)'}",
                           field="path.truck")
        raise ApiError(404, f"plan {plan_id} has no {name}", fix="re-plan with this version")
    headers = {"Cache-Control": "private, max-age=3600"}
    if download:
        headers["Content-Disposition"] = (
            f'attachment; filename="{download.format(truck=truck, id=plan_id)}"')
    return Response(content, media_type=media, headers=headers)


def _file_route(url: str, key: str) -> None:
    def endpoint(plan_id: PlanId, conn: DB) -> Response:
        return _file(conn, plan_id, PLAN_FILES[key])

    endpoint.__name__ = f"plan_{key.replace('.', '_')}"
    router.add_api_route(url, endpoint, methods=["GET"], response_class=Response,
                         summary=f"The plan's {PLAN_FILES[key][0]}")


for _key in PLAN_FILES:
    _file_route(f"/{{plan_id}}/{_key}", _key)


def _truck_route(ending: str) -> None:
    def endpoint(plan_id: PlanId, truck: Truck, conn: DB) -> Response:
        return _file(conn, plan_id, TRUCK_FILES[ending][:3], truck)

    endpoint.__name__ = "truck_" + ending.strip("/.").replace(".", "_")
    router.add_api_route(f"/{{plan_id}}/trucks/{{truck}}{ending}", endpoint, methods=["GET"],
                         response_class=Response, summary=TRUCK_FILES[ending][3])


for _ending in TRUCK_FILES:
    _truck_route(_ending)


@router.get("/{plan_id}/trucks/{truck}/qr.svg", response_class=Response,
            summary="QR code of a driver's page")
def truck_qr(plan_id: PlanId, truck: Truck, conn: DB, state: State, request: Request):
    """An SVG QR code of the driver page's address, for a phone to scan."""
    import segno

    row = _done_plan(conn, plan_id)
    if truck not in {t["truck"] for t in row["result"]["trucks"]}:
        raise ApiError(404, f"plan {plan_id} has no route for truck {truck!r}",
                       fix="use a truck of the plan's result", field="path.truck")
    base = (state.settings.public_url or str(request.base_url)).rstrip("/")
    buf = io.BytesIO()
    segno.make(f"{base}/v1/plans/{plan_id}/trucks/{truck}/map", error="m").save(
        buf, kind="svg", scale=4, border=2, title=f"{truck}")
    return Response(buf.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=3600"})
