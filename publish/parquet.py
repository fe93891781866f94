"""The Parquet feed: one file per mart, for BI tools that read Parquet rather than DuckDB.

Written from the published file only (``talent export marts --format parquet`` and every publish,
into ``<published folder>/parquet/``). Each column carries its documentation in the Parquet field
metadata (``label_zh``, ``description``); the file's key-value metadata says which table, run and
as-of date it holds, so a reader can tell that files of one folder belong to the same run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from publish.docs import TableDoc
from publish.files import mart_tables, read_published, replace_file


def _with_docs(table: pa.Table, doc: TableDoc | None, extra: dict[str, str]) -> pa.Table:
    fields = []
    for f in table.schema:
        meta = {}
        if doc is not None:
            c = doc.column(f.name)
            meta = {"label_zh": c.label_zh, "description": c.description}
        fields.append(f.with_metadata({k: v for k, v in meta.items() if v}))
    meta = dict(extra)
    if doc is not None:
        meta.update(label_zh=doc.label_zh, description_zh=doc.description_zh, description=doc.description)
    return table.cast(pa.schema(fields, metadata={k: v for k, v in meta.items() if v}))


def write_table(table: pa.Table, path: Path, doc: TableDoc | None, extra: dict[str, str]) -> Path:
    documented = _with_docs(table, doc, extra)
    return replace_file(path, lambda tmp: pq.write_table(documented, tmp, compression="zstd"))


def export_marts(warehouse: Path, out: Path, docs: dict[str, TableDoc]) -> list[Path]:
    """Every table of schema ``marts`` of the published file as ``out/<table>.parquet``."""
    written = []
    with read_published(warehouse) as con:
        run_id, as_of = con.execute("select run_id, as_of_date::varchar from audit.refresh").fetchone()
        for table in mart_tables(con):
            data = con.sql(f"select * from marts.{table}").to_arrow_table()
            extra = {"table": f"marts.{table}", "run_id": run_id, "as_of_date": as_of, "source": warehouse.name}
            written.append(write_table(data, out / f"{table}.parquet", docs.get(f"marts.{table}"), extra))
    index = {"run_id": run_id, "as_of_date": as_of, "files": sorted(p.name for p in written)}
    replace_file(out / "_index.json", lambda tmp: tmp.write_text(json.dumps(index, ensure_ascii=False, indent=1)))
    return written
