"""Load: landed files -> typed, validated, pseudonymised rows in the build database's ``raw`` schema.

For every landed file not yet in the ledger, in contract order: hash its bytes (a file whose bytes
were loaded before is a duplicate and changes nothing), read it, normalise every column, write good
rows to ``raw.<source>`` with the person key computed in DuckDB, bad rows to ``raw.quarantine`` (one
row per problem: file, row, column, reason), names and ID numbers to the restricted store, and one
ledger row. Each file is one transaction, so an interrupted run leaves no half-loaded file.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from ingest import contract as c
from ingest.faults import fault_point
from ingest.normalise import ERR, normalise_frame, typed_name, vocabulary
from ingest.pii import PiiKey, hmac_sql
from ingest.private import private_dir, private_umask
from ingest.readers import FileRejected, LandedFile, discover, read

FILE = "__file"  # index of a row's file within a batch

log = logging.getLogger(__name__)

LINEAGE = {
    "load_id": "varchar not null",
    "source_file": "varchar not null",
    "file_name": "varchar not null",
    "export_date": "date not null",
    "row_number": "bigint not null",
}
SQL_TYPE = {
    c.DATE: "date",
    c.YEAR: "integer",
    c.INTEGER: "bigint",
    c.MONEY: "decimal(14, 2)",
}

LEDGER_DDL = """
create table if not exists raw.load_ledger (
    load_id varchar, source varchar, source_file varchar primary key, file_name varchar,
    export_date date, file_bytes bigint, rows_landed bigint, rows_loaded bigint,
    rows_quarantined bigint, status varchar, message varchar, duplicate_of varchar,
    run_id varchar, loaded_at timestamp
)"""
QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    load_id varchar, source varchar, source_file varchar, export_date date, row_number bigint,
    column_name varchar, reason varchar, value varchar, run_id varchar, quarantined_at timestamp
)"""
META_DDL = "create table if not exists raw.build_meta (key varchar primary key, value varchar)"
PERSONS_DDL = """
create table if not exists restricted.person_records (
    person_key varchar not null, id_number varchar not null, name varchar,
    source varchar, source_file varchar, export_date date, row_number bigint
)"""
# The latest landed record of each person: what exports read. A view, so that ingest only appends
# (an upsert on a primary key of millions of persons cost most of the region-scale ingest).
PERSONS_VIEW = """
create view if not exists restricted.persons as
select person_key, id_number, name, source, source_file, export_date, row_number
from person_records
qualify row_number() over (
    partition by person_key order by export_date desc, source_file desc, row_number desc) = 1
"""


def raw_columns(source: c.Source) -> dict[str, str]:
    """Name -> DuckDB type of ``raw.<source>``: lineage, then the contract's columns, depersonalised."""
    cols = dict(LINEAGE)
    for col in source.columns:
        if col.kind == c.PERSON_NAME:
            continue
        if col.kind == c.ID_NUMBER:
            cols["person_key"] = "varchar not null"
            cols["birth_date"] = "date"
            continue
        cols[typed_name(col)] = SQL_TYPE.get(col.kind, "varchar")
        if col.kind == c.LEVEL:
            cols["level_rank"] = "tinyint"
    return cols


@dataclass
class FileOutcome:
    source_file: str
    status: str
    rows_landed: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""


@dataclass
class IngestReport:
    run_id: str
    files_seen: int = 0
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new_files(self) -> int:
        return len(self.outcomes)

    def count(self, attr: str) -> int:
        return sum(getattr(o, attr) for o in self.outcomes)

    def by_status(self) -> Counter:
        return Counter(o.status for o in self.outcomes)

    def summary(self) -> str:
        if not self.outcomes:
            return f"nothing new landed ({self.files_seen} files already in the ledger)"
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.by_status().items()))
        return (
            f"{self.new_files} new files ({statuses}): {self.count('rows_landed')} rows landed, "
            f"{self.count('rows_loaded')} loaded, {self.count('rows_quarantined')} quarantined "
            f"in {self.seconds:.1f} s"
        )


