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

import importlib
from typing import Any

#: Where each public name lives. They are imported on first use (PEP 562), so a process
#: that needs one module, such as a plan worker or the engine processes it starts (which
#: re-import the worker's module), does not import FastAPI and the whole service.
_EXPORTS = {
    "CRS_NAMES": "service._coords",
    "canonical_crs": "service._coords",
    "convert_to_wgs84": "service._coords",
    "Database": "service._db",
    "ApiError": "service._errors",
    "ServiceConfigError": "service._errors",
    "PlanRunner": "service._runner",
    "DEFAULT_TILES": "service._settings",
    "TOKEN_ENV": "service._settings",
    "Settings": "service._settings",
    "is_loopback": "service._settings",
    "VERSION": "service.main",
    "create_app": "service.main",
    "open_service": "service.main",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'service' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
