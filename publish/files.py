"""Writing into the published folder: whole files only, never half.

Each file is written under a hidden temporary name in the same folder and renamed over the old one
with ``os.replace``, so a reader sees the previous file or the new one, never a partial one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import duckdb


def replace_file(path: Path, write: Callable[[Path], None]) -> Path:
    """``write(tmp)`` then ``os.replace(tmp, path)``; the temporary file is removed on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def replace_text(path: Path, text: str) -> Path:
    return replace_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


@contextmanager
def read_published(warehouse: Path):
    """A read-only connection to the published file, with no access to other files or the network."""
    con = duckdb.connect(str(warehouse), read_only=True, config={"enable_external_access": False})
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
