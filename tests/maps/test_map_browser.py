"""The pages in a real headless Chromium: routes drawn, no JavaScript error, offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import maps

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome"), "/usr/bin/chromium")
                 if p and os.access(p, os.X_OK)), None)

# records every error in an attribute of <html>, which --dump-dom then shows
ERROR_TRAP = """<script>
window.__errors = [];
function __trap(msg) {
  window.__errors.push(String(msg));
  document.documentElement.setAttribute('data-js-errors', JSON.stringify(window.__errors));
}
window.addEventListener('error', function (e) {
  if (e.message) __trap(e.message + ' @' + e.lineno + ':' + e.colno);
});
window.addEventListener('unhandledrejection', function (e) { __trap('rejection: ' + e.reason); });
var __ce = console.error; console.error = function () { __trap([].join.call(arguments, ' '));
  __ce.apply(console, arguments); };
</script>"""


def chromium(args: list[str], tmp: Path) -> str:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp / 'profile'}", "--hide-scrollbars",
           "--virtual-time-budget=5000", *args]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def pages(plan, problem, G, snapped, matrix, tmp_path_factory) -> dict[str, Path]:
    if CHROMIUM is None:
        pytest.skip("no chromium executable (apt-get install chromium) for the browser test")
    out = tmp_path_factory.mktemp("browser") / "day"
    files = maps.write_outputs(plan, problem=problem, G=G, snapped=snapped, matrix=matrix,
                               out_dir=out, date="2024-05-01")
    trapped = {}
    for name in ("index.html", "truck-T1.html"):
        html = files[name].read_text(encoding="utf-8").replace("<head>", "<head>" + ERROR_TRAP, 1)
        path = out.parent / f"trapped-{name}"
        path.write_text(html, encoding="utf-8")
        trapped[name] = path
    return trapped


@pytest.mark.parametrize(("name", "min_paths"), [("index.html", 6), ("truck-T1.html", 6)])
def test_routes_are_drawn_without_js_errors(pages, name, min_paths, tmp_path):
    dom = chromium(["--dump-dom", pages[name].as_uri()], tmp_path)
    assert "leaflet-container" in dom  # Leaflet ran and built the map
    errors = re.search(r'data-js-errors="[^"]*"', dom)
    assert errors is None, errors.group(0)
    # every polyline (street network, route trips) and circle marker is an SVG path
    svg_paths = re.findall(r'<path class="leaflet-interactive"[^>]*\sd="M[^"]+"', dom)
    network = re.findall(r'<path[^>]*stroke="#8a8a8a"[^>]*\sd="M[^"]+"', dom)
    assert len(svg_paths) >= min_paths
    assert network, "the offline street network layer is not drawn"
    assert "sn-arrow" in dom  # direction arrowheads placed
    if name.startswith("truck"):
        assert 'id="sn-dir"' in dom and "Turn right onto Rivi 1" in dom


@pytest.mark.parametrize("name", ["index.html", "truck-T1.html"])
def test_phone_screenshot(pages, name, tmp_path):
    shot = tmp_path / f"{name}.png"
    chromium([f"--screenshot={shot}", "--window-size=412,915", pages[name].as_uri()], tmp_path)
    assert shot.stat().st_size > 5_000  # a drawn map, not a blank page
    print(f"screenshot: {shot}")
