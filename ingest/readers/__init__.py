"""Readers: a landed file -> rows of text under the contract's canonical column names.

One reader per format (:mod:`ingest.readers.delimited` for CSV, :mod:`ingest.readers.workbook` for
XLSX), sharing what this module holds: finding the header row among the first rows, mapping its
headers to canonical names, and the shape of a read (:class:`ReadResult`). Values are never
type-inferred: ID numbers keep their leading zeros and ``X``.

A read never raises anything but :class:`FileRejected`, whose reason names the problem class and
where it is, and never quotes the file's content (exception texts of parsers quote whole rows, with
names and ID numbers in them). Row-level problems are not exceptions: a row with more or fewer
fields than the header comes back with its ``__shape`` reason and no values.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ingest import contract as c
from ingest.landing import LandedFile
from ingest.normalise import header_lookup, normalise_header

MAX_TITLE_ROWS = 3  # the header may be preceded by up to 3 title or blank rows
SHAPE = "__shape"  # per row: why its fields cannot be used (ragged), else null


class FileRejected(Exception):
    """A landed file that cannot be loaded at all (every row of it is quarantined).

    ``rows`` holds the row numbers of the file's rows when they could be counted, so that each is
    quarantined with the reason; else the file is one quarantine entry without a row number.
    """

    def __init__(self, source_file: str, column: str | None, reason: str, rows: pl.DataFrame | None = None):
        self.source_file, self.column, self.reason, self.rows = source_file, column, reason, rows
        where = f", column {column}" if column else ""
        super().__init__(f"{source_file}{where}: {reason}")


@dataclass(frozen=True)
class ReadResult:
    frame: pl.DataFrame  # row_number (Int64), __shape (Utf8), the source's canonical columns (Utf8)
    header_row: int  # as a spreadsheet shows it
    notes: tuple[str, ...]  # unknown or repeated headers, other sheets with data, ...


@dataclass(frozen=True)
class Header:
    index: int  # 0-based position of the header among the rows looked at
    mapping: dict[int, str]  # field position -> canonical column
    width: int  # fields up to the last named header cell
    notes: tuple[str, ...]


def find_header(rows: list[list[object]], source: c.Source, source_file: str) -> Header:
    """The header among the first MAX_TITLE_ROWS + 1 rows: the one naming most required columns.

    Raises FileRejected (without rows: the caller adds them) when none names a required column or
    one is missing.
    """
    lookup = header_lookup(source)
    required = {col.name for col in source.required}
    best, best_hits = -1, 0
    for i, row in enumerate(rows[: MAX_TITLE_ROWS + 1]):
        hits = len({lookup.get(normalise_header(v)) for v in row} & required)
        if hits > best_hits:
            best, best_hits = i, hits
    if best < 0:
        raise FileRejected(
            source_file,
            None,
            f"no header row found in the first {MAX_TITLE_ROWS + 1} rows "
            f"(expected headers such as {', '.join(col.headers[0] for col in source.required)})",
        )
    mapping, notes = _map_columns(rows[best], source, source_file)
    named = [i for i, cell in enumerate(rows[best]) if normalise_header(cell)]
    return Header(best, mapping, (named[-1] + 1) if named else 0, tuple(notes))


def _map_columns(header: list[object], source: c.Source, source_file: str) -> tuple[dict[int, str], list[str]]:
    lookup = header_lookup(source)
    mapping: dict[int, str] = {}
    notes: list[str] = []
    for i, cell in enumerate(header):
        key = normalise_header(cell)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            notes.append(f"unknown column {_cell(cell)} ignored")
        elif name in mapping.values():
            notes.append(f"column {_cell(cell)} repeats {name}; the first is used")
        else:
            mapping[i] = name
    missing = [col for col in source.required if col.name not in mapping.values()]
    if missing:
        names = ", ".join(f"{col.headers[0]} ({col.name})" for col in missing)
        raise FileRejected(source_file, missing[0].name, f"required column missing: {names}")
    return mapping, notes


def _cell(cell: object) -> str:
    return repr(str(cell).strip()[:40])


def shape_reason(fields: int, width: int) -> str:
    return f"{fields} fields, the header has {width}"


def empty_frame(source: c.Source) -> pl.DataFrame:
    return pl.DataFrame(schema=frame_schema(source))


def frame_schema(source: c.Source) -> dict[str, pl.DataType]:
    return {"row_number": pl.Int64, SHAPE: pl.Utf8, **{col.name: pl.Utf8 for col in source.columns}}


def read(f: LandedFile, source: c.Source) -> ReadResult:
    """The whole file as a frame (the exact reader: every CSV line ending, ragged rows, BOM-less
    UTF-16, ...). The loader reads large clean CSV files natively instead
    (:func:`ingest.readers.delimited.stage_fast`), with the same result."""
    from ingest.readers import delimited, workbook

    if f.suffix == ".xlsx":
        return workbook.read_xlsx(f, source)
    return delimited.read_csv(f, source)
