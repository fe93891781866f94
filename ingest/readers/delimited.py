"""CSV: the exact reader, and a native fast path that gives the same rows or steps aside.

**The exact reader** (:func:`read_csv`) decodes the whole file (see :mod:`ingest.readers.text`),
splits it into physical lines at CRLF, LF or CR (never at U+2028 or other Unicode line separators, which
are text), and parses records with Python's csv module:

- a record's row number is its position in the file counting every record and blank line, as a
  spreadsheet shows it (a quoted field with line breaks is one row);
- a record with more or fewer fields than the header is a ragged row: it keeps its row number and a
  ``__shape`` reason ("7 fields, the header has 8"), and none of its values, so that nothing shifts
  between columns. Trailing empty fields beyond the header are not a problem (the contract's
  trailing comma, on the header, the rows, or both);
- a quoted field never closed (before the end of the file, or within MAX_RECORD_LINES lines) makes
  its record one ragged row, and reading resumes on the next line; text after a closing quote
  (``"7"z``) is read leniently;
- NUL bytes, very long fields and Unicode line separators are just text.

**The fast path** (:func:`stage_fast`) reads a large file with DuckDB's native CSV reader into a
temporary table, and keeps the result only when it provably equals the exact reader's: every row
has the width seen in the head of the file, DuckDB rejected nothing (ragged rows, bad quoting,
invalid UTF-8), and the number of physical lines matches the rows read, so that no blank line was
skipped and row numbers are exact. Otherwise it drops what it read and the exact reader reads the file.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest import contract as c
from ingest.landing import LandedFile
from ingest.readers import (
    MAX_TITLE_ROWS,
    SHAPE,
    FileRejected,
    Header,
    ReadResult,
    empty_frame,
    find_header,
    frame_schema,
    shape_reason,
)
from ingest.readers.text import HEAD, EncodingError, candidates, decode

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a field is as long as the file allows

MAX_RECORD_LINES = 100  # a quoted field spanning more lines than this was never closed
UNCLOSED_EOF = "quoted field not closed before the end of the file"
UNCLOSED_LONG = f"quoted field not closed within {MAX_RECORD_LINES} lines"


@dataclass(frozen=True)
class Record:
    row: int  # 1-based record number in the file (blank lines count)
    fields: list[str] | None  # None when the record could not be parsed
    problem: str | None = None
    lines: int = 1  # physical lines it spans


class _Runaway(Exception):
    pass


class _Lines:
    """Physical lines fed to csv.reader, remembering where each record started."""

    def __init__(self, lines: list[str], start: int):
        self.lines, self.pos, self.record_start = lines, start, start

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        if self.pos - self.record_start >= MAX_RECORD_LINES:
            raise _Runaway
        self.pos += 1
        return self.lines[self.pos - 1]


def physical_lines(text: str) -> list[str]:
    """Lines ending at CRLF, LF or CR (their endings kept); U+2028, U+0085 and the like stay text."""
    return io.StringIO(text, newline="").readlines()


def records(lines: list[str]) -> Iterator[Record]:
    n, pos, row = len(lines), 0, 0
    while pos < n:
        feed = _Lines(lines, pos)
        reader = csv.reader(feed, strict=True, skipinitialspace=True)
        while True:
            start = feed.record_start = feed.pos
            if start >= n:
                pos = n
                break
            row += 1
            try:
                fields = next(reader)
            except StopIteration:
                pos = n
                break
            except _Runaway:
                yield Record(row, None, UNCLOSED_LONG, MAX_RECORD_LINES)
                pos = start + 1
                break
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    yield Record(row, None, UNCLOSED_EOF, n - start)
                    pos = start + 1
                    break
                lenient = _Lines(lines, start)  # e.g. text after a closing quote: read it as Excel does
                try:
                    fields = next(csv.reader(lenient, strict=False, skipinitialspace=True))
                except (_Runaway, csv.Error, StopIteration):
                    yield Record(row, None, "malformed quoting", 1)
                    pos = start + 1
                    break
                yield Record(row, fields, None, lenient.pos - start)
                pos = lenient.pos
                break
            yield Record(row, fields, None, feed.pos - start)


BLANK = " \t\r\n\f\v\u00a0\u3000\u200b\ufeff"  # what a blank cell may hold (both readers)


def blank_sql(column: str) -> str:
    """SQL that is true when a cell is blank as `_blank` sees it: NULL, empty, or nothing but BLANK.

    ``trim`` with a set of characters is slow (about 1 s over 8 M cells here); the first character's
    code point (``ascii``: 0 for an empty string) settles every cell that starts with anything else,
    and only the rest are trimmed (0.1 s)."""
    codes = ", ".join(str(ord(ch)) for ch in BLANK)
    return f"({column} is null or (ascii({column}) in (0, {codes}) and trim({column}, '{BLANK}') = ''))"


def _blank(fields: list[str]) -> bool:
    return not "".join(fields).strip(BLANK)


def read_csv(f: LandedFile, source: c.Source) -> ReadResult:
    data = f.path.read_bytes()
    if not data.strip():
        return ReadResult(empty_frame(source), 1, ("empty file",))
    try:
        text, _ = decode(data, candidates(data[:HEAD]))
    except EncodingError as exc:
        raise FileRejected(f.source_file, None, str(exc)) from None
    del data
    it = records(physical_lines(text))
    del text
    head: list[Record] = []
    for rec in it:
        head.append(rec)
        if len(head) > MAX_TITLE_ROWS:
            break
    try:
        header = find_header([r.fields or [] for r in head], source, f.source_file)
    except FileRejected as rejected:
        rows = [r.row for r in head[1:] + list(it) if r.fields is None or not _blank(r.fields)]
        rejected.rows = pl.DataFrame({"row_number": rows}, schema={"row_number": pl.Int64})
        raise
    body = head[header.index + 1 :]
    frame = _frame(_chain(body, it), header, source)
    return ReadResult(frame, head[header.index].row, header.notes)


def _chain(first: list[Record], rest: Iterator[Record]) -> Iterator[Record]:
    yield from first
    yield from rest


def _frame(recs: Iterator[Record], header: Header, source: c.Source) -> pl.DataFrame:
    positions = sorted(header.mapping)
    names = [header.mapping[i] for i in positions]
    width = header.width
    columns: list[list[str | None]] = [[] for _ in names]
    rows: list[int] = []
    shapes: list[str | None] = []
    blank_values = [None] * len(names)
    for rec in recs:
        fields = rec.fields
        if fields is None:
            problem, values = rec.problem, blank_values
        elif _blank(fields):
            continue
        else:
            k = len(fields)
            if k == width or (k > width and _blank(fields[width:])):
                problem, values = None, [fields[i] for i in positions]
            else:
                problem, values = shape_reason(k, width), blank_values
        rows.append(rec.row)
        shapes.append(problem)
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    given = dict(zip(names, columns, strict=True))
    nothing = [None] * len(rows)
    data = {"row_number": rows, SHAPE: shapes, **{col.name: given.get(col.name, nothing) for col in source.columns}}
    return pl.DataFrame(data, schema=frame_schema(source))


# ---------------------------------------------------------------- the native fast path


@dataclass(frozen=True)
class Sniffed:
    """What the head of a file says about the whole: the fast path's assumptions."""

    header: Header
    header_row: int  # row number of the header (title rows before it)
    skip_lines: int  # physical lines up to and including the header
    width: int  # fields in each data row (the header's, or one more for a trailing comma)
    newline: str  # "\r\n", "\n" or "\r"


