"""Read and validate site files (depots, facilities, dead spots, bins): the one gate.

Accepted files: GeoJSON, GeoPackage (any vector file GDAL reads) and CSV. A CSV holds the
coordinates in ``lon``/``lat`` (or ``longitude``/``latitude``, ``lng``/``lat``; WGS-84
unless a CRS says otherwise) or in ``x``/``y`` plus a CRS given as ``crs=`` or in a
``crs`` column. Besides EPSG codes, a CRS may be ``"GCJ-02"`` (Amap/Gaode, Tencent) or
``"BD-09"`` (Baidu): such points are converted to WGS-84 (see :mod:`geodata._crs`).
CSV encodings (UTF-8 with or without BOM, GBK/GB18030, UTF-16) and delimiters (comma,
semicolon with decimal commas, tab) are detected and logged; ``encoding=`` overrides.

:func:`read_sites` is the only door: whatever a parser says about a file (an empty file,
an unquoted comma in a name, an unknown encoding, a GeoPackage with several layers)
becomes a :class:`SiteValidationError` naming the file, the row and the fix.

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
``stream``         str, the waste stream (default :data:`DEFAULT_STREAM`, ``"mixed"``)
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
import shapely
from shapely.geometry import Point

from i18n import N_
from i18n import gettext as _

from ._crs import chinese_crs, to_wgs84
from ._errors import SiteValidationError
from ._site_csv import decode_text, parse_csv

__all__ = ["DEFAULT_SERVICE_MIN", "DEFAULT_STREAM", "SITE_KINDS", "read_sites",
           "validate_sites"]

logger = logging.getLogger(__name__)

SITE_KINDS: tuple[str, ...] = ("depot", "landfill", "transfer", "dead_spot", "bin")
#: Minutes on site when ``service_min`` is blank.
DEFAULT_SERVICE_MIN: Mapping[str, float] = {
    "depot": 0.0, "landfill": 15.0, "transfer": 15.0, "dead_spot": 20.0, "bin": 2.0,
}  # fmt: skip
#: The waste stream of a site with a blank ``stream``. The same literal as
#: ``routing.DEFAULT_STREAM``: geodata imports nothing from routing.
DEFAULT_STREAM = "mixed"
_FACILITIES = {"depot", "landfill", "transfer"}
_BASE_COLUMNS = ("site_id", "kind", "name", "tonnes", "service_min", "open", "close",
                 "open_s", "close_s", "priority", "volume_m3", "source_geometry",
                 "stream")  # fmt: skip
_LON_LAT = (("lon", "lat"), ("longitude", "latitude"), ("lng", "lat"))
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_CRS_HINT = ("give the CRS in a crs column, as crs= (the scenario's [sites] crs, "
             "run_plan.py --sites-crs), e.g. 'EPSG:3067', 'GCJ-02' or 'BD-09'")
#: A site this far from the others whose swapped coordinates lie among them is flagged.
_SWAP_FAR_KM, _SWAP_NEAR_KM = 300.0, 50.0


def read_sites(
    path: str | os.PathLike[str], *, crs: Any = None, layer: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a site file and return validated sites in EPSG:4326.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or CSV file. See the module docstring for columns.
    crs
        CRS of the coordinates when the file does not say: an EPSG code or anything
        pyproj accepts (``"EPSG:3067"``), or ``"GCJ-02"`` / ``"BD-09"`` for points from
        Chinese map apps (lon/lat degrees, converted to WGS-84). A ``crs`` column
        overrides it row by row. A vector file that declares its own CRS accepts only
        ``"GCJ-02"``/``"BD-09"`` here (its lon/lat are then taken as that system).
    layer
        Layer of a multi-layer GeoPackage; required when the file has several.
    encoding
        Encoding of a CSV (a Python codec name such as ``"gb18030"``); ``None``: detect
        UTF-8 (with or without BOM), UTF-16 or GBK/GB18030, and log which was used.

    Returns
    -------
    geopandas.GeoDataFrame
        Sites with the schema of the module docstring, CRS EPSG:4326.

    Raises
    ------
    SiteValidationError
        Listing every problem (file, row or ``site_id``, column, value, fix); also for
        files no parser can read.

    Examples
    --------
    >>> import geodata
    >>> sites = geodata.read_sites(geodata.SAMPLE_SITES)
    >>> sites.crs.to_epsg()
    4326
    """
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise SiteValidationError(source, [_("is a folder, not a site file; give the file "
                                             "inside it (GeoJSON, GeoPackage or CSV)")])
    if not path.is_file():
        raise SiteValidationError(source, [_("file {path!r} does not exist; check the "
                                             "path").format(path=source)])
    try:
        size = path.stat().st_size
        data = path.read_bytes() if path.suffix.lower() in _CSV_SUFFIXES else b""
    except OSError as exc:
        raise SiteValidationError(source, [_("cannot read the file ({error}); check that it "
                                             "exists and you may read it").format(
                                                 error=exc.strerror)]) from None
    if size == 0:
        raise SiteValidationError(source, [_(
            "the file is empty (0 bytes); export the sites again with a header row (e.g. "
            "site_id,kind,tonnes,lon,lat) and one row per site")])
    try:
        if path.suffix.lower() in _CSV_SUFFIXES:
            gdf, problems, how = _frame_from_csv(data, source, crs, encoding)
        else:
            gdf, problems, how = _frame_from_vector(path, crs, layer, encoding)
    except SiteValidationError:
        raise
    except Exception as exc:  # the gate: no parser error reaches the user as a traceback
        logger.debug("reading %s failed", source, exc_info=True)
        raise SiteValidationError(source, [_(
            "cannot read the file ({error}); check that it is GeoJSON, GeoPackage or CSV "
            "with a header row, and that its name ends in .geojson, .gpkg or .csv").format(
                error=f"{type(exc).__name__}: {exc}")]) from None
    if how:
        logger.warning("%s: read as %s", source, how)
        source = f"{source} (read as {how})"
    return validate_sites(gdf, source=source, _problems=problems)


