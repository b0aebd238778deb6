"""Street networks, sites, snapping and travel matrices for sanitation routing.

Public face of the package; the implementation lives in the ``_*.py`` modules.
"""

from pathlib import Path

from ._crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    chinese_crs,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from ._errors import GeodataError, NetworkSourceError, SiteValidationError
from ._matrix import PathLeg, StreetPath, TravelMatrix, travel_matrix
from ._network import default_cache_dir, load_network, sample_pbf_path
from ._profile import (
    TruckProfile,
    apply_profile,
    parse_length_m,
    parse_speed_kph,
    parse_weight_t,
)
from ._sites import SITE_KINDS, read_sites, validate_sites
from ._snap import snap_sites
from ._turns import TurnRestriction

#: Bundled sample sites (GeoJSON, EPSG:4326) on the ``"sample"`` network.
SAMPLE_SITES: Path = Path(__file__).parent / "data" / "sample_sites.geojson"

__all__ = [
    "SAMPLE_SITES",
    "SITE_KINDS",
    "GeodataError",
    "NetworkSourceError",
    "PathLeg",
    "SiteValidationError",
    "StreetPath",
    "TravelMatrix",
    "TruckProfile",
    "TurnRestriction",
    "apply_profile",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "chinese_crs",
    "default_cache_dir",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "load_network",
    "parse_length_m",
    "parse_speed_kph",
    "parse_weight_t",
    "read_sites",
    "sample_pbf_path",
    "snap_sites",
    "to_wgs84",
    "travel_matrix",
    "validate_sites",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
