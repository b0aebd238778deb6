"""The dispatcher's console in a real headless Chromium: map, table, plan button, results."""

from __future__ import annotations

import pytest
from cdp_browser import CHROMIUM, Browser
from service_fixtures import WORK_SITES, report, short_scenario, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser(tmp_path):
    if CHROMIUM is None:
        pytest.skip("no chromium executable (apt-get install chromium) for the browser test")
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


def test_the_console_draws_the_reports_plans_the_day_and_shows_the_drivers_pages(
        tmp_path, browser):
    # the console plans with the scenario's time limit: a short one keeps the test fast
    srv = start_server(tmp_path / "service",
                       scenario=short_scenario(tmp_path, time_limit_s=2))
    try:
        c = srv.client()
        note = report(c, tonnes=1.5, note="<img src=x onerror=alert(1)>").json()  # text only
        browser.open(f"{srv.url}/#token={srv.token}")
        loaded = browser.wait("document.body.dataset.sitesLoaded !== 'no' && "
                              "document.body.dataset.sitesLoaded", what="the reports")
        sites = len(WORK_SITES) + 1
        assert int(loaded) == sites
        # one circle per open site and per depot/facility, drawn by Leaflet as SVG paths
        assert browser.js("document.querySelectorAll('#map path.leaflet-interactive').length"
                          ) == sites + 2
        assert browser.js("document.querySelectorAll('#sites-table tbody tr').length") == sites
        assert browser.js("document.querySelector('#sites-table').textContent"
                          ).count(note["site_id"]) == 1
        assert browser.js("document.querySelectorAll('#sites-table img').length") == 0
        assert browser.js("location.hash") == ""  # the token left the address bar
        assert browser.js("document.getElementById('plan-button').textContent") == "Plan the day"

        browser.js("document.getElementById('plan-button').click()")
        browser.wait("['running', 'queued'].includes(document.body.dataset.planStatus) || "
                     "document.body.dataset.planStatus === 'done'", what="the plan to start",
                     timeout=20)
        status = browser.wait("['done', 'failed', 'error'].includes("
                              "document.body.dataset.planStatus) && "
                              "document.body.dataset.planStatus", timeout=120,
                              what="the plan to finish")
        assert status == "done", browser.js("document.getElementById('plan-status').textContent")
        plan = c.get("/v1/plans", params={"limit": 1}).json()["items"][0]
        assert plan["status"] == "done"
        trucks = [t["truck"] for t in plan["result"]["trucks"]]

        # the overview map loads in its frame and draws Leaflet
        browser.wait("(() => { const f = document.getElementById('overview');"
                     " return f.contentDocument && f.contentDocument.querySelector("
                     "'.leaflet-container') !== null; })()", what="the overview map")
        rows = browser.js("Array.from(document.querySelectorAll('#trucks-table tbody tr'))"
                          ".map(r => r.cells[0].textContent)")
        assert rows == trucks
        links = browser.js("Array.from(document.querySelectorAll('#trucks-table a'))"
                           ".map(a => a.href)")
        assert links == [f"{srv.url}/v1/plans/{plan['id']}/trucks/{t}/map" for t in trucks]
        browser.wait("Array.from(document.querySelectorAll('#trucks-table img.qr'))"
                     ".every(i => i.complete && i.naturalWidth > 0)", what="the QR codes")
        browser.screenshot(tmp_path / "console.png")
        assert browser.errors == []
    finally:
        srv.stop()
