"""Ingest's connection detaches the restricted store without a checkpoint (ingest.load.close_build):
the night's chunks stay in the store's write-ahead log, and every later reader sees them."""

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest import restricted
from ingest.load import close_build, connect_build
from ingest.pii import resolve_key


def _persons(ids: list[str]) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "id_number": ids,
            "name": [f"姓名{i}" for i in range(n)],
            "source": ["certifications"] * n,
            "source_file": ["certifications/2026-07-01/a.csv"] * n,
            "export_date": [date(2026, 7, 1)] * n,
            "row_number": list(range(1, n + 1)),
        },
        schema=restricted.SCHEMA,
    )


def test_chunks_written_before_a_close_are_read_by_every_later_connection(tmp_path):
    key = resolve_key(tmp_path / "keys/pii.key")
    build_db, store = tmp_path / "build/build.duckdb", tmp_path / "restricted/restricted.duckdb"
    first = ["synthetic-id-1", "synthetic-id-2"]  # the store takes them as they are
    con = connect_build(build_db, store, key)
    restricted.write_chunks(con, key, "run-1", ["load-1"], _persons(first))
    close_build(con)
    log = Path(f"{store}.wal")
    assert log.exists() and log.stat().st_size > 0  # the chunk is in the log, not checkpointed

    # what `talent export` does: attach the store read-only (the log is replayed in memory)
    reader = duckdb.connect()
    reader.execute(f"attach '{store}' as restricted (read_only)")
    assert reader.execute("select run_id, persons from restricted.person_chunks").fetchall() == [("run-1", 2)]
    assert restricted.read_persons(reader, key)["id_number"].to_pylist() == first
    reader.close()

    # the next night's ingest replays it, appends, and closes the same way
    con = connect_build(build_db, store, key)
    restricted.write_chunks(con, key, "run-2", ["load-2"], _persons(["synthetic-id-3"]))
    close_build(con)
    con = connect_build(build_db, store, key)
    try:
        ids = restricted.read_persons(con, key)["id_number"].to_pylist()
    finally:
        close_build(con)
    assert ids == [*first, "synthetic-id-3"]
