"""The one writer of output folders (daily plans, campaigns): nothing lost, nothing half-done.

A folder is written whole: everything is rendered into a staging folder beside the
target (``.NAME.<pid>@<host>.<random>.staging``), then swapped in with one rename
(``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, undone on the next
write if the process died between them). A reader sees the old plan or the new one,
never a mixture, and a kill leaves the old plan in place.

What may be replaced: a new or empty folder, or a previous plan of ours, recognised by
its ``summary.json`` (which lists the folder's files) and the project's file names. A
folder holding anything else (a user's ``important.txt``) is refused, unless
``force=True``: then those entries are kept, carried into the new folder by hard links.
Nothing this writer did not write is ever deleted. Refused outright: a file, a path
under a file, the working folder or one of its parents, the home folder, a mount point,
a symbolic link and a place that cannot be written; :func:`check_output_dir` says so
before any work is done.

Staging folders left by a killed run (their process gone, or older than
:data:`STALE_AFTER_S`) are removed the next time the same target is written. Every file
gets the same mode, ``0o666`` less the umask (0644 with the usual umask 022), and every
folder ``0o777`` less the umask, whichever function wrote it.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from i18n import gettext
from maps._errors import MapsError

__all__ = [
    "STALE_AFTER_S",
    "check_output_dir",
    "csv_text",
    "exchange",
    "link_copy",
    "plan_entries",
    "staged_folder",
    "write_file",
]

logger = logging.getLogger(__name__)

#: A staging folder whose owner cannot be checked is stale after this many seconds.
STALE_AFTER_S = 6 * 3600
#: Names the project writes into a plan folder (daily, campaign, and tools beside them).
_OUR_NAMES = re.compile(
    r"(index\.html|summary\.json|dispatch\.csv|routes\.geojson|stops\.geojson|plan\.json"
    r"|timeline\.html|truck-[^/]+\.(html|gpx)|sheet-[^/]+\.(csv|html)|summary\.csv|sites\.csv"
    r"|remaining\.png"
    r"|day-\d+-\d{4}-\d{2}-\d{2})")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_BOM = "\ufeff"


# -- files ------------------------------------------------------------------------------
def write_file(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write one file atomically: a temporary name in the same folder, then ``os.replace``.

    Text is written as UTF-8 without newline translation. The file is created with mode
    ``0o666`` less the umask, like every output (``tempfile.mkstemp`` would give 0600).
    Returns the path.
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def _safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _NUMBER.fullmatch(value):  # fmt: skip
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV for people's spreadsheets: a UTF-8 BOM, formula-like text cells quoted.

    The BOM makes Excel (a Chinese Windows one too) read the file as UTF-8; a text cell
    starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    ``'`` so it shows as text instead of running as a formula (numbers, ``-3.5`` as text
    included, are left alone).
    """
    buf = io.StringIO()
    buf.write(_BOM)
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _safe_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()


# -- what is ours -----------------------------------------------------------------------
def plan_entries(folder: str | os.PathLike[str]) -> set[str] | None:
    """The entries of ``folder`` that a plan of ours wrote, or ``None`` if it is not ours.

    A plan folder has a ``summary.json`` of ours: its ``files`` list names what was
    written (folders written before it had one are recognised by their keys). Inside
    such a folder the project's own file names count as ours too (``plan.json`` written
    beside a day by the sweep and district tools).
    """
    folder = Path(folder)
    try:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    files = data.get("files")
    listed = set(files) if isinstance(files, list) and all(isinstance(f, str) for f in files) \
        else None  # fmt: skip
    if listed is None and not ({"totals", "trucks"} <= data.keys() or "working_days" in data):
        return None
    try:
        names = {e.name for e in folder.iterdir()}
    except OSError:
        return None
    return {n for n in names if (listed is not None and n in listed)
            or _OUR_NAMES.fullmatch(n)} | {"summary.json"}


