"""The restricted store: names and ID numbers of the persons in landed rows, encrypted at rest.

``<restricted dir>/restricted.duckdb`` holds one table, ``person_chunks``: each ingest batch appends
one row per chunk of persons, sealed with AES-256-GCM (key derived from the PII key, see
:mod:`ingest.pii`); its plaintext is an Arrow IPC stream (zstd) of ``id_number, name, source, source_file,
export_date, row_number``, one record per loaded row. The chunk id and the load ids it covers are bound to the ciphertext as associated data. A copy
of the file without the key reveals how many chunks there are, nothing else.

DuckDB commits one attached database per transaction, so a batch writes its chunk first and its raw
rows and ledger rows after, in the build database. A chunk whose files never reached the ledger
(the run died in between) is an orphan: :func:`drop_orphans` removes it before the next ingest,
which reads those files again. Only :func:`read_persons` (``talent export``) decrypts.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from pyarrow import ipc

from ingest.pii import PiiKey

CHUNK_ROWS = 1_000_000

DDL = """
create table if not exists restricted.person_chunks (
    chunk_id varchar primary key, written_at timestamp not null, run_id varchar not null,
    load_ids varchar[] not null, persons bigint not null, sealed blob not null
)"""

SCHEMA = pa.schema(
    [
        ("id_number", pa.string()),
        ("name", pa.string()),
        ("source", pa.string()),
        ("source_file", pa.string()),
        ("export_date", pa.date32()),
        ("row_number", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    rows: int
    sealed: bytes


def _aad(chunk_id: str, load_ids: list[str]) -> bytes:
    return json.dumps([chunk_id, sorted(load_ids)]).encode()


def seal_chunks(key: PiiKey, load_ids: list[str], persons: pa.Table | pa.RecordBatchReader) -> list[Chunk]:
    """``persons`` (columns of SCHEMA) sealed in chunks of up to CHUNK_ROWS rows, nothing written.

    ``persons`` may be a stream of record batches (a DuckDB result read batch by batch): it is read
    to its end here, so the connection it comes from is free again when this returns, and only one
    batch of plaintext is held at a time (at 8 M rows the whole table was ~0.75 GB beside DuckDB's
    own memory; the sealed, compressed chunks are about a third of that).
    """
    chunks = []
    for part in _parts(persons):
        part = part.cast(SCHEMA)
        sink = io.BytesIO()
        with ipc.new_stream(sink, SCHEMA, options=ipc.IpcWriteOptions(compression="zstd")) as writer:
            writer.write_table(part)
        chunk_id = uuid.uuid4().hex
        chunks.append(Chunk(chunk_id, part.num_rows, key.seal(sink.getvalue(), _aad(chunk_id, load_ids))))
    return chunks


def insert_chunks(con, run_id: str, load_ids: list[str], chunks: list[Chunk]) -> int:
    """Append sealed chunks (`seal_chunks`, with the same load ids) to the store; returns how many.

    Each chunk commits on its own (a chunk is never half written). DuckDB checkpoints a database at
    a commit that leaves its write-ahead log past `checkpoint_threshold` (16 MiB by default), and a
    checkpoint rewrites the store's row group of sealed chunks with every chunk so far: at a full
    load (eight chunks of ~30 MB) each commit did, 2.2 s against 0.9 s for the inserts and 0.4 s
    for one checkpoint. So the threshold is held back while the chunks go in, and the store is
    checkpointed once after when its log is past the threshold, as DuckDB would have done. A
    night's chunk stays in the log (`ingest.load.close_build`). The threshold is restored as DuckDB
    reads it back (one decimal of its unit: a threshold set to 1.5 MB comes back as 1.4 MiB)."""
    threshold = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
    con.execute("set checkpoint_threshold = '1TiB'")
    try:
        for chunk in chunks:
            con.execute(
                "insert into restricted.person_chunks values (?, ?, ?, ?, ?, ?)",
                [chunk.chunk_id, datetime.now(UTC).replace(tzinfo=None), run_id, sorted(load_ids), chunk.rows,
                 chunk.sealed],
            )  # fmt: skip
    finally:
        con.execute(f"set checkpoint_threshold = '{threshold}'")
    path = con.execute("select path from duckdb_databases() where database_name = 'restricted'").fetchone()[0]
    log = Path(f"{path}.wal")
    if log.exists() and log.stat().st_size > _bytes(threshold):
        con.execute("checkpoint restricted")
    return len(chunks)


_UNITS = {"BYTES": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
          "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}  # fmt: skip


def _bytes(setting: str) -> float:
    """A DuckDB size setting as it reads back (``16.0 MiB``, ``512 bytes``) in bytes."""
    number, _, unit = setting.strip().partition(" ")
    return float(number) * _UNITS[unit.strip().upper()]


def write_chunks(con, key: PiiKey, run_id: str, load_ids: list[str], persons: pa.Table | pa.RecordBatchReader) -> int:
    """Append ``persons`` (columns of SCHEMA) sealed in chunks; returns the chunks written."""
    return insert_chunks(con, run_id, load_ids, seal_chunks(key, load_ids, persons))


def _parts(persons: pa.Table | pa.RecordBatchReader) -> Iterator[pa.Table]:
    """Tables of CHUNK_ROWS rows (the last one fewer), in order, whatever the batches' sizes."""
    pending, rows = [], 0
    for batch in persons.to_batches() if isinstance(persons, pa.Table) else persons:
        while batch.num_rows:
            take = batch.slice(0, CHUNK_ROWS - rows)
            pending.append(take)
            rows += take.num_rows
            batch = batch.slice(take.num_rows)
            if rows == CHUNK_ROWS:
                yield pa.Table.from_batches(pending)
                pending, rows = [], 0
    if rows:
        yield pa.Table.from_batches(pending)


