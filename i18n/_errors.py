"""The exceptions of the i18n package."""

from __future__ import annotations

__all__ = ["LanguageError"]


class LanguageError(ValueError):
    """A language that the project has no catalog for.

    The message names the value received and the languages there are; ``value`` keeps
    what was asked for.
    """

    def __init__(self, value: object, message: str) -> None:
        self.value = value
        super().__init__(message)

    def __reduce__(self):  # keep pickling (multiprocessing, Dask) working
        return (type(self), (self.value, str(self)))