def _foreign(folder: Path) -> list[str]:
    """Entries of an existing folder that are not ours (sorted)."""
    try:
        names = sorted(e.name for e in folder.iterdir())
    except OSError as exc:
        raise MapsError(f"{folder}: cannot list the folder ({exc.strerror}); check its "
                        "permissions") from None
    ours = plan_entries(folder) or set()
    return [n for n in names if n not in ours]


# -- checks -----------------------------------------------------------------------------
def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(path.anchor or ".")


def _can_write_in(folder: Path) -> str | None:
    """None if a folder can be created in ``folder``, else the reason."""
    try:
        probe = tempfile.mkdtemp(prefix=".write-check.", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.rmdir(probe)
    return None


def check_output_dir(target: str | os.PathLike[str], *, force: bool = False,
                     label: str = "output folder") -> Path:
    """Refuse an output folder that cannot or may not be replaced, before any work.

    Parameters
    ----------
    target
        The folder a plan will be written to (it need not exist).
    force
        Allow a folder that holds entries that are not ours (they are kept).
    label
        How to name the folder in messages (``"--out"``, ``"output.folder"``).

    Returns
    -------
    pathlib.Path
        ``target`` with ``~`` expanded.

    Raises
    ------
    MapsError
        Naming the folder, what is wrong and what to give instead.
    """
    path = Path(target).expanduser()
    where = f"{label} {str(target)!r}"
    if path.is_symlink():
        raise MapsError(f"{where} is a symbolic link; give the folder it points to "
                        f"({os.path.realpath(path)}) or a new folder")
    if path.exists() and not path.is_dir():
        raise MapsError(gettext("{where} is a file; a plan is a folder of files: give a folder "
                                "name (a new one is created), e.g. out/today").format(where=where))
    anchor = _nearest_existing(path)
    if not anchor.is_dir():
        raise MapsError(f"{where} is under {str(anchor)!r}, which is a file, not a folder; "
                        "give a folder path")
    resolved, cwd = path.resolve(), Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise MapsError(f"{where} is the folder you are working in (or holds it); a plan "
                        "folder is replaced as a whole, so give a new folder inside it, e.g. "
                        "./plan")
    if resolved == Path.home().resolve():
        raise MapsError(f"{where} is your home folder; give a new folder inside it, e.g. "
                        "~/plans/today")
    if path.exists() and os.path.ismount(path):
        raise MapsError(f"{where} is a mount point; a plan folder is swapped in by renaming, "
                        "which a mount point cannot be: give a folder inside it, e.g. "
                        f"{path / 'plan'}")
    parent = path.parent if path.exists() else anchor
    why = _can_write_in(parent)
    if why is not None:
        raise MapsError(gettext("{where}: cannot write in {parent!r} ({why}); give a folder "
                                "you may write to").format(where=where, parent=str(parent),
                                                           why=why))
    if path.exists():
        if not os.access(path, os.W_OK | os.X_OK):
            raise MapsError(gettext("{where} is not writable; give a folder you may write "
                                    "to").format(where=where))
        foreign = _foreign(path)
        if foreign and not force:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more"
                                              if len(foreign) > 5 else "")
            raise MapsError(gettext(
                "{where} already holds files that are not a plan of ours ({files}); give a new "
                "or empty folder, or --force (force=True) to write the plan beside them (they "
                "are kept)").format(where=where, files=shown))
    return path


# -- staging and the swap ---------------------------------------------------------------
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]


def _token() -> str:
    return f"{os.getpid()}@{_host()}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _is_stale(entry: Path, pid: int | None, host: str | None) -> bool:
    try:
        age = time.time() - entry.lstat().st_mtime
    except OSError:
        return False
    if age > STALE_AFTER_S:
        return True
    if pid is None:  # an older version's staging folder: no owner recorded
        return age > 600
    return host == _host() and not _alive(pid)


