"""The FastAPI application: routers, error answers, guards, start-up and shut-down.

``open_service`` does the start-up work that can fail on bad input (lock the database,
read the scenario, import its sites on the first start), so the command can refuse to
start with a clear message; ``create_app`` builds the app around it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import _sites_db
from service._db import Database, now_iso
from service._errors import ApiError, ServiceConfigError
from service._runner import PlanRunner
from service._settings import Settings
from service.dependencies import ServiceState
from service.models import FIXES
from service.routers import console, plans, sites

__all__ = ["VERSION", "create_app", "open_service"]

logger = logging.getLogger(__name__)

VERSION = "1"


def open_service(settings: Settings) -> ServiceState:
    """Lock and open the database, read the scenario, import its sites at the first start.

    Raises
    ------
    ServiceConfigError
        Another service uses the database, or the scenario cannot be read (the message
        names the file, the field and the fix).
    """
    import geodata
    import planner
    from service._planning import facility_frame, work_site_rows

    lock_path = settings.db_path.with_name(settings.db_path.name + ".lock")
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    lock = lock_path.open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise ServiceConfigError(f"--db {settings.db_path}: another service is using this "
                                 "database; stop it, or give another --db") from None
    try:
        scenario = planner.Scenario.from_file(settings.scenario_path)
        places = [{"site_id": str(r["site_id"]), "kind": r["kind"], "name": r["name"],
                   "lon": r["geometry"].x, "lat": r["geometry"].y}
                  for r in facility_frame(scenario).to_dict("records")]
        db = Database(settings.db_path)
        with db.connection() as conn, db.transaction(conn):
            if conn.execute("SELECT 1 FROM meta WHERE key = 'imported'").fetchone() is None:
                added = _sites_db.import_sites(conn, work_site_rows(scenario))
                conn.execute("INSERT INTO meta VALUES ('imported', ?)",
                             (f"{now_iso()} {added} sites from {settings.scenario_path}",))
                logger.info("first start: imported %d sites from %s", added,
                            settings.scenario_path)
    except (planner.ScenarioError, geodata.GeodataError) as exc:
        lock.close()
        raise ServiceConfigError(f"--scenario: {exc}") from None
    except BaseException:
        lock.close()
        raise
    runner = PlanRunner(db, settings, time_limit_s=scenario.solver.time_limit_s)
    return ServiceState(settings=settings, db=db, runner=runner, scenario=scenario,
                        places=places, lock=lock)


def _clean(value: Any) -> Any:
    """A value safe for JSON (NaN and infinities are written as strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    items = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        name = next((p for p in reversed(loc) if p in FIXES), "body")
        msg = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            msg = f"the body is not valid JSON ({err.get('ctx', {}).get('error', msg)})"
        elif err.get("type") == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r}"
            name = "body"
        elif err.get("type") == "finite_number":
            msg = f"{loc[-1]}: got {_clean(err.get('input'))}, not a finite number"
        items.append({"loc": loc, "field": ".".join(loc), "msg": msg, "fix": FIXES[name],
                      "type": err.get("type")})
    return items


def _install_errors(app: FastAPI, settings: Settings) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_items(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        fixes = {404: "see the API at /docs (or /openapi.json)",
                 405: "see which methods this address takes at /docs",
                 413: f"send at most {settings.max_body_bytes} bytes"}
        message = str(exc.detail)
        if exc.status_code == 413:
            message = f"the request body is over {settings.max_body_bytes} bytes"
        body = {"detail": [{"loc": [], "field": "", "msg": message,
                            "fix": fixes.get(exc.status_code, "")}]}
        return JSONResponse(body, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("%s %s failed", request.method, request.url.path)
        body = {"detail": [{"loc": [], "field": "", "msg": "internal error",
                            "fix": "see the service log; report it if it repeats"}]}
        return JSONResponse(body, status_code=500)


def create_app(settings: Settings, *, state: ServiceState | None = None) -> FastAPI:
    """The service's ASGI app.

    Parameters
    ----------
    settings
        How to run.
    state
        From ``open_service(settings)``; ``None``: opened when the app starts.

    Examples
    --------
    >>> import uvicorn  # doctest: +SKIP
    >>> app = create_app(Settings(db_path="s.db", scenario_path="city.toml"))  # doctest: +SKIP
    >>> uvicorn.run(app)  # doctest: +SKIP
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = state or open_service(settings)
        app.state.service = opened
        opened.runner.start()
        try:
            yield
        finally:
            opened.runner.stop()
            opened.db.close()
            opened.lock.close()

    app = FastAPI(
        title="sanitation-routes planning service",
        version=VERSION,
        summary="Site reports, day plans solved in worker processes, maps and route files.",
        description="Reads are open; every write needs `Authorization: Bearer <token>`. "
                    "Errors answer `{\"detail\": [{\"field\", \"msg\", \"fix\"}]}`.",
        lifespan=lifespan,
    )
    _install_errors(app, settings)
    # the limit on the routers (not the app) so that ContentLengthLimit, outside them,
    # answers an announced oversize body with the service's JSON error; a streamed body
    # is counted by FastAPI as it arrives
    for router in (sites.router, plans.router, console.router):
        app.include_router(router, max_body_size=settings.max_body_bytes)

    @app.get("/v1/health", tags=["service"], summary="Is it up; the queue")
    def health(request: Request) -> dict[str, Any]:
        opened: ServiceState = request.app.state.service
        with opened.db.connection() as conn:
            queued = conn.execute("SELECT count(*) FROM plans WHERE status = 'queued'"
                                  ).fetchone()[0]
        return {"status": "ok", "version": VERSION, "scenario": opened.scenario.name,
                "writes": settings.token is not None, "queued": queued,
                "running": opened.runner.running, "workers": settings.workers,
                "queue_size": settings.queue_size}

    app.mount("/static/leaflet", StaticFiles(directory=_leaflet_dir()), name="leaflet")
    app.mount("/static", StaticFiles(directory=console.STATIC_DIR), name="static")
    from service._middleware import ContentLengthLimit, PathGuard

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "PATCH"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key"])
    app.add_middleware(ContentLengthLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(PathGuard)
    return app


def _leaflet_dir() -> str:
    import xstatic.pkg.leaflet

    return xstatic.pkg.leaflet.BASE_DIR
