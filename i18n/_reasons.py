"""Why work was left out, in the reader's language, from the reason's code and details.

The routing layer gives each ``Unassigned`` a stable ``code`` (``routing.REASON_CODES``),
``details`` (the numbers its sentence uses) and an English ``reason``. People read
``reason_text``: in English the reason as the engine wrote it; in another language the
catalog's whole sentence when the reason is a fixed sentence, else the template of its
code filled with its details; the English reason when neither exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from i18n._core import DEFAULT_LANGUAGE, N_, current, gettext, normalize

__all__ = ["FIXED_REASONS", "REASON_TEMPLATES", "reason_text"]

#: Per code, the sentences by the details they need, most specific first.
REASON_TEMPLATES: dict[str, tuple[tuple[frozenset[str], str], ...]] = {
    "off_network": (
        (frozenset({"distance_m", "limit_m"}),
         N_("{distance_m} m from the nearest drivable street (limit {limit_m} m)")),
        (frozenset({"distance_m"}), N_("{distance_m} m from the nearest drivable street")),
        (frozenset(), N_("too far from any drivable street to snap to it")),
    ),
    "no_path": ((frozenset(), N_("no street path joins it to a depot and a facility")),),
    "closed": ((frozenset(), N_("closed today (closed_facilities)")),),
    "kind": ((frozenset(), N_("a site kind the planner does not know")),),
    "stream": (
        (frozenset({"stream"}),
         N_("no truck collects stream {stream!r}, or no facility a truck can reach accepts "
            "it")),
        (frozenset(), N_("no truck collects its stream, or no open facility accepts it")),
    ),
    "capacity": (
        (frozenset({"tonnes"}),
         N_("{tonnes} t is more than any truck that collects it may carry")),
        (frozenset(), N_("heavier than any truck it may go on")),
    ),
    "window": (
        (frozenset({"open", "close"}),
         N_("time window {open}-{close} cannot be met, even on a trip of its own")),
        (frozenset(), N_("its time window cannot be met, even on a trip of its own")),
    ),
    "shift": (
        (frozenset({"facilities", "shift_end"}),
         N_("no truck can unload it within its shift: the facilities are open {facilities}, "
            "shifts end by {shift_end}")),
        (frozenset(), N_("cannot be served and unloaded within any truck's shift, even alone")),
    ),
    "hours": (
        (frozenset({"open", "close"}),
         N_("not enough truck time in the shift to reach it within {open}-{close}")),
        (frozenset(), N_("not enough truck time in the shift")),
    ),
    "daily_total": (
        (frozenset(), N_("every truck that could take it has reached its daily tonnage limit")),
    ),
    "stops": (
        (frozenset(), N_("every truck that could take it has reached its daily stop limit")),
    ),
    "search": (
        (frozenset(), N_("no feasible plan found within the time limit: the search ran out, "
                         "not the fleet; give it more time")),
    ),
}

#: Reasons given without a code (or always worded alike), translated as whole sentences.
FIXED_REASONS = (
    N_("left out by the search"),
    N_("not in the plan"),
    N_("not on the street network (no snap)"),
    N_("no street path to the depot/landfill"),
    N_("every truck that could take it has reached its daily tonnage or stop limit"),
    N_("not enough truck time in the shift once the lunch break is taken"),
    N_("cannot be served and unloaded within any truck's shift, even alone"),
    N_("in no district (no district value, or outside every district polygon)"),
)


def reason_text(code: str | None, details: Mapping[str, Any] | None, reason: str | None, *,
                lang: str | None = None) -> str:
    """The reason a site was left out, as the reader of ``lang`` reads it.

    Parameters
    ----------
    code
        ``Unassigned.code`` (``""`` or ``None`` when the engine gave none).
    details
        ``Unassigned.details``: the values the sentence of the code uses.
    reason
        ``Unassigned.reason``, the English sentence.
    lang
        The language; default the current one (``i18n.use``).

    Examples
    --------
    >>> reason_text("window", {"open": "09:00", "close": "10:00"}, "...", lang="zh-CN")
    '时间窗 09:00-10:00 无法满足，即使单独出车也赶不上'
    """
    english = reason or ""
    tag = normalize(lang) if lang else None
    if (tag or current()) == DEFAULT_LANGUAGE:
        return english
    whole = gettext(english, lang=tag) if english else english
    if whole != english:
        return whole
    values = {str(k): str(v) for k, v in (details or {}).items()}
    for needs, template in REASON_TEMPLATES.get(code or "", ()):
        if needs <= values.keys():
            return gettext(template, lang=tag).format(**values)
    return english

