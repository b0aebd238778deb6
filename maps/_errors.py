"""The exceptions of the maps package.

Bad inputs (a plan that names a truck the problem does not know, a site missing from the
snapped table) are ``MapsError`` (a ``ValueError``) with a message naming the id and the
fix; a rendered page that would still need the network is an ``OfflineError``.
"""


class MapsError(ValueError):
    """Inputs that cannot be rendered: the message names the id, the value and the fix."""


class OfflineError(RuntimeError):
    """A rendered page still references a CDN script or stylesheet (a bug, not user input)."""