def connect_build(build_db: Path, restricted_db: Path, key: PiiKey) -> duckdb.DuckDBPyConnection:
    private_dir(build_db.parent)
    private_dir(restricted_db.parent)
    with private_umask():
        con = duckdb.connect(str(build_db))
        con.execute(f"attach '{restricted_db}' as restricted")
    con.execute("create schema if not exists raw")
    for ddl in (LEDGER_DDL, QUARANTINE_DDL, META_DDL, PERSONS_DDL, PERSONS_VIEW):
        con.execute(ddl)
    for source in c.SOURCES.values():
        cols = ", ".join(f"{name} {sql}" for name, sql in raw_columns(source).items())
        con.execute(f"create table if not exists raw.{source.name} ({cols})")
    _check_key(con, key)
    return con


def _check_key(con: duckdb.DuckDBPyConnection, key: PiiKey) -> None:
    row = con.execute("select value from raw.build_meta where key = 'pii_key_fingerprint'").fetchone()
    if row is None:
        con.execute("insert into raw.build_meta values ('pii_key_fingerprint', ?)", [key.fingerprint])
    elif row[0] != key.fingerprint:
        raise RuntimeError(
            f"the PII key ({key.origin}) is not the one this build database was pseudonymised with; "
            "person keys would not join. Use the original TALENT_PII_KEY, or rebuild from the landing "
            "folder with `talent refresh --full-refresh`."
        )


BATCH_ROWS = 250_000  # rows of consecutive files of one source normalised and written together


def ingest(
    landing: Path,
    con: duckdb.DuckDBPyConnection,
    key: PiiKey,
    run_id: str,
    *,
    progress=None,
) -> IngestReport:
    """Load every landed file not yet in the ledger. ``progress(done, total, name)`` is optional.

    Files are read one by one in apply order; consecutive files of one source are normalised and
    written in batches of about BATCH_ROWS rows, each batch one transaction (raw rows, quarantine
    and the files' ledger rows together), so per-file overhead stays small and memory bounded.
    """
    started = time.perf_counter()
    report = IngestReport(run_id)
    landed = discover(landing)
    known = {row[0] for row in con.execute("select source_file from raw.load_ledger").fetchall()}
    hashes = dict(
        con.execute(
            "select load_id, source_file from raw.load_ledger where status in ('loaded', 'rejected')"
        ).fetchall()
    )
    report.files_seen = len(landed)
    new = [f for f in landed if f.source_file not in known]
    batch = _Batch(con, key, run_id, report)
    for i, f in enumerate(new):
        if progress:
            progress(i, len(new), f.source_file)
        if not f.supported:
            why = (
                "not a .csv or .xlsx file"
                if f.path.suffix.lower() not in (".csv", ".xlsx")
                else "not under a <YYYY-MM-DD> export-date folder"
            )
            batch.record(f, None, FileOutcome(f.source_file, "skipped", message=f"skipped: {why}"))
            continue
        load_id = f.sha256()
        if load_id in hashes:
            outcome = FileOutcome(
                f.source_file, "duplicate", message=f"same bytes as {hashes[load_id]}: changes nothing"
            )
            batch.record(f, load_id, outcome, duplicate_of=hashes[load_id])
            continue
        hashes[load_id] = f.source_file
        try:
            result = read(f, c.SOURCES[f.source])
        except FileRejected as rejected:
            batch.flush()
            report.outcomes.append(_reject(con, f, load_id, rejected, run_id))
            continue
        batch.add(f, load_id, result)
    batch.flush()
    if progress:
        progress(len(new), len(new), "")
    report.seconds = time.perf_counter() - started
    return report


def _ledger(con, f: LandedFile, load_id, outcome: FileOutcome, run_id, duplicate_of=None) -> None:
    con.execute(
        "insert into raw.load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            f.source,
            f.source_file,
            f.file_name,
            f.export_date,
            f.size,
            outcome.rows_landed,
            outcome.rows_loaded,
            outcome.rows_quarantined,
            outcome.status,
            outcome.message,
            duplicate_of,
            run_id,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )


