"""Load: landed files -> typed, validated, pseudonymised rows in the build database's ``raw`` schema.

One rule, enforced here: every landed file ends the run as exactly one ledger row (see
:mod:`ingest.ledger` for the statuses), never as an exception. Whatever goes wrong with one file,
reading or normalising it, rejects that file with a reason naming the problem class and where it
is, never quoting its content; the other files load and the night goes on.

For each new file, in the contract's apply order: recognise it (path, size and time; else the sha256
of its bytes, which also finds re-sent copies), read it (:mod:`ingest.readers`: a large clean CSV
natively into DuckDB, anything else exactly, in Python), and stage its rows. Consecutive files of one
source are normalised and written together, about BATCH_ROWS rows at a time:

- every column's distinct spellings are normalised once (:func:`ingest.normalise.lookup`) and joined
  back in DuckDB; person keys are the HMAC of each distinct valid ID number;
- a row with any problem goes to ``raw.quarantine``, one row per problem (file, row, column, reason,
  and the value only for vocabulary columns, redacted when it holds an ID number or a known name);
  the rest go to ``raw.<source>`` in one insert;
- names and ID numbers of the loaded persons are sealed into the restricted store
  (:mod:`ingest.restricted`); keyed hashes of every landed name go to ``raw.name_keys`` for redaction;
- raw rows, quarantine, name keys and the files' ledger rows are one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from ingest import contract as c
from ingest import restricted
from ingest.arrow import arrow_table, for_duckdb
from ingest.faults import fault_point
from ingest.landing import CANDIDATE, SKIPPED, LandedFile, discover
from ingest.ledger import (
    DEFERRED,
    DUPLICATE,
    FINAL,
    LAYOUT,
    LEDGER_COLUMNS,
    LEDGER_DDL,
    LOADED,
    META_DDL,
    NAME_KEYS_DDL,
    QUARANTINE_DDL,
    REJECTED,
    Journal,
    Seen,
    content_hashes,
    seen_paths,
)
from ingest.memory import memory_limit
from ingest.normalise import clean_text, lookup, typed_name, vocabulary
from ingest.pii import PiiKey, hmac_expr
from ingest.private import private_dir, private_umask
from ingest.readers import SHAPE, FileRejected, ReadResult, read
from ingest.readers.delimited import BLANK, LineCounts, fast_select, sniff, stage_fast
from ingest.readers.text import HEAD, UTF8, EncodingError, candidates, to_utf8
from ingest.redact import REDACTED, WITHHELD, Redactor, id_shaped, name_form_expr, quarantine_value

log = logging.getLogger(__name__)

BATCH_ROWS = 1_000_000  # rows of consecutive files of one source normalised and written together
FAST_BYTES = 4 << 20  # CSV files from this size are read natively when clean
PLAIN = r"[!-~]([ -~]*[!-~])?"  # printable ASCII, no surrounding space: clean text already

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
VOCABULARY_KINDS = (c.DATE, c.LEVEL, c.REGION, c.ENUM, c.GENDER, c.YEAR, c.INTEGER, c.MONEY)
TEXT_KINDS = (c.TEXT, c.OCCUPATION_CODE)


# Person keys are 64 random-looking hex characters, one per row: DuckDB's string compression
# (dictionary, FSST) finds nothing to gain in them but spends most of a big write trying (8 M raw
# rows: the key column alone 3.3 s to write compressed, 0.9 s uncompressed). A source's natural key
# of one text column (a certificate number: one a row) is stored the same way: 8 M raw rows took
# 9.0-9.2 s to write against 9.9-10.9 s, for 123 MB more. The dbt models that hold a key per
# certificate or period store it the same way (their YAML's `custom` constraint).
KEY_STORAGE = "using compression uncompressed"


def raw_columns(source: c.Source) -> dict[str, str]:
    """Name -> DuckDB type of ``raw.<source>``: lineage, then the contract's columns, depersonalised."""
    cols = dict(LINEAGE)
    for col in source.columns:
        if col.kind == c.PERSON_NAME:
            continue
        if col.kind == c.ID_NUMBER:
            cols["person_key"] = f"varchar {KEY_STORAGE} not null"
            cols["birth_date"] = "date"
            continue
        cols[typed_name(col)] = SQL_TYPE.get(col.kind, "varchar")
        if source.natural_key == (col.name,) and col.kind in TEXT_KINDS:  # one value a row, as keys
            cols[col.name] += f" {KEY_STORAGE}"
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
    outcomes: list[FileOutcome] = field(default_factory=list)  # files whose ledger row this run wrote
    deferred: int = 0  # files left for a later run (their ledger rows say why)
    seconds: float = 0.0

    @property
    def new_files(self) -> int:
        return len(self.outcomes)

    def count(self, attr: str) -> int:
        return sum(getattr(o, attr) for o in self.outcomes)

    def by_status(self) -> Counter:
        return Counter(o.status for o in self.outcomes)

    def summary(self) -> str:
        later = f"; {self.deferred} deferred to a later run" if self.deferred else ""
        if not self.outcomes:
            return f"nothing new landed ({self.files_seen} files already in the ledger{later})"
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.by_status().items()))
        return (
            f"{self.new_files} new files ({statuses}): {self.count('rows_landed')} rows landed, "
            f"{self.count('rows_loaded')} loaded, {self.count('rows_quarantined')} quarantined "
            f"in {self.seconds:.1f} s{later}"
        )


class BuildRefused(RuntimeError):
    """The build database cannot be used as it is (another PII key, an older layout, another process
    has it open): what to do. Its message is written here for operators and quotes no landed value,
    so a failed run shows it (`orchestration.run.EXPLAINED_ERRORS`)."""


