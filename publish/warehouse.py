"""Publish: copy the marts and the audit tables into a new file, then swap it in atomically.

Analysts and BI open only the published file. A run writes a fresh file beside it (DuckDB storage
version v1.5.0, so that DuckDB 1.x clients such as BI connectors can open it) and ``os.replace``-s it
over the published one only at the end: readers that have it open keep their snapshot, new readers
see the new file, and a failed run leaves yesterday's file untouched. The published file is never
opened for writing.

Durability and housekeeping, in order: temp files left by killed runs are removed first; a publish
that would not fit on the disk (estimated from the tables to copy and the previous file, with a
margin) is refused before writing anything; the new file is given mode 0644 (the run's umask is
0o077) and fsynced, renamed over the published one, and the folder fsynced, so that after a power
cut the folder holds the old file or the new one, whole. The caller writes the last-publish marker
only after this returns (:mod:`publish.state`).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ingest.faults import fault_point
from publish.docs import TableDoc, published_docs
from publish.files import PUBLISHED_FILE_MODE, public_dir

STORAGE_VERSION = "v1.5.0"
PUBLISHED_SCHEMAS = ("marts", "audit")
# A resident ID number anywhere in a text value (birth date between 1900 and 2099).
ID_PATTERN = r"[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"

# File paths are published as ingest's display_file: any part holding an ID number or a known name
# is redacted (ingest.redact); every published text column is checked the same way below.
_DISPLAY = """
    (select source_file, any_value(coalesce(display_file, source_file)) as shown
     from raw.load_ledger group by source_file)
"""
AUDIT_TABLES = {
    "quarantine": f"""
        select q.source, d.shown as source_file, q.export_date, q.row_number, q.column_name, q.reason,
               regexp_replace(q.value, '{ID_PATTERN}', '[redacted]', 'g') as value,
               q.load_id, q.run_id, q.quarantined_at
        from raw.quarantine q
        left join {_DISPLAY} d on d.source_file = q.source_file
        order by q.export_date, d.shown, q.row_number, q.column_name
    """,
    "load_ledger": f"""
        select l.source, coalesce(l.display_file, l.source_file) as source_file,
               regexp_extract(coalesce(l.display_file, l.source_file), '[^/]*$') as file_name,
               l.export_date, l.status, l.rows_landed, l.rows_loaded, l.rows_quarantined, l.file_bytes,
               l.message, d.shown as duplicate_of, l.load_id, l.run_id, l.loaded_at
        from raw.load_ledger l
        left join {_DISPLAY} d on d.source_file = l.duplicate_of
        order by l.export_date, file_name, source_file
    """,
}


# audit.refresh: one row, the run that published the file and the nights before it; and
# audit.source_freshness: one row a source. The rows come from orchestration.monitor (the publish
# asset); a publish without them still writes run id, as-of date and publish time.
REFRESH_COLUMNS = {
    "run_id": "varchar",
    "as_of_date": "date",
    "published_at": "timestamp",
    "started_at": "timestamp",
    "started_by": "varchar",
    "files_read": "integer",
    "files_rejected": "integer",
    "files_rejected_total": "integer",
    "files_deferred": "integer",
    "rows_landed": "bigint",
    "rows_quarantined": "bigint",
    "quarantine_share": "double",
    "quarantine_share_previous": "double",
    "previous_nights": "integer",
    "previous_run_id": "varchar",
    "previous_run_outcome": "varchar",
    "previous_run_finished_at": "timestamp",
    "failed_runs_since_last_publish": "integer",
    "last_failed_step": "varchar",
    "sources_stale": "integer",
}
SOURCE_FRESHNESS_COLUMNS = {
    "source": "varchar",
    "latest_export_date": "date",
    "files_loaded": "integer",
    "cadence_days": "integer",
    "days_behind": "integer",
    "is_stale": "boolean",
}


def _create_rows(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[dict]) -> None:
    con.execute(f"create table {table} (" + ", ".join(f"{c} {t}" for c, t in columns.items()) + ")")
    if rows:
        con.executemany(
            f"insert into {table} values ({', '.join('?' for _ in columns)})",
            [[row.get(c) for c in columns] for row in rows],
        )


BLOCK_BYTES = 256 * 1024  # DuckDB's block: every table takes at least one
SPACE_FACTOR = 1.25  # margin on the estimated size of the new file
SPACE_SLACK = 16 * 1024 * 1024  # and a fixed reserve


class PersonalDataFound(RuntimeError):
    pass


class NoRoomToPublish(RuntimeError):
    """The published folder's disk cannot take the new file; nothing was written."""


class PublishWriteFailed(RuntimeError):
    """Writing the new file failed (disk full, I/O error); the published file was left as it was."""


@dataclass(frozen=True)
class PublishReport:
    path: Path
    tables: dict[str, int]  # schema.table -> rows
    bytes: int
    redacted: int = 0  # text values replaced because they held an ID number or a known name


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def temp_path(warehouse: Path, run_id: str) -> Path:
    """Where a run writes the new file, beside the published one (same file system for os.replace)."""
    return warehouse.with_name(f".{warehouse.name}.{run_id[:8]}.tmp")


def stale_temps(warehouse: Path) -> list[Path]:
    """Temp files of earlier runs (killed, or failed before their clean-up) beside the published file."""
    pattern = re.compile(rf"\.{re.escape(warehouse.name)}\.[0-9a-zA-Z_-]+\.tmp(\.wal)?")
    folder = warehouse.parent
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))