def _rows(mask: np.ndarray) -> str:
    rows = [str(i + 1) for i in np.flatnonzero(mask)]
    return ", ".join(rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")


def _transform(geoms: np.ndarray, crs: Any) -> np.ndarray:
    """Geometries with every coordinate taken from ``crs`` to WGS-84 lon/lat."""
    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs))

    return shapely.transform(geoms, fn)


def _to_wgs84(geoms: np.ndarray, labels: pd.Series, file_crs: Any, *, degrees: bool
              ) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Geometries in WGS-84 lon/lat, group by group of CRS label; problems per group.

    ``labels`` holds each row's CRS (``None``: the file's own, else unknown); ``degrees``:
    the coordinates come from lon/lat columns, so a projected CRS is a mistake.
    """
    from pyproj import CRS

    out = geoms.copy()
    problems: list[str] = []
    geographic = file_crs is None or CRS.from_user_input(file_crs).equals(
        "EPSG:4326", ignore_axis_order=True)
    if file_crs is not None and not geographic:
        out = _transform(out, file_crs)
    for label in pd.unique(labels.dropna()):
        mask = (labels == label).to_numpy()
        rows = _rows(mask)
        name = chinese_crs(label)
        if name is not None:
            if not geographic:
                problems.append(f"rows {rows}, column crs: {name} coordinates are lon/lat "
                                f"degrees but the file declares {file_crs}; give lon/lat or "
                                "drop the crs")
                continue
            out[mask] = _transform(out[mask], name)
            continue
        try:
            crs = CRS.from_user_input(label)
        except Exception as exc:  # pyproj raises CRSError and others
            problems.append(f"rows {rows}, column crs: got {label!r} ({exc}); {_CRS_HINT}")
            continue
        if file_crs is not None:
            if not crs.equals(file_crs):
                problems.append(f"crs={label!r} given but the file declares {file_crs}; drop "
                                "crs= (or give 'GCJ-02'/'BD-09' if its lon/lat come from a "
                                "Chinese map)")
            continue
        if degrees and not crs.is_geographic:
            problems.append(f"rows {rows}: columns lon/lat hold degrees but crs {label!r} is "
                            "projected; put projected coordinates in x/y columns or drop the "
                            "crs")
            continue
        out[mask] = _transform(out[mask], crs)
    return out, problems


def _crs_labels(df: pd.DataFrame, crs: Any, default: Any) -> pd.Series:
    """Each row's CRS label: its ``crs`` cell, else ``crs=``, else ``default`` (or None)."""
    fallback = crs if crs is not None else default
    labels = pd.Series([fallback] * len(df), index=df.index, dtype=object)
    if "crs" in df.columns:
        cells = df["crs"].map(lambda v: None if _blank(v) else str(v).strip())
        labels = cells.where(cells.notna(), labels)
    return labels.where(labels.notna(), None)


