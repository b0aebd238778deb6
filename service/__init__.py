"""The planning service: one shared dispatch office over HTTP, with a console in the browser.

Field inspectors report dumps (``POST /v1/sites``), dispatchers plan the day
(``POST /v1/plans``, solved in a worker process by the same ``planner.plan_day`` as
``run_plan.py``), drivers open their route page or scan its QR code, and the database
keeps what was reported, planned and cleared. Start it with ``python -m service``; the
API is documented at ``/docs`` and in ``docs/service.md``.

Typical use in code::

    import uvicorn
    from service import Settings, create_app
    settings = Settings(db_path="office.db", scenario_path="city.toml", token="...")
    uvicorn.run(create_app(settings), host="127.0.0.1", port=8000)
"""

from service._cli import main
from service._coords import CRS_NAMES, canonical_crs, convert_to_wgs84
from service._db import Database
from service._errors import ApiError, ServiceConfigError
from service._runner import PlanRunner
from service._settings import DEFAULT_TILES, TOKEN_ENV, Settings, is_loopback
from service.main import VERSION, create_app, open_service

__all__ = [
    "CRS_NAMES",
    "DEFAULT_TILES",
    "TOKEN_ENV",
    "VERSION",
    "ApiError",
    "Database",
    "PlanRunner",
    "ServiceConfigError",
    "Settings",
    "canonical_crs",
    "convert_to_wgs84",
    "create_app",
    "is_loopback",
    "main",
    "open_service",
]
