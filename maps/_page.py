"""What both pages hand to the browser: lines with lanes, markers, panels, the legend.

The overview and the driver page are folium maps whose content is one data object read
by ``assets/sn.js`` (``PageScript``): thousands of stops and vertices would be megabytes
as one folium element each. This module builds that object from a ``PlanContext``;
everything is in the tiles' coordinates (``TileSource.display``).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import numpy as np

from i18n import gettext
from maps._context import PlanContext
from maps._layout import ROUTE_TOLERANCE_DEG, encode_chain, lane_runs, simplify
from maps._offline import PageScript, add_cluster, layer_control, sub_group
from maps._style import BASE_NETWORK_COLOUR

__all__ = ["Line", "Marker", "Page", "js_texts", "legend_html"]

logger = logging.getLogger(__name__)

_e = html.escape


def js_texts() -> dict[str, str]:
    """The texts ``sn.js`` shows, whole sentences with ``{placeholders}``.

    In the current language (``i18n.use``).
    """
    return {
        "cluster": gettext("{n} stops close together: {list}. Tap to zoom in."),
        "locate": gettext("Show my location"),
        "here": gettext("You are here (within {m} m)"),
        "nolocation": gettext("Location unavailable: {why}"),
    }


@dataclass(frozen=True, slots=True)
class Line:
    """A drive to draw: ``coords`` ``(lon, lat)`` WGS-84 rows, in one layer ``group``.

    Lines of one ``owner`` (a truck) share a lane; different owners on the same street
    are drawn side by side.
    """

    group: str
    owner: Hashable
    coords: np.ndarray
    dashed: bool = False
    tip: str = ""


@dataclass(frozen=True, slots=True)
class Marker:
    """A badge on the map: ``kind`` is ``stop``, ``site``, ``miss`` or ``later``."""

    group: str
    lonlat: tuple[float, float]
    kind: str
    label: str
    colour: str
    tooltip: str = ""
    popup: str = ""
    cluster_label: str = ""


@dataclass
class Page:
    """A map under construction: its layers, lines, markers and panels."""

    m: folium.Map
    ctx: PlanContext
    streets_name: str
    groups: dict[str, Any] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    panels: list[dict[str, Any]] = field(default_factory=list)
    styles: dict[str, dict[str, Any]] = field(default_factory=dict)
    zoom_to: dict[str, list[list[float]]] = field(default_factory=dict)
    #: Degrees the route lines may stray from the streets (Douglas-Peucker).
    tolerance_deg: float = ROUTE_TOLERANCE_DEG

    def __post_init__(self) -> None:
        self.streets = folium.FeatureGroup(name=self.streets_name, show=True)
        self.streets.add_to(self.m)
        self.cluster = add_cluster(self.m)

    def group(self, key: str, name: str, *, show: bool = True, control: bool = True,
              colour: str = "#333", weight: int = 4, dash_colour: str | None = None) -> None:
        """A layer for lines and markers, listed in the layer control as ``name`` (HTML)."""
        self.groups[key] = sub_group(self.m, self.cluster, name, show=show, control=control)
        self.styles[key] = {"colour": colour, "weight": weight, "dash": "9 7",
                            "dashColour": dash_colour}

    def panel(self, element_id: str, body: str, *, position: str, open_desktop: bool = True,
              open_phone: bool = False) -> None:
        """A panel on the map (a ``<details>`` folded on a phone unless ``open_phone``)."""
        self.panels.append({"id": element_id, "html": body, "position": position,
                            "openDesktop": open_desktop, "openPhone": open_phone})

    def finish(self, *, streets: Sequence[np.ndarray], arrow_spacing: int,
               fit: list[list[float]], locate: bool = False, max_arrows: int = 600,
               max_band_px: int = 24, collapsed: bool | None = None) -> None:
        """Add the data object and the layer control (``collapsed``: see ``layer_control``)."""
        data = {
            "streets": encode_chain(streets),
            "streetStyle": {"color": BASE_NETWORK_COLOUR, "weight": 2, "opacity": 0.45},
            "routes": self._routes(),
            "markers": self._markers(),
            "panels": self.panels,
            "zoomTo": self.zoom_to,
            "fit": fit,
            "arrowSpacing": arrow_spacing,
            "maxArrows": max_arrows,
            "maxBand": max_band_px,
            "locate": locate,
            "gcj": self.ctx.tiles.shifted,
            "text": js_texts(),
        }
        self.m.add_child(PageScript(data, streets=self.streets, cluster=self.cluster,
                                    groups=self.groups))
        layer_control(self.m, collapsed=collapsed)

    def _display(self, coords: np.ndarray) -> np.ndarray:
        if not self.ctx.tiles.shifted:
            return coords
        x, y = self.ctx.tiles.display(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _routes(self) -> list[dict[str, Any]]:
        lines = [(ln.owner, self._display(np.asarray(ln.coords, dtype=float)))
                 for ln in self.lines]
        specs: dict[str, dict[str, Any]] = {}
        tips: dict[tuple[str, str], int] = {}
        for run in lane_runs(lines):
            ln = self.lines[run.index]
            spec = specs.get(ln.group)
            if spec is None:
                style = self.styles[ln.group]
                spec = specs[ln.group] = {"g": ln.group, "colour": style["colour"],
                                          "weight": style["weight"], "dash": style["dash"],
                                          "dashColour": style["dashColour"], "runs": [],
                                          "tips": []}
            tip = -1
            if ln.tip:
                tip = tips.get((ln.group, ln.tip), -1)
                if tip < 0:
                    tip = tips[(ln.group, ln.tip)] = len(spec["tips"])
                    spec["tips"].append(ln.tip)
            spec["runs"].append([simplify(run.coords, self.tolerance_deg), run.lane,
                                 int(ln.dashed), tip, run.lanes])
        for spec in specs.values():
            for run, enc in zip(spec["runs"], encode_chain([r[0] for r in spec["runs"]]),
                                strict=True):
                run[0] = enc
        return list(specs.values())

    def _markers(self) -> list[list[Any]]:
        if not self.markers:
            return []
        xy = self._display(np.array([mk.lonlat for mk in self.markers], dtype=float))
        return [[round(float(y), 5), round(float(x), 5), mk.group, mk.kind, mk.label, mk.colour,
                 mk.tooltip, mk.popup, mk.cluster_label]
                for mk, (x, y) in zip(self.markers, xy, strict=True)]


def _line_key(colour: str, *, dashed: bool = False, weight: int = 4) -> str:
    dash = ' stroke-dasharray="7 5"' if dashed else ""
    return (f'<svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" stroke="{colour}" '
            f'stroke-width="{weight}"{dash}/></svg>')


def legend_html(items: Sequence[tuple[str, str]], *, note: str = "",
                title: str | None = None) -> str:
    """A legend: ``(key_html, text)`` rows and a ``note`` under a folding title."""
    title = gettext("Legend") if title is None else title
    rows = "".join(f'<li><span class="sn-key">{key}</span><span>{_e(label)}</span></li>'
                   for key, label in items)
    extra = f'<p class="sn-legend-note">{_e(note)}</p>' if note else ""
    return (f'<details><summary>{_e(title)}</summary><ul class="sn-legend">{rows}</ul>'
            f"{extra}</details>")


def line_key(colour: str, *, dashed: bool = False) -> str:
    """The legend's sample of a route line."""
    return _line_key(colour, dashed=dashed)


def arrow_key(colour: str) -> str:
    """The legend's sample of a direction arrow."""
    return (f'<svg width="14" height="14" viewBox="0 0 14 14"><path d="M2 2 L12 7 L2 12 L5 7 Z" '
            f'fill="{colour}" stroke="#fff" stroke-width="1"/></svg>')


def badge_key(css_class: str, label: str, colour: str = "") -> str:
    """The legend's sample of a badge (``sn-num``, ``sn-site``, ``sn-miss``, ...)."""
    style = f' style="background:{colour}"' if colour else ""
    return f'<div class="{css_class}"{style}>{_e(label)}</div>'
