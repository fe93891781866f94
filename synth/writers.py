"""Writing rendered tables as the files exports produce: CSV bytes and first-sheet XLSX workbooks.

Both writers are deterministic: the same rendered table and style give the same bytes (the workbook's
creation date is fixed and xlsxwriter stores zip members with a fixed timestamp).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from pathlib import Path

import polars as pl
import xlsxwriter

from .mess import FileStyle, Rendered

FIXED_CREATED = dt.datetime(2026, 1, 1, 8, 0, 0)


def csv_bytes(table: Rendered, style: FileStyle) -> bytes:
    cells = list(table.cells)
    heads = list(table.headers)
    if style.trailing_empty_column:
        cells.append(pl.Series([None] * (len(cells[0]) if cells else 0), dtype=pl.Utf8))
        heads.append("")
    frame = pl.DataFrame({f"c{i}": s for i, s in enumerate(cells)})
    eol = "\r\n" if style.crlf else "\n"
    if style.quote_all:
        head = ",".join('"' + h.replace('"', '""') + '"' for h in heads)
    else:
        head = ",".join(_quote_if_needed(h) for h in heads)
    body = frame.write_csv(
        include_header=False, quote_style="always" if style.quote_all else "necessary", line_terminator=eol
    )
    text = head + eol + body + eol * style.blank_trailing_lines
    if style.encoding == "gb18030":
        return text.encode("gb18030")
    if style.encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("utf-8")


def _quote_if_needed(value: str) -> str:
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def xlsx_bytes(table: Rendered, style: FileStyle, title: str, info: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    book.set_properties({"created": FIXED_CREATED, "author": "", "title": ""})
    sheet = book.add_worksheet("Sheet1")
    title_format = book.add_format({"bold": True, "align": "center", "font_size": 14})
    date_format = book.add_format({"num_format": style.excel_date_format})
    ncols = len(table.headers)

    row = 0
    for kind in style.title_pattern:
        if kind == "T":
            if ncols > 1:
                sheet.merge_range(row, 0, row, ncols - 1, title, title_format)
            else:
                sheet.write_string(row, 0, title, title_format)
        elif kind == "I":
            sheet.write_string(row, 0, info)
        row += 1
    sheet.write_row(row, 0, table.headers)
    row += 1

    columns = [s.to_list() for s in table.cells]
    dates = {pos: s.to_list() for pos, s in table.date_cells.items()}
    write_string, write_datetime = sheet.write_string, sheet.write_datetime
    for i in range(len(columns[0]) if columns else 0):
        r = row + i
        for c, values in enumerate(columns):
            if c in dates and dates[c][i] is not None:
                write_datetime(r, c, dates[c][i], date_format)
            elif values[i] is not None:
                write_string(r, c, values[i])
    book.close()
    return buffer.getvalue()


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    _dated_as_exported(path)


def _dated_as_exported(path: Path) -> None:
    """Give a generated export the modification time of the day it was exported (its folder's
    ``YYYY-MM-DD``, 18:00 in Xinjiang, never later than an hour ago), as a real export copied in that
    day would have: the refresh reads it at once instead of deferring it as a file still being
    written (its settle time). Files outside a dated folder keep the time they were written."""
    try:
        day = dt.date.fromisoformat(path.parent.name)
    except ValueError:
        return
    exported = dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=dt.UTC).timestamp()  # 18:00 UTC+8
    stamp = min(exported, time.time() - 3600)
    os.utime(path, (stamp, stamp))
