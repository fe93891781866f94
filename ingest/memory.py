"""The build's DuckDB memory limit: ingest's connection and dbt's profile take the same value.

A module of its own, importing nothing heavy: the refresh reads it to start the warm dbt process
(orchestration.defs.dbt.invocation) before it imports ingest's readers.
"""

import os

DEFAULT_MEMORY_LIMIT = "2.5GB"  # also the default in dbt_project/profiles.yml


def memory_limit() -> str:
    """DuckDB's memory limit for the build (ingest and dbt): ``TALENT_DUCKDB_MEMORY_LIMIT``, else
    2.5 GB. Beyond it DuckDB spills to ``<build dir>/tmp``. Measured on 8 million clean rows: ingest
    alone peaks at 6.0 GiB without a limit (30 s), 3.7 GiB with 2.5 GB (33 s), 3.1 GiB with 2 GB
    (39 s); the rest of a process's memory is Python's, polars' and Arrow's."""
    return os.environ.get("TALENT_DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
