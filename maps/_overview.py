"""The dispatcher's overview page: every truck's day on one map, with a summary panel."""

from __future__ import annotations

import html
import logging
from typing import Any

import folium
from branca.element import Element

from maps._context import PlanContext, build_context, number, text
from maps._offline import (
    DirectionArrows,
    PlainPopup,
    base_network_layer,
    new_map,
    screen_coords,
)
from maps._style import (
    KIND_LABELS,
    UNASSIGNED_FILL,
    UNASSIGNED_OUTLINE,
    fmt_tonnes,
    hhmm,
    site_icon_html,
    tonnes_radius_px,
)

__all__ = ["overview_map", "render_overview"]

logger = logging.getLogger(__name__)

_e = html.escape


def truck_layer_name(vehicle_id: str, colour: str) -> str:
    """The layer-control label of a truck (a colour swatch and ``Truck <id>``)."""
    return f'<span class="sn-sw" style="background:{colour}"></span>Truck {_e(vehicle_id)}'


def _site_popup(ctx: PlanContext, site_id: str, visits: list, progress: Any) -> str:
    row = ctx.site(site_id)
    name = text(row.get("name"))
    lines = [f"<b>{_e(site_id)}</b>" + (f" {_e(name)}" if name and name != site_id else "")]
    kind = KIND_LABELS.get(text(row.get("kind")), text(row.get("kind")))
    prio = text(row.get("priority"))
    lines.append(f"{_e(kind)}, {fmt_tonnes(number(row.get('tonnes')))}"
                 + (f", priority {_e(prio)}" if prio else ""))
    for info in visits:
        v = info.visit
        lines.append(
            f"Truck {_e(info.vehicle_id)} stop {info.label}, ETA {hhmm(v.arrival_s)}"
            f" ({fmt_tonnes(v.load_t)})"
        )
    if progress is not None:
        left = progress.left_t
        lines.append(
            f"Cleared {progress.cleared_t:.1f} of {progress.tonnes:.1f} t in "
            f"{progress.trips} trip{'s' if progress.trips != 1 else ''}"
            + (f", {left:.1f} t left" if left > 0 else "")
        )
    return "<br>".join(lines)


def _summary_panel(ctx: PlanContext) -> str:
    plan = ctx.plan
    rows = []
    for r in plan.routes:
        n_stops = len(r.stops)
        rows.append(
            f"<tr><td><span class=sn-sw style=background:{ctx.colours[r.vehicle_id]}></span>"
            f"{_e(r.vehicle_id)}</td><td>{n_stops}</td><td>{r.distance_km:.1f}</td>"
            f"<td>{r.duration_h:.1f}</td><td>{r.tonnes:.1f}</td><td>{r.unload_trips}</td></tr>"
        )
    tot = plan.totals()
    n_stops = sum(len(r.stops) for r in plan.routes)
    rows.append(
        f"<tr style='border-top:1px solid #999;font-weight:bold'><td>Total</td><td>{n_stops}"
        f"</td><td>{tot['distance_km']:.1f}</td><td>{tot['duration_h']:.1f}</td>"
        f"<td>{tot['tonnes']:.1f}</td><td>{tot['unload_trips']}</td></tr>"
    )
    unassigned = ctx.unassigned
    left_t = sum(number(u.load_t) for u in unassigned)
    dated = "" if ctx.date in ctx.title else f" · {_e(ctx.date)}"
    return (
        '<div id="sn-summary" class="sn-panel" style="position:fixed;left:10px;bottom:58px;'
        'z-index:1000;max-height:55vh;overflow:auto;max-width:calc(100vw - 40px)">'
        f"<details open><summary><b>{_e(ctx.title)}</b>{dated}</summary>"
        "<table><tr><th>Truck</th><th>Stops</th><th>km</th><th>h</th><th>t</th>"
        f"<th>Unloads</th></tr>{''.join(rows)}</table>"
        f"<div>Unassigned: <b>{len(unassigned)}</b>"
        + (f" ({left_t:.1f} t)" if unassigned else "")
        + f" · engine {_e(str(getattr(plan, 'engine', '')))}</div></details></div>"
    )


