"""Colours, icons and number formats shared by every map and export (CSS: assets/sn.css)."""

from __future__ import annotations

import html
import math

import i18n
from i18n import N_

__all__ = [
    "BASE_NETWORK_COLOUR",
    "FACILITY_COLOUR",
    "KIND_LABELS",
    "PALETTE",
    "SITE_ICONS",
    "UNASSIGNED_FILL",
    "UNASSIGNED_OUTLINE",
    "fmt_distance",
    "fmt_tonnes",
    "hhmm",
    "site_icon_html",
    "stop_icon_html",
    "truck_colours",
]

#: One colour per truck, in fleet order (colour-blind friendly first, then extras).
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#bcbd22", "#393b79", "#637939", "#843c39",
)  # fmt: skip
UNASSIGNED_FILL = "#9e9e9e"
UNASSIGNED_OUTLINE = "#d50000"
BASE_NETWORK_COLOUR = "#8a8a8a"
FACILITY_COLOUR = "#6d4c41"
DEPOT_COLOUR = "#263238"

#: Letter and colour of the site icons (depot, landfill, transfer station).
SITE_ICONS: dict[str, tuple[str, str]] = {
    "depot": ("D", DEPOT_COLOUR),
    "landfill": ("L", FACILITY_COLOUR),
    "transfer": ("T", "#5d4037"),
}

#: What each site kind is called (``N_``: translated where shown, ``i18n.gettext``).
KIND_LABELS: dict[str, str] = {
    "dead_spot": N_("dead spot"),
    "bin": N_("bin"),
    "landfill": N_("landfill"),
    "transfer": N_("transfer station"),
    "depot": N_("depot"),
}


def truck_colours(vehicle_ids: list[str] | tuple[str, ...]) -> dict[str, str]:
    """A stable colour per truck id, in the order given (the fleet order)."""
    return {vid: PALETTE[i % len(PALETTE)] for i, vid in enumerate(vehicle_ids)}


def hhmm(seconds: float | None) -> str:
    """Seconds from midnight as ``HH:MM`` (``"+1d"`` appended past midnight; ``""`` if None)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    total_min = round(seconds / 60.0)
    days, minutes = divmod(total_min, 24 * 60)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text if days == 0 else f"{text}+{days}d"


def fmt_distance(metres: float) -> str:
    """A driving distance as a driver reads it: ``"350 m"``, ``"1.2 km"`` (``"350米"``).

    In the current language (``i18n.format_distance``).
    """
    return i18n.format_distance(metres)


def fmt_tonnes(tonnes: float) -> str:
    """Tonnes with one decimal: ``"4.5 t"`` (``"4.5 吨"``), in the current language."""
    return i18n.format_tonnes(tonnes)


def site_icon_html(kind: str, label: str = "") -> str:
    """Inline-SVG badge for a depot / landfill / transfer station (no icon fonts, no CDN)."""
    letter, colour = SITE_ICONS.get(kind, ("?", FACILITY_COLOUR))
    text = html.escape(label or letter)
    return (
        f'<div class="sn-site" style="background:{colour}" '
        f'title="{html.escape(i18n.gettext(KIND_LABELS.get(kind, kind)))}">{text}</div>'
    )


def stop_icon_html(label: str, colour: str) -> str:
    """A numbered round badge for the driver map."""
    return f'<div class="sn-num" style="background:{colour}">{html.escape(label)}</div>'
