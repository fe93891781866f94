"""Readers on files written by hand to the contract, in the ways our generator never writes them.

Each test writes bytes itself (not through the generator, not through one CSV writer), so that the
header and the rows can disagree, line endings can be CR, encodings can lack a BOM, quotes can stay
open, and so on. The native fast path is held to the exact reader's result on the same files.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest import contract as c
from ingest.landing import discover
from ingest.load import fingerprint
from ingest.readers import SHAPE, FileRejected, read
from ingest.readers.delimited import fast_select, sniff, stage_fast
from ingest.readers.workbook import first_used_row
from tests.conftest import make_id, write_xlsx

HEADER = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区"]
ID1 = make_id("650102", "19900101", "001")
ID2 = make_id("653101", "19850505", "013")


def row(no: str, name: str = "古丽米拉·阿不都", id_number: str = ID1, date: str = "2024-03-05") -> list[str]:
    return [no, name, id_number, "焊工", "高级", date, "某评价机构", "650102"]


def land(root: Path, name: str, data: bytes, folder: str = "certifications/2024-03-31") -> Path:
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def lines(*rows: list[str] | str, end: str = "\n", trailing: str = "") -> str:
    return "".join((r if isinstance(r, str) else ",".join(r)) + trailing + end for r in rows)


def read_file(root: Path, path: Path, source=c.CERTIFICATIONS):
    f = next(x for x in discover(root) if x.path == path)
    return read(f, source)


def fast(path: Path, source=c.CERTIFICATIONS) -> pl.DataFrame | None:
    """What the native fast path stages for ``path``, framed like the exact reader (or None)."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    head = path.read_bytes()[: 1 << 16]
    sniffed = sniff(head, source, path.name)
    if sniffed is None:
        return None
    _, counts = fingerprint(path)
    if stage_fast(con, "__t", path, sniffed, counts) is None:
        return None
    frame = pl.from_arrow(con.sql(fast_select("__t", sniffed, source, 0)).to_arrow_table())
    return frame.drop("__file")


def values(frame: pl.DataFrame, column: str) -> list:
    return frame[column].to_list()


# ---------------------------------------------------------------- the trailing comma, every way


@pytest.mark.parametrize("where", ["rows", "header", "both"])
def test_a_trailing_empty_column_anywhere_is_not_a_problem(tmp_path, where):
    header_end = "," if where in ("header", "both") else ""
    row_end = "," if where in ("rows", "both") else ""
    text = ",".join(HEADER) + header_end + "\n" + lines(row("Y1"), row("Y2"), trailing=row_end)
    path = land(tmp_path, "a.csv", text.encode())
    frame = read_file(tmp_path, path).frame
    assert values(frame, "certificate_no") == ["Y1", "Y2"]
    assert values(frame, SHAPE) == [None, None]
    assert values(frame, "row_number") == [2, 3]


def test_ragged_first_rows_are_quarantined_rows_not_a_crash(tmp_path):
    text = lines(HEADER, row("Y1") + ["extra"], row("Y2")[:-1], row("Y3"), row("Y4") + [""])
    path = land(tmp_path, "a.csv", text.encode())
    frame = read_file(tmp_path, path).frame
    assert values(frame, "row_number") == [2, 3, 4, 5]
    assert values(frame, SHAPE) == ["9 fields, the header has 8", "7 fields, the header has 8", None, None]
    assert values(frame, "certificate_no") == [None, None, "Y3", "Y4"]  # a ragged row keeps no value


def test_a_missing_field_never_shifts_values_into_the_next_column(tmp_path):
    short = ["Y2", "王强", ID2, "电工", "高级", "2024-03-06", "650102"]  # 评价机构 left out
    text = lines(HEADER, row("Y1"), short, row("Y3"))
    path = land(tmp_path, "a.csv", text.encode())
    frame = read_file(tmp_path, path).frame
    shaped = frame.filter(pl.col(SHAPE).is_not_null())
    assert values(shaped, "row_number") == [3]
    assert shaped.select(pl.exclude("row_number", SHAPE)).row(0) == (None,) * len(c.CERTIFICATIONS.columns)
    assert "王强" not in str(frame.to_dicts())


