"""The landing folder: every file in it, in apply order, each a candidate to read or set aside.

``<landing>/<source>/<YYYY-MM-DD>/<file>.csv|.xlsx`` is the contract's layout. Everything else that
is found still ends as a ledger row with its reason, never silently ignored:

- ``deferred`` (read on a later run): a temporary name (``*.part``, ``*.tmp``, a name starting with
  ``.``), or a file modified less than the settle time ago (still being copied);
- ``skipped``: not ``.csv``/``.xlsx``; not under a ``YYYY-MM-DD`` folder of a known source; a folder
  that is not a date; a symbolic link leading out of the landing folder (never followed) or to a
  folder.

Top-level folders whose names start with ``_`` or ``.`` (the generator's ``_ground_truth``) are not
landing areas and are not walked. File names that are not valid UTF-8 (a GBK name from a Windows
archive) are read, and recorded under their GB18030 reading with a note.
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest import contract as c

SUPPORTED = (".csv", ".xlsx")
TEMPORARY = (".part", ".tmp")
DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")

CANDIDATE = "candidate"
DEFERRED = "deferred"
SKIPPED = "skipped"


@dataclass(frozen=True)
class LandedFile:
    source: str | None  # None outside a known source folder
    path: Path  # where to read it (may hold surrogate-escaped bytes of a non-UTF-8 name)
    source_file: str  # relative to the landing root, '/'-separated, valid text
    export_date: date | None
    size: int
    mtime_ns: int
    kind: str = CANDIDATE  # candidate | deferred | skipped
    reason: str = ""  # why deferred or skipped
    note: str = ""  # something worth recording about a candidate (a non-UTF-8 name)

    @property
    def file_name(self) -> str:
        return self.source_file.rsplit("/", 1)[-1]

    @property
    def order(self) -> tuple:
        return (self.export_date or date.min, self.file_name, self.source_file)

    @property
    def suffix(self) -> str:
        return Path(self.file_name).suffix.lower()


def text_name(name: str) -> tuple[str, str]:
    """A file or folder name as valid text, and a note when its bytes were not UTF-8."""
    try:
        name.encode("utf-8")
        return name, ""
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    try:
        return raw.decode("gb18030"), "file name is not UTF-8: recorded as read in GB18030"
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), "file name is not valid text: undecodable bytes escaped"


def discover(
    landing: Path,
    sources: tuple[str, ...] | None = None,
    *,
    settle_seconds: float = 0,
    now: float | None = None,
) -> list[LandedFile]:
    """Every file under ``landing`` (not following links), in contract apply order.

    ``sources`` limits the walk to some source folders (the benchmark); by default every folder is
    walked and files outside known sources are returned as skipped.
    """
    if not landing.is_dir():
        return []
    now = time.time() if now is None else now
    root = Path(os.path.realpath(landing))
    found: list[LandedFile] = []

    def add(path: Path, rel: list[str], st: os.stat_result, source, export, kind, reason):
        names, notes = zip(*(text_name(part) for part in rel), strict=True)
        note = next((n for n in notes if n), "")
        found.append(
            LandedFile(source, path, "/".join(names), export, st.st_size, st.st_mtime_ns, kind, reason, note)
        )

    for dirpath, dirnames, filenames in os.walk(landing, followlinks=False):
        here = Path(dirpath)
        parts = list(here.relative_to(landing).parts)
        if not parts:  # the landing root: walk only the landing areas
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(("_", ".")))
        else:
            dirnames.sort()
        top = parts[0] if parts else None
        source = top if top in (sources or c.SOURCES) else None
        for name in sorted(dirnames):  # links to folders: recorded, never followed
            path = here / name
            if path.is_symlink():
                add(path, [*parts, name], path.lstat(), source, None, SKIPPED,
                    "symbolic link to a folder: not followed")
        for name in sorted(filenames):
            path = here / name
            rel = [*parts, name]
            try:
                lst = path.lstat()
            except OSError:  # vanished while walking
                continue
            st = lst
            export = _export_date(parts)
            kind, reason = CANDIDATE, ""
            if stat.S_ISLNK(lst.st_mode):
                target = os.path.realpath(path)
                if os.path.commonpath([root, target]) != str(root):
                    kind, reason = SKIPPED, "symbolic link to a file outside the landing folder: not followed"
                else:
                    try:
                        st = os.stat(path)
                    except OSError:
                        kind, reason = SKIPPED, "broken symbolic link"
                    else:
                        if not stat.S_ISREG(st.st_mode):
                            kind, reason = SKIPPED, "symbolic link to something that is not a file"
            elif not stat.S_ISREG(lst.st_mode):
                kind, reason = SKIPPED, "not a regular file"
            if kind == CANDIDATE:
                kind, reason = _classify(rel, source, export, name, st, now, settle_seconds, sources)
            if kind is None:  # outside the sources the caller asked for
                continue
            add(path, rel, st, source, export, kind, reason)
    return sorted(found, key=lambda f: f.order)


def _export_date(parts: list[str]) -> date | None:
    if len(parts) != 2 or not DATE_DIR.match(parts[1]):
        return None
    try:
        return date.fromisoformat(parts[1])
    except ValueError:
        return None


def _classify(rel, source, export, name, st, now, settle_seconds, sources) -> tuple[str | None, str]:
    top = rel[0]
    if len(rel) == 1:
        return (None, "") if sources else (SKIPPED, "not inside a source folder")
    if source is None:
        if sources:
            return None, ""
        return SKIPPED, f"not a source folder ({', '.join(c.SOURCES)})"
    lowered = name.lower()
    if name.startswith(".") or lowered.endswith(TEMPORARY):
        return DEFERRED, "temporary name (*.part, *.tmp or starting with '.'): waiting for the transfer to finish"
    if len(rel) == 2:
        return SKIPPED, "not under a <YYYY-MM-DD> export-date folder"
    if export is None:
        if len(rel) > 3 and DATE_DIR.match(rel[1]):
            return SKIPPED, "in a folder below the export-date folder"
        return SKIPPED, f"folder {text_name(rel[1])[0]!r} of {top} is not a <YYYY-MM-DD> export date"
    if Path(lowered).suffix not in SUPPORTED:
        return SKIPPED, "not a .csv or .xlsx file"
    if settle_seconds and now - st.st_mtime < settle_seconds:
        return DEFERRED, f"modified less than {int(settle_seconds)} s ago: left for the next run"
    return CANDIDATE, ""


FINAL_STATUSES = frozenset({"loaded", "rejected", "duplicate", "skipped"})  # a file ingest is done with


def new_settled_files(
    landing: Path, known: dict[str, tuple[str, int, int]], settle_seconds: float, now: float | None = None
) -> list[LandedFile]:
    """Files of the landing that a run would read now and has not read yet: candidates (settled,
    not temporary, in a ``<source>/<YYYY-MM-DD>/`` folder, ``.csv``/``.xlsx``) whose path is not in
    ``known`` (source_file -> latest ledger status, size, mtime_ns), changed since, or was left for
    later (a status that is not final). What the landing sensor starts a run for."""
    out = []
    for f in discover(landing, settle_seconds=settle_seconds, now=now):
        if f.kind != CANDIDATE or f.source is None:
            continue
        seen = known.get(f.source_file)
        if seen is None or seen[0] not in FINAL_STATUSES or (seen[1], seen[2]) != (f.size, f.mtime_ns):
            out.append(f)
    return out