class _Batch:
    """Read files of one source waiting to be normalised and written together."""

    def __init__(self, con, key: PiiKey, run_id: str, report: IngestReport):
        self.con, self.run_id, self.report = con, run_id, report
        self.ipad, self.opad = key.pads()
        self.files: list[tuple[LandedFile, str, tuple[str, ...]]] = []
        self.frames: list[pl.DataFrame] = []
        self.rows = 0

    def record(self, f: LandedFile, load_id, outcome: FileOutcome, duplicate_of=None) -> None:
        """A file that loads nothing (skipped, duplicate): its ledger row alone."""
        _ledger(self.con, f, load_id, outcome, self.run_id, duplicate_of)
        self.report.outcomes.append(outcome)
        log.log(logging.WARNING if outcome.status == "skipped" else logging.INFO,
                "%s: %s %s", f.source_file, outcome.status, outcome.message)

    def add(self, f: LandedFile, load_id: str, result) -> None:
        if self.files and self.files[0][0].source != f.source:
            self.flush()
        self.frames.append(result.frame.with_columns(pl.lit(len(self.files), pl.Int32).alias(FILE)))
        self.files.append((f, load_id, result.notes))
        self.rows += result.frame.height
        if self.rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.files:
            return
        files, frames = self.files, self.frames
        self.files, self.frames, self.rows = [], [], 0
        source = c.SOURCES[files[0][0].source]
        text = pl.concat(frames, how="diagonal_relaxed")
        lineage = pl.DataFrame(
            {
                FILE: list(range(len(files))),
                "load_id": [load_id for _, load_id, _ in files],
                "source_file": [f.source_file for f, _, _ in files],
                "file_name": [f.file_name for f, _, _ in files],
                "export_date": [f.export_date for f, _, _ in files],
            },
            schema_overrides={FILE: pl.Int32},
        )
        typed = normalise_frame(text, source, vocabulary())
        bad = pl.any_horizontal([pl.col(ERR + col.name).is_not_null() for col in source.columns])
        typed = typed.with_columns(bad.alias("__bad"))
        good = typed.filter(~pl.col("__bad")).join(lineage, on=FILE, how="left")
        problems = _problems(text, typed.filter(pl.col("__bad")), source).join(lineage, on=FILE, how="left")
        counts = {
            row[0]: (row[1], row[2])
            for row in typed.group_by(FILE).agg(pl.len(), pl.col("__bad").sum()).iter_rows()
        }
        if any(col.kind == c.ID_NUMBER for col in source.columns) and good.height:
            # DuckDB writes one attached database per transaction; the upsert is idempotent, so it
            # runs first and a failure of the build transaction below leaves nothing inconsistent.
            fault_point("ingest.before_restricted")
            _upsert_persons(self.con, source, good, text, self.ipad, self.opad)
            fault_point("ingest.after_restricted")
        outcomes = []
        self.con.execute("begin")
        try:
            _insert_raw(self.con, source, good, self.ipad, self.opad)
            _insert_quarantine(self.con, source, problems, self.run_id)
            for i, (f, load_id, notes) in enumerate(files):
                landed, quarantined = counts.get(i, (0, 0))
                outcome = FileOutcome(
                    f.source_file, "loaded", landed, landed - quarantined, quarantined, "; ".join(notes)
                )
                _ledger(self.con, f, load_id, outcome, self.run_id)
                outcomes.append(outcome)
            self.con.execute("commit")
        except Exception:
            self.con.execute("rollback")
            raise
        self.report.outcomes.extend(outcomes)
        for o in outcomes:
            log.info("%s: loaded %d of %d rows, %d quarantined", o.source_file, o.rows_loaded,
                     o.rows_landed, o.rows_quarantined)


def _insert_raw(con, source: c.Source, good: pl.DataFrame, ipad: bytes, opad: bytes) -> None:
    cols = raw_columns(source)
    select = []
    for name in cols:
        if name == "person_key":
            select.append(f"{hmac_sql('id_number')} as person_key")
        else:
            select.append(name)
    con.register("__good", good.to_arrow())
    try:
        params = {"ipad": ipad, "opad": opad} if "person_key" in cols else {}
        con.execute(
            f"insert into raw.{source.name} ({', '.join(cols)}) select {', '.join(select)} from __good",
            params,
        )
    finally:
        con.unregister("__good")