def sniff(head: bytes, source: c.Source, source_file: str) -> Sniffed | None:
    """From the first bytes of a UTF-8 file: the header and the data rows' width, or None when the
    head already shows something only the exact reader handles."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
    if cut < 0:
        return None
    try:
        text = head[: cut + 1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = physical_lines(text)
    if len(lines) > 1 and lines[-1].endswith("\r") and not lines[-1].endswith("\r\n"):
        lines = lines[:-1]  # a CR at the cut may be the first half of a CRLF
    recs = list(records(lines))
    if len(recs) < 2:
        return None
    try:
        header = find_header([r.fields or [] for r in recs[: MAX_TITLE_ROWS + 1]], source, source_file)
    except FileRejected:
        return None
    above = recs[: header.index + 1]
    if any(r.lines != 1 for r in above):
        return None
    data = recs[header.index + 1 : -1] or recs[header.index + 1 :]  # the last may be cut short
    if not data or any(r.fields is None for r in data):
        return None
    widths = {len(r.fields) for r in data}
    if len(widths) != 1:
        return None
    width = widths.pop()
    if width < header.width or (width > header.width and any(not _blank(r.fields[header.width :]) for r in data)):
        return None
    ending = lines[header.index]
    newline = "\r\n" if ending.endswith("\r\n") else "\n" if ending.endswith("\n") else "\r"
    return Sniffed(header, above[-1].row, header.index + 1, width, newline)


@dataclass(frozen=True)
class LineCounts:
    """Counted while hashing the file's bytes: enough to check the fast path's row count."""

    lf: int
    cr: int
    crlf: int
    ends_with_newline: bool
    quotes: bool

    def lines(self, newline: str) -> int:
        terminators = {"\n": self.lf, "\r": self.cr, "\r\n": self.crlf}[newline]
        return terminators + (0 if self.ends_with_newline else 1)


def stage_fast(con, table: str, path: Path, sniffed: Sniffed, counts: LineCounts) -> int | None:
    """Read ``path`` natively into temp table ``table`` (columns c0..c<width-1>, file order = rowid).
    Returns the rows read, or None (and no table) when the result could differ from the exact reader's."""
    width = sniffed.width
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    newline = {"\r\n": "\\r\\n", "\n": "\\n", "\r": "\\r"}[sniffed.newline]
    rejects = f"{table}_rejects"
    path_sql = str(path).replace("'", "''")
    try:
        con.execute(
            f"""
            create or replace temp table {table} as
            select *
            from read_csv('{path_sql}', columns = {{{spec}}}, header = false, skip = {sniffed.skip_lines},
                          auto_detect = false, delim = ',', quote = '"', escape = '"', new_line = '{newline}',
                          encoding = 'utf-8', null_padding = false,
                          ignore_errors = true, store_rejects = true,
                          rejects_table = '{rejects}', rejects_scan = '{rejects}_scan', max_line_size = 33554432)
            """
        )
        bad = con.execute(f"select count(*) from {rejects}").fetchone()[0]
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        ok = bad == 0 and _extra_columns_empty(con, table, sniffed) and _lines_match(con, table, rows, sniffed, counts)
    except Exception:  # noqa: BLE001 - any error of the native reader: the exact reader decides
        ok, rows = False, 0
    finally:
        for t in (rejects, f"{rejects}_scan"):
            con.execute(f"drop table if exists {t}")
    if not ok:
        con.execute(f"drop table if exists {table}")
        return None
    # rows wholly blank are not rows (the exact reader leaves them out too); rowids keep their place
    blank = " and ".join(blank_sql(f"c{i}") for i in range(width))
    return rows - con.execute(f"delete from {table} where {blank}").fetchone()[0]


