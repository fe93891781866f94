"""How analysts and BI open the published file: read-only, and blind to every other file.

A read-only DuckDB connection can still ``ATTACH`` any file the operating system lets it read, or
``read_csv`` it: the folder boundary alone does not stop a connection from reaching the restricted
store if modes are ever loosened. :func:`connect_published` is the connection to hand out (``talent
sql`` uses it; BI code calls it too):

- ``read_only``: the published file cannot be changed through it;
- ``enable_external_access = false``: no ``ATTACH``, no ``read_csv``/``read_parquet`` of local files,
  no ``COPY ... TO``, no extension install or load;
- ``lock_configuration = true``: none of this can be ``SET`` back by a query;
- spill files go to a private per-user temp folder, not beside the published file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from ingest.private import private_dir


def analyst_config() -> dict[str, object]:
    """The DuckDB configuration of an analyst's connection (``lock_configuration`` comes last)."""
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "temp_directory": str(Path(tempfile.gettempdir()) / f"talent-sql-{os.getuid()}"),
        "lock_configuration": True,
    }


def connect_published(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse that cannot reach any other file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no published warehouse at {path}: run `talent refresh` first")
    config = analyst_config()
    private_dir(Path(str(config["temp_directory"])))
    return duckdb.connect(str(path), read_only=True, config=config)
