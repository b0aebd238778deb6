"""Filled-in route sheets read back and fed to the campaign's ``--progress``."""

from __future__ import annotations

import csv

import pytest
from exports_fixtures import windowed_context

import maps
from planner import read_progress


@pytest.fixture(scope="module")
def day(G, snapped, matrix):
    return windowed_context(G, snapped, matrix)


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _filled(day, tmp_path, fill):
    """Sheets of T1 and T2 as CSV, with ``fill(row)`` applied to each stop row."""
    paths = []
    for vid in ("T1", "T2"):
        rows = maps.route_sheet_rows(day, vid)
        for row in rows:
            if row["kind"] == "stop":
                fill(row)
        paths.append(_write(tmp_path / f"sheet-{vid}.csv", rows))
    return paths


def test_filled_sheets_round_trip_into_campaign_progress(day, tmp_path):
    def fill(row):
        if row["site_id"] == "DS-2":
            row.update(done="x", done_at="07:05")  # done as planned: the planned tonnes
        elif row["stop_id"] == "DS-3#1":
            row.update(done="✓", tonnes_cleared="5,5", remarks="bigger than reported")
        elif row["stop_id"] == "DS-3#2":
            row.update(tonnes_cleared="4")  # tonnes written without a tick still count

    done = maps.read_sheet_progress(_filled(day, tmp_path, fill))
    assert [(d["site_id"], d["tonnes_cleared"], d["truck"]) for d in done] == [
        ("DS-2", 3.0, "T1"), ("DS-3", 5.5, "T1"), ("DS-3", 4.0, "T2")]
    path = maps.write_progress_csv(done, tmp_path / "done.csv")
    cleared, history = read_progress(path)  # what `campaign --progress done.csv` reads
    assert cleared == {"DS-2": 3.0, "DS-3": 9.5}
    assert {h["date"] for h in history} == {"2024-05-01"} and len(history) == 3


def test_an_untouched_sheet_reports_nothing_done(day, tmp_path):
    assert maps.read_sheet_progress(_filled(day, tmp_path, lambda row: None)) == []


def test_bad_entries_name_the_file_line_and_column(day, tmp_path):
    def fill(row):
        if row["site_id"] == "DS-1":
            row["done"] = "maybe"
        elif row["site_id"] == "DS-2":
            row["tonnes_cleared"] = "-2"

    paths = _filled(day, tmp_path, fill)
    with pytest.raises(maps.SheetError) as exc:
        maps.read_sheet_progress([*paths, tmp_path / "nope.csv"])
    text = str(exc.value)
    assert "3 problem(s)" in text
    # T1's sheet: line 2 leaves the depot, line 3 is DS-2, line 4 DS-1
    assert "sheet-T1.csv: line 4 (DS-1), done: got 'maybe'; write x (done)" in text
    assert "sheet-T1.csv: line 3 (DS-2), tonnes_cleared: got '-2'" in text
    assert "nope.csv: file does not exist" in text


def test_a_file_that_is_not_a_sheet_is_refused(tmp_path):
    path = tmp_path / "progress.csv"
    path.write_text("site_id,tonnes_cleared\nDS-1,3\n")
    with pytest.raises(maps.SheetError, match="columns date, kind, tonnes, done are missing"):
        maps.read_sheet_progress([path])


def test_the_written_sheet_files_read_back(G, snapped, matrix, tmp_path):
    # the files write_outputs wrote (BOM, quoting for spreadsheets), edited as a
    # spreadsheet saves them, feed the progress file
    from exports_fixtures import windowed_plan, windowed_problem

    problem = windowed_problem(matrix)
    files = maps.write_outputs(windowed_plan(problem), problem=problem, G=G, snapped=snapped,
                               matrix=matrix, out_dir=tmp_path / "day", date="2024-05-01")
    with open(files["dispatch.csv"], newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["kind"] == "stop" and row["site_id"] == "DS-4":
            row["tonnes_cleared"] = "2.0"
    _write(tmp_path / "dispatch-filled.csv", rows)
    done = maps.read_sheet_progress([tmp_path / "dispatch-filled.csv",
                                     files["sheet-T1.csv"]])  # T1's untouched
    assert [(d["site_id"], d["tonnes_cleared"], d["truck"]) for d in done] == [
        ("DS-4", 2.0, "T2")]