def fast_select(table: str, sniffed: Sniffed, source: c.Source, file_index: int) -> str:
    """The staged rows of a fast-read file as the exact reader would frame them: row numbers as a
    spreadsheet shows them, canonical columns."""
    mapped = {name: f"c{i}" for i, name in sniffed.header.mapping.items()}
    columns = ", ".join(
        f"{mapped[col.name]} as {col.name}" if col.name in mapped else f"null::varchar as {col.name}"
        for col in source.columns
    )
    return (
        f"select {file_index}::integer as __file, rowid + {sniffed.header_row + 1} as row_number, "
        f"null::varchar as {SHAPE}, {columns} from {table}"
    )


def _extra_columns_empty(con, table: str, sniffed: Sniffed) -> bool:
    """A trailing comma on the data rows makes one more column; it must be empty on every row."""
    extra = [f"c{i}" for i in range(sniffed.header.width, sniffed.width)]
    if not extra:
        return True
    cond = " or ".join(f"not {blank_sql(c)}" for c in extra)
    return con.execute(f"select count(*) from {table} where {cond}").fetchone()[0] == 0


def _lines_match(con, table: str, rows: int, sniffed: Sniffed, counts: LineCounts) -> bool:
    """Every physical line is a header line or part of a row: no blank line was skipped."""
    expected = counts.lines(sniffed.newline) - sniffed.skip_lines
    if rows == expected:
        return True
    if not counts.quotes or rows > expected:
        return False
    # quoted fields may hold line breaks: each adds a physical line to its row
    nl = sniffed.newline[-1]
    embedded = " + ".join(
        f"coalesce(length(c{i}) - length(replace(c{i}, '{nl}', '')), 0)" for i in range(sniffed.width)
    )
    extra = con.execute(f"select coalesce(sum({embedded}), 0) from {table}").fetchone()[0]
    return rows + extra == expected
