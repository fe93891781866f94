"""The refresh runs, one JSON line each, in ``<build dir>/runs.jsonl``: what `talent status`, the
alerts and the published ``audit.refresh`` say about past nights.

Written when a run ends, by whoever saw it end: `talent refresh` (orchestration.run), or the daemon's
run-status sensors for runs started by the schedule, the landing sensor or the Dagster UI. A line
holds no landed value: run id, who started it, times, as-of date, outcome, and the failed steps and
checks by name (steps with their error classes, never an error's text). Appended with ``O_APPEND``
(one ``write`` per line), so two writers never interleave; the last line of a run id wins.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

HISTORY = "runs.jsonl"
KEEP = 2000  # lines kept when the file is compacted

PUBLISHED = "published"
UP_TO_DATE = "up_to_date"
FAILED = "failed"
PUBLISHED_WITH_ERRORS = "published_with_errors"  # published, but a non-blocking error check failed
OUTCOMES = (PUBLISHED, UP_TO_DATE, FAILED, PUBLISHED_WITH_ERRORS)


def now_utc() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def path(build_dir: Path) -> Path:
    return Path(build_dir) / HISTORY


def record(build_dir: Path, entry: dict) -> None:
    """Append one run (a dict with at least ``run_id`` and ``outcome``)."""
    if entry.get("outcome") not in OUTCOMES:
        raise ValueError(f"unknown outcome {entry.get('outcome')!r}")
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    line = (json.dumps({"finished_at": now_utc(), **entry}, ensure_ascii=False, sort_keys=True) + "\n").encode()
    fd = os.open(path(build_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    if path(build_dir).stat().st_size > KEEP * 2 * 400:  # about twice what is kept: compact
        runs = read(build_dir)[-KEEP:]
        tmp = path(build_dir).with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in runs))
        tmp.replace(path(build_dir))


def read(build_dir: Path) -> list[dict]:
    """Every recorded run, oldest first (by finish time); a run id recorded twice counts once (the last)."""
    file = path(Path(build_dir))
    if not file.exists():
        return []
    runs: dict[str, dict] = {}
    for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash
        if isinstance(entry, dict) and entry.get("run_id"):
            runs.pop(entry["run_id"], None)
            runs[entry["run_id"]] = entry
    return sorted(runs.values(), key=lambda r: r.get("finished_at", ""))


def last(build_dir: Path) -> dict | None:
    runs = read(build_dir)
    return runs[-1] if runs else None