def test_unclosed_quote_in_the_first_data_row_costs_that_row_only(tmp_path):
    bad = ["Y1", '"王强', ID2, "电工", "高级", "2024-03-06", "机构", "650102"]
    text = lines(HEADER, bad, row("Y2"), row("Y3"))
    path = land(tmp_path, "a.csv", text.encode())
    frame = read_file(tmp_path, path).frame
    assert values(frame, "row_number") == [2, 3, 4]
    assert values(frame, SHAPE)[0] == "quoted field not closed before the end of the file"
    assert values(frame, "certificate_no") == [None, "Y2", "Y3"]


def test_quoted_line_breaks_are_one_row_and_row_numbers_count_records(tmp_path):
    multi = ["Y1", "古丽", ID1, '"焊工\r\n(二级)"', "高级", "2024-03-05", '"某,机构"', "650102"]
    text = lines(HEADER, multi, row("Y2"), "", row("Y3"), end="\r\n")
    path = land(tmp_path, "a.csv", text.encode())
    frame = read_file(tmp_path, path).frame
    assert values(frame, "row_number") == [2, 3, 5]  # the blank line is row 4, as a spreadsheet shows it
    assert values(frame, "occupation_name")[0] == "焊工\r\n(二级)"
    assert values(frame, "assessor_name")[0] == "某,机构"


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"], ids=["CR", "LF", "CRLF"])
def test_every_line_ending(tmp_path, end):
    path = land(tmp_path, "a.csv", lines(HEADER, row("Y1"), row("Y2"), end=end).encode())
    frame = read_file(tmp_path, path).frame
    assert values(frame, "certificate_no") == ["Y1", "Y2"]
    assert values(frame, "row_number") == [2, 3]


def test_a_unicode_line_separator_in_a_title_row_is_text_not_a_line(tmp_path):
    title = "2024年\u2028证书名册" + "," * (len(HEADER) - 1)
    path = land(tmp_path, "a.csv", lines(title, HEADER, row("Y1"), row("Y2")).encode())
    result = read_file(tmp_path, path)
    assert result.header_row == 2
    assert values(result.frame, "certificate_no") == ["Y1", "Y2"]
    assert values(result.frame, "row_number") == [3, 4]


def test_nul_bytes_and_a_field_longer_than_the_csv_module_default(tmp_path):
    long = "某" * 200_000  # the csv module's default limit is 131,072 characters
    text = lines(HEADER, row("Y1\x00"), ["Y2", "古丽", ID1, long, "高级", "2024-03-05", "机构", "650102"])
    path = land(tmp_path, "a.csv", text.encode())
    frame = read_file(tmp_path, path).frame
    assert values(frame, "certificate_no") == ["Y1\x00", "Y2"]
    assert len(values(frame, "occupation_name")[1]) == 200_000


# ---------------------------------------------------------------- encodings


def test_utf16_without_bom_le_and_be(tmp_path):
    text = lines(HEADER, row("Y1"), row("Y2"), end="\r\n")
    for codec in ("utf-16-le", "utf-16-be"):
        path = land(tmp_path, f"{codec}.csv", text.encode(codec))
        assert values(read_file(tmp_path, path).frame, "name") == ["古丽米拉·阿不都"] * 2


def test_utf16_that_turns_invalid_past_the_first_megabyte_is_rejected_with_the_offset(tmp_path):
    body = lines(HEADER, *[row(f"Y{i}") for i in range(12_000)]).encode("utf-16-le")
    assert len(body) > 1 << 20
    data = body + b"\x00\xd8\x41\x00"  # a lone high surrogate
    path = land(tmp_path, "a.csv", data)
    with pytest.raises(FileRejected) as info:
        read_file(tmp_path, path)
    assert "not UTF-16LE" in info.value.reason and str(len(body)) in info.value.reason
    assert "古丽" not in str(info.value)


def test_gb18030_and_utf8_bom(tmp_path):
    text = lines(HEADER, row("Y1"))
    a = land(tmp_path, "gbk.csv", text.encode("gb18030"))
    b = land(tmp_path, "bom.csv", codecs.BOM_UTF8 + text.encode())
    assert values(read_file(tmp_path, a).frame, "name") == ["古丽米拉·阿不都"]
    assert values(read_file(tmp_path, b).frame, "certificate_no") == ["Y1"]


def test_utf8_head_with_gbk_further_down_is_read_as_gb18030(tmp_path):
    rows = [row(f"Y{i}", name="Ali") for i in range(3000)] + [row("Z1", name="王强")]
    path = land(tmp_path, "a.csv", lines(HEADER, *rows).encode("gb18030"))
    assert values(read_file(tmp_path, path).frame, "name")[-1] == "王强"


