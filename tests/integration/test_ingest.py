"""Ingest into a real DuckDB build database: ledger, quarantine, duplicates, pseudonymisation."""

from __future__ import annotations

import hashlib
import hmac
import shutil

import pytest

from ingest.load import connect_build, ingest
from ingest.pii import resolve_key
from ingest.restricted import register_persons
from tests.conftest import make_id, write_csv

HEADER = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区", "证书状态"]
ALICE = make_id("650102", "19900101", "002")
BOB = make_id("653101", "19850505", "013")


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    write_csv(root / "certifications/2024-03-31/a.csv", HEADER, [
        ["Y1", "阿依古丽", ALICE.lower(), "焊工", "高级", "2024/3/5", "机构", "650102", ""],
        ["Y2", "王强", BOB, "电工", "四级", "2024-03-06", "机构", "喀什", "有效"],
        ["Y3", "坏号", BOB[:-1] + ("0" if BOB[-1] != "0" else "1"), "电工", "四级", "2024-03-06", "机构", "喀什", ""],
        ["Y4", "", BOB, "电工", "六级", "2024-03-06", "机构", "北京市", ""],
    ])
    write_csv(root / "certifications/2024-06-30/b.csv", HEADER, [
        ["Y1", "阿依古丽", ALICE, "焊工", "高级", "2024/3/5", "机构", "650102", "撤销"],
    ], encoding="gb18030")
    shutil.copy(root / "certifications/2024-03-31/a.csv", root / "certifications/2024-06-30/a-again.csv")
    (root / "certifications/2024-06-30/readme.txt").write_text("not data")
    return root


def _connect(tmp_path):
    key = resolve_key(tmp_path / "keys" / "pii.key")
    return connect_build(tmp_path / "build/build.duckdb", tmp_path / "restricted/restricted.duckdb", key), key


def test_every_row_is_loaded_or_quarantined_and_resent_bytes_change_nothing(tmp_path, landing, pii_key):
    con, key = _connect(tmp_path)
    report = ingest(landing, con, key, "run-1")
    ledger = {r[0]: r[1:] for r in con.execute(
        "select file_name, status, rows_landed, rows_loaded, rows_quarantined from raw.load_ledger").fetchall()}
    assert ledger["a.csv"] == ("loaded", 4, 2, 2)
    assert ledger["b.csv"] == ("loaded", 1, 1, 0)
    assert ledger["a-again.csv"] == ("duplicate", 0, 0, 0)
    assert ledger["readme.txt"][0] == "skipped"
    assert report.count("rows_landed") == report.count("rows_loaded") + report.count("rows_quarantined") == 5

    problems = con.execute(
        "select row_number, column_name, reason from raw.quarantine order by row_number, column_name").fetchall()
    assert problems == [
        (4, "id_number", "ID number check digit wrong"),
        (5, "name", "required value blank"),
        (5, "region", "region not recognised"),
        (5, "skill_level", "skill level not recognised"),
    ]
    # nothing new the second time: the ledger knows every file
    again = ingest(landing, con, key, "run-2")
    assert again.new_files == 0
    assert con.execute("select count(*) from raw.certifications").fetchone()[0] == 3


def test_personal_data_stops_at_ingest(tmp_path, landing, pii_key):
    con, key = _connect(tmp_path)
    ingest(landing, con, key, "run-1")
    columns = {r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = 'build'").fetchall()}
    assert "name" not in columns and "id_number" not in columns
    expected = hmac.new(pii_key.encode(), ALICE.encode(), hashlib.sha256).hexdigest()
    keys = {r[0] for r in con.execute("select person_key from raw.certifications where certificate_no = 'Y1'").fetchall()}
    assert keys == {expected}  # lower-case x normalised before hashing: one person
    dump = str(con.execute("select * from raw.certifications").fetchall()) + str(
        con.execute("select * from raw.quarantine").fetchall())
    for secret in (ALICE, BOB, "阿依古丽", "王强"):
        assert secret not in dump
    register_persons(con, key)
    names = dict(con.execute("select id_number, name from persons").fetchall())
    assert names == {ALICE: "阿依古丽", BOB: "王强"}
    # at rest, the store holds neither, in any form a copy of the file would show
    con.close()
    stored = (tmp_path / "restricted/restricted.duckdb").read_bytes()
    for secret in (ALICE, ALICE.lower(), "阿依古丽", "王强"):
        assert secret.encode() not in stored and secret.encode("utf-16-le") not in stored


def test_a_changed_pii_key_is_refused(tmp_path, landing, pii_key, monkeypatch):
    con, key = _connect(tmp_path)
    ingest(landing, con, key, "run-1")
    con.close()
    monkeypatch.setenv("TALENT_PII_KEY", "another-key")
    with pytest.raises(RuntimeError, match="not the one this build database was pseudonymised with"):
        _connect(tmp_path)


@pytest.mark.parametrize("reader", ["exact", "fast"])
def test_free_text_is_cleaned_unless_it_is_plain_ascii_already(tmp_path, pii_key, monkeypatch, reader):
    """Free-text values that cleaning can change (surrounding spaces, full-width or no-break
    characters) are cleaned; plain ASCII is its own value, whichever reader read the file."""
    if reader == "fast":
        monkeypatch.setattr("ingest.load.FAST_BYTES", 0)
    root = tmp_path / "landing"
    write_csv(root / "certifications/2024-03-31/a.csv", HEADER, [
        [" Y1 ", "王强", BOB, "焊工\u3000", "四级", "2024-03-06", "ACME\u00a0", "喀什", ""],
        ["Ｙ２", "王强", BOB, "电工", "四级", "2024-03-06", "\u3000机构", "喀什", ""],
        ["Y3", "王强", BOB, " Welder", "四级", "2024-03-06", "ACME Ltd", "喀什", ""],
    ])
    con, key = _connect(tmp_path)
    ingest(root, con, key, "run-1")
    rows = con.execute(
        "select certificate_no, occupation_name, assessor_name from raw.certifications order by row_number"
    ).fetchall()
    assert rows == [("Y1", "焊工", "ACME"), ("Y2", "电工", "机构"), ("Y3", "Welder", "ACME Ltd")]
