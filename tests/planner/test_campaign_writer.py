"""write_campaign through the one output writer: re-plans swap in whole, nothing foreign lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest

import maps
from planner import CAMPAIGN_SAMPLE, CampaignScenario, run_campaign, write_campaign

pytestmark = pytest.mark.slow  # the sample campaign on the bundled network (~30 s)
REPLAN = dt.date(2025, 3, 10)


@pytest.fixture(scope="module")
def runs():
    spec = CampaignScenario.from_file(CAMPAIGN_SAMPLE)
    first = run_campaign(spec)
    return first, run_campaign(spec, start=REPLAN, G=first.G)


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_replan_keeps_finished_days_and_swaps_the_rest_in_together(runs, tmp_path):
    first, again = runs
    out = tmp_path / "campaign"
    old = os.umask(0o022)
    try:
        write_campaign(first, out, maps="first")
        assert (out / "day-01-2025-03-03" / "index.html").is_file()
        written = write_campaign(again, out, maps="first")
    finally:
        os.umask(old)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["day-01-2025-03-03", f"day-01-{REPLAN.isoformat()}", "remaining.png",
                     "sites.csv", "summary.csv", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["files"] == names  # the campaign says what is its own
    assert summary["working_days"] == again.campaign.working_days
    assert set(written) == {f"day-01-{REPLAN.isoformat()}", "remaining.png", "sites.csv",
                            "summary.csv", "summary.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign"]  # no staging left
    # every file has the same mode (summaries were 0600, pages 0644); CSVs carry a BOM
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()} == {0o644}
    assert (out / "summary.csv").read_bytes().startswith(b"\xef\xbb\xbfstatus,day,")


def test_a_killed_replan_leaves_the_previous_campaign_whole(runs, tmp_path, monkeypatch):
    # issue 11: old day folders were deleted first and summaries written last
    first, again = runs
    out = tmp_path / "campaign"
    write_campaign(first, out, maps="none")
    before = snapshot(out)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # the dispatcher pressed Ctrl-C during the chart

    monkeypatch.setattr("planner._campaign_io._write_chart", boom)
    with pytest.raises(KeyboardInterrupt):
        write_campaign(again, out, maps="none")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign"]


def test_a_folder_with_a_users_file_is_refused_then_kept_with_force(runs, tmp_path):
    first, _ = runs
    out = tmp_path / "campaign"
    out.mkdir()
    (out / "important.txt").write_text("keep me")
    with pytest.raises(maps.MapsError, match=r"not a plan of ours \(important.txt\)"):
        write_campaign(first, out, maps="none")
    assert [p.name for p in out.iterdir()] == ["important.txt"]
    write_campaign(first, out, maps="none", force=True)
    assert (out / "important.txt").read_text() == "keep me"
    assert (out / "summary.json").is_file()