# ---------------------------------------------------------------- headers


def test_aliases_spaces_full_width_parentheses_and_required_marker(tmp_path):
    header = [" certificate_no ", "姓名*", "身份证号", "职业（工种）名称", "等级", "颁证日期", "认定机构", "地州市", "备注"]
    path = land(tmp_path, "a.csv", lines(header, row("Y1") + ["x"]).encode())
    result = read_file(tmp_path, path)
    assert values(result.frame, "skill_level") == ["高级"]
    assert any("备注" in note for note in result.notes)  # the unknown column is reported


def test_missing_required_column_rejects_the_file_naming_it(tmp_path):
    cut = [h for h in HEADER if h != "技能等级"]
    path = land(tmp_path, "a.csv", lines(cut, *[row("Y1")[:4] + row("Y1")[5:]] * 3).encode())
    with pytest.raises(FileRejected) as info:
        read_file(tmp_path, path)
    assert info.value.column == "skill_level" and "技能等级" in info.value.reason
    assert info.value.rows["row_number"].to_list() == [2, 3, 4]  # every row will be quarantined


def test_header_only_and_empty_files_are_empty_exports(tmp_path):
    header_only = land(tmp_path, "h.csv", lines(HEADER).encode())
    empty = land(tmp_path, "e.csv", b"")
    assert read_file(tmp_path, header_only).frame.height == 0
    assert read_file(tmp_path, empty).frame.height == 0


# ---------------------------------------------------------------- xlsx


def test_xlsx_title_rows_excel_dates_and_row_numbers(tmp_path):
    rows = [row("Y1", date=dt.date(2024, 3, 5)), row("Y2", date="2024/3/6")]
    rows[0][4] = 3  # a numeric level cell
    path = write_xlsx(tmp_path / "certifications/2024-03-31/b.xlsx", HEADER, rows,
                      title_rows=["2024年职业技能等级证书发放名册", None])
    result = read_file(tmp_path, path)
    assert result.header_row == 3
    assert values(result.frame, "row_number") == [4, 5]
    assert values(result.frame, "issue_date") == ["2024-03-05 00:00:00", "2024/3/6"]
    assert values(result.frame, "skill_level")[0] in ("3", "3.0")


def _strip_references(path: Path) -> None:
    """Rewrite the sheet without the optional r attributes of <row> and <c> (some writers omit them)."""
    with zipfile.ZipFile(path) as zf:
        items = {name: zf.read(name) for name in zf.namelist()}
    sheet = items["xl/worksheets/sheet1.xml"].decode()
    items["xl/worksheets/sheet1.xml"] = re.sub(r'(<(?:row|c)\b[^>]*?) r="[A-Z]*\d+"', r"\1", sheet).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)


def test_xlsx_without_row_and_cell_references(tmp_path):
    path = write_xlsx(tmp_path / "certifications/2024-03-31/b.xlsx", HEADER, [row("Y1"), row("Y2")],
                      title_rows=["名册"])
    _strip_references(path)
    assert ' r="' not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert first_used_row(path) == 1
    result = read_file(tmp_path, path)
    assert values(result.frame, "certificate_no") == ["Y1", "Y2"]
    assert values(result.frame, "row_number") == [3, 4]


def test_xlsx_with_data_on_another_sheet_is_noted(tmp_path):
    import xlsxwriter

    path = tmp_path / "certifications/2024-03-31/two.xlsx"
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(path))
    first, second = wb.add_worksheet("名单"), wb.add_worksheet("补充")
    for j, h in enumerate(HEADER):
        first.write_string(0, j, h)
        second.write_string(0, j, h)
    for j, v in enumerate(row("Y1")):
        first.write_string(1, j, v)
        second.write_string(1, j, v.replace("Y1", "Y9"))
    wb.close()
    result = read_file(tmp_path, path)
    assert values(result.frame, "certificate_no") == ["Y1"]
    assert "sheet 2 also holds data; only the first sheet is read" in result.notes


def test_a_file_that_is_not_really_xlsx_is_rejected_without_quoting_it(tmp_path):
    path = land(tmp_path, "fake.xlsx", ("PK" + ",".join(row("Y1"))).encode())
    with pytest.raises(FileRejected) as info:
        read_file(tmp_path, path)
    assert "cannot read workbook" in info.value.reason and ID1 not in str(info.value)


# ---------------------------------------------------------------- the fast path equals the exact reader