def remove_stale_temps(warehouse: Path) -> list[Path]:
    """Remove them (call it holding the build lock: no other publish is writing one)."""
    removed = stale_temps(warehouse)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def required_bytes(con: duckdb.DuckDBPyConnection, warehouse: Path) -> int:
    """Room the new file needs: the larger of the previous file and an estimate from the tables to
    copy (a block per table, 8 bytes a value), with a margin."""
    tables, values = con.execute(
        "select count(*), coalesce(sum(estimated_size * column_count), 0) from duckdb_tables() "
        "where database_name = 'build' and (schema_name = 'marts' "
        "or (schema_name = 'raw' and table_name in ('quarantine', 'load_ledger')))"
    ).fetchone()
    estimate = (tables + 4) * BLOCK_BYTES + 8 * int(values)
    previous = warehouse.stat().st_size if warehouse.exists() else 0
    return int(max(estimate, previous) * SPACE_FACTOR) + SPACE_SLACK


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MiB"


def fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(
    build_db: Path,
    warehouse: Path,
    run_id: str,
    as_of: date,
    key=None,
    manifest: Path | None = None,
    refresh: dict | None = None,
    sources: list[dict] | None = None,
) -> PublishReport:
    """Write the published file from the build database and swap it in. ``key`` (the PII key)
    enables redaction of known names (without it only ID-shaped text is redacted); with
    ``manifest`` (dbt's), every table and column gets its documentation as a comment (Chinese
    label, then description). ``refresh`` and ``sources`` are the rows of ``audit.refresh`` (beyond
    run id, as-of date and publish time) and ``audit.source_freshness`` (orchestration.monitor)."""
    docs = published_docs(manifest) if manifest else {}
    public_dir(warehouse.parent)
    remove_stale_temps(warehouse)
    tmp = temp_path(warehouse, run_id)
    con = duckdb.connect()  # in memory: the build database attached read-only, the new file read-write
    try:
        con.execute(f"attach {_quote(str(build_db))} as build (read_only)")
        need, free = required_bytes(con, warehouse), free_bytes(warehouse.parent)
        if free < need:
            raise NoRoomToPublish(
                f"refusing to publish: {warehouse.parent} has {_mib(free)} free and the new file needs "
                f"about {_mib(need)} (estimate with margin); the published file was left as it was. "
                "Free some space on that disk and run the refresh again."
            )
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
        published_at = datetime.now(UTC).replace(tzinfo=None)
        row = {**(refresh or {}), "run_id": run_id, "as_of_date": as_of, "published_at": published_at}
        _create_rows(con, "pub.audit.refresh", REFRESH_COLUMNS, [row])
        _create_rows(con, "pub.audit.source_freshness", SOURCE_FRESHNESS_COLUMNS, sources or [])
        _write_comments(con, docs)
        tables = {
            f"{s}.{t}": con.execute(f"select count(*) from pub.{s}.{t}").fetchone()[0]
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'pub' "
                "order by 1, 2"
            ).fetchall()
        }
        redacted = redact_published(con, "pub", key)
        found = find_personal_data(con, "pub")
        if found:
            raise PersonalDataFound(
                "refusing to publish: values that look like resident ID numbers in " + ", ".join(found)
            )
        con.execute("detach pub")
    except BaseException as exc:
        con.close()
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, (duckdb.IOException, OSError)):
            raise PublishWriteFailed(
                f"writing the new published file in {warehouse.parent} failed ({type(exc).__name__}; "
                f"is the disk full?); the published file was left as it was: {_first_line(exc)}"
            ) from exc
        raise
    con.close()
    os.chmod(tmp, PUBLISHED_FILE_MODE)  # readable by analysts whatever the run's umask
    fsync_path(tmp)
    fault_point("publish.before_replace")
    os.replace(tmp, warehouse)
    fsync_path(warehouse.parent, directory=True)  # the rename itself survives a power cut
    fault_point("publish.after_replace")
    return PublishReport(warehouse, tables, warehouse.stat().st_size, redacted)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


def redact_published(con: duckdb.DuckDBPyConnection, database: str, key) -> int:
    """Replace, in every text column of ``database``, each value that holds something ID-shaped or
    equals a known person's name (see ingest.redact). Returns how many distinct values were replaced."""
    from ingest.redact import REDACTED, Redactor, id_shaped

    redactor = Redactor(con, key) if key is not None else None
    replaced = 0
    columns = con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = ? and data_type = 'VARCHAR' order by 1, 2, 3",
        [database],
    ).fetchall()
    for schema, table, column in columns:
        target = f"{database}.{schema}.{table}"
        values = [
            r[0] for r in con.execute(f'select distinct "{column}" from {target} where "{column}" is not null').fetchall()
        ]
        if schema == "audit" and column in PATH_COLUMNS:  # file paths: part by part, as ingest shows them
            shown = redactor.paths(values) if redactor else {v: _hide_id_parts(v) for v in values}
        elif redactor is not None:
            shown = redactor.values(values)
        else:
            shown = {v: REDACTED if id_shaped(v) else v for v in values}
        changed = {v: s for v, s in shown.items() if s != v}
        for value, replacement in changed.items():
            con.execute(f'update {target} set "{column}" = ? where "{column}" = ?', [replacement, value])
        replaced += len(changed)
    return replaced


PATH_COLUMNS = ("source_file", "duplicate_of", "file_name")


def _hide_id_parts(path: str) -> str:
    from ingest.redact import REDACTED, id_shaped

    return "/".join(REDACTED if id_shaped(part) else part for part in path.split("/"))


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
