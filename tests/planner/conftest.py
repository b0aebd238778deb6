"""Fixtures of the planner tests: tiny scenarios on the offline sample network."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

SMALL_TOML = """
name = "small"
date = 2025-05-06

[network]
source = "sample"

[sites]
files = {files}

[[fleet]]
name = "rear-loader"
count = {count}
capacity_t = 10.0
depot = "DEPOT"
break_start = "11:00"
break_end = "13:00"
break_min = 30
fixed_cost = 100.0

[solver]
time_limit_s = 5
seed = 0
max_iterations = 50

[output]
folder = "{out}"
"""


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sample_graph():
    import geodata

    return geodata.load_network("sample")


def write_scenario(tmp_path: Path, *, files=("small_sites.csv",), count=2, extra="") -> Path:
    """A small scenario file in ``tmp_path`` whose site files point at tests/planner/data."""
    listed = "[" + ", ".join(f'"{(DATA / f).as_posix()}"' if f != "sample" else '"sample"'
                             for f in files) + "]"
    path = tmp_path / "small.toml"
    out = (tmp_path / "out").as_posix()
    path.write_text(SMALL_TOML.format(files=listed, count=count, out=out) + extra)
    return path


@pytest.fixture
def make_scenario(tmp_path: Path):
    """``make_scenario(files=..., count=..., extra=...)`` writes a scenario file."""
    return lambda **kw: write_scenario(tmp_path, **kw)


@pytest.fixture
def small_scenario_file(tmp_path: Path) -> Path:
    return write_scenario(tmp_path)


@pytest.fixture
def small_scenario(small_scenario_file):
    from planner import Scenario

    return Scenario.from_file(small_scenario_file)