CLEAN = [
    ("lf", lines(HEADER, row("Y1"), row("Y2"))),
    ("crlf_trailing_rows", lines(HEADER, row("Y1"), row("Y2"), end="\r\n", trailing=",")),
    ("cr", lines(HEADER, row("Y1"), row("Y2"), end="\r")),
    ("quoted", lines(HEADER, ["Y1", '"古丽"', ID1, '"焊,工"', "高级", "2024-03-05", '"机构\n二部"', "650102"],
                     row("Y2"))),
    ("title", lines("名册" + "," * 7, HEADER, row("Y1"), row("Y2"))),
    ("blank_fields_row", lines(HEADER, row("Y1"), ",,,,,,,", row("Y2"))),
    # cells of blank characters only (full-width and no-break spaces, a byte-order mark, a tab): a
    # blank row, and a blank trailing cell; a value that merely starts with one is not blank
    ("blank_characters_row", lines(HEADER, row("Y1"), ["\u3000", " ", "\u00a0", "\ufeff", "\t", "", '""', ""], row("Y2"))),
    ("blank_characters_trailing_cell", lines(HEADER, row("Y1") + ["\u3000"], row("Y2") + [" \u00a0"])),
    ("value_after_blank_character", lines(HEADER, row("Y1"), ["\u3000Y2"] + row("Y2")[1:])),
    ("no_final_newline", lines(HEADER, row("Y1"), row("Y2")).rstrip("\n")),
]
DIRTY = [
    ("blank_line", lines(HEADER, row("Y1"), "", row("Y2"))),
    ("ragged", lines(HEADER, row("Y1"), row("Y2")[:-1])),
    ("extra", lines(HEADER, row("Y1"), row("Y2") + ["x"])),
    ("unclosed", lines(HEADER, row("Y1"), ["Y2", '"古丽'] + row("Y2")[2:], row("Y3"))),
    ("nul", lines(HEADER, row("Y1"), row("Y2\x00"))),
    ("text_after_quote", lines(HEADER, row("Y1"), ['"Y2"x'] + row("Y2")[1:])),
]


@pytest.mark.parametrize("name, text", CLEAN + DIRTY, ids=[n for n, _ in CLEAN + DIRTY])
def test_fast_path_gives_the_exact_readers_rows_or_steps_aside(tmp_path, name, text):
    path = land(tmp_path, f"{name}.csv", text.encode())
    exact = read_file(tmp_path, path).frame
    got = fast(path)
    if name in dict(CLEAN):
        assert got is not None, "a clean file should take the fast path"
    if got is None:
        return
    strip = [pl.col(col).str.strip_chars() for col in exact.columns if exact.schema[col] == pl.Utf8]
    assert got.with_columns(strip).to_dicts() == exact.with_columns(strip).to_dicts()


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2\n3,4\n",
        b"a,b\r\n1,2\r\n3,4\r\n",  # with 7-byte blocks, CRLF pairs fall across a block boundary
        b"a,b\r1,2\r3,4",
        b'a,b\n1,2\n3,"x\ny"\n',  # the quote only in a later block
    ],
    ids=["lf", "crlf", "cr", "late_quote"],
)
def test_fingerprint_is_the_same_hashed_in_a_thread_block_by_block(tmp_path, monkeypatch, data):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    whole = fingerprint(path)  # one block: hashed where it is read
    monkeypatch.setattr("ingest.load.HASH_BLOCK", 7)  # many blocks: hashed in a thread
    assert fingerprint(path) == whole
    assert whole[0] == hashlib.sha256(data).hexdigest()
    lines = {b"\n": whole[1].lf, b"\r": whole[1].cr, b"\r\n": whole[1].crlf}
    ending = b"\r\n" if b"\r\n" in data else b"\r" if b"\r" in data else b"\n"
    assert lines[ending] == data.count(ending) and whole[1].quotes == (b'"' in data)


def test_a_failure_while_hashing_in_a_thread_is_raised_not_hung(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n" * 100)
    monkeypatch.setattr("ingest.load.HASH_BLOCK", 8)

    class Broken:
        def __init__(self):
            self.calls = 0

        def update(self, block):
            self.calls += 1
            raise MemoryError

    broken = Broken()
    monkeypatch.setattr("ingest.load.hashlib.sha256", lambda: broken)
    with pytest.raises(MemoryError):
        fingerprint(path)
    assert broken.calls == 1  # the other blocks were taken, not hashed
