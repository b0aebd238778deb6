"""The exceptions of the routing package.

User mistakes (a bad problem file, an impossible fleet) are ``ValueError`` subclasses
with a message that names the field and the fix; a plan that breaks a rule is a
``PlanViolation`` listing every broken rule.
"""


class RoutingError(ValueError):
    """Base class of the routing package's user-facing errors."""


class ProblemError(RoutingError):
    """A problem that is not valid: the message names the field, the value and the fix."""


class PlanViolation(RuntimeError):
    """A plan that breaks at least one rule of its problem.

    Attributes
    ----------
    violations
        One readable line per broken rule.
    """

    def __init__(self, violations: list[str]):
        self.violations = list(violations)
        super().__init__(
            f"plan breaks {len(violations)} rule(s):\n  - " + "\n  - ".join(violations)
        )
