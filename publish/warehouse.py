"""Publish: copy the marts and the audit tables into a new file, then swap it in atomically.

Analysts and BI open only the published file. A run writes a fresh file beside it (DuckDB storage
version v1.5.0, so that DuckDB 1.x clients such as BI connectors can open it) and ``os.replace``-s it
over the published one only at the end: readers that have it open keep their snapshot, new readers
see the new file, and a failed run leaves yesterday's file untouched. The published file is never
opened for writing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from publish.docs import TableDoc, published_docs

STORAGE_VERSION = "v1.5.0"
PUBLISHED_SCHEMAS = ("marts", "audit")
# A resident ID number anywhere in a text value (birth date between 1900 and 2099).
ID_PATTERN = r"[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"

AUDIT_TABLES = {
    "quarantine": f"""
        select source, source_file, export_date, row_number, column_name, reason,
               regexp_replace(value, '{ID_PATTERN}', '[redacted]', 'g') as value,
               load_id, run_id, quarantined_at
        from raw.quarantine
        order by export_date, source_file, row_number, column_name
    """,
    "load_ledger": """
        select source, source_file, file_name, export_date, status, rows_landed, rows_loaded,
               rows_quarantined, file_bytes, message, duplicate_of, load_id, run_id, loaded_at
        from raw.load_ledger
        order by export_date, file_name, source_file
    """,
}


class PersonalDataFound(RuntimeError):
    pass


@dataclass(frozen=True)
class PublishReport:
    path: Path
    tables: dict[str, int]  # schema.table -> rows
    bytes: int


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish(
    build_db: Path, warehouse: Path, run_id: str, as_of: date, manifest: Path | None = None
) -> PublishReport:
    """Write the published file from the build database and swap it in. With ``manifest`` (dbt's),
    every table and column gets its documentation as a comment (Chinese label, then description)."""
    docs = published_docs(manifest) if manifest else {}
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    tmp = warehouse.with_name(f".{warehouse.name}.{run_id[:8]}.tmp")
    for leftover in (tmp, Path(f"{tmp}.wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect()  # in memory: the build database attached read-only, the new file read-write
    try:
        con.execute(f"attach {_quote(str(build_db))} as build (read_only)")
        con.execute(f"attach {_quote(str(tmp))} as pub (storage_version '{STORAGE_VERSION}')")
        con.execute("use build")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema pub.{schema}")
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'build' "
                "and schema_name = 'marts' order by table_name"
            ).fetchall()
        ]
        for table in marts:
            con.execute(f"create table pub.marts.{table} as select * from marts.{table}")
        for table, query in AUDIT_TABLES.items():
            con.execute(f"create table pub.audit.{table} as {query}")
        con.execute(
            "create table pub.audit.refresh as select ? as run_id, ?::date as as_of_date, "
            "?::timestamp as published_at",
            [run_id, as_of, datetime.now(UTC).replace(tzinfo=None)],
        )
        _write_comments(con, docs)
        tables = {
            f"{s}.{t}": con.execute(f"select count(*) from pub.{s}.{t}").fetchone()[0]
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'pub' "
                "order by 1, 2"
            ).fetchall()
        }
        found = find_personal_data(con, "pub")
        if found:
            raise PersonalDataFound(
                "refusing to publish: values that look like resident ID numbers in " + ", ".join(found)
            )
        con.execute("detach pub")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, warehouse)
    return PublishReport(warehouse, tables, warehouse.stat().st_size)


def _write_comments(con: duckdb.DuckDBPyConnection, docs: dict[str, TableDoc]) -> None:
    """The dbt docs as comments of the new file's tables and columns, so any BI tool shows them."""
    for schema, table in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'pub'"
    ).fetchall():
        doc = docs.get(f"{schema}.{table}")
        if doc is None:
            continue
        con.execute(f"comment on table pub.{schema}.{table} is {_quote(doc.comment())}")
        for (column,) in con.execute(
            "select column_name from duckdb_columns() where database_name = 'pub' "
            "and schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall():
            con.execute(
                f'comment on column pub.{schema}.{table}."{column}" is {_quote(doc.column(column).comment())}'
            )


def find_personal_data(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    """``schema.table.column`` of every text column holding something shaped like an ID number,
    and of every column named like a personal field."""
    found = []
    columns = con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() "
        "where database_name = ? order by 1, 2, 3",
        [database],
    ).fetchall()
    for schema, table, column, dtype in columns:
        if re.fullmatch(r"(id_number|name|person_name|id_no|身份证号|姓名)", column):
            found.append(f"{schema}.{table}.{column} (column name)")
        elif dtype == "VARCHAR":
            hit = con.execute(
                f'select count(*) from {database}.{schema}.{table} '
                f'where regexp_matches("{column}", \'{ID_PATTERN}\')'
            ).fetchone()[0]
            if hit:
                found.append(f"{schema}.{table}.{column} ({hit} rows)")
    return found
