"""XLSX: the first sheet, read with fastexcel (calamine), every cell as text.

Row numbers are the sheet's own (fastexcel trims leading empty rows, and a writer may not store an
empty first row at all), taken from the first sheet's XML: the ``r`` attribute of the first ``<row>``
holding a value, or the row's position when the writer left ``r`` out (it is optional). A note goes
to the ledger when a sheet other than the first holds data, since only the first is read.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import polars as pl

from ingest import contract as c
from ingest.landing import LandedFile
from ingest.readers import (
    MAX_TITLE_ROWS,
    SHAPE,
    FileRejected,
    ReadResult,
    empty_frame,
    find_header,
    frame_schema,
)

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_M = _NS["m"]


def first_used_row(path: Path) -> int:
    """1-based sheet row of the first sheet's first row holding a value (1 when none is found)."""
    with zipfile.ZipFile(path) as zf:
        workbook = ET.fromstring(zf.read("xl/workbook.xml"))
        first = workbook.find("m:sheets/m:sheet", _NS)
        rel_id = first.get(f"{{{_NS['r']}}}id")
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels.findall("rel:Relationship", _NS) if r.get("Id") == rel_id)
        sheet = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        row_number = 0
        with zf.open(sheet) as fh:
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag != f"{{{_M}}}row":
                    continue
                given = elem.get("r")
                row_number = int(given) if given and given.isdigit() else row_number + 1
                if any((v.text or "").strip() for v in elem.iter() if v.tag in (f"{{{_M}}}v", f"{{{_M}}}t")):
                    return row_number
                elem.clear()
    return 1


def read_xlsx(f: LandedFile, source: c.Source) -> ReadResult:
    import fastexcel

    try:
        reader = fastexcel.read_excel(f.path)
        raw = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
        notes = _other_sheets_with_data(reader)
        offset = first_used_row(f.path) if raw.height else 1
    except Exception as exc:  # noqa: BLE001 - corrupt, encrypted, not xlsx; its message may quote cells
        raise FileRejected(f.source_file, None, f"cannot read workbook ({type(exc).__name__})") from None
    if raw.height == 0:
        return ReadResult(empty_frame(source), 1, ("empty sheet", *notes))
    head = [list(r) for r in raw.head(MAX_TITLE_ROWS + 1).iter_rows()]
    data_cols = raw.columns
    try:
        header = find_header(head, source, f.source_file)
    except FileRejected as rejected:
        body = raw.with_row_index("row_number", offset=offset).with_columns(pl.col("row_number").cast(pl.Int64))
        rejected.rows = _non_blank(body.slice(1), data_cols).select("row_number")
        raise
    body = raw.slice(header.index + 1).with_row_index("row_number", offset=offset + header.index + 1)
    body = _non_blank(body.with_columns(pl.col("row_number").cast(pl.Int64)), data_cols)
    named = {name: data_cols[i] for i, name in header.mapping.items()}
    frame = body.select(
        "row_number",
        pl.lit(None, pl.Utf8).alias(SHAPE),
        *[
            pl.col(named[col.name]).cast(pl.Utf8).alias(col.name) if col.name in named
            else pl.lit(None, pl.Utf8).alias(col.name)
            for col in source.columns
        ],
    )
    return ReadResult(frame.cast(frame_schema(source)), offset + header.index, (*header.notes, *notes))


def _non_blank(body: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    blank = pl.all_horizontal([pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "") for col in cols])
    return body.filter(~blank)


def _other_sheets_with_data(reader) -> tuple[str, ...]:
    notes = []
    for i in range(1, len(reader.sheet_names)):
        try:
            sheet = reader.load_sheet(i, header_row=None, dtypes="string", n_rows=50).to_polars()
        except Exception:  # noqa: BLE001 - an unreadable extra sheet is noted, not fatal
            notes.append(f"sheet {i + 1} could not be inspected; only the first sheet is read")
            continue
        if sheet.height and _non_blank(sheet, sheet.columns).height:
            notes.append(f"sheet {i + 1} also holds data; only the first sheet is read")
    return tuple(notes)
