"""Exceptions raised by :mod:`geodata`.

Every exception subclasses :class:`GeodataError`, itself a :class:`ValueError`, so callers
can catch one type for all bad input.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["GeodataError", "NetworkSourceError", "SiteValidationError"]


class GeodataError(ValueError):
    """Base class for every error raised by :mod:`geodata`."""


class NetworkSourceError(GeodataError):
    """A street-network source is unknown, missing, unreadable or yields no streets."""


class SiteValidationError(GeodataError):
    """A site file failed validation.

    The message lists every problem found, one per line; ``problems`` keeps them as a list
    of strings so callers can show or count them.

    Parameters
    ----------
    source
        Name of the file (or frame) that was validated.
    problems
        One human-readable message per problem; each names the row or ``site_id``, the
        column, the value received and the fix.
    """

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems: list[str] = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        from i18n import gettext

        super().__init__(gettext("{source}: {n} problem(s) in site data:\n{problems}").format(
            source=source, n=len(self.problems), problems=lines))
