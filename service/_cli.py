"""``python -m service`` (and the ``sanitation-service`` command): start the service.

Exit codes: 0 stopped normally; 2 bad settings (the message names the option and the fix).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from service._errors import ServiceConfigError
from service._settings import DEFAULT_TILES, TOKEN_ENV, Settings

__all__ = ["DEFAULT_DB", "build_parser", "main"]

EXIT_OK, EXIT_BAD_INPUT = 0, 2
DEFAULT_DB = "sanitation-routes.db"


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m service``."""
    p = argparse.ArgumentParser(
        prog="python -m service",
        description="The planning service: site reports, day plans solved in worker "
        "processes, maps and route files over HTTP, and a console in the browser at /.",
        epilog=f"Writes need the token of the environment variable {TOKEN_ENV}; without it "
        "the service serves reads only, and only on a loopback address.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1; another address needs the token)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                   help=f"the SQLite database (default ./{DEFAULT_DB}; created if missing)")
    p.add_argument("--scenario", metavar="FILE.toml",
                   help="network, fleet, facilities and solver settings to plan with "
                   "(default: the bundled sample); its sites are imported at the first start")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="plans solved at the same time, one worker process each (default 1)")
    p.add_argument("--queue", type=int, default=8, metavar="N",
                   help="plans that may wait for a worker; more get 429 (default 8)")
    p.add_argument("--max-body", type=int, default=1_048_576, metavar="BYTES",
                   help="largest request body (default 1 MiB)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browser calls from this origin (repeat; default: CORS off)")
    p.add_argument("--public-url", metavar="URL",
                   help="the address phones reach the service at, for the drivers' QR codes "
                   "(default: the address of each request)")
    p.add_argument("--tiles", default=DEFAULT_TILES, metavar="URL",
                   help="console map tiles, a {z}/{x}/{y} URL template, or 'none' (offline)")
    p.add_argument("--worker-grace", type=float, default=600.0, metavar="S",
                   help="seconds a worker may take beyond the solver time limit (default 600)")
    p.add_argument("--worker-nice", type=int, default=10, metavar="N",
                   help="lower the workers' CPU priority by N (0..19, default 10) so a solve "
                   "does not slow the answers")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request and step")
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from parsed options and the environment (the token)."""
    if args.scenario:
        scenario = Path(args.scenario).expanduser()
    else:
        import planner  # only now: settings errors are told without the planner's imports

        scenario = planner.SAMPLE_SCENARIO
    return Settings(
        db_path=Path(args.db).expanduser(),
        scenario_path=scenario,
        token=Settings.token_from_env(), host=args.host, port=args.port,
        workers=args.workers, queue_size=args.queue, max_body_bytes=args.max_body,
        cors_origins=tuple(args.cors_origin), public_url=args.public_url,
        tiles=None if args.tiles.strip().lower() == "none" else args.tiles,
        worker_grace_s=args.worker_grace, worker_nice=args.worker_nice)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the service and serve until stopped (Ctrl-C, SIGTERM).

    Returns
    -------
    int
        0 after a normal stop, 2 for bad settings.
    """
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True,
                        format="%(levelname)s %(name)s: %(message)s")
    for name in ("service", "planner", "routing", "geodata", "maps"):
        logging.getLogger(name).setLevel(level if name != "service" else logging.INFO)
    from service.main import create_app, open_service

    try:
        settings = settings_from_args(args)
        state = open_service(settings)
    except ServiceConfigError as exc:
        print(f"service: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    import uvicorn

    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"Planning service for {state.scenario.name!r} on http://{shown}:{settings.port}/ "
          f"(console at /, API docs at /docs); database {settings.db_path}; "
          f"{'writes need the token' if settings.token else 'reads only (no ' + TOKEN_ENV + ')'}",
          file=sys.stderr)
    uvicorn.run(create_app(settings, state=state), host=settings.host, port=settings.port,
                log_level="info" if args.verbose else "warning",
                access_log=args.verbose, timeout_graceful_shutdown=5)
    return EXIT_OK
