"""The landing plan of a source (its files and their rows) and writing it out.

A source module builds a `SourceLanding`: the files in apply order (export date, file name, path) and
one frame of rows, clean and typed, each row tied to its file and spreadsheet row number. Writing it
renders every file with its style (`mess.render`), writes the bytes (`writers`) and lays down the
byte-for-byte copies; nothing here decides what is true, so ground truth never depends on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from . import mess, writers
from .people import EPOCH

LOADED, REJECTED, DUPLICATE, SKIPPED = "loaded", "rejected", "duplicate", "skipped"


def iso(day: int) -> str:
    return str(EPOCH + np.timedelta64(int(day), "D"))


@dataclass
class LandedFile:
    source: str
    export_day: int
    name: str
    fmt: str  # csv | xlsx | txt
    status: str  # the ledger status ingest must give it
    style: mess.FileStyle | None = None
    copy_of: str | None = None  # source_file of the original, for duplicates
    missing_column: str | None = None  # alias of the required column left out, for the rejected file
    title: str = ""  # xlsx title row
    info: str = ""  # xlsx information row
    text: str = ""  # contents of a note (non-data) file
    file_id: int = -1  # position in apply order, set by `finalise`

    @property
    def source_file(self) -> str:
        return f"{self.source}/{iso(self.export_day)}/{self.name}"

    @property
    def apply_key(self) -> tuple:
        return (self.export_day, self.name, self.source_file)


@dataclass
class SourceLanding:
    source: str
    columns: tuple[mess.Column, ...]
    files: list[LandedFile]  # apply order; file_id = index
    rows: pl.DataFrame  # clean typed columns + file_id, row_number, defect_alias, defect_value, sorted


def finalise(files: list[LandedFile]) -> list[LandedFile]:
    """Sort files into apply order and number them."""
    files = sorted(files, key=lambda f: f.apply_key)
    for i, f in enumerate(files):
        f.file_id = i
    paths = [f.source_file for f in files]
    if len(set(paths)) != len(paths):
        raise ValueError("two landed files share a path")
    return files


def write(
    out: Path,
    landing: SourceLanding,
    rng_for: Callable[[int], np.random.Generator],
    advance: Callable[[int], None],
) -> dict[str, int]:
    """Write every file of the landing; returns mess occurrence counts."""
    counts: Counter[str] = Counter()
    rows = landing.rows
    bounds = np.searchsorted(rows["file_id"].to_numpy(), np.arange(len(landing.files) + 1))
    originals = {f.copy_of for f in landing.files if f.copy_of}
    written: dict[str, bytes] = {}
    for f in landing.files:
        path = out / f.source_file
        if f.fmt == "txt":
            writers.write_bytes(path, f.text.encode("utf-8"))
            counts["files_non_data"] += 1
            advance(0)
            continue
        if f.status == DUPLICATE:
            writers.write_bytes(path, written[f.copy_of])
            counts["files_duplicate"] += 1
            advance(0)
            continue
        lo, hi = int(bounds[f.file_id]), int(bounds[f.file_id + 1])
        frame = rows.slice(lo, hi - lo)
        rng = rng_for(f.file_id)
        cols = mess.column_order(landing.columns, f.style, rng, drop=f.missing_column)
        table = mess.render(frame, cols, f.style, rng)
        if f.fmt == "xlsx":
            data = writers.xlsx_bytes(table, f.style, f.title, f.info)
        else:
            data = writers.csv_bytes(table, f.style)
        writers.write_bytes(path, data)
        if f.source_file in originals:
            written[f.source_file] = data
        counts.update(table.counts)
        counts.update(_file_counts(f, table))
        advance(hi - lo)
    return dict(sorted(counts.items()))


def _file_counts(f: LandedFile, table: mess.Rendered) -> Counter[str]:
    s = f.style
    c: Counter[str] = Counter()
    c[f"files_{f.fmt}"] += 1
    if f.fmt == "csv":
        c[f"files_encoding_{s.encoding}"] += 1
        c["files_crlf"] += s.crlf
        c["files_quote_all"] += s.quote_all
        c["files_trailing_empty_column"] += s.trailing_empty_column
        c["files_blank_trailing_lines"] += s.blank_trailing_lines > 0
    else:
        c[f"files_xlsx_title_rows_{s.title_rows}"] += 1
        c["files_xlsx_merged_title"] += "T" in s.title_pattern
        c["files_xlsx_excel_dates"] += bool(table.date_cells)
    c[f"files_header_{s.header_lang}"] += 1
    c["files_header_spaces"] += any(h != h.strip() for h in table.headers)
    c["files_header_fullwidth_parens"] += any("（" in h for h in table.headers)
    c["files_header_star"] += any(h.strip().endswith("*") for h in table.headers)
    c["files_shuffled_columns"] += s.shuffle_columns
    c["files_missing_optional_columns"] += bool(s.omit)
    for h in table.headers:
        c[f"header_{h.strip().rstrip('*').replace('（', '(').replace('）', ')')}"] += 1
    return +c
