"""Maps and exports of a plan: what dispatchers look at and drivers carry.

``write_outputs`` writes everything for one day into a folder, atomically:
``index.html`` (dispatcher overview), ``truck-<id>.html`` (driver pages), ``routes.geojson``,
``stops.geojson``, ``sheet-<id>.csv`` and ``sheet-<id>.html`` (printable route sheets),
``timeline.html`` (every truck's day on one clock), ``dispatch.csv``, ``truck-<id>.gpx``
and ``summary.json``. Every HTML page is self-contained (Leaflet inlined, no CDN): it draws
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
from maps._location import Location, site_locations
from maps._navigate import NavLinks, navigate_links
from maps._offline import render_html
from maps._overview import overview_map
from maps._print import render_print_sheet
from maps._schedule import (
    Departure,
    departure,
    explain_departure,
    load_pieces,
    visit_window,
    window_of,
)
from maps._sheets import (
    SHEET_COLUMNS,
    SHEET_HEADERS,
    SheetError,
    read_sheet_progress,
    sheet_columns,
    write_progress_csv,
)
from maps._style import hhmm
from maps._tiles import TILE_PRESETS, TileSource, tile_source
from maps._timeline import render_timeline
from maps._writer import (
    check_output_dir,
    csv_text,
    link_copy,
    plan_entries,
    staged_folder,
    write_file,
)

__all__ = [
    "SHEET_COLUMNS",
    "SHEET_HEADERS",
    "TILE_PRESETS",
    "Departure",
    "Location",
    "MapsError",
    "NavLinks",
    "OfflineError",
    "PlanContext",
    "SheetError",
    "Step",
    "TileSource",
    "build_context",
    "check_output_dir",
    "csv_text",
    "departure",
    "directions",
    "dispatch_rows",
    "driver_map",
    "explain_departure",
    "gpx_track",
    "hhmm",
    "link_copy",
    "load_pieces",
    "navigate_links",
    "overview_map",
    "plan_entries",
    "read_sheet_progress",
    "render_html",
    "render_print_sheet",
    "render_timeline",
    "route_sheet_rows",
    "routes_geojson",
    "sheet_columns",
    "site_locations",
    "staged_folder",
    "stops_geojson",
    "summary",
    "tile_source",
    "visit_window",
    "window_of",
    "write_file",
    "write_outputs",
    "write_progress_csv",
]
