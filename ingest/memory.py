"""The build's DuckDB memory limit: ingest's connection and dbt's profile take the same value.

A module of its own, importing nothing heavy: the refresh reads it to start the warm dbt process
(orchestration.defs.dbt.invocation) before it imports ingest's readers.
"""

import os

DEFAULT_MEMORY_LIMIT = "2.2GB"  # also the default in dbt_project/profiles.yml


def memory_limit() -> str:
    """DuckDB's memory limit for the build (ingest and dbt): ``TALENT_DUCKDB_MEMORY_LIMIT``, else
    2.2 GB. Beyond it DuckDB spills to ``<build dir>/tmp``. Measured on 8 million clean rows
    (2026-12-01, persons streamed to the restricted store; BENCHMARKS.md): ingest alone peaks at
    3.6 GiB with 2.5 GB and at 3.2 GiB with 2.2 GB; the rest of a process's memory is Python's,
    polars' and Arrow's. A refresh adds the dbt process and the suite worker, alive beside it: all
    of them together peaked at 3.99 GiB with 2.5 GB and at 3.7-3.8 GiB with 2.2 GB, and the full
    refresh took as long (interleaved runs: medians 54.0 s and 54.3 s)."""
    return os.environ.get("TALENT_DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
