"""The exceptions of the service package.

``ServiceConfigError`` is a bad start-up setting (a ``ValueError``: the command prints it
and exits with code 2). ``ApiError`` is a request the service refuses; the app turns it
into an HTTP answer with the status, a message naming the field and the fix.
"""

from __future__ import annotations

__all__ = ["ApiError", "ServiceConfigError"]


class ServiceConfigError(ValueError):
    """A start-up setting that is not valid (names the option, the value and the fix)."""


class ApiError(Exception):
    """A request refused with an HTTP status.

    Parameters
    ----------
    status
        The HTTP status code (4xx).
    message
        What is wrong, naming the field or the resource.
    fix
        What the client should do instead.
    field
        The request field concerned, if one (``"body.lon"``, ``"path.site_id"``...).
    headers
        Extra response headers (``Retry-After``, ``WWW-Authenticate``).
    """

    def __init__(self, status: int, message: str, *, fix: str = "", field: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fix = fix
        self.field = field
        self.headers = dict(headers or {})

    def body(self) -> dict:
        """The JSON answer: ``{"detail": [{"loc", "field", "msg", "fix"}]}``."""
        item = {"loc": self.field.split(".") if self.field else [], "field": self.field,
                "msg": self.message, "fix": self.fix}
        return {"detail": [item]}
