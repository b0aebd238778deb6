"""The service's embedded database: SQLite through the standard library, in WAL mode.

One file holds the site reports, the plans (request, the sites they were made from,
status, progress, results) and every file a plan wrote. WAL mode lets the web process
read while a worker writes; every write is one ``BEGIN IMMEDIATE`` transaction, and
``synchronous=FULL`` makes a committed report survive a crash of the machine, not just of
the process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import sqlite3
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SCHEMA_VERSION", "Database", "now_iso"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sites (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id      TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    lon          REAL NOT NULL,       -- WGS-84 (EPSG:4326), degrees
    lat          REAL NOT NULL,
    input_lon    REAL,                -- as reported, when another CRS was used
    input_lat    REAL,
    input_crs    TEXT NOT NULL DEFAULT 'WGS-84',
    tonnes       REAL NOT NULL,
    stream       TEXT NOT NULL DEFAULT 'mixed',
    priority     INTEGER NOT NULL DEFAULT 3,
    service_min  REAL,
    open         TEXT,
    close        TEXT,
    name         TEXT,
    note         TEXT,
    photo_url    TEXT,
    status       TEXT NOT NULL DEFAULT 'open',
    source       TEXT NOT NULL,       -- 'report' or 'scenario'
    reported_at  TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    cleared_at   TEXT,
    cleared_by   TEXT                 -- plan id, when cleared from a plan
);
CREATE INDEX IF NOT EXISTS sites_status ON sites (status, kind);
CREATE TABLE IF NOT EXISTS plans (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,       -- queued, running, done, failed
    request      TEXT NOT NULL,       -- JSON: date, engine, time_limit_s, trucks
    inputs       TEXT NOT NULL,       -- JSON: the open sites when it was asked for
    attempt      INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    queued_at    TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    worker_pid   INTEGER,
    stage        TEXT,
    best_cost    REAL,
    elapsed_s    REAL,
    progress_at  TEXT,
    reason       TEXT,
    result       TEXT                 -- JSON when done: totals, trucks, unassigned, served
);
CREATE INDEX IF NOT EXISTS plans_status ON plans (status, seq);
CREATE TABLE IF NOT EXISTS plan_files (
    plan_id      TEXT NOT NULL REFERENCES plans (id),
    name         TEXT NOT NULL,
    content      BLOB NOT NULL,
    PRIMARY KEY (plan_id, name)
);
CREATE TABLE IF NOT EXISTS plan_clears (
    plan_id      TEXT NOT NULL REFERENCES plans (id),
    site_id      TEXT NOT NULL,
    cleared_t    REAL NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (plan_id, site_id)
);
CREATE TABLE IF NOT EXISTS idempotency (
    key          TEXT NOT NULL,
    scope        TEXT NOT NULL,       -- method and route
    body_hash    TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS meta (
    key          TEXT PRIMARY KEY,
    value        TEXT NOT NULL
);
"""


def now_iso() -> str:
    """The current UTC time as ISO 8601 with a ``Z``, to the millisecond."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Database:
    """The SQLite file and a small pool of connections to it.

    Parameters
    ----------
    path
        The database file; created (with its schema) if missing.
    pool_size
        Connections kept open for reuse (each request borrows one).
    create
        Create the schema if it is missing (the service does; its workers need not).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = Database(pathlib.Path(tempfile.mkdtemp()) / "s.db")
    >>> with db.connection() as conn, db.transaction(conn):
    ...     _ = conn.execute("INSERT INTO meta VALUES ('k', 'v')")
    >>> with db.connection() as conn:
    ...     conn.execute("SELECT value FROM meta").fetchone()[0]
    'v'
    """

    def __init__(self, path: str | Path, *, pool_size: int = 8, create: bool = True) -> None:
        self.path = Path(path)
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue(maxsize=pool_size)
        self._closed = False
        if not create:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.connect()
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"{self.path}: schema version {version} is newer than this service "
                    f"({SCHEMA_VERSION}); upgrade sanitation-routes")
            try:  # one transaction: the schema is created whole or not at all
                conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}"
                                   f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            except sqlite3.Error:
                if conn.in_transaction:
                    conn.rollback()
                raise
        finally:
            conn.close()

    def connect(self) -> sqlite3.Connection:
        """A new connection: autocommit (explicit transactions), WAL, full sync, rows by name."""
        conn = sqlite3.connect(self.path, timeout=15.0, isolation_level=None,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=15000")
        return conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """Borrow a pooled connection for the duration of a ``with`` block."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self.connect()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.rollback()
            self._give_back(conn)

    def _give_back(self, conn: sqlite3.Connection) -> None:
        if self._closed:
            conn.close()
            return
        try:
            self._pool.put_nowait(conn)
        except queue.Full:
            conn.close()

    @staticmethod
    @contextlib.contextmanager
    def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed whole or rolled back."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def close(self) -> None:
        """Close the pooled connections (one still borrowed closes when it is returned)."""
        self._closed = True
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return