class BuildInUse(BuildRefused):
    """Another process holds the build database or the restricted store open (DuckDB lets one
    process write a file and locks it against all others)."""


_LOCK_HOLDER = re.compile(r"Could not set lock on file .*Conflicting lock is held in (.+?) \(PID (\d+)\)", re.DOTALL)


@contextmanager
def _refused_when_locked(path: Path):
    """DuckDB's lock conflict on `path` as a `BuildInUse` that names the holding program and its PID
    (all of DuckDB's message this keeps: a file path and a process, never data)."""
    try:
        yield
    except duckdb.IOException as exc:
        held = _LOCK_HOLDER.search(str(exc))
        if held is None:
            raise
        program, pid = Path(held.group(1)).name, held.group(2)
        raise BuildInUse(
            f"{path} is open in another process ({program}, PID {pid}), and DuckDB lets only one process "
            f"write it: end or wait for that process (a DuckDB session on the file, a stuck run; "
            f"`ps -p {pid}` shows it), then run again"
        ) from None


def connect_build(build_db: Path, restricted_db: Path, key: PiiKey) -> duckdb.DuckDBPyConnection:
    """The build database (schema ``raw`` made if missing) with the restricted store attached, under
    the build's memory limit (`memory_limit`); raises BuildRefused when it was made with another PII
    key or an older layout, BuildInUse when another process has either file open."""
    private_dir(build_db.parent)
    private_dir(restricted_db.parent)
    with private_umask():
        with _refused_when_locked(build_db):
            con = duckdb.connect(str(build_db))
        try:
            con.execute("set enable_progress_bar = false")
            con.execute(f"set temp_directory = '{_sql(str(build_db.parent / 'tmp'))}'")
            con.execute(f"set memory_limit = '{_sql(memory_limit())}'")
            with _refused_when_locked(restricted_db):
                con.execute(f"attach '{_sql(str(restricted_db))}' as restricted")
            con.execute("create schema if not exists raw")
            _check_layout(con)
            for ddl in (LEDGER_DDL, QUARANTINE_DDL, META_DDL, NAME_KEYS_DDL, restricted.DDL):
                con.execute(ddl)
            for source in c.SOURCES.values():
                cols = ", ".join(f"{name} {sql}" for name, sql in raw_columns(source).items())
                con.execute(f"create table if not exists raw.{source.name} ({cols})")
            _check_key(con, key)
        except BaseException:
            con.close()
            raise
    return con


def close_build(con: duckdb.DuckDBPyConnection) -> None:
    """Close a connection from `connect_build`, detaching the restricted store without a checkpoint.

    Its new chunks are durable in its write-ahead log (``restricted.duckdb.wal``, synced at each
    commit), which the next connection to it replays, read-only ones included. A checkpoint would
    rewrite the store's whole column of sealed chunks: every chunk sits in one row group, and DuckDB
    rewrites a row group an append touched (0.3-0.6 s a night at 8 M persons, and growing with the
    store). `ingest.restricted.insert_chunks` checkpoints it once its log passes DuckDB's checkpoint
    threshold (16 MiB: a full load, or some months of nights). The build database is checkpointed
    on close.
    A copy of the restricted folder must include the ``.wal`` file beside the database.
    """
    try:
        con.execute("set checkpoint_on_detach = 'DISABLED'")
        con.execute("detach restricted")
    finally:
        con.close()


def _check_layout(con) -> None:
    has_ledger = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'load_ledger' "
        "and database_name = current_database()"
    ).fetchone()[0]
    con.execute(META_DDL)
    layout = con.execute("select value from raw.build_meta where key = 'layout'").fetchone()
    if layout is None and has_ledger:
        raise BuildRefused(
            "this build database was made by an earlier version of ingest (its ledger has another key); "
            "rebuild it from the landing folder once with `talent refresh --full-refresh`"
        )
    if layout is None:
        con.execute("insert into raw.build_meta values ('layout', ?)", [LAYOUT])


def _check_key(con: duckdb.DuckDBPyConnection, key: PiiKey) -> None:
    row = con.execute("select value from raw.build_meta where key = 'pii_key_fingerprint'").fetchone()
    if row is None:
        con.execute("insert into raw.build_meta values ('pii_key_fingerprint', ?)", [key.fingerprint])
    elif row[0] != key.fingerprint:
        raise BuildRefused(
            f"the PII key ({key.origin}) is not the one this build database was pseudonymised with; "
            "person keys would not join. Use the original TALENT_PII_KEY, or rebuild from the landing "
            "folder with `talent refresh --full-refresh`."
        )


