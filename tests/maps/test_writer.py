"""The output writer: stage beside the target, one rename, never delete what is not ours."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from maps import MapsError
from maps._writer import (
    check_output_dir,
    clean_stale,
    csv_text,
    plan_entries,
    staged_folder,
    write_file,
)


def write_plan(target: Path, names: dict[str, str], **kwargs) -> None:
    """A folder as write_outputs writes it: the files, then a summary.json listing them."""
    with staged_folder(target, **kwargs) as stage:
        for name, text in names.items():
            write_file(stage / name, text)
        files = sorted([*names, "summary.json"])
        write_file(stage / "summary.json", json.dumps({"totals": {}, "files": files}))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_folder_gets_the_same_modes_for_every_file(tmp_path, umask_022):
    target = tmp_path / "out" / "2025-05-06"
    write_plan(target, {"index.html": "<html>", "dispatch.csv": "a,b\n"})
    assert listing(target) == ["dispatch.csv", "index.html", "summary.json"]
    for p in target.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p.name
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert listing(target.parent) == ["2025-05-06"]  # no staging folder left


def test_a_folder_with_a_users_file_is_refused_and_untouched(tmp_path):
    target = tmp_path / "plan"
    target.mkdir()
    (target / "important.txt").write_text("keep me")
    with pytest.raises(MapsError, match=r"not a plan of ours \(important.txt\).*--force"):
        write_plan(target, {"index.html": "new"})
    assert listing(target) == ["important.txt"]
    assert listing(tmp_path) == ["plan"]


def test_force_writes_beside_the_users_files_and_keeps_them(tmp_path):
    target = tmp_path / "plan"
    (target / "notes").mkdir(parents=True)
    (target / "important.txt").write_text("keep me")
    (target / "notes" / "a.txt").write_text("and me")
    write_plan(target, {"index.html": "new"}, force=True)
    assert listing(target) == ["important.txt", "index.html", "notes", "summary.json"]
    assert (target / "important.txt").read_text() == "keep me"
    assert (target / "notes" / "a.txt").read_text() == "and me"
    # the next plan is written over the plan, still keeping them
    write_plan(target, {"index.html": "newer"}, force=True)
    assert (target / "index.html").read_text() == "newer"
    assert (target / "important.txt").read_text() == "keep me"


def test_force_never_overwrites_a_file_that_is_not_ours(tmp_path):
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("the user's web page")
    with pytest.raises(MapsError, match="index.html would be overwritten"):
        write_plan(target, {"index.html": "plan"}, force=True)
    assert (target / "index.html").read_text() == "the user's web page"


def test_a_previous_plan_is_replaced_whole(tmp_path):
    target = tmp_path / "plan"
    write_plan(target, {"index.html": "old", "truck-T03.html": "old truck"})
    (target / "plan.json").write_text("{}")  # written beside a day by the sweep tools
    write_plan(target, {"index.html": "new"})
    assert listing(target) == ["index.html", "summary.json"]  # T03's page went with its plan
    assert (target / "index.html").read_text() == "new"


def test_a_plan_written_before_summaries_listed_their_files_is_ours(tmp_path):
    target = tmp_path / "plan"
    target.mkdir()
    (target / "summary.json").write_text(json.dumps({"totals": {}, "trucks": []}))
    (target / "sheet-T01.csv").write_text("old")
    assert plan_entries(target) == {"summary.json", "sheet-T01.csv"}
    write_plan(target, {"index.html": "new"})
    assert listing(target) == ["index.html", "summary.json"]


def test_a_crash_leaves_the_previous_plan_untouched(tmp_path):
    target = tmp_path / "plan"
    write_plan(target, {"index.html": "old"})
    with pytest.raises(RuntimeError, match="disk on fire"), staged_folder(target) as stage:
        write_file(stage / "index.html", "half")
        raise RuntimeError("disk on fire")
    assert (target / "index.html").read_text() == "old"
    assert listing(tmp_path) == ["plan"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: (tmp / "f.txt").write_text("x") and tmp / "f.txt", "is a file"),
        (lambda tmp: (tmp / "f.txt").write_text("x") and tmp / "f.txt" / "plan",
         "which is a file, not a folder"),
        (lambda tmp: Path("."), "the folder you are working in"),
        (lambda tmp: Path(".."), "the folder you are working in"),
        (lambda tmp: Path("/proc"), "is a mount point"),
        (lambda tmp: Path("/proc/sanitation-plan"), "cannot write in '/proc'"),
    ],
    ids=["a-file", "under-a-file", "dot", "parent-of-cwd", "mount-point", "read-only"],
)
def test_output_locations_refused_before_any_work(tmp_path, monkeypatch, make, message):
    monkeypatch.chdir(tmp_path)
    target = make(tmp_path)
    with pytest.raises(MapsError, match=message):
        check_output_dir(target)


def test_the_home_folder_is_refused(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(MapsError, match="is your home folder"):
        check_output_dir(home, force=True)


def test_a_symbolic_link_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(MapsError, match="is a symbolic link"):
        check_output_dir(tmp_path / "link")


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_stale_staging_of_a_dead_run_is_removed(tmp_path):
    target = tmp_path / "plan"
    write_plan(target, {"index.html": "old"})
    import maps._writer as w

    dead = tmp_path / f".plan.{dead_pid()}@{w._host()}.abc123.staging"
    (dead / "sub").mkdir(parents=True)
    (dead / "index.html").write_text("complete-looking page")
    alive = tmp_path / f".plan.{os.getppid()}@{w._host()}.def456.staging"
    alive.mkdir()
    other = tmp_path / ".other.123@h.x.staging"  # another target's: not ours to judge
    other.mkdir()
    assert clean_stale(target) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name, "plan"])


def test_staging_of_an_older_version_is_removed_once_it_is_old(tmp_path):
    target = tmp_path / "plan"
    legacy = tmp_path / ".plan.k2j4_x9q.staging"
    legacy.mkdir()
    assert clean_stale(target) == []  # could still be running
    os.utime(legacy, (0, 0))
    assert clean_stale(target) == [legacy]


def test_a_run_killed_between_the_two_renames_gets_its_old_plan_back(tmp_path):
    import maps._writer as w

    target = tmp_path / "plan"
    write_plan(target, {"index.html": "old"})
    old = tmp_path / f".plan.{dead_pid()}@{w._host()}.abc.old"
    target.rename(old)
    write_plan(target, {"index.html": "new"})  # restores, then replaces it as ours
    assert (target / "index.html").read_text() == "new"
    assert listing(tmp_path) == ["plan"]


def test_killed_mid_write_then_written_again(tmp_path):
    """A real kill (SIGKILL) while staging: the old plan stays, the next run cleans up."""
    target = tmp_path / "plan"
    write_plan(target, {"index.html": "old"})
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from maps._writer import staged_folder, write_file
        with staged_folder(Path({str(target)!r})) as stage:
            write_file(stage / "index.html", "complete-looking page")
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    import maps

    env = {**os.environ, "PYTHONPATH": str(Path(maps.__file__).parents[1])}  # this checkout
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=False)
    assert proc.returncode == -9
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".staging")]
    assert len(leftovers) == 1 and (target / "index.html").read_text() == "old"
    write_plan(target, {"index.html": "new"})
    assert listing(tmp_path) == ["plan"]
    assert (target / "index.html").read_text() == "new"


def test_csv_text_has_a_bom_and_quotes_formulas():
    rows = [{"name": "=HYPERLINK(\"x\")", "notes": "@SUM(A1)", "tonnes": -3.5, "eta": "-2.5"},
            {"name": "+1 555 0100", "notes": "-cmd|' /C calc'!A0", "tonnes": 2, "eta": "08:00"}]
    text = csv_text(rows, ("name", "notes", "tonnes", "eta"))
    assert text.startswith("\ufeffname,notes,tonnes,eta\n")
    lines = text.splitlines()
    assert lines[1] == "\"'=HYPERLINK(\"\"x\"\")\",'@SUM(A1),-3.5,-2.5"
    assert lines[2] == "'+1 555 0100,'-cmd|' /C calc'!A0,2,08:00"


def test_write_file_is_atomic_and_leaves_no_temporary(tmp_path, umask_022):
    path = write_file(tmp_path / "a.json", "{}")
    write_file(path, b"{\"b\": 1}")
    assert path.read_bytes() == b"{\"b\": 1}"
    assert listing(tmp_path) == ["a.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
