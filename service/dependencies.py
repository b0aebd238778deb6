"""Dependencies of the routes: the service's state, a database connection, the token.

Writes depend on ``require_token``: ``Authorization: Bearer <token>`` compared in
constant time; no header is ``401``, a wrong token ``403``. Reads need no token.
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service._db import Database
from service._errors import ApiError
from service._runner import PlanRunner
from service._settings import TOKEN_ENV, Settings

__all__ = ["DB", "ServiceState", "State", "Writer", "get_conn", "get_state", "require_token"]


@dataclass
class ServiceState:
    """What the routes share: settings, the database, the plan runner, the scenario.

    ``places`` are the scenario's depots and facilities (``site_id, kind, name, lon,
    lat``) for the console's map; ``lock`` is the open lock file of the database.
    """

    settings: Settings
    db: Database
    runner: PlanRunner
    scenario: Any  # planner.Scenario
    places: list[dict[str, Any]] = field(default_factory=list)
    lock: Any = None


def get_state(request: Request) -> ServiceState:
    """The service's shared state (set up by the app's lifespan)."""
    return request.app.state.service


State = Annotated[ServiceState, Depends(get_state)]


def get_conn(state: State) -> Iterator[sqlite3.Connection]:
    """A database connection for the request, returned to the pool afterwards."""
    with state.db.connection() as conn:
        yield conn


DB = Annotated[sqlite3.Connection, Depends(get_conn)]

_bearer = HTTPBearer(auto_error=False, description="the token of SANITATION_ROUTES_TOKEN")


def require_token(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse a write without the right token (``401`` none, ``403`` wrong)."""
    token = state.settings.token
    if token is None:
        raise ApiError(403, f"this service was started without {TOKEN_ENV}, so it serves "
                       "reads only", fix=f"restart it with {TOKEN_ENV} set to accept writes",
                       field="header.Authorization")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "this request changes data and needs the API token",
                       fix="send the header 'Authorization: Bearer <token>'",
                       field="header.Authorization",
                       headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise ApiError(403, "the token is not this service's token",
                       fix=f"use the token the service was started with ({TOKEN_ENV})",
                       field="header.Authorization")


Writer = Depends(require_token)