def render_overview(ctx: PlanContext) -> folium.Map:
    """Build the overview map from a resolved plan context."""
    m = new_map(ctx.bounds(), title=f"{ctx.title} {ctx.date}")
    base_network_layer(ctx.G).add_to(m)
    served = ctx.served()
    progress = ctx.progress()
    arrows = []
    groups: dict[str, folium.FeatureGroup] = {}
    for route in ctx.plan.routes:
        vid, colour = route.vehicle_id, ctx.colours[route.vehicle_id]
        group = folium.FeatureGroup(name=truck_layer_name(vid, colour), show=True)
        groups[vid] = group
        trips: dict[int, list] = {}
        for seg in ctx.segments[vid]:
            trips.setdefault(seg.trip, []).extend(seg.coords)
        for trip, coords in trips.items():
            km = sum(s.length_m for s in ctx.segments[vid] if s.trip == trip) / 1000.0
            line = folium.PolyLine(screen_coords(coords), color=colour, weight=4, opacity=0.85,
                                   tooltip=f"Truck {vid}, trip {trip}: {km:.1f} km")
            line.add_to(group)
            arrows.append((line, group, colour))
        group.add_to(m)
    unassigned_group = folium.FeatureGroup(name=f"Unassigned ({len(ctx.unassigned)})", show=True)
    facilities = folium.FeatureGroup(name="Depots and unloading", show=True)
    # served work, in the layer of the first truck that loads there
    for site_id, infos in served.items():
        vid = infos[0].vehicle_id
        row = ctx.site(site_id)
        popup = _site_popup(ctx, site_id, infos, progress.get(site_id))
        marker = folium.CircleMarker(
            (row.geometry.y, row.geometry.x), radius=tonnes_radius_px(number(row.get("tonnes"))),
            color="#ffffff", weight=1.5, fill=True, fill_color=ctx.colours[vid], fill_opacity=0.9,
            tooltip=f"{site_id}: {fmt_tonnes(number(row.get('tonnes')))}",
        )
        marker.add_child(PlainPopup(popup))
        marker.add_to(groups[vid])
    by_site: dict[str, list] = {}
    for u in ctx.unassigned:
        by_site.setdefault(u.site_id, []).append(u)
    for site_id, items in by_site.items():
        if site_id not in ctx.sites.index:
            logger.warning("unassigned site %s is not in the snapped sites; not drawn", site_id)
            continue
        row = ctx.site(site_id)
        reasons = sorted({text(u.reason) for u in items})
        tonnes = sum(number(u.load_t) for u in items)
        name = text(row.get("name"))
        popup = (
            f"<b>{_e(site_id)}</b>" + (f" {_e(name)}" if name and name != site_id else "")
            + f"<br><b>Unassigned</b>: {fmt_tonnes(tonnes)} not collected"
            + "".join(f"<br>{_e(r)}" for r in reasons)
        )
        if site_id in served:  # partly served: the leftover pieces
            popup += "<br>(partly served, see the truck's marker)"
        marker = folium.CircleMarker(
            (row.geometry.y, row.geometry.x),
            radius=tonnes_radius_px(number(row.get("tonnes"))), color=UNASSIGNED_OUTLINE,
            weight=2.5, dash_array="4 3" if site_id in served else None, fill=True,
            fill_color=UNASSIGNED_FILL, fill_opacity=0.75,
            tooltip=f"{site_id}: unassigned",
        )
        marker.add_child(PlainPopup(popup))
        marker.add_to(unassigned_group)
    _add_fixed_sites(ctx, facilities)
    unassigned_group.add_to(m)
    facilities.add_to(m)
    m.add_child(DirectionArrows(arrows, spacing_px=110))
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(Element(_summary_panel(ctx)), name="sn_summary")
    return m


def _add_fixed_sites(ctx: PlanContext, group: folium.FeatureGroup) -> None:
    """Depots, landfills and transfer stations, with who unloads when."""
    unloads: dict[str, list[str]] = {}
    for vid, infos in ctx.visits.items():
        for info in infos:
            if info.visit.kind == "facility":
                unloads.setdefault(info.site_id, []).append(
                    f"Truck {_e(vid)} {hhmm(info.visit.arrival_s)} ({-info.visit.load_t:.1f} t)"
                )
    for site_id, row in ctx.sites.iterrows():
        kind = text(row.get("kind"))
        if kind not in ("depot", "landfill", "transfer"):
            continue
        name = text(row.get("name"))
        popup = f"<b>{_e(str(site_id))}</b> {_e(name)}<br>{_e(KIND_LABELS.get(kind, kind))}"
        if unloads.get(site_id):
            popup += "<br>Unloads: " + "<br>".join(unloads[site_id])
        marker = folium.Marker(
            (row.geometry.y, row.geometry.x), tooltip=f"{site_id} {name}".strip(),
            icon=folium.DivIcon(html=site_icon_html(kind), icon_size=(28, 28),
                                icon_anchor=(14, 14), class_name="sn-icon"),
        )
        marker.add_child(PlainPopup(popup))
        marker.add_to(group)


def overview_map(plan: Any, *, problem: Any, G: Any, snapped: Any, matrix: Any,
                 date: Any = None, title: str | None = None) -> folium.Map:
    """The dispatcher's map of a plan: one layer per truck, sites, unassigned work.

    Parameters
    ----------
    plan
        A ``routing.Plan``.
    problem
        The ``routing.Problem`` it solves (``location_names`` map matrix indices to sites).
    G
        The street graph (EPSG:4326), drawn faintly as an offline base layer.
    snapped
        All sites, from ``geodata.snap_sites``.
    matrix
        The ``geodata.TravelMatrix``; its ``path`` gives the street geometry.
    date, title
        Shown in the summary panel (date defaults to today).

    Returns
    -------
    folium.Map
        Render it with ``maps.render_html`` for a self-contained page.
    """
    ctx = build_context(plan, problem=problem, G=G, snapped=snapped, matrix=matrix, date=date,
                        title=title)
    return render_overview(ctx)
