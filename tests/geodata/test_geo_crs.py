"""GCJ-02 and BD-09, the coordinate systems of Chinese map apps, to and from WGS-84."""

from __future__ import annotations

import numpy as np
import pytest

import geodata
from geodata import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Reference outputs printed by the widely used JavaScript library wandergis/coordtransform
# (its test/app.js) for the input (116.404, 39.915), central Beijing.
BEIJING = (116.404, 39.915)
REF_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
REF_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
# Its inverses are the one-step approximations, good to a few metres only.
REF_BD_TO_GCJ_APPROX = (116.39762729119315, 39.90865673957631)
REF_GCJ_TO_WGS_APPROX = (116.39775550083061, 39.91359571849836)
# Beijing railway station as both apps show it (R package's documented example).
STATION_GCJ = (116.42703, 39.90245)
STATION_BD = (116.43351, 39.90851)

HEIHE = (127.499, 50.247)  # Aihui District, Heihe, Heilongjiang


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance (m), haversine on a 6,371 km sphere."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_000 * np.arcsin(np.sqrt(a))


def china_points(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(74.0, 135.0, n), rng.uniform(18.0, 53.5, n)


def test_forward_transforms_match_the_published_reference():
    assert np.allclose(wgs84_to_gcj02(*BEIJING), REF_WGS_TO_GCJ, rtol=0, atol=1e-9)
    assert np.allclose(gcj02_to_bd09(*BEIJING), REF_GCJ_TO_BD, rtol=0, atol=1e-9)


def test_inverses_agree_with_the_reference_approximations_within_a_few_metres():
    # the reference inverses are one-step approximations: ours are exact, so only close
    assert metres(*gcj02_to_wgs84(*BEIJING), *REF_GCJ_TO_WGS_APPROX) < 1.0
    assert metres(*bd09_to_gcj02(*BEIJING), *REF_BD_TO_GCJ_APPROX) < 1.0


def test_baidu_and_amap_show_the_same_station():
    # two independent readings, rounded to 1e-5 degrees (about 1 m)
    assert metres(*bd09_to_gcj02(*STATION_BD), *STATION_GCJ) < 2.0
    assert metres(*gcj02_to_bd09(*STATION_GCJ), *STATION_BD) < 2.0


def test_gcj02_offset_near_heihe_is_hundreds_of_metres():
    # the reason this module exists: read as WGS-84 these points miss their street
    offset = metres(*HEIHE, *wgs84_to_gcj02(*HEIHE))
    assert 300 < offset < 800


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [(wgs84_to_gcj02, gcj02_to_wgs84), (gcj02_to_bd09, bd09_to_gcj02),
     (wgs84_to_bd09, bd09_to_wgs84)],
    ids=["gcj02", "bd09-from-gcj02", "bd09-from-wgs84"],
)
def test_round_trips_within_half_a_metre_across_china(forward, inverse):
    lon, lat = china_points()
    back = inverse(*forward(lon, lat))
    assert metres(lon, lat, *back).max() < 0.01  # the promise is 0.5 m; we do far better
    assert back[0].shape == lon.shape


def test_bd09_to_wgs84_goes_through_gcj02():
    lon, lat = china_points(200, seed=1)
    bd = wgs84_to_bd09(lon, lat)
    two_steps = gcj02_to_wgs84(*bd09_to_gcj02(*bd))
    assert metres(*bd09_to_wgs84(*bd), *two_steps).max() < 1e-6
    assert metres(lon, lat, *two_steps).max() < 0.01


@pytest.mark.parametrize("point", [(24.94, 60.17), (-74.0, 40.7), (151.2, -33.9), (100.0, 60.0)],
                         ids=["helsinki", "new-york", "sydney", "siberia"])
def test_gcj02_offset_is_zero_outside_china(point):
    assert wgs84_to_gcj02(*point) == pytest.approx(point, abs=0)
    assert gcj02_to_wgs84(*point) == pytest.approx(point, abs=0)


