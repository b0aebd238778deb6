"""Write geodata/data/sample_sites.geojson for the bundled Helsinki sample network.

Run ``python scripts/make_sample.py``; the output is deterministic (fixed seed).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geodata  # noqa: E402

SEED = 20240611
N_DEAD_SPOTS = 40
BIG_LOADS_T = (12.0, 18.0, 27.0, 14.5)  # more than one 8 t truck load
WINDOWS = (("07:00", "11:00"), ("08:00", "12:00"), ("10:00", "14:00"), ("06:30", "09:30"),
           ("12:00", "16:00"), ("09:00", "15:00"))  # fmt: skip


def _site_near_edge(Gp, rng, edges, weights, offset_m):
    """Point `offset_m` to the side of a random point on a length-weighted random edge."""
    u, v, k = edges[rng.choice(len(edges), p=weights)]
    data = Gp.edges[u, v, k]
    line = data["geometry"]
    d = rng.uniform(0.15, 0.85) * line.length
    p0, p1 = line.interpolate(max(d - 1, 0)), line.interpolate(min(d + 1, line.length))
    dx, dy = p1.x - p0.x, p1.y - p0.y
    norm = math.hypot(dx, dy) or 1.0
    side = rng.choice([-1.0, 1.0])
    base = line.interpolate(d)
    point = Point(base.x - side * dy / norm * offset_m, base.y + side * dx / norm * offset_m)
    name = data.get("name") or "unnamed street"
    return point, str(name).split(";")[0].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=geodata.SAMPLE_SITES)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    rng = np.random.default_rng(SEED)
    G = geodata.load_network("sample")
    Gp = ox.project_graph(G)
    edges = sorted(Gp.edges(keys=True), key=repr)
    lengths = np.array([Gp.edges[e]["length"] for e in edges])
    weights = lengths / lengths.sum()

    rows, points = [], []
    point, street = _site_near_edge(Gp, rng, edges, weights, 12.0)
    rows.append({"site_id": "DEPOT", "kind": "depot", "name": f"Depot on {street}",
                 "tonnes": 0.0, "service_min": 0.0, "open": None, "close": None,
                 "priority": 3})  # fmt: skip
    points.append(point)
    point, street = _site_near_edge(Gp, rng, edges, weights, 20.0)
    rows.append({"site_id": "TRANSFER", "kind": "transfer",
                 "name": f"Transfer station on {street}", "tonnes": 0.0, "service_min": 20.0,
                 "open": "06:00", "close": "20:00", "priority": 3})  # fmt: skip
    points.append(point)
    big = set(rng.choice(N_DEAD_SPOTS, size=len(BIG_LOADS_T), replace=False).tolist())
    windowed = rng.choice(sorted(set(range(N_DEAD_SPOTS)) - big), size=len(WINDOWS),
                          replace=False).tolist()  # fmt: skip
    big_loads = iter(BIG_LOADS_T)
    windows = dict(zip(windowed, WINDOWS, strict=True))
    for n in range(N_DEAD_SPOTS):
        point, street = _site_near_edge(Gp, rng, edges, weights, float(rng.uniform(3, 40)))
        tonnes = next(big_loads) if n in big else round(float(rng.uniform(0.5, 7.5)), 1)
        opening, closing = windows.get(n, (None, None))
        sid = f"DS-{n + 1:02d}"
        rows.append({"site_id": sid, "kind": "dead_spot", "name": f"Dead spot {sid} near {street}",
                     "tonnes": tonnes, "service_min": round(10 + 2 * tonnes, 1),
                     "open": opening, "close": closing,
                     "priority": int(rng.choice([1, 2, 3, 3, 3, 4, 5]))})  # fmt: skip
        points.append(point)
    gdf = gpd.GeoDataFrame(rows, geometry=points, crs=Gp.graph["crs"]).to_crs("EPSG:4326")
    gdf["geometry"] = gdf.geometry.set_precision(1e-7)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(args.out, driver="GeoJSON")
    snapped = geodata.snap_sites(G, geodata.read_sites(args.out))
    logging.getLogger("make_sample").info(
        "wrote %d sites to %s; max snap distance %.1f m, all reachable: %s",
        len(gdf), args.out, snapped["snap_dist_m"].max(), bool(snapped["reachable"].all()),
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