def _upsert_persons(con, source: c.Source, good: pl.DataFrame, text: pl.DataFrame, ipad, opad) -> None:
    """Names and ID numbers by person key, appended to the restricted store (``persons`` shows the
    latest landed record of each person)."""
    names = text.select(FILE, "row_number", pl.col("name").str.strip_chars().alias("__name"))
    people = good.select(FILE, "row_number", "id_number", "source_file", "export_date").join(
        names, on=[FILE, "row_number"], how="left"
    )
    con.register("__people", people.to_arrow())
    try:
        con.execute(
            f"""
            insert into restricted.person_records
            select {hmac_sql('id_number')} as person_key, id_number, __name, '{source.name}',
                   source_file, export_date, row_number
            from __people
            """,
            {"ipad": ipad, "opad": opad},
        )
    finally:
        con.unregister("__people")


def _problems(text: pl.DataFrame, bad: pl.DataFrame, source: c.Source) -> pl.DataFrame:
    """One row per (file, row, column) problem, with the landed value unless the column is personal."""
    schema = {FILE: pl.Int32, "row_number": pl.Int64, "column_name": pl.Utf8, "reason": pl.Utf8, "value": pl.Utf8}
    if bad.height == 0:
        return pl.DataFrame(schema=schema)
    key = [FILE, "row_number"]
    long = (
        bad.select(*key, *[pl.col(ERR + col.name).alias(col.name) for col in source.columns])
        .unpivot(index=key, variable_name="column_name", value_name="reason")
        .drop_nulls("reason")
    )
    shown = [col.name for col in source.columns if not col.personal and col.name in text.columns]
    values = text.join(bad.select(key), on=key, how="semi").select(*key, *shown)
    values = values.unpivot(index=key, variable_name="column_name", value_name="value")
    return (
        long.join(values, on=[*key, "column_name"], how="left")
        .select(list(schema))
        .sort(key + ["column_name"])
    )


def _insert_quarantine(con, source: c.Source, problems: pl.DataFrame, run_id: str) -> None:
    """``problems`` carries the lineage columns load_id, source_file and export_date per row."""
    if problems.height == 0:
        return
    con.register("__problems", problems.to_arrow())
    try:
        con.execute(
            """
            insert into raw.quarantine
            select load_id, ?, source_file, export_date, row_number, column_name, reason, value, ?,
                   now()::timestamp
            from __problems
            """,
            [source.name, run_id],
        )
    finally:
        con.unregister("__problems")


def _reject(con, f: LandedFile, load_id: str, rejected: FileRejected, run_id: str) -> FileOutcome:
    """A file unusable as a whole: each of its rows is quarantined with the reason (or the file as
    one entry with no row number when its rows cannot even be counted)."""
    rows = rejected.rows
    reason = f"file rejected: {rejected.reason}"
    lineage = [
        pl.lit(load_id).alias("load_id"),
        pl.lit(f.source_file).alias("source_file"),
        pl.lit(f.export_date).alias("export_date"),
    ]
    if rows is not None and rows.height:
        problems = rows.select(
            "row_number",
            pl.lit(rejected.column).alias("column_name"),
            pl.lit(reason).alias("reason"),
            pl.lit(None, pl.Utf8).alias("value"),
        )
    else:
        problems = pl.DataFrame(
            {"row_number": [None], "column_name": [rejected.column], "reason": [reason], "value": [None]},
            schema={"row_number": pl.Int64, "column_name": pl.Utf8, "reason": pl.Utf8, "value": pl.Utf8},
        )
    problems = problems.with_columns(lineage)
    n = rows.height if rows is not None else 0
    outcome = FileOutcome(f.source_file, "rejected", n, 0, n, message=str(rejected))
    con.execute("begin")
    try:
        _insert_quarantine(con, c.SOURCES[f.source], problems, run_id)
        _ledger(con, f, load_id, outcome, run_id)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return outcome
