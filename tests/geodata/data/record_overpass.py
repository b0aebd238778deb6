"""Re-record the osmnx cache files used by tests/geodata/test_online.py.

Builds an Overpass API JSON response (and a Nominatim geocode response) from the
``one_way_trap.osm`` fixture and stores them under the exact names osmnx's HTTP cache
uses (SHA-1 of the prepared request URL), in ``overpass_cache/``. Re-run after changing
the truck profile's Overpass filter: ``python tests/geodata/data/record_overpass.py``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import osmnx as ox
from osmnx import _http

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

import geodata  # noqa: E402

BBOX = "bbox:24.939,60.169,24.946,60.173"
PLACE = "place:Trap Quarter, Helsinki"
OUT = HERE / "overpass_cache"


def overpass_json() -> dict:
    root = ET.parse(HERE / "one_way_trap.osm").getroot()
    elements: list[dict] = []
    for n in root.iter("node"):
        elements.append({"type": "node", "id": int(n.get("id")), "lat": float(n.get("lat")),
                         "lon": float(n.get("lon"))})  # fmt: skip
    elements.append({"type": "node", "id": 99, "lat": 60.1695, "lon": 24.9455})  # clipped node
    for w in root.iter("way"):
        elements.append({
            "type": "way", "id": int(w.get("id")),
            "nodes": [int(nd.get("ref")) for nd in w.iter("nd")],
            "tags": {t.get("k"): t.get("v") for t in w.iter("tag")},
        })  # fmt: skip
    return {"version": 0.6, "generator": "Overpass API 0.7.62 (recorded fixture)",
            "osm3s": {"timestamp_osm_base": "2024-06-01T00:00:00Z",
                      "copyright": "The data included in this document is from "
                                   "www.openstreetmap.org. The data is made available "
                                   "under ODbL."},
            "elements": elements}  # fmt: skip


def restrictions_json() -> dict:
    """The fixture's restriction relations, as Overpass returns them (``out body``)."""
    root = ET.parse(HERE / "one_way_trap.osm").getroot()
    elements = []
    for r in root.iter("relation"):
        elements.append({
            "type": "relation", "id": int(r.get("id")),
            "members": [{"type": m.get("type"), "ref": int(m.get("ref")), "role": m.get("role")}
                        for m in r.iter("member")],
            "tags": {t.get("k"): t.get("v") for t in r.iter("tag")},
        })  # fmt: skip
    return {"version": 0.6, "generator": "Overpass API 0.7.62 (recorded fixture)",
            "elements": elements}  # fmt: skip


def nominatim_json() -> list:
    w, s, e, n = 24.939, 60.169, 24.946, 60.173
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return [{"place_id": 1, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
             "osm_type": "relation", "osm_id": 1, "lat": str((s + n) / 2),
             "lon": str((w + e) / 2), "class": "boundary", "type": "administrative",
             "place_rank": 20, "importance": 0.3, "addresstype": "quarter",
             "name": "Trap Quarter", "display_name": "Trap Quarter, Helsinki, Finland",
             "boundingbox": [str(s), str(n), str(w), str(e)],
             "geojson": {"type": "Polygon", "coordinates": [ring]}}]  # fmt: skip


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    original = _http._retrieve_from_cache

    def fake(url: str):  # record instead of downloading
        cached = original(url)
        if cached is None:
            if "nominatim" in url:
                cached = nominatim_json()
            elif "restriction" in url:
                cached = restrictions_json()
            else:
                cached = overpass_json()
            _http._save_to_cache(url, cached, True)
            print("recorded", url[:100], "->", _http._resolve_cache_filepath(url).name)
        return cached

    _http._retrieve_from_cache = fake
    ox.settings.cache_folder = OUT
    with tempfile.TemporaryDirectory() as tmp:
        for source in (BBOX, PLACE):
            G = geodata.load_network(source, cache_dir=Path(tmp))
            print(source, len(G), "nodes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
