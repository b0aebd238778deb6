"""Helpers of the sweep and district tests: a city of two districts on the sample."""

from __future__ import annotations

from pathlib import Path

import geodata


def split_lon() -> float:
    """The median longitude of the sample's dead spots (west of it: district "west")."""
    sites = geodata.read_sites(geodata.SAMPLE_SITES)
    return float(sites.geometry.x[sites["kind"] == "dead_spot"].median())


def write_city(folder: Path) -> tuple[Path, str, float]:
    """The sample's sites with a district column, west and east of the median longitude,
    and one dead spot with none; a scenario on them (search budget 20 solutions).

    Returns the scenario file, the id of the site in no district, and the split longitude.
    """
    sites = geodata.read_sites(geodata.SAMPLE_SITES)
    split = split_lon()
    sites["district"] = ["west" if x < split else "east" for x in sites.geometry.x]
    sites.loc[sites["kind"] != "dead_spot", "district"] = None
    nowhere = sites.index[sites["kind"] == "dead_spot"][0]
    sites.loc[nowhere, "district"] = None
    columns = ["site_id", "kind", "name", "tonnes", "service_min", "open", "close", "priority",
               "district", "geometry"]
    sites[columns].to_file(folder / "sites.geojson", driver="GeoJSON")
    toml = folder / "city.toml"
    toml.write_text(CITY_TOML)
    return toml, str(sites.loc[nowhere, "site_id"]), split


# The sample's fleet and network; OR-Tools alone, stopped by a budget of 20 solutions.
CITY_TOML = """
name = "city"
date = 2025-05-06

[network]
source = "sample"

[sites]
files = ["sites.geojson"]

[[fleet]]
name = "rear-loader"
count = 4
capacity_t = 10.0
break_start = "11:00"
break_end = "13:00"
break_min = 30
fixed_cost = 150.0
cost_per_km = 1.2
cost_per_hour = 35.0

[solver]
engine = "ortools"
time_limit_s = 60
max_iterations = 20
"""
