"""Read and validate site files (depots, facilities, dead spots, bins).

Accepted files: GeoJSON, GeoPackage (any vector file GDAL reads) and CSV. A CSV holds the
coordinates in ``lon``/``lat`` (or ``longitude``/``latitude``; EPSG:4326 assumed) or in
``x``/``y`` plus a CRS given as ``crs=`` or in a ``crs`` column.

Output schema of :func:`read_sites` (one row per site, input order kept, extra columns
kept after these):

=================  ============================================================
column             meaning
=================  ============================================================
``site_id``        str, unique, non-empty
``kind``           one of ``depot``, ``landfill``, ``transfer``, ``dead_spot``, ``bin``
``name``           str (defaults to ``site_id``)
``tonnes``         float >= 0, waste to collect in t (default 0 for depot, landfill,
                   transfer; required for dead_spot and bin)
``service_min``    float >= 0, minutes on site (default by kind, :data:`DEFAULT_SERVICE_MIN`)
``open``           ``"HH:MM"`` or None
``close``          ``"HH:MM"`` or None (must be after ``open``; ``"24:00"`` allowed)
``open_s``         float, seconds from midnight of ``open`` or NaN
``close_s``        float, seconds from midnight of ``close`` or NaN
``priority``       int 1..5, 1 = most urgent (default 3)
``volume_m3``      float >= 0 or NaN
``source_geometry`` original geometry type (``"Point"``, ``"Polygon"``, ...)
``geometry``       Point, EPSG:4326 (polygons and lines become their
                   ``representative_point``)
=================  ============================================================

Validation collects every problem and raises one :class:`SiteValidationError`.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ._errors import SiteValidationError

__all__ = ["DEFAULT_SERVICE_MIN", "SITE_KINDS", "read_sites", "validate_sites"]

logger = logging.getLogger(__name__)

SITE_KINDS: tuple[str, ...] = ("depot", "landfill", "transfer", "dead_spot", "bin")
#: Minutes on site when ``service_min`` is blank.
DEFAULT_SERVICE_MIN: Mapping[str, float] = {
    "depot": 0.0, "landfill": 15.0, "transfer": 15.0, "dead_spot": 20.0, "bin": 2.0,
}  # fmt: skip
_FACILITIES = {"depot", "landfill", "transfer"}
_BASE_COLUMNS = ("site_id", "kind", "name", "tonnes", "service_min", "open", "close",
                 "open_s", "close_s", "priority", "volume_m3", "source_geometry")  # fmt: skip
_LON_LAT = (("lon", "lat"), ("longitude", "latitude"), ("lng", "lat"))


def read_sites(
    path: str | os.PathLike[str], *, crs: Any = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read a site file and return validated sites in EPSG:4326.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or CSV file. See the module docstring for columns.
    crs
        CRS of CSV ``x``/``y`` columns (e.g. ``"EPSG:3067"``) when the file has no ``crs``
        column. Ignored for ``lon``/``lat`` (EPSG:4326) and rejected for vector files
        that carry their own CRS.
    layer
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        Sites with the schema of the module docstring, CRS EPSG:4326.

    Raises
    ------
    SiteValidationError
        Listing every problem (file, row or ``site_id``, column, value, fix).

    Examples
    --------
    >>> import geodata
    >>> sites = geodata.read_sites(geodata.SAMPLE_SITES)
    >>> sites.crs.to_epsg()
    4326
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise SiteValidationError(source, [f"file {source!r} does not exist; check the path"])
    if path.suffix.lower() in {".csv", ".txt"}:
        gdf, problems = _frame_from_csv(path, crs)
    else:
        try:
            gdf = gpd.read_file(path, layer=layer)
        except Exception as exc:
            raise SiteValidationError(
                source, [f"cannot read {path.name}: {exc}; give GeoJSON, GeoPackage or CSV"]
            ) from exc
        problems = []
        if crs is not None:
            if gdf.crs is not None:
                problems.append(f"crs={crs!r} given but the file declares {gdf.crs}; drop crs=")
            else:
                gdf = gdf.set_crs(crs)
    return validate_sites(gdf, source=source, _problems=problems)


def _frame_from_csv(path: Path, crs: Any) -> tuple[gpd.GeoDataFrame, list[str]]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    df.columns = [c.strip() for c in df.columns]
    cols = set(df.columns)
    problems: list[str] = []
    pair = next((p for p in _LON_LAT if set(p) <= cols), None)
    if pair is not None:
        if crs is not None and str(crs).upper() not in {"EPSG:4326", "4326"}:
            problems.append(f"columns {pair} are lon/lat (EPSG:4326) but crs={crs!r} was given; "
                            "use x/y columns for projected coordinates or drop crs=")  # fmt: skip
        crs_values = pd.Series("EPSG:4326", index=df.index)
    elif {"x", "y"} <= cols:
        pair = ("x", "y")
        if "crs" in cols and crs is None:
            crs_values = df["crs"].str.strip().replace("", None)
        else:
            crs_values = pd.Series(crs, index=df.index, dtype=object)
    else:
        problems.append(f"missing coordinate columns: found {sorted(cols)}; add lon/lat "
                        "(EPSG:4326) or x/y plus crs= or a crs column")  # fmt: skip
        empty = gpd.GeoDataFrame(df, geometry=[None] * len(df), crs="EPSG:4326")
        return empty, problems
    xs = pd.to_numeric(df[pair[0]].str.strip(), errors="coerce")
    ys = pd.to_numeric(df[pair[1]].str.strip(), errors="coerce")
    geoms: list[Point | None] = [None] * len(df)
    for i in range(len(df)):
        raw = (df[pair[0]].iloc[i], df[pair[1]].iloc[i])
        if math.isnan(xs.iloc[i]) or math.isnan(ys.iloc[i]):
            problems.append(f"row {i + 1}, columns {pair[0]}/{pair[1]}: got {raw!r}; give "
                            "numeric coordinates")  # fmt: skip
        else:
            geoms[i] = Point(xs.iloc[i], ys.iloc[i])
    data = df.drop(columns=[c for c in (*pair, "crs") if c in df.columns])
    parts = []
    for value in pd.unique(crs_values.astype(object)):
        missing = value is None or value is np.nan
        mask = (crs_values.isna() if missing else crs_values == value).to_numpy()
        part_geoms = [g for g, m in zip(geoms, mask, strict=True) if m]
        part = gpd.GeoDataFrame(data[mask], geometry=part_geoms)
        if missing:
            parts.append(part)  # no CRS: validate_sites checks the numbers
            continue
        try:
            parts.append(part.set_crs(value).to_crs("EPSG:4326"))
        except Exception as exc:  # pyproj raises several types
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(mask))
            problems.append(f"rows {rows}, column crs: got {value!r} ({exc}); give a CRS such "
                            "as 'EPSG:3067'")  # fmt: skip
            parts.append(part)
    gdf = pd.concat(parts).sort_index() if parts else gpd.GeoDataFrame(data, geometry=geoms)
    return gpd.GeoDataFrame(gdf, geometry="geometry", crs=None), problems


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _parse_time(value: Any) -> int | None:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", str(value).strip())
    if not m:
        return None
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if mi > 59 or s > 59 or h > 24 or (h == 24 and (mi or s)):
        return None
    return h * 3600 + mi * 60 + s


def _number(value: Any) -> float | None:
    try:
        out = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def validate_sites(
    sites: gpd.GeoDataFrame, *, source: str = "<sites>", _problems: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Validate a site frame and return it normalised to the schema (a new frame).

    Parameters
    ----------
    sites
        Frame with at least ``site_id``, ``kind`` and a geometry. A frame without CRS
        must hold lon/lat degrees.
    source
        Name used in error messages (usually the file path).

    Returns
    -------
    geopandas.GeoDataFrame
        The schema of the module docstring, CRS EPSG:4326.

    Raises
    ------
    SiteValidationError
        Listing every problem found.
    """
    problems = list(_problems or [])
    df = pd.DataFrame(sites.drop(columns=sites.geometry.name)).reset_index(drop=True)
    geoms = list(sites.geometry.to_numpy())
    if sites.crs is not None and not sites.crs.equals("EPSG:4326"):
        geoms = list(sites.geometry.to_crs("EPSG:4326").to_numpy())
    n = len(df)
    if n == 0:
        problems.append("no sites: the file holds no rows")
    for col in ("site_id", "kind"):
        if col not in df.columns:
            problems.append(f"missing column {col!r}; add it (found columns {sorted(df.columns)})")
    ids = [("" if _blank(v) else str(v).strip()) for v in df.get("site_id", [""] * n)]

    def where(i: int) -> str:
        return f"row {i + 1}" + (f" (site_id {ids[i]!r})" if ids[i] else "")

    if "site_id" in df.columns:
        first: dict[str, int] = {}
        for i, sid in enumerate(ids):
            if not sid:
                problems.append(f"row {i + 1}, column site_id: empty; give every site an id")
            elif sid in first:
                problems.append(f"row {i + 1}, column site_id: duplicate {sid!r} (first in row "
                                f"{first[sid] + 1}); make site ids unique")  # fmt: skip
            else:
                first[sid] = i
    kinds: list[str] = []
    for i, raw in enumerate(df.get("kind", [""] * n)):
        kind = "" if _blank(raw) else re.sub(r"[\s-]+", "_", str(raw).strip().lower())
        if "kind" in df.columns and kind not in SITE_KINDS:
            problems.append(f"{where(i)}, column kind: got {raw!r}; use one of "
                            f"{', '.join(SITE_KINDS)}")  # fmt: skip
        kinds.append(kind)

    def numbers(col: str, default: Any, unit: str, *, required_kinds: set[str] = frozenset()
                ) -> list[float]:  # fmt: skip
        out: list[float] = []
        values = df[col] if col in df.columns else [None] * n
        if col not in df.columns and any(k in required_kinds for k in kinds):
            problems.append(f"missing column {col!r} ({unit}); it is required for kinds "
                            f"{', '.join(sorted(required_kinds))}")  # fmt: skip
        for i, raw in enumerate(values):
            if _blank(raw):
                if col in df.columns and kinds[i] in required_kinds:
                    problems.append(f"{where(i)}, column {col}: empty; give the amount in {unit}")
                out.append(default(kinds[i]) if callable(default) else default)
                continue
            value = _number(raw)
            if value is None:
                problems.append(f"{where(i)}, column {col}: got {raw!r}, not a number; "
                                f"give a number >= 0 in {unit}")  # fmt: skip
            elif value < 0:
                problems.append(f"{where(i)}, column {col}: got {raw!r}, negative; "
                                f"give a number >= 0 in {unit}")  # fmt: skip
            out.append(value if value is not None and value >= 0 else math.nan)
        return out

    tonnes = numbers("tonnes", 0.0, "t", required_kinds={"dead_spot", "bin"})
    service = numbers("service_min", lambda k: DEFAULT_SERVICE_MIN.get(k, 0.0), "minutes")
    volume = numbers("volume_m3", math.nan, "m3")

    times: dict[str, list[Any]] = {"open": [], "close": [], "open_s": [], "close_s": []}
    for i in range(n):
        for col in ("open", "close"):
            raw = df[col].iloc[i] if col in df.columns else None
            secs = None if _blank(raw) else _parse_time(raw)
            if not _blank(raw) and (secs is None or (col == "open" and secs >= 86400)):
                problems.append(f"{where(i)}, column {col}: got {raw!r}; give a time HH:MM "
                                "between 00:00 and 24:00")  # fmt: skip
                secs = None
            times[col].append(None if _blank(raw) else str(raw).strip())
            times[f"{col}_s"].append(math.nan if secs is None else float(secs))
        o, c = times["open_s"][-1], times["close_s"][-1]
        if not math.isnan(o) and not math.isnan(c) and c <= o:
            problems.append(f"{where(i)}, columns open/close: close {times['close'][-1]!r} is not "
                            f"after open {times['open'][-1]!r}; fix the hours (windows over "
                            "midnight are not supported)")  # fmt: skip

    priority: list[int] = []
    for i, raw in enumerate(df["priority"] if "priority" in df.columns else [None] * n):
        value = 3.0 if _blank(raw) else _number(raw)
        if value is None or value != int(value) or not 1 <= value <= 5:
            problems.append(f"{where(i)}, column priority: got {raw!r}; give a whole number "
                            "1 (most urgent) to 5")  # fmt: skip
            value = 3.0
        priority.append(int(value))

    points, kinds_geom = _points(geoms, sites.crs, where, problems, n)
    if problems:
        raise SiteValidationError(source, problems)

    names = [ids[i] if _blank(v) else str(v) for i, v in enumerate(df.get("name", [None] * n))]
    extra = df.drop(columns=[c for c in df.columns if c in _BASE_COLUMNS])
    out = pd.DataFrame(
        {"site_id": ids, "kind": kinds, "name": names, "tonnes": tonnes, "service_min": service,
         **times, "priority": priority, "volume_m3": volume, "source_geometry": kinds_geom}
    )  # fmt: skip
    out = pd.concat([out, extra], axis=1)
    for col in ("open", "close"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    logger.info("read %d sites from %s (%s)", n, source, out["kind"].value_counts().to_dict())
    return gpd.GeoDataFrame(out, geometry=points, crs="EPSG:4326")


def _points(geoms: list[Any], crs: Any, where: Any, problems: list[str], n: int
            ) -> tuple[list[Point], list[str]]:  # fmt: skip
    points: list[Point] = []
    kinds: list[str] = []
    for i in range(n):
        geom = geoms[i] if i < len(geoms) else None
        if geom is None or geom.is_empty:
            problems.append(f"{where(i)}, column geometry: empty; give a location")
            points.append(Point())
            kinds.append("")
            continue
        kinds.append(geom.geom_type)
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        points.append(point)
        x, y = point.x, point.y
        if abs(x) <= 180 and abs(y) <= 90:
            continue
        if abs(x) > 1000 and abs(y) > 1000:
            problems.append(f"{where(i)}, column geometry: got ({x:g}, {y:g}), projected "
                            "coordinates but no CRS; pass crs='EPSG:....' (e.g. EPSG:3067) or "
                            "add a crs column")  # fmt: skip
        elif abs(y) > 90 and abs(x) <= 90:
            problems.append(f"{where(i)}, column geometry: latitude {y:g} is outside ±90 but "
                            f"longitude {x:g} is a valid latitude; lat/lon look swapped: put "
                            "longitude in lon/x and latitude in lat/y")  # fmt: skip
        else:
            problems.append(f"{where(i)}, column geometry: got ({x:g}, {y:g}), out of range; "
                            "longitude must be within ±180 and latitude within ±90")  # fmt: skip
    return points, kinds
