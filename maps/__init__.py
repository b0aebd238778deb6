"""Maps and exports of a plan: what dispatchers look at and drivers carry.

``write_outputs`` writes everything for one day into a folder, atomically:
``index.html`` (dispatcher overview), ``truck-<id>.html`` (driver pages), ``routes.geojson``,
``stops.geojson``, ``sheet-<id>.csv``, ``dispatch.csv``, ``truck-<id>.gpx`` and
``summary.json``. Every HTML page is self-contained (Leaflet inlined, no CDN): it draws
its routes with no network at all; map tiles appear when online.
"""

from maps._context import PlanContext, build_context
from maps._directions import Step, directions
from maps._driver import driver_map
from maps._errors import MapsError, OfflineError
from maps._exports import (
    dispatch_rows,
    gpx_track,
    route_sheet_rows,
    routes_geojson,
    stops_geojson,
    summary,
    write_outputs,
)
from maps._offline import render_html
from maps._overview import overview_map
from maps._writer import (
    check_output_dir,
    csv_text,
    link_copy,
    plan_entries,
    staged_folder,
    write_file,
)

__all__ = [
    "MapsError",
    "OfflineError",
    "PlanContext",
    "Step",
    "build_context",
    "check_output_dir",
    "csv_text",
    "directions",
    "dispatch_rows",
    "driver_map",
    "gpx_track",
    "link_copy",
    "overview_map",
    "plan_entries",
    "render_html",
    "route_sheet_rows",
    "routes_geojson",
    "staged_folder",
    "stops_geojson",
    "summary",
    "write_file",
    "write_outputs",
]
