"""Regenerate the README's screenshots from the current code.

Usage: ``python docs/img/make_screenshots.py`` (needs Chromium). Plans the bundled sample
(``planner.plan_day`` on ``planner/data/sample.toml``), writes its pages to a temporary
folder and saves ``docs/img/overview.png`` (a 1280 x 860 desktop) and
``docs/img/driver.png`` (truck T01's page on a 412 x 915 phone) with the same headless
Chromium harness the browser tests use. Offline there are no tiles: the pages show the
street network they embed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "maps"))

from browser import CHROMIUM, screenshot  # noqa: E402

import planner  # noqa: E402

SHOTS = {"overview.png": ("index.html", (1280, 860)), "driver.png": ("truck-T01.html", (412, 915))}


def main() -> int:
    """Plan the sample, write its pages, save both screenshots; 1 without Chromium."""
    if CHROMIUM is None:
        print("no chromium executable: apt-get install chromium")
        return 1
    from PIL import Image

    day = planner.plan_day(planner.Scenario.from_file(planner.SAMPLE_SCENARIO))
    with tempfile.TemporaryDirectory() as tmp:
        files = planner.write_day(day, Path(tmp) / "day")
        for name, (page, size) in SHOTS.items():
            out = Path(__file__).parent / name
            screenshot(files[page], size, out, Path(tmp) / "chromium")
            with Image.open(out) as img:  # a palette keeps the PNG small
                img.convert("RGB").quantize(colors=256).save(out, optimize=True)
            print(f"{out.relative_to(ROOT)}: {size[0]} x {size[1]}, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