def _frame_from_vector(path: Path, crs: Any, layer: str | None, encoding: str | None
                       ) -> tuple[gpd.GeoDataFrame, list[str], str]:  # fmt: skip
    import pyogrio

    layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    if layer is None and len(layers) > 1:
        raise SiteValidationError(str(path), [
            f"the file has {len(layers)} layers ({', '.join(map(repr, layers))}); name the one "
            "holding the sites: layer= (run_plan.py --layer, the scenario's [sites] layer)"])
    if layer is not None and layer not in layers:
        raise SiteValidationError(str(path), [
            f"layer {layer!r} is not in the file; its layers: {', '.join(map(repr, layers))}"])
    gdf = gpd.read_file(path, layer=layer if layer is not None else (layers or [None])[0],
                        encoding=encoding)
    if crs is not None and gdf.crs is not None and chinese_crs(crs) is None:
        if not gdf.crs.equals(crs):
            return gdf, [f"crs={crs!r} given but the file declares {gdf.crs}; drop crs= (or "
                         "give 'GCJ-02'/'BD-09' if its lon/lat come from a Chinese map)"], ""
        crs = None
    labels = _crs_labels(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), crs, None)
    geoms, problems = _to_wgs84(gdf.geometry.to_numpy(), labels, gdf.crs, degrees=False)
    data = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name]
                                 + (["crs"] if "crs" in gdf.columns else [])))
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=None), problems, ""


