"""The export log: every person-level list that left the restricted store, append-only and hash-chained.

``<restricted dir>/export_log.jsonl`` holds one JSON object a line: the export's sequence number,
time (UTC), who said they were exporting (``--who``) and the operating-system account that ran it,
the list, year, row count, file and its SHA-256, the build's as-of date, then ``prev``, the hash of
the previous entry (64 zeros for the first), and ``hash``, the SHA-256 of the entry's canonical JSON
without ``hash`` itself. Changing, removing or inserting an entry breaks the link at that entry:
``talent export verify-log`` finds the first broken one.

Why a file of its own: it sits in the restricted folder (0700, the file 0600) beside the person
store but apart from it, so rebuilding the store (``talent refresh --full-refresh``) never touches
it. It is only ever opened with ``O_APPEND``; each entry is written with one ``write`` under an
exclusive ``flock`` of the log (two exports at once cannot fork the chain) and fsynced before the
export's file is moved into place: an export whose file exists is always logged.

A chain shows edits but not a cut tail: deleting the last entries leaves a valid, shorter chain.
``verify-log`` prints the head (the last hash and the count); keeping it somewhere else (the
operator's ticket, a log server) lets a later check notice a shortened log.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pwd
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.private import private_dir, private_umask

LOG_NAME = "export_log.jsonl"
GENESIS = "0" * 64


class ExportLogBroken(RuntimeError):
    """The log cannot be extended: its last entry is damaged."""


def log_path(restricted_dir: Path) -> Path:
    return Path(restricted_dir) / LOG_NAME


def _canonical(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: dict) -> str:
    """SHA-256 of the entry's canonical JSON, ``hash`` left out."""
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def os_user() -> str:
    """The account the process runs as (from the uid, not from $USER, which anyone can set)."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def append(restricted_dir: Path, record: dict) -> dict:
    """Append ``record`` (who, export, year, rows, file, file_sha256, as_of_date) as the next entry;
    returns the entry as written. Raises :class:`ExportLogBroken` when the last entry is damaged."""
    path = log_path(private_dir(Path(restricted_dir)))
    with private_umask():
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, prev = _tip(path)
        entry = {
            "seq": seq + 1,
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            **record,
            "os_user": os_user(),
            "uid": os.geteuid(),
            "host": socket.gethostname(),
            "prev": prev,
        }
        entry["hash"] = entry_hash(entry)
        line = _canonical(entry) + b"\n"
        if os.write(fd, line) != len(line):
            raise OSError(f"short write to {path}")
        os.fsync(fd)
        if seq == 0:
            _fsync_dir(path.parent)  # the log's own name survives a power cut
    finally:
        os.close(fd)  # releases the flock
    return entry


def _tip(path: Path) -> tuple[int, str]:
    """(sequence number, hash) of the last entry, (0, GENESIS) for an empty log."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return 0, GENESIS
        chunk = min(size, 1 << 16)
        fh.seek(size - chunk)
        tail = fh.read(chunk)
    if not tail.endswith(b"\n"):
        raise ExportLogBroken(
            f"the export log {path} ends with an incomplete entry: run `talent export verify-log`; "
            "exports are refused until the log is looked into (move it aside, keep it, and the next "
            "export starts a new chain)"
        )
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        entry = json.loads(last)
        if entry_hash(entry) != entry["hash"]:
            raise ValueError("hash")
        return int(entry["seq"]), entry["hash"]
    except (ValueError, KeyError, TypeError):
        raise ExportLogBroken(
            f"the last entry of the export log {path} does not match its hash: run `talent export "
            "verify-log`; exports are refused until the log is looked into"
        ) from None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Verification:
    path: Path
    entries: int  # entries read (all of them when intact)
    head: str  # hash of the last intact entry (GENESIS when none)
    broken_at: int | None = None  # line number of the first broken entry
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def describe(self) -> str:
        if not self.intact:
            return (
                f"export log {self.path}: BROKEN at entry {self.broken_at} (line {self.broken_at}): "
                f"{self.reason}; the {self.broken_at - 1} entries before it are intact"
            )
        if self.entries == 0:
            return f"export log {self.path}: no exports logged yet"
        return f"export log {self.path}: chain intact, {self.entries} entries, head {self.head}"


def verify(path: Path) -> Verification:
    """Walk the chain from the first entry; stop at the first entry that does not hold."""
    path = Path(path)
    if not path.exists():
        return Verification(path, 0, GENESIS)
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete = lines[:-1]  # the text after the last newline is an incomplete entry (or empty)
    prev = GENESIS
    for number, raw in enumerate(complete, start=1):
        reason = _check(raw, number, prev)
        if reason:
            return Verification(path, number - 1, prev, number, reason)
        prev = json.loads(raw)["hash"]
    if lines[-1]:
        return Verification(path, len(complete), prev, len(complete) + 1, "incomplete last entry")
    return Verification(path, len(complete), prev)


def _check(raw: bytes, number: int, prev: str) -> str:
    """Why entry ``number`` (one line) breaks the chain, or "" when it holds."""
    try:
        entry = json.loads(raw)
    except ValueError:
        return "not a JSON object (the line was altered or truncated)"
    if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
        return "not a log entry (no hash)"
    if entry.get("seq") != number:
        return (
            f"sequence number {entry.get('seq')!r} where {number} was expected "
            "(an entry before it was removed, or one inserted)"
        )
    if entry.get("prev") != prev:
        if number == 1:
            return "the first entry does not start the chain"
        return "does not link to the entry before it (that entry was changed or removed)"
    if entry_hash(entry) != entry["hash"]:
        return "its content does not match its hash (changed after it was written)"
    return ""


def entries(path: Path) -> list[dict]:
    """Every entry, in order (for display and tests; does not verify)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
