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
    [(message,)] = con.execute("select message from raw.load_ledger where file_name = 'a-again.csv'").fetchall()
    assert message == "same bytes as the file read earlier in this run in duplicate_of: changes nothing"
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
    # the same bytes under a new name, a run later: a copy of the loaded file
    (landing / "certifications/2024-07-01").mkdir()
    shutil.copy(landing / "certifications/2024-03-31/a.csv", landing / "certifications/2024-07-01/a-resent.csv")
    ingest(landing, con, key, "run-3")
    [(message,)] = con.execute("select message from raw.load_ledger where file_name = 'a-resent.csv'").fetchall()
    assert message == "same bytes as the loaded file in duplicate_of: changes nothing"
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


@pytest.mark.parametrize("held", ["build/build.duckdb", "restricted/restricted.duckdb"])
def test_a_build_database_another_process_holds_is_refused_naming_that_process(tmp_path, pii_key, held):
    """DuckDB lets one process write a file: a DuckDB session left open on the build database or
    the restricted store (or a stuck run) makes every refresh fail until it ends. The refusal names
    the file and the holder's PID, and says what to do."""
    import subprocess
    import sys

    from ingest.load import BuildInUse

    con, _ = _connect(tmp_path)  # both files exist
    con.close()
    hold = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(tmp_path / held)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(BuildInUse) as refused:
            _connect(tmp_path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    message = str(refused.value)
    assert str(tmp_path / held) in message
    assert f"PID {holder.pid})" in message and f"ps -p {holder.pid}" in message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    con, _ = _connect(tmp_path)  # once the holder has ended, the build opens again
    con.close()


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


def test_a_name_in_a_vocabulary_column_is_withheld_and_an_office_misspelling_kept(tmp_path, pii_key):
    """Columns mixed up by hand put a name where a region belongs: it was never landed as a name,
    so only its rarity gives it away. The quarantine keeps a value without a digit only when at
    least five persons' rows carry it (an office's misspelling), and a value with a digit (a bad
    date) unless it is a long run of digits (a phone number)."""
    root = tmp_path / "landing"
    people = [make_id("650102", f"1990010{i}", f"{i:03d}") for i in range(1, 9)]
    rows = [
        ["Z1", "努尔", people[0], "焊工", "高级", "2024-03-05", "机构", "买买提江·吐尔逊", ""],  # a name as region
        ["Z2", "帕提古丽", people[1], "焊工", "高级", "2024-02-30", "机构", "650102", ""],
        ["Z3", "古丽", people[2], "焊工", "高级", "139 1234 5678", "机构", "650102", ""],  # a phone as date
        # one office's misspelling, five persons (one of them twice): kept
        *[[f"M{i}", f"人{i}", people[3 + i], "焊工", "高级", "2024-03-05", "机构", "乌鲁木其", ""] for i in range(5)],
        ["M5", "人0", people[3], "焊工", "高级", "2024-03-06", "机构", "乌鲁木其", ""],
        # the same person twice under another misspelling: still one person, withheld
        *[[f"N{i}", "人0", people[3], "焊工", "高级", "2024-03-05", "机构", "喀什x", ""] for i in range(2)],
    ]
    write_csv(root / "certifications/2024-03-31/mixed.csv", HEADER, rows)
    con, key = _connect(tmp_path)
    ingest(root, con, key, "run-1")
    shown = {r[0]: r[1] for r in con.execute("select column_name || ':' || row_number, value from raw.quarantine").fetchall()}
    assert shown["region:2"] == "[withheld]"
    assert shown["issue_date:3"] == "2024-02-30"
    assert shown["issue_date:4"] == "[withheld]"
    assert [shown[f"region:{n}"] for n in range(5, 11)] == ["乌鲁木其"] * 6
    assert shown["region:11"] == shown["region:12"] == "[withheld]"
    dump = str(con.execute("select * from raw.quarantine").fetchall())
    assert "买买提江" not in dump and "1234" not in dump


def test_a_latin_script_name_is_known_in_any_case(tmp_path, pii_key):
    """A name that landed as "Aygul Tursun" is redacted when it turns up as "AYGUL TURSUN" or
    "aygul  tursun" (a provider, a file name): the name keys ignore case and spacing."""
    from ingest.redact import REDACTED, Redactor, name_form, name_form_expr

    root = tmp_path / "landing"
    write_csv(root / "certifications/2024-03-31/a.csv", HEADER, [
        ["L1", "Aygul Tursun", ALICE, "焊工", "高级", "2024-03-05", "机构", "650102", ""],
    ])
    con, key = _connect(tmp_path)
    ingest(root, con, key, "run-1")
    shown = Redactor(con, key).values(["AYGUL TURSUN", "aygul  tursun", "Aygul Tursunova"])
    assert shown == {"AYGUL TURSUN": REDACTED, "aygul  tursun": REDACTED, "Aygul Tursunova": "Aygul Tursunova"}
    import polars as pl

    texts = ["Aygul Tursun", "ＡＹＧＵＬ\u3000TURSUN", "热依拉·买买提"]
    assert pl.DataFrame({"t": texts}).select(name_form_expr(pl.col("t")))["t"].to_list() == [name_form(t) for t in texts]


def test_a_name_inside_the_words_of_a_file_name_is_redacted(tmp_path, pii_key):
    """Chinese file names do not space their words: a landed name inside one ("阿依古丽补报",
    "热依拉·买买提的证书") is found, the same as a name alone; words that hold none are shown."""
    from ingest.redact import Redactor

    root = tmp_path / "landing"
    write_csv(root / "certifications/2024-03-31/a.csv", HEADER, [
        ["N1", "阿依古丽", ALICE, "焊工", "高级", "2024-03-05", "机构", "650102", ""],
        ["N2", "热依拉·买买提", BOB, "焊工", "高级", "2024-03-05", "机构", "650102", ""],
    ])
    con, key = _connect(tmp_path)
    ingest(root, con, key, "run-1")
    paths = [
        "certifications/2024-04-01/阿依古丽补报.csv",
        "certifications/2024-04-01/喀什地区热依拉·买买提的证书.xlsx",
        "certifications/阿依古丽/a.csv",
        "certifications/2024-04-01/喀什地区补报.csv",
        "certifications/2024-04-01/阿依.csv",  # a part of a name is no name
    ]
    shown = Redactor(con, key).paths(paths)
    assert shown[paths[0]].startswith("certifications/2024-04-01/[redacted ") and shown[paths[0]].endswith("].csv")
    assert shown[paths[1]].startswith("certifications/2024-04-01/[redacted ") and shown[paths[1]].endswith("].xlsx")
    assert shown[paths[2]].startswith("certifications/[redacted ") and shown[paths[2]].endswith("]/a.csv")
    assert shown[paths[3]] == paths[3] and shown[paths[4]] == paths[4]
    assert "阿依古丽" not in str(list(shown.values())) and "买买提" not in str(list(shown.values()))


def test_a_name_in_an_unknown_header_is_redacted_from_the_ledger_message(tmp_path, pii_key):
    """An unknown column is named in the file's ledger message; a header that is, or holds, a
    landed name ("阿依古丽电话") is redacted there, other headers are shown."""
    root = tmp_path / "landing"
    write_csv(root / "certifications/2024-03-31/a.csv", [*HEADER, "阿依古丽电话", "备注"], [
        ["N1", "阿依古丽", ALICE, "焊工", "高级", "2024-03-05", "机构", "650102", "", "", ""],
    ])
    con, key = _connect(tmp_path)
    ingest(root, con, key, "run-1")
    [(message,)] = con.execute("select message from raw.load_ledger where status = 'loaded'").fetchall()
    assert "阿依古丽" not in message and "[redacted]" in message
    assert "unknown column '备注' ignored" in message


def _raw_and_persons(tmp_path, rows: list[list[str]]):
    write_csv(tmp_path / "landing/certifications/2024-03-31/a.csv", HEADER, rows)
    con, key = _connect(tmp_path)
    try:
        ingest(tmp_path / "landing", con, key, "run-1")
        raw = con.execute(
            "select * exclude (load_id, source_file) from raw.certifications order by certificate_no"
        ).fetchall()
        register_persons(con, key)
        persons = con.execute("select person_key, id_number, name from persons order by id_number").fetchall()
        quarantined = con.execute("select row_number, column_name, reason from raw.quarantine order by all").fetchall()
        return raw, persons, quarantined
    finally:
        con.close()


CAROL = make_id("654002", "19920202", "101")
CLEAN_ROWS = [
    ["Y1", "阿依古丽", ALICE, "焊工", "高级", "2024-03-05", "机构", "650102", "有效"],
    ["Y2", "王强", BOB, "电工", "四级", "2024-03-06", "机构", "653100", "有效"],
    ["Y3", "王强", BOB, "电工", "技师", "2024-03-07", "机构", "653100", "撤销"],
    ["Y4", "坏号", BOB[:-1] + ("0" if BOB[-1] != "0" else "1"), "电工", "四级", "2024-03-06", "机构", "653100", "有效"],
    ["Y5", "Carol", CAROL, "电工", "四级", "2024-03-06", "机构", "654000", "有效"],
]


def test_columns_already_clean_load_as_landed_and_equal_the_cleaned_spellings(tmp_path, pii_key):
    """A column whose every loading spelling is its own value is read as landed (no lookup join):
    the raw rows, the restricted store's persons and the quarantine are what the same rows give
    when every spelling must be cleaned first (full-width, padded, lower-case x)."""
    carol, clean = CAROL, CLEAN_ROWS
    messy = [
        ["Ｙ1", " 阿依古丽 ", ALICE.lower() if ALICE.endswith("X") else f" {ALICE}", "焊工 ", "高级", "2024-03-05",
         "机构", "650102", "有效 "],
        ["Y2", "王强", f"{BOB}\u3000", "电工", "四级", "2024-03-06", "机构\u00a0", "653100", "有效"],
        ["Y3", "王强", BOB, "电工", "技师", "2024-03-07", "机构", "653100", "撤销"],
        ["Y4", "坏号", BOB[:-1] + ("0" if BOB[-1] != "0" else "1"), "电工", "四级", "2024-03-06", "机构", "653100", "有效"],
        ["Y5", "Ｃａｒｏｌ", carol, "电工", "四级", "2024-03-06", "机构", "654000", "有效"],
    ]
    as_landed = _raw_and_persons(tmp_path / "clean", clean)
    cleaned = _raw_and_persons(tmp_path / "messy", messy)
    raw, persons, quarantined = as_landed
    assert [r[3] for r in raw] == ["Y1", "Y2", "Y3", "Y5"]  # Y4's check digit is wrong
    assert quarantined == [(5, "id_number", "ID number check digit wrong")]  # the header is line 1
    assert {(p[1], p[2]) for p in persons} == {(ALICE, "阿依古丽"), (BOB, "王强"), (carol, "Carol")}
    assert {p[0] for p in persons} == {
        hmac.new(pii_key.encode(), i.encode(), hashlib.sha256).hexdigest() for i in (ALICE, BOB, carol)
    }
    assert cleaned == as_landed


def test_lookups_made_a_slice_at_a_time_give_the_same_rows(tmp_path, pii_key, monkeypatch):
    """A column with more spellings than a slice (the ID numbers at scale) is normalised, keyed and
    copied into DuckDB a slice at a time: the same raw rows, persons and quarantine as in one go."""
    import ingest.load

    whole = _raw_and_persons(tmp_path / "whole", CLEAN_ROWS)
    monkeypatch.setattr(ingest.load, "LOOKUP_SLICE", 2)
    sliced = _raw_and_persons(tmp_path / "sliced", CLEAN_ROWS)
    assert len(whole[0]) == 4 and len(whole[1]) == 3
    assert sliced == whole
