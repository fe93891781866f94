"""Writing into the published folder: whole files only, never half, always readable by analysts.

Each file is written under a hidden temporary name in the same folder and renamed over the old one
with ``os.replace``, so a reader sees the previous file or the new one, never a partial one. A run
works under umask 0o077 (its private folders); what it writes here is made 0644, in folders of
0755, explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import duckdb

PUBLISHED_FILE_MODE = 0o644  # analysts read it; only the pipeline's user writes
PUBLISHED_DIR_MODE = 0o755


def public_dir(path: Path) -> Path:
    """Create a published folder (and missing parents) with mode 0755 whatever the umask; an
    existing folder keeps the mode its owner gave it."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        os.chmod(folder, PUBLISHED_DIR_MODE)
    return path


def replace_file(path: Path, write: Callable[[Path], None]) -> Path:
    """``write(tmp)`` then ``os.replace(tmp, path)``; the temporary file is removed on failure."""
    public_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.chmod(tmp, PUBLISHED_FILE_MODE)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def replace_text(path: Path, text: str) -> Path:
    return replace_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


@contextmanager
def read_published(warehouse: Path):
    """The analysts' connection to the published file (read-only, blind to every other file)."""
    from publish.access import connect_published

    con = connect_published(warehouse)
    try:
        yield con
    finally:
        con.close()


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name"
        ).fetchall()
    ]
