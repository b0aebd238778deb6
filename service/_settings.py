"""How the service runs: where its database is, what it plans with, its limits.

``Settings`` is a frozen, validated dataclass built by the command line
(``python -m service``) or in code (``service.create_app(Settings(...))``).
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from pathlib import Path

from service._errors import ServiceConfigError

__all__ = ["DEFAULT_TILES", "TOKEN_ENV", "Settings", "is_loopback"]

#: The environment variable holding the API token.
TOKEN_ENV = "SANITATION_ROUTES_TOKEN"
#: OpenStreetMap's standard tiles, the console's default background (online only).
DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Settings:
    """Settings of one service process.

    Parameters
    ----------
    db_path
        The SQLite file holding reports, plans and their outputs (created if missing).
    scenario_path
        The scenario (TOML) that gives the street network, fleet, depots, facilities and
        solver settings; its work sites are imported into the database at the first start.
    token
        The API token every write must carry (``Authorization: Bearer <token>``);
        ``None``: reads only, and only on a loopback address.
    host, port
        Where to listen.
    workers
        How many plans solve at the same time (each in its own worker process).
    queue_size
        How many plans may wait for a worker; more get ``429`` with ``Retry-After``.
    max_body_bytes
        Largest request body accepted (bytes); larger ones get ``413``.
    cors_origins
        Origins allowed to call the API from a browser; empty: CORS off.
    public_url
        The address phones reach the service at (``http://10.0.0.5:8000``), used in the
        drivers' QR codes; ``None``: the address of each request.
    tiles
        URL template of the console's background tiles; ``None``: no tiles (offline).
    worker_grace_s
        Seconds a worker may take beyond the solver time limit (network load, snapping,
        matrix, writing the maps) before it is stopped and its plan marked failed.
    worker_nice
        How much lower the workers' CPU priority is (Unix ``nice``, 0..19), so that a
        solve does not slow the answers of the web process.
    """

    db_path: Path
    scenario_path: Path
    token: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    queue_size: int = 8
    max_body_bytes: int = 1_048_576
    cors_origins: tuple[str, ...] = ()
    public_url: str | None = None
    tiles: str | None = DEFAULT_TILES
    worker_grace_s: float = 600.0
    worker_nice: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "db_path", Path(self.db_path))
        object.__setattr__(self, "scenario_path", Path(self.scenario_path))
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))
        problems: list[str] = []
        if self.token is not None and len(self.token.strip()) < 16:
            problems.append(f"{TOKEN_ENV}: the token is {len(self.token.strip())} characters; "
                            "use at least 16 random characters (e.g. python -c \"import "
                            "secrets; print(secrets.token_urlsafe(24))\")")
        if self.token is None and not is_loopback(self.host):
            problems.append(f"--host {self.host}: without {TOKEN_ENV} the service serves reads "
                            "only and only on loopback; set the token, or use --host 127.0.0.1")
        if not 0 <= self.port <= 65535:
            problems.append(f"--port: got {self.port}; give 0..65535")
        for name, low in (("workers", 1), ("queue_size", 0), ("max_body_bytes", 1024)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                problems.append(f"{name}: got {value!r}; give a whole number >= {low}")
        if not isinstance(self.worker_nice, int) or not 0 <= self.worker_nice <= 19:
            problems.append(f"--worker-nice: got {self.worker_nice!r}; give 0..19")
        if not (isinstance(self.worker_grace_s, int | float)
                and math.isfinite(self.worker_grace_s) and self.worker_grace_s > 0):
            problems.append(f"worker_grace_s: got {self.worker_grace_s!r}; give seconds > 0")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                problems.append(f"--cors-origin: got {origin!r}; give an origin such as "
                                "https://dispatch.example.org")
        if self.public_url is not None and not self.public_url.startswith(("http://",
                                                                            "https://")):
            problems.append(f"--public-url: got {self.public_url!r}; give the address phones "
                            "use, e.g. http://10.0.0.5:8000")
        if self.tiles is not None and not (self.tiles.startswith(("http://", "https://", "/"))
                                           and "{z}" in self.tiles):
            problems.append(f"--tiles: got {self.tiles!r}; give a URL template with {{z}}, "
                            "{x}, {y}, or 'none'")
        if not self.scenario_path.is_file():
            problems.append(f"--scenario: {self.scenario_path} does not exist; check the path")
        if self.db_path.exists() and self.db_path.is_dir():
            problems.append(f"--db: {self.db_path} is a folder; give a file path, e.g. "
                            "service.db")
        if problems:
            raise ServiceConfigError("; ".join(problems))

    @classmethod
    def token_from_env(cls) -> str | None:
        """The token of ``SANITATION_ROUTES_TOKEN``, ``None`` when unset or blank."""
        value = os.environ.get(TOKEN_ENV, "").strip()
        return value or None