def clean_stale(target: Path) -> list[Path]:
    """Remove staging folders of ``target`` left by runs that died; restore a lost plan.

    Returns what was removed or restored.
    """
    parent, name = target.parent, re.escape(target.name)
    ours = re.compile(rf"\.{name}\.(\d+)@([A-Za-z0-9-]*)\.[A-Za-z0-9_]+\.(staging|old)")
    legacy = re.compile(rf"\.{name}\.([a-z0-9_]+\.staging|old-[0-9a-f]{{8}})")
    done: list[Path] = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return done
    for entry in entries:
        m = ours.fullmatch(entry.name)
        if m is None and not legacy.fullmatch(entry.name):
            continue
        pid, host = (int(m[1]), m[2]) if m else (None, None)
        if not entry.is_dir() or entry.is_symlink() or not _is_stale(entry, pid, host):
            continue
        kind = m[3] if m else ("old" if ".old-" in entry.name else "staging")
        if kind == "old" and not target.exists():
            os.rename(entry, target)  # died between the two renames: the old plan is back
            logger.warning("restored %s from %s", target, entry.name)
        else:
            shutil.rmtree(entry, ignore_errors=True)
            logger.info("removed stale staging folder %s", entry)
        done.append(entry)
    return done


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``; False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    res = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return res == 0


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def swap_into_place(stage: Path, target: Path) -> None:
    """Put ``stage`` at ``target`` with one rename; remove the folder it replaces."""
    if not target.exists():
        os.rename(stage, target)
    elif exchange(stage, target):  # stage now holds the old folder
        shutil.rmtree(stage, ignore_errors=True)
    else:
        old = target.with_name(f".{target.name}.{_token()}.{uuid.uuid4().hex[:8]}.old")
        os.rename(target, old)
        try:
            os.rename(stage, target)
        except BaseException:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(target.parent)


def link_copy(src: Path, dst: Path) -> None:
    """Copy a file or folder tree by hard links (no data copied; a real copy if unsupported)."""
    def copy(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=copy)
    else:
        copy(str(src), str(dst))


def _make_stage(target: Path) -> Path:
    """A new empty folder beside ``target``, mode ``0o777`` less the umask (not mkdtemp's 0700)."""
    while True:
        stage = target.with_name(f".{target.name}.{_token()}.{uuid.uuid4().hex[:8]}.staging")
        try:
            os.mkdir(stage, 0o777)
            return stage
        except FileExistsError:
            continue


@contextlib.contextmanager
def staged_folder(target: str | os.PathLike[str], *, force: bool = False,
                  label: str = "output folder") -> Iterator[Path]:
    """Stage a folder beside ``target`` and swap it in when the block ends without error.

    Parameters
    ----------
    target
        The folder to (re)create; checked with :func:`check_output_dir`.
    force
        Keep entries of an existing ``target`` that are not ours (hard links into the new
        folder) instead of refusing it.
    label
        How to name the folder in messages.

    Yields
    ------
    pathlib.Path
        The empty staging folder to write into (same parent as ``target``).

    Raises
    ------
    MapsError
        The target may not be replaced (see :func:`check_output_dir`), or with
        ``force`` an entry that is not ours has the name of a new output.

    Examples
    --------
    >>> with staged_folder("out/today") as stage:  # doctest: +SKIP
    ...     write_file(stage / "index.html", "<html>...</html>")
    """
    target = check_output_dir(target, force=force, label=label)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    stage = _make_stage(target)
    try:
        yield stage
        if target.exists():
            keep = _foreign(target)
            if keep and not force:  # someone added files while we worked
                raise MapsError(f"{label} {str(target)!r} now holds files that are not a plan "
                                f"of ours ({', '.join(keep[:5])}); nothing was changed: move "
                                "them away or use force")
            clash = sorted(set(keep) & {e.name for e in stage.iterdir()})
            if clash:
                raise MapsError(f"{label} {str(target)!r}: {', '.join(clash)} would be "
                                "overwritten by the new plan and are not ours; move them away "
                                "(nothing was changed)")
            for name in keep:
                link_copy(target / name, stage / name)
        swap_into_place(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
