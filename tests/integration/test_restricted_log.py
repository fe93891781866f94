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


def test_a_stream_of_batches_is_sealed_in_the_same_chunks_as_the_table(tmp_path, monkeypatch):
    """Ingest hands the store DuckDB's result batch by batch (`to_arrow_reader`): whatever the batch
    sizes, the chunks are CHUNK_ROWS rows each, in order, and read back as the rows written."""
    monkeypatch.setattr(restricted, "CHUNK_ROWS", 3)
    key = resolve_key(tmp_path / "keys/pii.key")
    ids = [f"synthetic-id-{i}" for i in range(8)]
    table = _persons(ids)
    batches = [table.slice(0, 2), table.slice(2, 5), table.slice(7, 1)]  # 2 + 5 + 1 rows, not 3s
    reader = pa.RecordBatchReader.from_batches(
        restricted.SCHEMA, [b for t in batches for b in t.to_batches()]
    )
    from_stream = restricted.seal_chunks(key, ["load-1"], reader)
    from_table = restricted.seal_chunks(key, ["load-1"], table)
    assert [c.rows for c in from_stream] == [c.rows for c in from_table] == [3, 3, 2]

    con = connect_build(tmp_path / "build/build.duckdb", tmp_path / "restricted/restricted.duckdb", key)
    try:
        assert restricted.insert_chunks(con, "run-1", ["load-1"], from_stream) == 3
        back = restricted.read_persons(con, key)
    finally:
        close_build(con)
    assert back["id_number"].to_pylist() == ids
    assert back["row_number"].to_pylist() == list(range(1, 9))


def test_the_store_is_checkpointed_once_its_log_passes_the_threshold(tmp_path):
    """`insert_chunks` holds DuckDB's automatic checkpoint back while the chunks go in, then
    checkpoints the store once when its log is past the threshold (a full load), and leaves a
    smaller log as it is (a night); either way the threshold is what it was, and nothing is lost."""
    key = resolve_key(tmp_path / "keys/pii.key")
    store = tmp_path / "restricted/restricted.duckdb"
    log = Path(f"{store}.wal")
    con = connect_build(tmp_path / "build/build.duckdb", store, key)
    try:
        ids = [f"synthetic-id-{i}" for i in range(2000)]
        con.execute("set checkpoint_threshold = '1GiB'")
        restricted.write_chunks(con, key, "run-1", ["load-1"], _persons(ids[:1000]))
        assert log.stat().st_size > 10_000  # a night: the chunk stays in the log
        con.execute("set checkpoint_threshold = '8KiB'")
        restricted.write_chunks(con, key, "run-2", ["load-2"], _persons(ids[1000:]))
        assert con.execute("select current_setting('checkpoint_threshold')").fetchone()[0] == "8.0 KiB"
        assert not log.exists() or log.stat().st_size < 8 << 10  # past it: checkpointed
        assert restricted.read_persons(con, key)["id_number"].to_pylist() == ids
    finally:
        close_build(con)


def test_a_threshold_reads_back_as_the_bytes_it_was_set_to():
    """`insert_chunks` compares the store's log with the threshold as DuckDB reads it back, in its
    own units and to one decimal of them (``512 bytes``, ``1.4 MiB``): the bytes set, to 5 %."""
    con = duckdb.connect()
    for setting, size in [("512B", 512), ("1000B", 1000), ("100KiB", 100 << 10), ("1500000B", 1_500_000),
                          ("16MiB", 16 << 20), ("1GB", 10**9), ("1TiB", 1 << 40)]:  # fmt: skip
        con.execute(f"set checkpoint_threshold = '{setting}'")
        back = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
        assert abs(restricted._bytes(back) - size) <= size * 0.05, (setting, back)
