"""Open pages in a real headless Chromium and read back what it drew.

``inspect(page, size)`` loads a copy of the page with two scripts added: one records every
JavaScript error, one (after the page has settled) reports the screen boxes of the
markers and arrows, the map's view, the panels and the drawn lines. Headless Chromium
will not make a window narrower than 500 px, so the page runs in an ``<iframe>`` of the
exact size (a phone's 412 x 915) that posts its report to the frame page, which puts it
into an attribute of ``<html>`` for ``--dump-dom`` to print. ``screenshot(page, size)``
saves a PNG of the iframe.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome"), "/usr/bin/chromium")
                 if p and os.access(p, os.X_OK)), None)

PHONE = (412, 915)
DESKTOP = (1280, 800)

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

REPORT = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var out = {errors: window.__errors || []};
  try {
    var map = SN.map, box = map.getContainer().getBoundingClientRect();
    function rect(el) {
      var r = el.getBoundingClientRect();
      return {x: r.left - box.left, y: r.top - box.top, w: r.width, h: r.height};
    }
    function inside(r) {
      return r.w > 0 && r.x + r.w > 0 && r.y + r.h > 0 && r.x < box.width && r.y < box.height;
    }
    out.size = [box.width, box.height];
    out.icons = [];
    document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon').forEach(function (el) {
      var r = rect(el);
      if (!inside(r)) return;
      var cl = el.querySelector('[data-n]');
      r.cluster = !!cl;
      r.n = cl ? +cl.getAttribute('data-n') : 1;
      r.labels = cl ? cl.getAttribute('data-labels').split('|') : [el.textContent];
      r.title = cl ? cl.getAttribute('title') : '';
      out.icons.push(r);
    });
    out.arrows = [];
    document.querySelectorAll('.sn-arrow').forEach(function (el) {
      var r = rect(el); if (inside(r)) out.arrows.push(r);
    });
    var b = map.getBounds();
    out.view = [[b.getSouth(), b.getWest()], [b.getNorth(), b.getEast()]];
    out.fit = SN.data.fit;
    out.markers = (SN.data.markers || []).length;
    out.lines = [];
    map.eachLayer(function (l) {
      if (l instanceof L.Polyline && l._parts && l._parts.length) {
        out.lines.push({colour: l.options.color, offset: l.options.offset || 0,
                        dash: l.options.dashArray || '', interactive: l.options.interactive});
      }
    });
    out.layersExpanded = !!document.querySelector('.leaflet-control-layers-expanded');
    out.panels = {};
    document.querySelectorAll('.sn-panel').forEach(function (el) {
      var d = el.querySelector('details');
      out.panels[el.id] = {rect: rect(el), open: d ? d.open : true, text: el.textContent};
    });
    var lc = document.querySelector('.leaflet-control-layers');
    out.layerList = lc ? rect(lc) : null;
    out.title = document.title;
    var view = map.getBounds();
    out.inView = (SN.data.markers || []).filter(function (m) {
      return view.contains([m[0], m[1]]);
    }).length;
    var filter = document.querySelector('.sn-filter');
    if (filter) {  // type the first truck's id into the route list's filter
      var first = Object.keys(SN.data.zoomTo)[0];
      filter.value = first;
      filter.dispatchEvent(new Event('input'));
      out.filtered = {query: first, rows: [].filter.call(
        document.querySelectorAll('tr[data-find]'),
        function (tr) { return tr.style.display !== 'none'; }).map(function (tr) {
          return tr.getAttribute('data-zoom'); })};
      filter.value = '';
      filter.dispatchEvent(new Event('input'));
    }
    out.gcj = SN.gcj02(47.7284, 127.5302);
  } catch (e) { out.errors.push('report: ' + e); }
  window.parent.postMessage(JSON.stringify(out), '*');
}, 1500); });
</script>"""

FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>html,body{margin:0;padding:0;background:#fff}iframe{border:0;display:block}</style>
</head><body><iframe src="%(src)s" style="width:%(w)dpx;height:%(h)dpx"></iframe><script>
window.addEventListener('message', function (e) {
  document.documentElement.setAttribute('data-report', e.data);
});
</script></body></html>"""


def _run(args: list[str], tmp: Path) -> str:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp / 'profile'}", "--hide-scrollbars",
           "--virtual-time-budget=6000", *args]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed: {done.stderr[-2000:]}")
    return done.stdout


def instrumented(page: Path, tmp: Path) -> Path:
    """A copy of ``page`` with the error trap and the report script."""
    html = page.read_text(encoding="utf-8")
    html = html.replace("<head>", "<head>" + ERROR_TRAP, 1).replace("</body>", REPORT + "</body>")
    out = tmp / f"inspect-{page.name}"  # not beside the page: its folder stays as written
    out.write_text(html, encoding="utf-8")
    return out


def _frame(page: Path, size: tuple[int, int], tmp: Path) -> tuple[Path, str]:
    frame = page.parent / f".frame-{size[0]}x{size[1]}-{page.name}"
    if frame.parent != tmp:  # a frame beside a written page: move the page's copy to tmp
        copy = tmp / page.name
        copy.write_bytes(page.read_bytes())
        page, frame = copy, tmp / frame.name
    frame.write_text(FRAME % {"src": page.name, "w": size[0], "h": size[1]}, encoding="utf-8")
    window = f"--window-size={max(520, size[0] + 20)},{size[1] + 200}"
    return frame, window


def inspect(page: Path, size: tuple[int, int], tmp: Path) -> dict:
    """What Chromium drew for ``page`` in a window of ``size`` (see module docstring)."""
    tmp.mkdir(parents=True, exist_ok=True)
    frame, window = _frame(instrumented(page, tmp), size, tmp)
    dom = _run([window, "--dump-dom", frame.as_uri()], tmp)
    found = re.search(r'data-report="([^"]*)"', dom)
    if found is None:
        raise AssertionError(f"{page.name} never reported (a JavaScript error before load?)")
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, size: tuple[int, int], path: Path, tmp: Path) -> Path:
    """A PNG of ``page`` as drawn in a window of ``size`` (CSS pixels)."""
    from PIL import Image

    tmp.mkdir(parents=True, exist_ok=True)
    frame, window = _frame(page, size, tmp)
    _run([f"--screenshot={path}", window, frame.as_uri()], tmp)
    with Image.open(path) as img:
        img.crop((0, 0, size[0], size[1])).save(path)
    return path


def overlap(a: dict, b: dict) -> float:
    """Area shared by two screen boxes, as a fraction of the smaller one."""
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / min(a["w"] * a["h"], b["w"] * b["h"])
