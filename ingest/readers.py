"""Readers: landed files -> text frames with the contract's canonical column names.

Discovery walks ``<landing>/<source>/<YYYY-MM-DD>/<file>`` in contract order (export date, then file
name). One reader per format (CSV, XLSX) turns a file into a frame of text columns plus
``row_number`` (the row as a spreadsheet shows it), after finding the header row and mapping its
headers. Values are never type-inferred here: ID numbers keep their leading zeros and ``X``.
A file that cannot be used whole raises :class:`FileRejected` naming the file and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ingest import contract as c
from ingest.normalise import header_lookup, normalise_header

log = logging.getLogger(__name__)

SUPPORTED = (".csv", ".xlsx")
DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TITLE_ROWS = 3  # the header may be preceded by up to 3 title or blank rows


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: Path
    source_file: str  # relative to the landing root, '/'-separated
    export_date: date | None
    size: int

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def supported(self) -> bool:
        return self.path.suffix.lower() in SUPPORTED and self.export_date is not None

    @property
    def order(self) -> tuple:
        return (self.export_date or date.min, self.file_name, self.source_file)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


class FileRejected(Exception):
    """A landed file that cannot be loaded at all (every row of it is quarantined)."""

    def __init__(self, source_file: str, column: str | None, reason: str, rows: pl.DataFrame | None = None):
        self.source_file, self.column, self.reason, self.rows = source_file, column, reason, rows
        where = f", column {column}" if column else ""
        super().__init__(f"{source_file}{where}: {reason}")


@dataclass(frozen=True)
class ReadResult:
    frame: pl.DataFrame  # canonical text columns + row_number (Int64)
    header_row: int
    notes: tuple[str, ...]  # unknown or duplicate headers, dropped empty columns


def discover(landing: Path, sources: tuple[str, ...] = tuple(c.SOURCES)) -> list[LandedFile]:
    """Every file under the known source folders, in contract apply order.

    Folders whose names start with ``_`` or ``.`` (e.g. the generator's ``_ground_truth``) are
    ignored; other unknown folders are logged. Files in a source folder that are not ``.csv`` or
    ``.xlsx``, or not under a ``YYYY-MM-DD`` folder, are returned with ``supported == False`` so that
    the ledger reports them as skipped.
    """
    found: list[LandedFile] = []
    if not landing.is_dir():
        return found
    for top in sorted(landing.iterdir()):
        if top.name.startswith((".", "_")):
            continue
        if top.name not in sources or not top.is_dir():
            if top.name not in c.SOURCES:  # a source left out on purpose is not worth a warning
                log.warning("landing: %s is not a source folder (%s); ignored", top.name, ", ".join(c.SOURCES))
            continue
        for path in sorted(p for p in top.rglob("*") if p.is_file() and not p.name.startswith(".")):
            rel = path.relative_to(landing).as_posix()
            parts = path.relative_to(top).parts
            export = None
            if len(parts) == 2 and DATE_DIR.match(parts[0]):
                try:
                    export = date.fromisoformat(parts[0])
                except ValueError:
                    export = None
            found.append(LandedFile(top.name, path, rel, export, path.stat().st_size))
    return sorted(found, key=lambda f: f.order)


# ---------------------------------------------------------------- decoding


def decode(data: bytes, source_file: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK; else charset-normalizer's guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is None:
        raise FileRejected(source_file, None, "text encoding not recognised (expected UTF-8 or GB18030)")
    return data.decode(best.encoding, errors="strict")


# ---------------------------------------------------------------- header mapping


def _find_header(rows: list[list[object]], source: c.Source, source_file: str) -> int:
    lookup = header_lookup(source)
    required = {col.name for col in source.required}
    best, best_hits = -1, 0
    for i, row in enumerate(rows[: MAX_TITLE_ROWS + 1]):
        mapped = {lookup.get(normalise_header(v)) for v in row} - {None}
        hits = len(mapped & required)
        if hits > best_hits:
            best, best_hits = i, hits
    if best < 0:
        raise FileRejected(
            source_file,
            None,
            f"no header row found in the first {MAX_TITLE_ROWS + 1} rows "
            f"(expected headers such as {', '.join(col.headers[0] for col in source.required)})",
        )
    return best


def _map_columns(
    header: list[object], source: c.Source, source_file: str
) -> tuple[dict[int, str], list[str]]:
    lookup = header_lookup(source)
    mapping: dict[int, str] = {}
    notes: list[str] = []
    for i, cell in enumerate(header):
        key = normalise_header(cell)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            notes.append(f"unknown column {str(cell).strip()!r} ignored")
        elif name in mapping.values():
            notes.append(f"column {str(cell).strip()!r} repeats {name}; the first is used")
        else:
            mapping[i] = name
    missing = [col for col in source.required if col.name not in mapping.values()]
    if missing:
        names = ", ".join(f"{col.headers[0]} ({col.name})" for col in missing)
        raise FileRejected(source_file, missing[0].name, f"required column missing: {names}")
    return mapping, notes


def _shape(
    body: pl.DataFrame, header: list[object], first_row_number: int, source: c.Source, source_file: str
) -> tuple[pl.DataFrame, list[str]]:
    """Rename mapped columns, drop the rest, number rows, drop rows that are wholly blank."""
    body = body.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row_number).alias("row_number")
    )
    data_cols = [col for col in body.columns if col != "row_number"]
    blank = pl.all_horizontal(
        [pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "") for col in data_cols]
    )
    body = body.filter(~blank)
    try:
        mapping, notes = _map_columns(header, source, source_file)
    except FileRejected as rejected:
        rejected.rows = body.select("row_number")
        raise
    frame = body.select(
        pl.col("row_number"), *[pl.col(data_cols[i]).alias(name) for i, name in mapping.items()]
    )
    return frame, notes


def read_csv(f: LandedFile, source: c.Source) -> ReadResult:
    text = decode(f.path.read_bytes(), f.source_file)
    if not text.strip():
        return ReadResult(pl.DataFrame(schema={"row_number": pl.Int64}), 1, ("empty file",))
    # the first lines, parsed one by one so that a short title row cannot narrow the header
    head = list(csv.reader(text.splitlines()[: MAX_TITLE_ROWS + 1]))
    h = _find_header([list(r) for r in head], source, f.source_file)
    header = list(head[h])
    names = [f"c{i}" for i in range(len(header))]
    try:
        body = pl.read_csv(
            io.StringIO(text),
            has_header=False,
            skip_rows=h + 1,
            infer_schema=False,
            new_columns=names,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.NoDataError:  # a header and no rows: a valid, empty export
        body = pl.DataFrame(schema={n: pl.Utf8 for n in names})
    frame, notes = _shape(body, header, h + 2, source, f.source_file)
    return ReadResult(frame, h + 1, tuple(notes))


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _first_used_row(path: Path) -> int:
    """1-based sheet row of the first sheet's first non-empty row, read from the sheet XML itself.

    fastexcel (calamine) trims leading empty rows, and a writer may not store an empty first row at
    all, so spreadsheet row numbers come from the ``<row r="N">`` index of the first row with a value.
    Only the first rows of the sheet are parsed.
    """
    import posixpath
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as zf:
        workbook = ET.fromstring(zf.read("xl/workbook.xml"))
        first = workbook.find("m:sheets/m:sheet", _NS)
        rel_id = first.get(f"{{{_NS['r']}}}id")
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels.findall("rel:Relationship", _NS) if r.get("Id") == rel_id)
        sheet = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        m = _NS["m"]
        with zf.open(sheet) as fh:
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag == f"{{{m}}}row":
                    has_value = any(
                        (v.text or "").strip() for v in elem.iter() if v.tag in (f"{{{m}}}v", f"{{{m}}}t")
                    )
                    if has_value:
                        return int(elem.get("r"))
                    elem.clear()
    return 1


def read_xlsx(f: LandedFile, source: c.Source) -> ReadResult:
    import fastexcel

    try:
        sheet = fastexcel.read_excel(f.path).load_sheet(0, header_row=None, dtypes="string")
    except Exception as exc:  # corrupt or not really xlsx
        raise FileRejected(f.source_file, None, f"cannot read workbook: {exc}") from exc
    raw = sheet.to_polars()
    if raw.height == 0:
        return ReadResult(pl.DataFrame(schema={"row_number": pl.Int64}), 1, ("empty sheet",))
    offset = _first_used_row(f.path)
    head = [list(r) for r in raw.head(MAX_TITLE_ROWS + 1).iter_rows()]
    h = _find_header(head, source, f.source_file)
    body = raw.slice(h + 1)
    body = body.rename({col: f"c{i}" for i, col in enumerate(body.columns)})
    frame, notes = _shape(body, head[h], offset + h + 1, source, f.source_file)
    return ReadResult(frame, offset + h, tuple(notes))


def read(f: LandedFile, source: c.Source) -> ReadResult:
    if f.path.suffix.lower() == ".xlsx":
        return read_xlsx(f, source)
    return read_csv(f, source)
