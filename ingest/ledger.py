"""The load ledger, the quarantine, and the journal that survives a run killed while reading.

``raw.load_ledger`` has one row per landed file version: a path and the sha256 of its bytes. Statuses:

- ``loaded``: its rows are in ``raw.<source>`` or ``raw.quarantine`` (counts reconcile);
- ``rejected``: unusable as a whole (every row quarantined with the reason, or one entry when its
  rows cannot be counted), or changed after it was loaded, or the file a previous run died reading;
- ``duplicate``: the same bytes as a file already loaded or rejected: changes nothing;
- ``skipped``: not a file the contract lands (its reason says why); re-examined when it changes;
- ``deferred``: a temporary name or a file still being written: read on a later run. Deferred rows
  describe the landing folder as it is now and are rewritten every run.

A file is recognised as already seen by its path, size and modification time, so a nightly run does
not hash the whole landing folder again; a file whose size or time changed is hashed, and different
bytes under a path already loaded are reported, never silently ignored or loaded twice.

``display_file`` is the path with any part that holds an ID number or a known name redacted
(:mod:`ingest.redact`): what the published ledger and the logs show.

The **journal** (``<build dir>/ingest.journal``) records, before each step that reads or normalises
landed content, which files it is about. A run that dies (out of memory, a native crash, a kill)
leaves it behind; the next run rejects the file that was being read, and reads the files of a batch
that died in normalisation one at a time, so a file that kills the process stops one night, not
every night. A run killed while writing (nothing to do with the content) simply reads again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

LOADED, REJECTED, DUPLICATE, SKIPPED, DEFERRED = "loaded", "rejected", "duplicate", "skipped", "deferred"
FINAL = (LOADED, REJECTED, DUPLICATE)
LAYOUT = "2"  # raw.build_meta 'layout': the ledger's key and columns

LEDGER_DDL = """
create table if not exists raw.load_ledger (
    load_id varchar, source varchar, source_file varchar, file_name varchar,
    export_date date, file_bytes bigint, rows_landed bigint, rows_loaded bigint,
    rows_quarantined bigint, status varchar, message varchar, duplicate_of varchar,
    run_id varchar, loaded_at timestamp, file_mtime_ns bigint, display_file varchar
)"""
QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    load_id varchar, source varchar, source_file varchar, export_date date, row_number bigint,
    column_name varchar, reason varchar, value varchar, run_id varchar, quarantined_at timestamp
)"""
META_DDL = "create table if not exists raw.build_meta (key varchar primary key, value varchar)"
NAME_KEYS_DDL = "create table if not exists raw.name_keys (name_key varchar primary key)"

LEDGER_COLUMNS = (
    "load_id, source, source_file, file_name, export_date, file_bytes, rows_landed, rows_loaded, "
    "rows_quarantined, status, message, duplicate_of, run_id, loaded_at, file_mtime_ns, display_file"
)


@dataclass(frozen=True)
class Seen:
    """The latest ledger row of a path."""

    load_id: str | None
    status: str
    size: int | None
    mtime_ns: int | None
    message: str | None
    loaded_at: object


def seen_paths(con) -> dict[str, Seen]:
    rows = con.execute(
        """
        select source_file, load_id, status, file_bytes, file_mtime_ns, message, loaded_at
        from raw.load_ledger
        qualify row_number() over (partition by source_file order by loaded_at desc, status = 'loaded') = 1
        """
    ).fetchall()
    return {r[0]: Seen(*r[1:]) for r in rows}


def content_hashes(con) -> dict[str, tuple[str, str]]:
    """load_id -> (source_file, status) of every file version whose content was read."""
    rows = con.execute(
        "select load_id, source_file, status from raw.load_ledger "
        "where status in ('loaded', 'rejected') and load_id is not null order by loaded_at"
    ).fetchall()
    out: dict[str, tuple[str, str]] = {}
    for load_id, source_file, status in rows:
        out.setdefault(load_id, (source_file, status))
    return out


class Journal:
    """``{"run_id", "phase", "files"}`` in one small file, rewritten in place; removed when done."""

    def __init__(self, path: Path, run_id: str):
        self.path, self.run_id = path, run_id
        self._fd: int | None = None

    def previous(self) -> dict | None:
        """What the last run was doing when it died, if it died."""
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"phase": "unknown", "files": []}

    def mark(self, phase: str, files: list[str]) -> None:
        """Overwrite in place: a process that dies leaves the last complete write (the kernel has it).
        No fsync: the journal is about the process dying, not the machine."""
        data = json.dumps({"run_id": self.run_id, "phase": phase, "files": files, "pid": os.getpid()}).encode()
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))

    def clear(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)