def _frame_from_csv(data: bytes, source: str, crs: Any, encoding: str | None
                    ) -> tuple[gpd.GeoDataFrame, list[str], str]:  # fmt: skip
    try:
        text, used = decode_text(data, encoding)
    except ValueError as exc:
        raise SiteValidationError(source, [str(exc)]) from None
    table, problems = parse_csv(text, encoding=used)
    how = "" if table.how == "UTF-8" else table.how
    if problems:
        raise SiteValidationError(f"{source} (read as {table.how})" if how else source,
                                  problems)
    df = table.frame
    cols = set(df.columns)
    pair = next((p for p in _LON_LAT if set(p) <= cols), None)
    degrees = pair is not None
    if pair is None and {"x", "y"} <= cols:
        pair = ("x", "y")
    if pair is None:
        problems.append(f"missing coordinate columns: found {sorted(cols)}; add lon/lat "
                        "(WGS-84 degrees) or x/y plus a CRS; " + _CRS_HINT)
        empty = gpd.GeoDataFrame(df, geometry=[None] * len(df), crs=None)
        return empty, problems, how
    xs = pd.to_numeric(df[pair[0]].str.strip(), errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(df[pair[1]].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(xs) | np.isnan(ys)
    for i in np.flatnonzero(bad):
        raw = (df[pair[0]].iloc[i], df[pair[1]].iloc[i])
        problems.append(f"row {i + 1}, columns {pair[0]}/{pair[1]}: got {raw!r}; give "
                        "numeric coordinates")  # fmt: skip
    geoms = np.array([None if b else Point(x, y) for x, y, b in zip(xs, ys, bad, strict=True)],
                     dtype=object)
    labels = _crs_labels(df, crs, "EPSG:4326" if degrees else None)
    geoms, crs_problems = _to_wgs84(geoms, labels, None, degrees=degrees)
    data_cols = df.drop(columns=[c for c in (*pair, "crs") if c in df.columns])
    frame = gpd.GeoDataFrame(data_cols, geometry=list(geoms), crs=None)
    return frame, problems + crs_problems, how


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
        problems.append(_("no sites: the file holds no rows"))
    for col in ("site_id", "kind"):
        if col not in df.columns:
            problems.append(_("missing column {column!r}; add it (found columns {found})").format(
                column=col, found=sorted(df.columns)))
    ids = [("" if _blank(v) else str(v).strip()) for v in df.get("site_id", [""] * n)]

    def where(i: int) -> str:
        if ids[i]:
            return _("row {row} (site_id {site!r})").format(row=i + 1, site=ids[i])
        return _("row {row}").format(row=i + 1)

    if "site_id" in df.columns:
        first: dict[str, int] = {}
        for i, sid in enumerate(ids):
            if not sid:
                problems.append(_("row {row}, column site_id: empty; give every site an "
                                  "id").format(row=i + 1))
            elif sid in first:
                problems.append(_("row {row}, column site_id: duplicate {site!r} (first in row "
                                  "{first}); make site ids unique").format(
                                      row=i + 1, site=sid, first=first[sid] + 1))
            else:
                first[sid] = i
    kinds: list[str] = []
    for i, raw in enumerate(df.get("kind", [""] * n)):
        kind = "" if _blank(raw) else re.sub(r"[\s-]+", "_", str(raw).strip().lower())
        if "kind" in df.columns and kind not in SITE_KINDS:
            problems.append(_("{where}, column kind: got {value!r}; use one of {kinds}").format(
                where=where(i), value=raw, kinds=", ".join(SITE_KINDS)))
        kinds.append(kind)

    def numbers(col: str, default: Any, unit: str, *, required_kinds: set[str] = frozenset()
                ) -> list[float]:  # fmt: skip
        out: list[float] = []
        values = df[col] if col in df.columns else [None] * n
        unit = _(unit)
        if col not in df.columns and any(k in required_kinds for k in kinds):
            problems.append(_("missing column {column!r} ({unit}); it is required for kinds "
                              "{kinds}").format(column=col, unit=unit,
                                                kinds=", ".join(sorted(required_kinds))))
        for i, raw in enumerate(values):
            if _blank(raw):
                if col in df.columns and kinds[i] in required_kinds:
                    problems.append(_("{where}, column {column}: empty; give the amount in "
                                      "{unit}").format(where=where(i), column=col, unit=unit))
                out.append(default(kinds[i]) if callable(default) else default)
                continue
            value = _number(raw)
            if value is None:
                problems.append(_("{where}, column {column}: got {value!r}, not a number; give "
                                  "a number >= 0 in {unit}").format(
                                      where=where(i), column=col, value=raw, unit=unit))
            elif value < 0:
                problems.append(_("{where}, column {column}: got {value!r}, negative; give a "
                                  "number >= 0 in {unit}").format(
                                      where=where(i), column=col, value=raw, unit=unit))
            out.append(value if value is not None and value >= 0 else math.nan)
        return out

    tonnes = numbers("tonnes", 0.0, N_("t"), required_kinds={"dead_spot", "bin"})
    service = numbers("service_min", lambda k: DEFAULT_SERVICE_MIN.get(k, 0.0), N_("minutes"))
    volume = numbers("volume_m3", math.nan, N_("m3"))

    times: dict[str, list[Any]] = {"open": [], "close": [], "open_s": [], "close_s": []}
    for i in range(n):
        for col in ("open", "close"):
            raw = df[col].iloc[i] if col in df.columns else None
            secs = None if _blank(raw) else _parse_time(raw)
            if not _blank(raw) and (secs is None or (col == "open" and secs >= 86400)):
                problems.append(_("{where}, column {column}: got {value!r}; give a time HH:MM "
                                  "between 00:00 and 24:00").format(where=where(i), column=col,
                                                                   value=raw))
                secs = None
            times[col].append(None if _blank(raw) else str(raw).strip())
            times[f"{col}_s"].append(math.nan if secs is None else float(secs))
        o, c = times["open_s"][-1], times["close_s"][-1]
        if not math.isnan(o) and not math.isnan(c) and c <= o:
            problems.append(_("{where}, columns open/close: close {close!r} is not after open "
                              "{open!r}; fix the hours (windows over midnight are not "
                              "supported)").format(where=where(i), close=times["close"][-1],
                                                   open=times["open"][-1]))

    priority: list[int] = []
    for i, raw in enumerate(df["priority"] if "priority" in df.columns else [None] * n):
        value = 3.0 if _blank(raw) else _number(raw)
        if value is None or value != int(value) or not 1 <= value <= 5:
            problems.append(_("{where}, column priority: got {value!r}; give a whole number 1 "
                              "(most urgent) to 5").format(where=where(i), value=raw))
            value = 3.0
        priority.append(int(value))

    streams = [DEFAULT_STREAM if _blank(v) else str(v).strip()
               for v in (df["stream"] if "stream" in df.columns else [None] * n)]
    points, kinds_geom = _points(geoms, sites.crs, where, problems, n)
    _swapped(points, where, problems)
    if problems:
        raise SiteValidationError(source, problems)

    names = [ids[i] if _blank(v) else str(v) for i, v in enumerate(df.get("name", [None] * n))]
    extra = df.drop(columns=[c for c in df.columns if c in _BASE_COLUMNS])
    out = pd.DataFrame(
        {"site_id": ids, "kind": kinds, "name": names, "tonnes": tonnes, "service_min": service,
         **times, "priority": priority, "volume_m3": volume, "source_geometry": kinds_geom,
         "stream": streams}
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
            problems.append(_("{where}, column geometry: empty; give a location").format(
                where=where(i)))
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
                            f"coordinates but no CRS; {_CRS_HINT}")  # fmt: skip
        elif abs(y) > 90 and abs(x) <= 90:
            problems.append(_("{where}, column geometry: latitude {y:g} is outside ±90 but "
                              "longitude {x:g} is a valid latitude; lon/lat look swapped: put "
                              "longitude in lon/x and latitude in lat/y").format(
                                  where=where(i), x=x, y=y))
        else:
            problems.append(_("{where}, column geometry: got ({x:g}, {y:g}), out of range; "
                              "longitude must be within ±180 and latitude within ±90").format(
                                  where=where(i), x=x, y=y))
    return points, kinds


def _km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in km (haversine, 6,371 km sphere)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2)
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _swapped(points: list[Point], where: Any, problems: list[str]) -> None:
    """Flag sites far from the others whose swapped coordinates lie among them.

    Both orders can be valid (60.17, 24.94 is a place too), so only the company a site
    keeps tells: a site hundreds of km from the median of the file whose swap lands near
    that median has its lon and lat the wrong way round.
    """
    ok = [i for i, p in enumerate(points)
          if not p.is_empty and abs(p.x) <= 90 and abs(p.y) <= 90]
    if len(ok) < 3:
        return
    xs = np.array([points[i].x for i in ok])
    ys = np.array([points[i].y for i in ok])
    mx, my = float(np.median(xs)), float(np.median(ys))
    far = _km(xs, ys, mx, my)
    swapped = _km(ys, xs, mx, my)
    for k in np.flatnonzero((far > _SWAP_FAR_KM) & (swapped < _SWAP_NEAR_KM)):
        i = ok[k]
        problems.append(_("{where}, column geometry: got ({x:g}, {y:g}), {km:,.0f} km from the "
                          "other sites, but ({y:g}, {x:g}) lies among them: lon/lat look "
                          "swapped; put longitude in lon/x and latitude in lat/y").format(
                              where=where(i), x=xs[k], y=ys[k], km=far[k]))