def drop_orphans(con) -> int:
    """Remove chunks whose files are not all loaded in the build database's ledger."""
    orphans = con.execute(
        """
        select chunk_id from restricted.person_chunks as c
        where exists (
            select 1 from unnest(c.load_ids) as t(load_id)
            where t.load_id not in (select load_id from raw.load_ledger where status = 'loaded')
        )
        """
    ).fetchall()
    for (chunk_id,) in orphans:
        con.execute("delete from restricted.person_chunks where chunk_id = ?", [chunk_id])
    return len(orphans)


def read_persons(con, key: PiiKey, loaded: set[str] | None = None) -> pa.Table:
    """Every person record of the store, decrypted (raises ingest.pii.SealBroken on a wrong key).
    ``loaded`` limits it to chunks whose load ids are all in that set."""
    tables = []
    for chunk_id, load_ids, sealed in con.execute(
        "select chunk_id, load_ids, sealed from restricted.person_chunks order by written_at, chunk_id"
    ).fetchall():
        if loaded is not None and not set(load_ids) <= loaded:
            continue
        plain = key.open(bytes(sealed), _aad(chunk_id, load_ids))
        tables.append(ipc.open_stream(plain).read_all())
    return pa.concat_tables(tables) if tables else SCHEMA.empty_table()


def register_persons(con, key: PiiKey, name: str = "persons", loaded: set[str] | None = None) -> None:
    """A temp table ``name`` on ``con``: the latest landed record of each person, by person key
    (``person_key, id_number, name, source, source_file, export_date, row_number``)."""
    from ingest.pii import hmac_sql

    ipad, opad = key.pads()
    con.register("__person_records", read_persons(con, key, loaded))
    try:
        con.execute(
            f"""
            create or replace temp table {name} as
            select {hmac_sql('id_number')} as person_key, id_number, name, source, source_file, export_date,
                   row_number
            from __person_records
            qualify row_number() over (
                partition by id_number  -- the contract's apply order, latest first
                order by export_date desc, regexp_extract(source_file, '[^/]*$') desc, source_file desc,
                         row_number desc) = 1
            """,
            {"ipad": ipad, "opad": opad},
        )
    finally:
        con.unregister("__person_records")
