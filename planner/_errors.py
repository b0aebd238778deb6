"""The exceptions of the planner package.

A scenario that cannot be planned is a ``ScenarioError`` (a ``ValueError``): its message
names the scenario file, the field, the value received and the fix, one line per problem.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ScenarioError"]


class ScenarioError(ValueError):
    """A scenario file (or override) that is not valid.

    Parameters
    ----------
    source
        The scenario file (or ``"<scenario>"`` for one built in code).
    problems
        One readable line per problem: field, value received, fix.

    Attributes
    ----------
    source, problems
        As given; ``problems`` is a list of strings.
    """

    def __init__(self, source: str, problems: Iterable[str] | str) -> None:
        self.source = str(source)
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        from i18n import gettext

        if len(self.problems) == 1:
            message = f"{self.source}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = gettext("{source}: {n} problems:\n{problems}").format(
                source=self.source, n=len(self.problems), problems=lines)
        super().__init__(message)

    def __reduce__(self):  # keep pickling (multiprocessing) working
        return (type(self), (self.source, self.problems))
