from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import LineString

import geodata

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def sample_graph(tmp_path_factory) -> nx.MultiDiGraph:
    return geodata.load_network("sample", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def sample_snapped(sample_graph) -> gpd.GeoDataFrame:
    return geodata.snap_sites(sample_graph, geodata.read_sites(geodata.SAMPLE_SITES))


def line_graph(edges: list[tuple[int, int, dict]], coords: dict[int, tuple[float, float]]):
    """Hand-built lon/lat graph; each edge gets a straight geometry."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for n, (x, y) in coords.items():
        G.add_node(n, x=x, y=y)
    for u, v, attrs in edges:
        geom = LineString([coords[u], coords[v]])
        G.add_edge(u, v, **{"geometry": geom, **attrs})
    return G


@pytest.fixture
def mid_edge_graph() -> nx.MultiDiGraph:
    """Square A-B-C-D; A-B is a two-way 1000 m street at 100 s each way, the rest one-way."""
    coords = {0: (24.90, 60.20), 1: (24.918, 60.20), 2: (24.918, 60.209), 3: (24.90, 60.209)}
    edges = [
        (0, 1, {"length": 1000.0, "travel_time": 100.0, "name": "Long Road"}),
        (1, 0, {"length": 1000.0, "travel_time": 100.0, "name": "Long Road"}),
        (1, 2, {"length": 1000.0, "travel_time": 50.0, "name": "East"}),
        (2, 3, {"length": 1000.0, "travel_time": 50.0, "name": "North"}),
        (3, 0, {"length": 1000.0, "travel_time": 50.0, "name": "West"}),
    ]
    return line_graph(edges, coords)


def snapped_frame(G, rows: list[tuple[str, int, int, int, float]]) -> gpd.GeoDataFrame:
    """Snapped sites placed by hand: (site_id, u, v, key, offset)."""
    data = []
    for sid, u, v, k, f in rows:
        point = G.edges[u, v, k]["geometry"].interpolate(f, normalized=True)
        data.append({"site_id": sid, "u": u, "v": v, "key": k, "edge_offset": f,
                     "snap_x": point.x, "snap_y": point.y, "snap_dist_m": 0.0,
                     "reachable": True, "unreachable_reason": "", "geometry": point})
    return gpd.GeoDataFrame(data, crs="EPSG:4326")


@pytest.fixture
def make_snapped():
    return snapped_frame


@pytest.fixture
def make_graph():
    return line_graph
