"""Readers: encodings, header rows, aliases, xlsx title rows and Excel dates, discovery order."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest import contract as c
from ingest.readers import FileRejected, LandedFile, decode, discover, read
from tests.conftest import make_id, write_csv, write_xlsx

HEADER = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区"]


def _landed(path, landing):
    return next(f for f in discover(landing) if f.path == path)


def _row(no, date="2024-03-05"):
    return [no, "古丽米拉·阿不都", make_id("650102", "19900101", "001"), "焊工", "高级", date, "某评价机构", "650102"]


def test_gb18030_csv_reads_like_utf8(tmp_path):
    path = write_csv(tmp_path / "certifications/2024-03-31/a.csv", HEADER, [_row("Y1")], encoding="gb18030")
    result = read(_landed(path, tmp_path), c.CERTIFICATIONS)
    assert result.frame["name"].to_list() == ["古丽米拉·阿不都"]
    assert result.frame["row_number"].to_list() == [2]


def test_bom_and_trailing_empty_column(tmp_path):
    path = write_csv(tmp_path / "certifications/2024-03-31/a.csv", HEADER, [_row("Y1"), _row("Y2")],
                     encoding="utf-8-sig", trailing_comma=True)
    frame = read(_landed(path, tmp_path), c.CERTIFICATIONS).frame
    assert frame["certificate_no"].to_list() == ["Y1", "Y2"]
    assert "certificate_no" in frame.columns and len(frame.columns) == len(HEADER) + 1  # + row_number


def test_decode_rejects_undecodable_bytes_with_the_file_name():
    with pytest.raises(FileRejected, match="x.csv"):
        decode(b"\x81\x20\xff\xfe\x00\xd8" * 3 + bytes(range(128, 256)) * 50, "x.csv")


def test_aliases_spaces_full_width_parentheses_and_required_marker(tmp_path):
    header = [" certificate_no ", "姓名*", "身份证号", "职业（工种）名称", "等级", "颁证日期", "认定机构", "地州市", "备注"]
    path = write_csv(tmp_path / "certifications/2024-03-31/a.csv", header, [_row("Y1") + ["x"]])
    result = read(_landed(path, tmp_path), c.CERTIFICATIONS)
    assert set(result.frame.columns) == {"row_number", *(col.name for col in c.CERTIFICATIONS.required)}
    assert any("备注" in note for note in result.notes)  # the unknown column is reported


def test_missing_required_column_rejects_the_file_naming_it(tmp_path):
    path = write_csv(tmp_path / "certifications/2024-03-31/a.csv", HEADER[:4] + HEADER[5:],
                     [_row("Y1")[:4] + _row("Y1")[5:]] * 3)
    with pytest.raises(FileRejected) as info:
        read(_landed(path, tmp_path), c.CERTIFICATIONS)
    assert info.value.column == "skill_level"
    assert "certifications/2024-03-31/a.csv" in str(info.value) and "技能等级" in str(info.value)
    assert info.value.rows["row_number"].to_list() == [2, 3, 4]  # every row will be quarantined


def test_xlsx_title_rows_excel_dates_and_row_numbers(tmp_path):
    rows = [_row("Y1", dt.date(2024, 3, 5)), _row("Y2", "2024/3/6")]
    rows[0][4] = 3  # a numeric level cell
    path = write_xlsx(tmp_path / "certifications/2024-03-31/b.xlsx", HEADER, rows,
                      title_rows=["2024年职业技能等级证书发放名册", None])
    result = read(_landed(path, tmp_path), c.CERTIFICATIONS)
    assert result.header_row == 3
    assert result.frame["row_number"].to_list() == [4, 5]  # as the spreadsheet shows them
    assert result.frame["issue_date"].to_list() == ["2024-03-05 00:00:00", "2024/3/6"]
    assert result.frame["skill_level"].to_list()[0] in ("3", "3.0")


def test_xlsx_leading_blank_rows_keep_spreadsheet_numbering(tmp_path):
    path = write_xlsx(tmp_path / "certifications/2024-03-31/c.xlsx", HEADER, [_row("Y1")],
                      title_rows=[None, None, None])
    result = read(_landed(path, tmp_path), c.CERTIFICATIONS)
    assert result.frame["row_number"].to_list() == [5]


def test_discovery_order_and_unsupported_files(tmp_path):
    for rel in ["certifications/2024-06-30/a.csv", "certifications/2024-03-31/z.csv",
                "certifications/2024-03-31/b.xlsx", "certifications/2024-03-31/说明.txt",
                "certifications/loose.csv", "_ground_truth/x.json", "nonsense/2024-01-01/a.csv"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = discover(tmp_path)
    assert [f.source_file for f in found] == [
        "certifications/loose.csv",  # no export date: sorts first, reported as skipped
        "certifications/2024-03-31/b.xlsx",
        "certifications/2024-03-31/z.csv",
        "certifications/2024-03-31/说明.txt",
        "certifications/2024-06-30/a.csv",
    ]
    assert [f.supported for f in found] == [False, True, True, False, True]
    assert all(isinstance(f, LandedFile) for f in found)


def test_header_only_file_is_an_empty_export_not_an_error(tmp_path):
    path = write_csv(tmp_path / "certifications/2024-03-31/empty.csv", HEADER, [])
    result = read(_landed(path, tmp_path), c.CERTIFICATIONS)
    assert result.frame.height == 0
    assert "certificate_no" in result.frame.columns
