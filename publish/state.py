"""What a published warehouse was built from, to recognise a re-run that has nothing to do.

After each publish, the build directory records the state the published file reflects: the as-of
date and age bounds, the load ledger (files seen, latest load) and the dbt manifest's checksum. A
later run whose ingest found no new file and whose state is the same would rebuild identical marts,
so it stops after ingest and says so.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MARKER = "last_publish.json"


def current_state(con, settings, manifest: Path) -> dict:
    files, last_load = con.execute(
        "select count(*), coalesce(max(loaded_at)::varchar, '') from raw.load_ledger"
    ).fetchone()
    return {
        "as_of_date": settings.as_of_date.isoformat(),
        "min_age": settings.min_age,
        "max_age": settings.max_age,
        "ledger_files": files,
        "ledger_last_load": last_load,
        "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.exists() else "",
    }


def read_marker(build_dir: Path) -> dict | None:
    path = build_dir / MARKER
    return json.loads(path.read_text()) if path.exists() else None


def write_marker(build_dir: Path, state: dict) -> None:
    """Written (and fsynced, file then folder) only after the published file's rename is durable:
    a marker must never claim a publish that a power cut undid."""
    tmp = build_dir / (MARKER + ".tmp")
    with tmp.open("w") as fh:
        fh.write(json.dumps(state, indent=1, sort_keys=True))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(build_dir / MARKER)
    fd = os.open(build_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tested_through(settings) -> str | None:
    """The last load time (``raw.load_ledger.loaded_at``) of the build the published warehouse was
    made from, whose checks and tests all passed: rows of files loaded after it are untested (this
    night's, and a failed night's since). None, every row untested: a full refresh, nothing
    published yet, or a publish of an empty ledger. dbt's staging tests and the raw-layer suites
    read the same rows."""
    if settings.full_refresh:
        return None
    return (read_marker(settings.build_dir) or {}).get("ledger_last_load") or None


def clear_marker(build_dir: Path) -> None:
    (build_dir / MARKER).unlink(missing_ok=True)


def remove_stale_marker_temp(build_dir: Path) -> list[Path]:
    """The marker's temp file of a run killed while writing it (call holding the build lock)."""
    tmp = build_dir / (MARKER + ".tmp")
    if tmp.exists():
        tmp.unlink()
        return [tmp]
    return []