def _sql(text: str) -> str:
    return text.replace("'", "''")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def describe_error(exc: BaseException) -> str:
    """An exception as its class and where it was raised in our code: never its message, which
    may quote landed rows (names, ID numbers)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/ingest/" in f.filename] or frames
    where = f" in {Path(ours[-1].filename).stem}.{ours[-1].name}" if ours else ""
    return f"{type(exc).__name__}{where}"


# ---------------------------------------------------------------- the run


def ingest(
    landing: Path,
    con: duckdb.DuckDBPyConnection,
    key: PiiKey,
    run_id: str,
    *,
    work_dir: Path | None = None,
    settle_seconds: float = 0,
    progress=None,
) -> IngestReport:
    """Bring the ledger up to date with ``landing``. ``progress(done, total, name)`` is optional.
    Raises only for the build database itself (a changed PII key, a full disk), never for a file."""
    started = time.perf_counter()
    report = IngestReport(run_id)
    work = work_dir or _database_dir(con)
    journal = Journal(work / "ingest.journal", run_id)
    died = journal.previous()
    dropped = restricted.drop_orphans(con)
    if dropped:
        log.info("restricted store: %d chunks of a run that died before its ledger rows were removed", dropped)
    landed = discover(landing, settle_seconds=settle_seconds)
    report.files_seen = len(landed)
    loader = _Loader(con, key, run_id, report, journal, work, died)
    loader.set_aside(landed)
    # apply order matters within a source (natural keys are per source), not across sources: reading
    # one source after the other keeps batches large however the export dates interleave
    todo = sorted((f for f in landed if f.kind == CANDIDATE), key=lambda f: (f.source, f.order))
    for i, f in enumerate(todo):
        if progress:
            progress(i, len(todo), "")
        loader.consider(f)
    loader.flush()
    loader.write_display_names()
    journal.clear()
    if progress:
        progress(len(todo), len(todo), "")
    report.seconds = time.perf_counter() - started
    return report


def _database_dir(con) -> Path:
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    return Path(path).parent


HASH_BLOCK = 8 << 20  # bytes read (and hashed) at a time


def fingerprint(path: Path) -> tuple[str, LineCounts]:
    """sha256 of the bytes, and on the way the line ending the head uses (CRLF, LF or CR), counted,
    and whether there are quotes: what the fast path checks its row count against.

    A file of more than one block is hashed in a thread of its own while this one counts (hashlib
    lets go of the interpreter lock on large updates; counting does not): a 1.6 GB file took 1.6 s
    one step after the other, 0.9 s side by side."""
    digest = hashlib.sha256()
    count = {"\n": 0, "\r": 0, "\r\n": 0}
    quotes = False
    last = b""
    ending = None
    with path.open("rb") as fh, _hashing(digest, path.stat().st_size > HASH_BLOCK) as update:
        while block := fh.read(HASH_BLOCK):
            update(block)
            if ending is None:
                cr, lf = block.find(b"\r"), block.find(b"\n")
                ending = "\r\n" if cr >= 0 and lf == cr + 1 else "\r" if cr >= 0 and (lf < 0 or cr < lf) else "\n"
            pattern = ending.encode()
            count[ending] += block.count(pattern) + (1 if ending == "\r\n" and last == b"\r" and block[:1] == b"\n" else 0)
            quotes = quotes or b'"' in block
            last = block[-1:]
    return digest.hexdigest(), LineCounts(count["\n"], count["\r"], count["\r\n"], last in (b"\n", b"\r"), quotes)


@contextmanager
def _hashing(digest, threaded: bool):
    """``update(block)`` for `fingerprint`: `digest.update` itself, or a hand-over to a thread that
    hashes the blocks in order; leaving the block waits for that thread (whatever happened)."""
    if not threaded:
        yield digest.update
        return
    blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
    failed: list[BaseException] = []

    def hash_blocks() -> None:
        while (block := blocks.get()) is not None:
            if not failed:  # after a failure, go on taking blocks so that no hand-over waits
                try:
                    digest.update(block)
                except BaseException as exc:  # noqa: BLE001 - raised again in the reading thread
                    failed.append(exc)

    worker = threading.Thread(target=hash_blocks, name="ingest-sha256", daemon=True)
    worker.start()
    try:
        yield blocks.put
    finally:
        blocks.put(None)
        worker.join()
    if failed:
        raise failed[0]


@dataclass
class _Staged:
    f: LandedFile
    load_id: str
    notes: tuple[str, ...]
    rows: int
    select: str | None = None  # a fast-read file: SQL over its temp table
    table: str | None = None
    frame: pl.DataFrame | None = None  # an exactly-read file


class _Loader:
    def __init__(self, con, key: PiiKey, run_id, report: IngestReport, journal: Journal, work: Path, died):
        self.con, self.key, self.run_id, self.report, self.journal, self.work = con, key, run_id, report, journal, work
        self.seen: dict[str, Seen] = seen_paths(con)
        self.hashes = content_hashes(con)
        self.staged: list[_Staged] = []
        self.rows = 0
        self.serial = 0
        self.crashed: set[str] = set()  # read when the last run died: reject
        self.isolate: set[str] = set()  # in a batch that died normalising: one file a batch
        self.redactor = Redactor(con, key)
        self.written: list[str] = []  # source_file of ledger rows written this run
        if died:
            files = list(died.get("files") or [])
            if died.get("phase") == "read" or (died.get("phase") == "normalise" and len(files) == 1):
                self.crashed.update(files)
            elif died.get("phase") == "normalise":
                self.isolate.update(files)
            log.warning("the previous ingest (run %s) died while %s %d file(s); %s", died.get("run_id"),
                        {"read": "reading", "normalise": "normalising"}.get(died.get("phase"), "writing"),
                        len(files), "they are rejected" if self.crashed else "they are read again")

    # ---- files set aside: deferred and skipped

    def set_aside(self, landed: list[LandedFile]) -> None:
        """Ledger rows of deferred and skipped files, as the landing folder is now."""
        rows = []
        keep = set()
        for f in landed:
            if f.kind == CANDIDATE:
                continue
            prev = self.seen.get(f.source_file)
            same = prev is not None and prev.size == f.size and prev.mtime_ns == f.mtime_ns
            if same and prev.status in FINAL:
                continue  # read before, unchanged since: young or not, nothing to do
            if same and prev.status == f.kind and prev.message == f.reason:
                keep.add(f.source_file)
                if f.kind == DEFERRED:
                    self.report.deferred += 1
                continue
            rows.append(self._row(f, None, FileOutcome(f.source_file, f.kind, message=f.reason)))
            if f.kind == DEFERRED:
                self.report.deferred += 1
            else:
                self.report.outcomes.append(FileOutcome(f.source_file, f.kind, message=f.reason))
        # rows of files no longer deferred or skipped as they were (gone, renamed, now readable)
        stale = [p for p, s in self.seen.items() if s.status in (DEFERRED, SKIPPED) and p not in keep]
        self.con.execute("begin")
        try:
            if stale:
                self.con.register("__stale", arrow_table({"source_file": stale}))
                self.con.execute(
                    "delete from raw.load_ledger where status in ('deferred', 'skipped') "
                    "and source_file in (select source_file from __stale)"
                )
                self.con.unregister("__stale")
            self._insert_ledger(rows)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        for p in stale:
            self.seen.pop(p, None)

    # ---- candidates

    def consider(self, f: LandedFile) -> None:
        prev = self.seen.get(f.source_file)
        if prev and prev.status != SKIPPED and prev.size == f.size and prev.mtime_ns == f.mtime_ns:
            return  # unchanged since it was recorded
        try:
            load_id, counts = fingerprint(f.path)
        except OSError as exc:  # vanished or unreadable since discovery: try again next run
            self._insert_ledger([self._row(f, None, FileOutcome(
                f.source_file, DEFERRED, message=f"cannot open the file ({type(exc).__name__}): tried again next run"
            ))])
            self.report.deferred += 1
            return
        if prev and prev.status != SKIPPED:
            if load_id == prev.load_id:
                self.con.execute(
                    "update raw.load_ledger set file_mtime_ns = ?, file_bytes = ? "
                    "where source_file = ? and load_id = ?", [f.mtime_ns, f.size, f.source_file, load_id]
                )
                return
            if prev.status in (LOADED, DUPLICATE):
                self._reject(f, load_id, FileRejected(
                    f.source_file, None,
                    f"changed after it was {prev.status} on {str(prev.loaded_at)[:10]}: files are never edited "
                    "after landing; land the correction as a new file (the earlier content stays loaded)",
                ))
                return
        if load_id in self.hashes:
            first, status = self.hashes[load_id]
            what = f"the {status} file" if status else "the file read earlier in this run"
            self._final(f, load_id, FileOutcome(
                f.source_file, DUPLICATE, message=f"same bytes as {what} in duplicate_of: changes nothing"
            ), duplicate_of=first)
            return
        self.hashes[load_id] = (f.source_file, None)  # read in this run: loaded once its batch is written
        if f.source_file in self.crashed:
            self._reject(f, load_id, FileRejected(
                f.source_file, None,
                "the previous run died while reading this file (out of memory or a crash); it is rejected so "
                "that it cannot stop every night: land it again under a new name once it is checked",
            ))
            return
        self.journal.mark("read", [f.source_file])
        try:
            staged = self._read(f, load_id, counts)
        except FileRejected as rejected:
            self._reject(f, load_id, rejected)
            return
        except Exception as exc:  # noqa: BLE001 - one file never stops the night; its text is never quoted
            self._reject(f, load_id, FileRejected(f.source_file, None, f"cannot be read ({describe_error(exc)})"))
            return
        fault_point("ingest.after_read")
        alone = f.source_file in self.isolate
        if self.staged and (self.staged[0].f.source != f.source or alone or self.staged[0].f.source_file in self.isolate):
            self.flush()
        self.staged.append(staged)
        self.rows += staged.rows
        if self.rows >= BATCH_ROWS or alone:
            self.flush()

    def _read(self, f: LandedFile, load_id: str, counts: LineCounts) -> _Staged:
        source = c.SOURCES[f.source]
        if f.suffix == ".csv" and f.size >= FAST_BYTES:
            fast = self._read_fast(f, source, counts)
            if fast is not None:
                select, notes, table, rows = fast
                return _Staged(f, load_id, notes, rows, select=select, table=table)
        result: ReadResult = read(f, source)
        notes = (*result.notes, f.note) if f.note else result.notes
        return _Staged(f, load_id, tuple(n for n in notes if n), result.frame.height, frame=result.frame)

    def _read_fast(self, f: LandedFile, source: c.Source, counts: LineCounts):
        with f.path.open("rb") as fh:
            head = fh.read(HEAD)
        enc = candidates(head)[0]
        path, transcoded = f.path, None
        if enc != UTF8 and enc.codec != "utf-8":
            transcoded = self.work / "tmp" / f"transcoded-{self.run_id[:8]}-{self.serial}.csv"
            private_dir(transcoded.parent)
            try:
                with private_umask():
                    to_utf8(f.path, enc, transcoded)
            except EncodingError:
                transcoded.unlink(missing_ok=True)
                return None  # the exact reader says why
            path = transcoded
            _, counts = fingerprint(path)
            with path.open("rb") as fh:
                head = fh.read(HEAD)
        try:
            sniffed = sniff(head, source, f.source_file)
            if sniffed is None:
                return None
            self.serial += 1
            table = f"__fast_{self.serial}"
            rows = stage_fast(self.con, table, path, sniffed, counts)
            if rows is None:
                return None
            notes = tuple(n for n in (*sniffed.header.notes, f.note) if n)
            return fast_select(table, sniffed, source, 0), notes, table, rows
        finally:
            if transcoded is not None:
                transcoded.unlink(missing_ok=True)

    # ---- ledger rows

    def _row(self, f: LandedFile, load_id, o: FileOutcome, duplicate_of=None) -> list:
        return [
            load_id, f.source, f.source_file, f.file_name, f.export_date, f.size, o.rows_landed, o.rows_loaded,
            o.rows_quarantined, o.status, o.message or None, duplicate_of, self.run_id, _now(), f.mtime_ns,
            None,
        ]

    def _insert_ledger(self, rows: list[list]) -> None:
        if rows:
            _insert(self.con, "raw.load_ledger", LEDGER_COLUMNS.split(", "), rows)
            self.written += [r[2] for r in rows]

    def _final(self, f: LandedFile, load_id, outcome: FileOutcome, duplicate_of=None) -> None:
        """A file that loads nothing (duplicate, changed, unreadable): its ledger row alone."""
        self._insert_ledger([self._row(f, load_id, outcome, duplicate_of)])
        self.report.outcomes.append(outcome)

    def _reject(self, f: LandedFile, load_id: str, rejected: FileRejected) -> None:
        """A file unusable as a whole: each of its rows quarantined with the reason (or the file as
        one entry with no row number when its rows cannot even be counted)."""
        if self.hashes.get(load_id) == (f.source_file, None):  # its later copies are copies of a rejected file
            self.hashes[load_id] = (f.source_file, REJECTED)
        rows = rejected.rows
        reason = f"file rejected: {rejected.reason}"
        n = rows.height if rows is not None else 0
        numbers = rows["row_number"].to_list() if n else [None]
        outcome = FileOutcome(f.source_file, REJECTED, n, 0, n, message=reason)
        self.con.execute("begin")
        try:
            now = _now()
            _insert(
                self.con, "raw.quarantine",
                ["load_id", "source", "source_file", "export_date", "row_number", "column_name", "reason",
                 "run_id", "quarantined_at"],
                [[load_id, f.source, f.source_file, f.export_date, r, rejected.column, reason, self.run_id, now]
                 for r in numbers],
            )
            self._insert_ledger([self._row(f, load_id, outcome)])
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        self.report.outcomes.append(outcome)

    def write_display_names(self) -> None:
        """Redacted paths of this run's ledger rows, once all of its names are known."""
        if not self.written:
            return
        shown = self.redactor.paths(self.written)
        messages = {o.message for o in self.report.outcomes if o.message}
        clean = self._redact_words(messages)
        self._update_from("display_file", "source_file", shown, "display_file is null")
        self._update_from("message", "message", {m: v for m, v in clean.items() if v != m}, f"run_id = '{_sql(self.run_id)}'")
        for o in self.report.outcomes:
            if o.status in (REJECTED, SKIPPED):
                log.warning("%s: %s: %s", shown.get(o.source_file, "?"), o.status, clean.get(o.message, ""))

    def _update_from(self, column: str, key: str, values: dict[str, str], where: str) -> None:
        """Set ``column`` of ledger rows by ``key`` -> value, in one statement."""
        if not values:
            return
        self.con.register("__update", arrow_table({"k": list(values), "v": list(values.values())}))
        try:
            self.con.execute(
                f"update raw.load_ledger set {column} = u.v from __update u where load_ledger.{key} = u.k and {where}"
            )
        finally:
            self.con.unregister("__update")

    def _redact_words(self, texts: set[str]) -> dict[str, str]:
        """Messages with every word (or quoted header) that is ID-shaped, a known name or holds one
        inside its Chinese text (`Redactor.holding_names`: a header "阿依古丽电话") redacted."""
        words = {w.strip("'\"()[]:;,") for t in texts for w in t.split()}
        hidden = {w for w in words if id_shaped(w)} | self.redactor.holding_names(words)
        out = {}
        for t in texts:
            out[t] = " ".join(REDACTED if w.strip("'\"()[]:;,") in hidden else w for w in t.split(" "))
        return out

    # ---- batches

    def flush(self) -> None:
        if not self.staged:
            return
        batch, self.staged, self.rows = self.staged, [], 0
        try:
            self._write_batch(batch)
        except Exception as exc:  # noqa: BLE001 - retried file by file, then rejected with its class
            if len(batch) > 1:
                log.warning("a batch of %d files failed (%s); loading them one by one", len(batch), describe_error(exc))
                for one in batch:
                    self._retry_alone(one)
            else:
                self._fail(batch[0], exc)
        finally:
            self._drop(batch)

    def _retry_alone(self, one: _Staged) -> None:
        try:
            self._write_batch([one])
        except Exception as exc:  # noqa: BLE001 - the file is rejected with the error's class
            self._fail(one, exc)

    def _fail(self, one: _Staged, exc: Exception) -> None:
        log.error("loading a file failed: %s", describe_error(exc))
        self._reject(one.f, one.load_id, FileRejected(one.f.source_file, None,
                                                      f"cannot be loaded ({describe_error(exc)})"))

    def _drop(self, batch: list[_Staged]) -> None:
        """Free what a batch staged and derived."""
        self.con.execute("drop view if exists __landed")
        self.con.unregister("__frames")  # a no-op when not registered
        for s in batch:
            if s.table:
                self.con.execute(f"drop table if exists {s.table}")
            s.frame = None
        self.con.unregister("__files")
        for name in ("__bad", "__problems"):
            self.con.execute(f"drop table if exists {name}")
        for col in _all_columns():
            self.con.unregister(f"__lk_{col}")  # a no-op when not registered
            self.con.execute(f"drop table if exists __lk_{col}")

    def _write_batch(self, batch: list[_Staged]) -> None:
        source = c.SOURCES[batch[0].f.source]
        names = [s.f.source_file for s in batch]
        self.journal.mark("normalise", names)
        _Batch(self, source, batch).write(names)


