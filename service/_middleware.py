r"""Two ASGI guards in front of the routes.

``PathGuard`` answers ``422`` for a path segment that decodes to ``.``, ``..`` or holds a
``/``, ``\\`` or a control character (``/v1/sites/..%2F..%2Fetc``), before any route sees
it; the routes check ids against their patterns too. ``ContentLengthLimit`` answers
``413`` with the limit and the fix when a request announces a body over the limit; a
streamed body over it is cut by FastAPI's own ``max_body_size``.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ContentLengthLimit", "PathGuard", "json_error"]

_BAD_SEGMENT = re.compile(r"[/\\\x00-\x1f\x7f]")


async def json_error(send: Send, status: int, message: str, fix: str, field: str) -> None:
    """Send a JSON error in the service's shape (``{"detail": [{...}]}``)."""
    body = json.dumps({"detail": [{"loc": field.split("."), "field": field, "msg": message,
                                   "fix": fix}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class PathGuard:
    r"""Refuse path segments that could walk a file tree (``..``, ``%2F``, ``\\``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode()
            for segment in raw.split(b"?", 1)[0].split(b"/")[1:]:
                text = unquote(segment.decode("latin-1"))
                if text in (".", "..") or _BAD_SEGMENT.search(text):
                    await json_error(send, 422, f"path segment {segment.decode('latin-1')!r} "
                                     "is not a valid id", "ids are letters, digits, '_', '-' "
                                     "and '.'; never '/', '\\', '.' or '..' alone",
                                     "path")
                    return
        await self.app(scope, receive, send)


class ContentLengthLimit:
    """Refuse a request whose ``Content-Length`` is over ``max_bytes`` (``413``)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length":
                    try:
                        size = int(value)
                    except ValueError:
                        size = -1
                    if size < 0 or size > self.max_bytes:
                        await json_error(
                            send, 413 if size > 0 else 400,
                            f"the request body is {value.decode('latin-1')} bytes; this "
                            f"service takes at most {self.max_bytes} bytes",
                            "send a smaller body: a report is a small JSON object (put a "
                            "photo on a server and send its photo_url)", "body")
                        return
        await self.app(scope, receive, send)