@pytest.mark.parametrize("name", ["GCJ-02", "gcj02", "gcj_02", "Amap"])
def test_to_wgs84_accepts_the_names_of_gcj02(name):
    assert np.allclose(to_wgs84(*REF_WGS_TO_GCJ, name), BEIJING, atol=1e-8)


def test_to_wgs84_bd09_and_epsg_codes():
    assert np.allclose(to_wgs84(*REF_GCJ_TO_BD, "BD-09"), gcj02_to_wgs84(*BEIJING), atol=1e-8)
    lon, lat = to_wgs84(385800.0, 6672100.0, "EPSG:3067")  # ETRS-TM35FIN, Helsinki
    assert 24.9 < lon < 25.0 and 60.1 < lat < 60.2
    assert to_wgs84(24.94, 60.17, 4326) == pytest.approx((24.94, 60.17))


def test_to_wgs84_unknown_crs_raises_pyproj_error():
    from pyproj.exceptions import CRSError

    with pytest.raises(CRSError):
        to_wgs84(1.0, 2.0, "WGS-85")


def test_vectorised_over_arrays_of_any_shape():
    lon, lat = china_points(12)
    glon, _ = wgs84_to_gcj02(lon.reshape(3, 4), lat.reshape(3, 4))
    assert glon.shape == (3, 4)
    assert np.allclose(glon.ravel(), wgs84_to_gcj02(lon, lat)[0])


def test_chinese_crs_names():
    assert geodata.chinese_crs("BD-09") == "BD-09"
    assert geodata.chinese_crs("EPSG:4490") is None
    assert geodata.chinese_crs(4326) is None


# -- site files in the Chinese systems --------------------------------------------------
def heihe_sites() -> tuple[np.ndarray, np.ndarray]:
    """Ten WGS-84 points around Aihui District, Heihe (the truth the app's points hide)."""
    rng = np.random.default_rng(7)
    return HEIHE[0] + rng.uniform(-0.05, 0.05, 10), HEIHE[1] + rng.uniform(-0.03, 0.03, 10)


def write_csv(tmp_path, lon, lat, *, crs_column: str | None = None) -> str:
    head = "site_id,kind,tonnes,lon,lat" + (",crs" if crs_column else "")
    rows = [f"HH-{k},dead_spot,2,{x:.7f},{y:.7f}" + (f",{crs_column}" if crs_column else "")
            for k, (x, y) in enumerate(zip(lon, lat, strict=True))]
    path = tmp_path / "heihe.csv"
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_gcj02_csv_near_heihe_reads_to_wgs84_within_half_a_metre(tmp_path):
    lon, lat = heihe_sites()
    sites = geodata.read_sites(write_csv(tmp_path, *wgs84_to_gcj02(lon, lat),
                                         crs_column="GCJ-02"))
    assert sites.crs.to_epsg() == 4326
    assert metres(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy(), lon, lat).max() < 0.5
    # read as if it were WGS-84, the same file is hundreds of metres off
    plain = geodata.read_sites(write_csv(tmp_path, *wgs84_to_gcj02(lon, lat)))
    assert metres(plain.geometry.x.to_numpy(), plain.geometry.y.to_numpy(), lon, lat).min() > 300


def test_bd09_given_as_crs_argument(tmp_path):
    lon, lat = heihe_sites()
    sites = geodata.read_sites(write_csv(tmp_path, *wgs84_to_bd09(lon, lat)), crs="BD-09")
    assert metres(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy(), lon, lat).max() < 0.5
    assert "crs" not in sites.columns


def test_geojson_from_amap_with_crs_gcj02(tmp_path):
    import json

    lon, lat = heihe_sites()
    glon, glat = wgs84_to_gcj02(lon, lat)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                 "properties": {"site_id": f"HH-{k}", "kind": "dead_spot", "tonnes": 1}}
                for k, (x, y) in enumerate(zip(glon.tolist(), glat.tolist(), strict=True))]
    path = tmp_path / "heihe.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    sites = geodata.read_sites(path, crs="GCJ-02")
    assert metres(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy(), lon, lat).max() < 0.5