def _all_columns() -> set[str]:
    return {col.name for s in c.SOURCES.values() for col in s.columns}


class _Batch:
    """One batch: staged rows -> lookups -> problems -> quarantine, raw, persons, ledger.

    Each column's distinct landed spellings are normalised once (``__lk_<column>``: raw, value,
    reason, and what derives from the value). ``__problems`` holds one row per (row, column) problem,
    found by joining the staged rows with the few spellings that have a reason; ``__bad`` the rows
    that have any. The raw insert and the persons read the staged rows once more, joined with the
    lookups, leaving the bad rows out: no typed copy of the batch is materialised in between.
    """

    def __init__(self, loader: _Loader, source: c.Source, batch: list[_Staged]):
        self.loader, self.con, self.source, self.batch = loader, loader.con, source, batch
        self.columns = list(source.columns)

    def write(self, names: list[str]) -> None:
        con = self.con
        self._stage()
        self._lookups()
        self._problems()
        landed = dict(con.execute("select __file, count(*) from __landed group by all").fetchall())
        bad = dict(con.execute("select __file, count(*) from __bad group by all").fetchall())
        load_ids = [s.load_id for i, s in enumerate(self.batch) if landed.get(i)]
        persons = self._persons()
        # read to its end and sealed chunk by chunk here, before `con` runs anything else
        chunks = restricted.seal_chunks(self.loader.key, load_ids, persons) if persons is not None else []
        self.loader.journal.mark("write", names)
        if chunks:
            fault_point("ingest.before_restricted")
            restricted.insert_chunks(con, self.loader.run_id, load_ids, chunks)
            fault_point("ingest.after_restricted")
        outcomes, ledger = [], []
        for i, s in enumerate(self.batch):
            n, q = landed.get(i, 0), bad.get(i, 0)
            outcome = FileOutcome(s.f.source_file, LOADED, n, n - q, q, "; ".join(s.notes))
            outcomes.append(outcome)
            ledger.append(self.loader._row(s.f, s.load_id, outcome))
        con.execute("begin")
        try:
            self._insert_names()
            self._insert_quarantine()
            self._insert_raw()
            self.loader._insert_ledger(ledger)
            fault_point("ingest.before_commit")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            self.loader.written = [w for w in self.loader.written if w not in set(names)]
            raise
        self.loader.report.outcomes.extend(outcomes)
        for s in self.batch:
            self.loader.hashes[s.load_id] = (s.f.source_file, LOADED)

    # ---- staging

    def _stage(self) -> None:
        con, source = self.con, self.source
        frames = [s.frame.with_columns(pl.lit(i, pl.Int32).alias("__file"))
                  for i, s in enumerate(self.batch) if s.frame is not None]
        cols = ["__file", "row_number", SHAPE, *[col.name for col in source.columns]]
        parts = []
        if frames:
            frame = pl.concat([f.select(cols) for f in frames], how="vertical_relaxed")
            con.register("__frames", for_duckdb(frame))
            parts.append(f"select {', '.join(cols)} from __frames")
        parts += [_with_file(s.select, i) for i, s in enumerate(self.batch) if s.select is not None]
        con.execute(f"create or replace temp view __landed as {' union all '.join(parts)}")
        files = arrow_table({
            "__file": range(len(self.batch)),
            "load_id": [s.load_id for s in self.batch],
            "source_file": [s.f.source_file for s in self.batch],
            "file_name": [s.f.file_name for s in self.batch],
            "export_date": [s.f.export_date for s in self.batch],
        }, {"__file": pl.Int32, "export_date": pl.Date})
        con.register("__files", files)

    # ---- normalisation: one lookup per column, of its distinct landed spellings

    def _distinct(self) -> dict[str, pl.Series | pa.ChunkedArray]:
        """Every column's distinct spellings (for free-text columns only those that cleaning can
        change: plain ASCII is clean already), NULL among them when the column has one.

        One ``select distinct`` a column, in one query: a ``list(distinct)`` aggregate of every
        column in a single scan took 2.2-2.6 s at 8 M rows against 1.5 s. ``strlen = length``
        (bytes = characters) is true only for ASCII and costs far less than the pattern, which then
        runs on ASCII values only (most free text here is Chinese). The ID numbers (nearly one
        spelling a row) stay Arrow as DuckDB gave them, for `_lookups` to take a slice at a time.
        """
        out: dict[str, pl.Series | pa.ChunkedArray] = {}
        parts = []
        for i, col in enumerate(self.columns):
            x = col.name
            if col.kind == c.ID_NUMBER:
                out[x] = self.con.sql(f"select distinct {x} as raw from __landed").to_arrow_table()["raw"]
                continue
            keep = ""
            if col.kind in TEXT_KINDS:
                keep = f" where {x} is null or strlen({x}) <> length({x}) or not regexp_full_match({x}, '{PLAIN}')"
            parts.append(f"select distinct {i}::smallint as i, {x} as raw from __landed{keep}")
        found = {}
        if parts:
            frame = pl.from_arrow(self.con.sql(" union all ".join(parts)).to_arrow_table())
            found = {i: part["raw"] for (i,), part in frame.partition_by("i", as_dict=True, include_key=False).items()}
        for i, col in enumerate(self.columns):
            out.setdefault(col.name, found.get(i, pl.Series("raw", [], dtype=pl.Utf8)))
        return out

    def _lookups(self) -> None:
        """``__lk_<column>``: each column's distinct spellings and what they normalise to (`_lookup`).
        A column whose spellings that load are already their own values (`_verbatim`) is read as
        landed, not joined, unless what its lookup derives is needed (a person key, a level's rank).

        A small lookup is handed to DuckDB as Arrow, without a copy. One of more than LOOKUP_SLICE
        spellings (the ID numbers: 5.5 M at 8 M rows) is made a slice at a time and copied into a
        DuckDB table, so that it counts against DuckDB's memory limit, and polars never holds more
        than a slice: made whole, its person keys alone were 340 MB and ingest's peak grew by 0.3 GB.
        """
        con, vocab = self.con, vocabulary()
        spellings = self._distinct()
        self.verbatim = set()
        for col in self.columns:
            distinct = spellings.pop(col.name)
            verbatim = True
            for start in range(0, max(len(distinct), 1), LOOKUP_SLICE):
                part = distinct.slice(start, LOOKUP_SLICE)
                table = self._lookup(col, part if isinstance(part, pl.Series) else pl.Series("raw", part), vocab)
                verbatim = verbatim and _verbatim(table)
                arrow = for_duckdb(table)
                if start == 0 and len(distinct) <= LOOKUP_SLICE and arrow.nbytes < HOLD_BYTES:
                    con.register(f"__lk_{col.name}", arrow)
                    continue
                con.register("__lookup", arrow)
                into = "insert into" if start else "create or replace temp table"
                con.execute(f"{into} __lk_{col.name} {'' if start else 'as '}select * from __lookup")
                con.unregister("__lookup")
            if verbatim:
                self.verbatim.add(col.name)

    def _lookup(self, col: c.Column, distinct: pl.Series, vocab) -> pl.DataFrame:
        """One column's lookup of these spellings: ``raw, value, reason`` and what derives from them
        (`ingest.normalise.lookup`); person keys and name keys are HMACs of the normalised ID number
        and name form (`hmac_expr`)."""
        key = self.loader.key
        if col.kind == c.PERSON_NAME:
            table = pl.DataFrame({"raw": distinct}, schema={"raw": pl.Utf8}).with_columns(
                clean_text(pl.col("raw")).alias("value"),
                name_form_expr(pl.col("raw")).alias("form"),
            )
            return table.with_columns(
                pl.when(pl.col("value").is_null()).then(pl.lit("required value blank")).alias("reason"),
                hmac_expr(pl.col("form"), key).alias("name_key"),
            )
        table = lookup(col, distinct, vocab)
        if col.kind == c.ID_NUMBER:  # streaming: in morsels, on both cores
            table = table.lazy().with_columns(hmac_expr(pl.col("value"), key).alias("person_key"))
            table = table.collect(engine="streaming")
        return table

    def _join(self, col: c.Column, alias: str, *, needed: bool = False) -> str:
        """The join of a column's lookup as ``alias``: none when its value is the landed text and
        the lookup itself is not ``needed`` (for what it derives, or for rows that do not load).
        Each join of a small lookup cost ~0.3 s of the raw insert at 8 M rows."""
        if col.name in self.verbatim and not needed:
            return ""
        return f"left join __lk_{col.name} {alias} on {alias}.raw is not distinct from l.{col.name}"

    def _value(self, col: c.Column, alias: str) -> str:
        if col.name in self.verbatim:
            return f"l.{col.name}"
        if col.kind in TEXT_KINDS:  # plain values are not in the lookup: they are their own value
            return (f"case when {alias}.raw is null and l.{col.name} is not null then l.{col.name} "
                    f"else {alias}.value end")
        return f"{alias}.value"

    # ---- bad rows

    def _problems(self) -> None:
        """__problems: one row per (row, column) problem; __bad: the rows that do not load."""
        con = self.con
        selects = [
            (
                f"select __file, row_number, null::varchar as column_name, {SHAPE} as reason, "
                f"null::varchar as value from __landed where {SHAPE} is not null"
            )
        ]
        for col in self.columns:
            shown = f"nullif(trim(l.{col.name}, '{BLANK}'), '')" if col.kind in VOCABULARY_KINDS else "null::varchar"
            selects.append(
                f"select l.__file, l.row_number, '{col.name}' as column_name, k.reason, {shown} as value "
                f"from __landed l join (select raw, reason from __lk_{col.name} where reason is not null) k "
                f"on k.raw is not distinct from l.{col.name} where l.{SHAPE} is null"
            )
        con.execute(f"create or replace temp table __problems as {' union all '.join(selects)}")
        con.execute("create or replace temp table __bad as select distinct __file, row_number from __problems")
        for rule in self.source.row_rules:  # over typed values, on rows without another problem
            words = set(re.findall(r"\w+", rule.broken))
            operands = [(i, col) for i, col in enumerate(self.columns) if col.name in words]
            joins = " ".join(self._join(col, f"k{i}") for i, col in operands)
            aliases = {col.name: self._value(col, f"k{i}") for i, col in operands}
            cond = re.sub(r"\b(\w+)\b", lambda m, a=aliases: a.get(m.group(1), m.group(1)), rule.broken)
            con.execute(
                f"insert into __problems select l.__file, l.row_number, ?, ?, null from __landed l {joins} "
                f"anti join __bad b on b.__file = l.__file and b.row_number = l.row_number "
                f"where l.{SHAPE} is null and ({cond})",
                [rule.column, rule.reason],
            )
            con.execute("create or replace temp table __bad as select distinct __file, row_number from __problems")

    # ---- what is written

    _GOOD = "anti join __bad b on b.__file = l.__file and b.row_number = l.row_number"

    def _of_kind(self, kind: str) -> list[c.Column]:
        """The source's columns of one kind (its ID number, its name), in contract order."""
        return [col for col in self.columns if col.kind == kind]

    def _persons(self) -> pa.RecordBatchReader | None:
        """The ID number and name of every row that loads, with where it landed (the export reads
        the latest record of each person; deduplicating here would cost more than it saves), as a
        stream of record batches: the restricted store seals them one chunk at a time."""
        ids = self._of_kind(c.ID_NUMBER)
        if not ids:
            return None
        names = self._of_kind(c.PERSON_NAME)
        name = self._value(names[0], "n") if names else "null::varchar"
        name_join = self._join(names[0], "n") if names else ""
        return self.con.sql(
            f"""
            select {self._value(ids[0], "k")} as id_number, {name} as name, '{self.source.name}' as source,
                   f.source_file, f.export_date, l.row_number
            from __landed l
            join __files f on f.__file = l.__file
            {self._join(ids[0], "k")}
            {name_join}
            {self._GOOD}
            """
        ).to_arrow_reader(restricted.CHUNK_ROWS)

    def _insert_names(self) -> None:
        """Keyed hashes of every landed name, loaded or not: what redaction compares with."""
        for col in self.columns:
            if col.kind == c.PERSON_NAME:
                self.con.execute(
                    f"insert or ignore into raw.name_keys select distinct name_key from __lk_{col.name} "
                    "where name_key is not null"
                )

    def _insert_quarantine(self) -> None:
        con = self.con
        values = [r[0] for r in con.execute("select distinct value from __problems where value is not null").fetchall()]
        shown = self.loader.redactor.values(values)
        rare = [v for v, s in shown.items() if s == v and quarantine_value(v, 0) == WITHHELD]
        persons = self._persons_carrying(rare) if rare else {}
        shown |= {v: quarantine_value(v, persons.get(v, 0)) for v in rare}
        con.register("__shown", arrow_table(
            {"value": list(shown), "shown": [v[:200] for v in shown.values()]}, {"value": pl.Utf8, "shown": pl.Utf8}
        ))  # fmt: skip
        try:
            con.execute(
                f"""
                insert into raw.quarantine
                select f.load_id, '{self.source.name}', f.source_file, f.export_date, p.row_number,
                       p.column_name, p.reason, s.shown, ?, now()::timestamp
                from __problems p
                join __files f on f.__file = p.__file
                left join __shown s on s.value = p.value
                """,
                [self.loader.run_id],
            )
        finally:
            con.unregister("__shown")

    def _persons_carrying(self, values: list[str]) -> dict[str, int]:
        """value -> how many distinct persons' problem rows carry it (a person: the ID number,
        normalised, else as landed, else the name as landed, else the row)."""
        ids = self._of_kind(c.ID_NUMBER)
        names = self._of_kind(c.PERSON_NAME)
        person = [*(f"k.value, nullif(trim(l.{col.name}), '')" for col in ids[:1]),
                  *(f"nullif(trim(l.{col.name}), '')" for col in names[:1]), "l.__file || ':' || l.row_number"]
        id_join = self._join(ids[0], "k", needed=True) if ids else ""
        self.con.register("__rare", arrow_table({"value": values}, {"value": pl.Utf8}))
        try:
            rows = self.con.execute(
                f"""
                select p.value, count(distinct coalesce({', '.join(person)}))
                from __problems p
                join __landed l on l.__file = p.__file and l.row_number = p.row_number
                {id_join}
                where p.value in (select value from __rare)
                group by p.value
                """
            ).fetchall()
        finally:
            self.con.unregister("__rare")
        return dict(rows)

    def _insert_raw(self) -> None:
        cols = raw_columns(self.source)
        exprs = {
            "load_id": "f.load_id", "source_file": "f.source_file", "file_name": "f.file_name",
            "export_date": "f.export_date", "row_number": "l.row_number",
        }
        joins = []
        for i, col in enumerate(self.columns):
            if col.kind == c.PERSON_NAME:
                continue
            k = f"k{i}"
            joins.append(self._join(col, k, needed=col.kind in (c.LEVEL, c.ID_NUMBER)))
            exprs[typed_name(col)] = self._value(col, k)
            if col.kind == c.LEVEL:
                exprs["level_rank"] = f"{k}.level_rank"
            elif col.kind == c.ID_NUMBER:
                exprs["person_key"], exprs["birth_date"] = f"{k}.person_key", f"{k}.birth_date"
                id_alias = k
        if "gender" in cols and "person_key" in cols:  # blank gender: from the ID number
            exprs["gender"] = f"coalesce({exprs['gender']}, {id_alias}.id_gender)"
        self.con.execute(
            f"insert into raw.{self.source.name} ({', '.join(cols)}) "
            f"select {', '.join(exprs[name] for name in cols)} "
            f"from __landed l join __files f on f.__file = l.__file {' '.join(joins)} {self._GOOD}"
        )


HOLD_BYTES = 64 << 20  # lookups from this size are copied into DuckDB, within its memory limit
LOOKUP_SLICE = 1_000_000  # distinct spellings of a column normalised and copied into DuckDB at a time


def _verbatim(table: pl.DataFrame) -> bool:
    """Whether every spelling of a lookup that can load (no reason against it: a row with one never
    loads) is its own value, text as landed."""
    if table.schema.get("value") != pl.Utf8:
        return False
    return bool(table.select((pl.col("reason").is_not_null() | pl.col("value").eq_missing(pl.col("raw"))).all()).item())


def _insert(con, table: str, columns: list[str], rows: list[list]) -> None:
    """Rows into ``table`` in one statement (through Arrow, not one statement per row)."""
    data = arrow_table({name: [r[i] for r in rows] for i, name in enumerate(columns)})
    con.register("__rows", data)
    try:
        con.execute(f"insert into {table} ({', '.join(columns)}) select {', '.join(columns)} from __rows")
    finally:
        con.unregister("__rows")


def _with_file(select: str, index: int) -> str:
    """A fast-read file's select, with its place in the batch."""
    _, rest = select.split(" as __file, ", 1)
    return f"select {index}::integer as __file, {rest}"
