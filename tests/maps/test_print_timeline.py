"""The printable route sheet and the dispatcher's timeline page."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess

import pytest
from exports_fixtures import windowed_context

import maps
from maps._print import PRINT_COLUMNS
from maps._timeline import timeline_bars


@pytest.fixture(scope="module")
def day(G, snapped, matrix):
    return windowed_context(G, snapped, matrix)


def _cells(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if row]


def test_print_sheet_names_the_truck_and_date_and_has_a_row_per_visit(day):
    page = maps.render_print_sheet(day, "T1", timezone="Europe/Helsinki")
    assert "<title>Route sheet T1, 2024-05-01</title>" in page
    assert "@page{size:A4 landscape" in page and "thead{display:table-header-group}" in page
    rows = _cells(page)
    assert len(rows) == len(day.route("T1").visits)
    assert all(len(r) == len(PRINT_COLUMNS) for r in rows)
    # the headers people read, not the machine names
    for header in ("Location", "Window", "Done", "Actual tonnes", "Time", "Remarks"):
        assert f"<th>{header}</th>" in page
    ds2 = next(r for r in rows if r[1].startswith("DS-2"))
    assert ds2[PRINT_COLUMNS.index("window")] == "07:00–09:00"
    assert ds2[PRINT_COLUMNS.index("location")] == "Sarake 3"
    assert ds2[PRINT_COLUMNS.index("done")] == "<span></span>"  # a box to tick
    assert "Europe/Helsinki" in page and "DS-2" in page.split("<table", 1)[0]  # departure
    assert "<script" not in page and "http" not in page  # prints offline


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="needs Debian's chromium (.ci/run installs it) to print a PDF")
def test_print_sheet_prints_to_a_one_page_pdf(day, tmp_path):
    page = tmp_path / "sheet-T1.html"
    page.write_text(maps.render_print_sheet(day, "T1"), encoding="utf-8")
    pdf = tmp_path / "sheet.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) == 1  # seven visits fit one page


def test_timeline_bars_cover_the_day_without_gaps(day):
    route = day.route("T1")
    bars = timeline_bars(day, "T1")
    assert bars[0]["start_s"] == route.visits[0].departure_s
    assert bars[-1]["end_s"] == route.visits[-1].arrival_s
    for a, b in itertools.pairwise(bars):
        assert a["end_s"] == b["start_s"], (a, b)
    kinds = [b["kind"] for b in bars]
    assert kinds.count("stop") == len(route.stops)
    assert kinds.count("facility") == route.unload_trips and "break" in kinds


def test_timeline_page_has_every_truck_and_bars_on_one_clock(day):
    page = maps.render_timeline(day, timezone="Europe/Helsinki")
    assert page.count('class="sn-shift"') == 3  # T1, T2 and the idle T3
    assert "Stays at the depot." in page
    assert '<a href="truck-T1.html">' in page and 'href="sheet-T2.html"' in page
    rects = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*data-kind="(\w+)" '
                       r'data-start="(\d+)" data-end="(\d+)"', page)
    assert len(rects) == len(timeline_bars(day, "T1")) + len(timeline_bars(day, "T2"))
    # x is linear in time: fit from two bars, check every other
    (x0, _, _, s0, _), (x1, _, _, s1, _) = rects[0], rects[-1]
    scale = (float(x1) - float(x0)) / (int(s1) - int(s0))
    for x, width, _, start, end in rects:
        assert float(x) == pytest.approx(float(x0) + (int(start) - int(s0)) * scale, abs=0.05)
        assert float(width) == pytest.approx(max((int(end) - int(start)) * scale, 0.5), abs=0.05)
    assert "Leaves at" in page  # why each truck leaves when it does
