"""A landing folder written by hand with every kind of file the contract allows and every kind a
real transfer leaves behind, next to valid exports: the night publishes, nothing is lost.

Issue 9's acceptance test: every file ends as one ledger row with its reason, every landed row is
loaded or quarantined and the counts reconcile, the same folder again changes nothing (also once the
deferred file is complete and the rejected one is fixed under a new name), a file changed after it
was loaded is reported, and an empty landing folder stays empty.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from orchestration.run import refresh
from orchestration.settings import WarehouseSettings
from tests.conftest import make_id, write_xlsx

pytestmark = pytest.mark.e2e

AS_OF = "2024-06-30"
CERT = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区"]
TRAIN = ["培训编号", "姓名", "公民身份号码", "培训类型", "培训等级", "培训机构名称", "开班日期", "培训状态",
         "补贴金额(元)", "所在地区"]
HONOUR = ["荣誉类型", "授予年度", "姓名", "公民身份号码", "所在地区"]
SHIFTED_NAME = "热依拉·买买提"  # a name that lands in a year column when a field is missing
PEOPLE = [make_id("650102", f"19{80 + i % 20:02d}0{1 + i % 9}1{i % 9}", f"{i:03d}") for i in range(40)]
NAMES = [f"测试人{i:02d}" for i in range(40)]


def cert(i: int, no: str | None = None) -> list[str]:
    return [no or f"C{i:04d}", NAMES[i], PEOPLE[i], "焊工", ["初级", "高级", "技师", "四级"][i % 4], "2024-03-05",
            "某评价机构", ["650102", "伊犁州", "654000", "克拉玛依市"][i % 4]]


def csv_text(header: list[str], rows: list[list[str]], end: str = "\n", header_end: str = "", row_end: str = "") -> str:
    return ",".join(header) + header_end + end + "".join(",".join(r) + row_end + end for r in rows)


def put(root: Path, rel: str, data: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def old(path: Path) -> None:
    """As if it landed an hour ago (older than the settle time)."""
    t = time.time() - 3600
    os.utime(path, (t, t))


def build_landing(root: Path, outside: Path) -> dict[str, tuple[str, int, int]]:
    """The hostile landing; returns source_file -> (status, rows_loaded, rows_quarantined) expected."""
    day = "certifications/2024-03-31"
    expected: dict[str, tuple[str, int, int]] = {}
    # header without the trailing comma, every row with it (the contract allows it)
    put(root, f"{day}/a_trailing_rows.csv", csv_text(CERT, [cert(0), cert(1), cert(2)], row_end=","))
    expected[f"{day}/a_trailing_rows.csv"] = ("loaded", 3, 0)
    # the first data row one field more, the second one fewer: two ragged rows, never a crash
    put(root, f"{day}/b_ragged.csv", csv_text(CERT, [cert(3) + ["多"], cert(4)[:-1], cert(5)]))
    expected[f"{day}/b_ragged.csv"] = ("loaded", 1, 2)
    # an unclosed quote in the first data row
    bad = cert(6)
    bad[3] = '"焊工'
    put(root, f"{day}/c_unclosed.csv", csv_text(CERT, [bad, cert(7), cert(8)]))
    expected[f"{day}/c_unclosed.csv"] = ("loaded", 2, 1)
    # Excel for Mac: bare CR line endings
    put(root, f"{day}/d_mac.csv", csv_text(CERT, [cert(9), cert(10)], end="\r"))
    expected[f"{day}/d_mac.csv"] = ("loaded", 2, 0)
    # UTF-16 without a BOM, and one that turns invalid past the first megabyte
    put(root, f"{day}/e_utf16.csv", csv_text(CERT, [cert(11), cert(12)], end="\r\n").encode("utf-16-le"))
    expected[f"{day}/e_utf16.csv"] = ("loaded", 2, 0)
    many = csv_text(CERT, [cert(13, f"U{i:05d}") for i in range(9000)], end="\r\n").encode("utf-16-le")
    assert len(many) > 1 << 20
    put(root, f"{day}/f_utf16_broken.csv", many + b"\x00\xd8\x41\x00")
    expected[f"{day}/f_utf16_broken.csv"] = ("rejected", 0, 0)
    # a field longer than Python's csv limit in the first rows, a NUL byte, a U+2028 in the title row
    long_row = cert(14)
    long_row[6] = "某" * 150_000
    put(root, f"{day}/g_long.csv", csv_text(CERT, [long_row, cert(15)]))
    expected[f"{day}/g_long.csv"] = ("loaded", 2, 0)
    nul = cert(16)
    nul[3] = "焊\x00工"
    put(root, f"{day}/h_nul.csv", csv_text(CERT, [nul]))
    expected[f"{day}/h_nul.csv"] = ("loaded", 1, 0)
    title = "2024年\u2028证书名册" + "," * (len(CERT) - 1)
    put(root, f"{day}/i_title.csv", title + "\n" + csv_text(CERT, [cert(17), cert(18)]))
    expected[f"{day}/i_title.csv"] = ("loaded", 2, 0)
    # an xlsx whose rows and cells carry no r attribute
    xlsx = write_xlsx(root / f"{day}/j_norefs.xlsx", CERT, [cert(19), cert(20)], title_rows=["名册"])
    with zipfile.ZipFile(xlsx) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    items["xl/worksheets/sheet1.xml"] = re.sub(
        rb'(<(?:row|c)\b[^>]*?) r="[A-Z]*\d+"', rb"\1", items["xl/worksheets/sheet1.xml"]
    )
    with zipfile.ZipFile(xlsx, "w") as zf:
        for n, data in items.items():
            zf.writestr(n, data)
    expected[f"{day}/j_norefs.xlsx"] = ("loaded", 2, 0)
    # a GBK file name from an unzipped Windows archive (not valid UTF-8)
    gbk = os.fsencode(root / day) + b"/" + "名单".encode("gbk") + b".csv"
    with open(gbk, "wb") as fh:
        fh.write(csv_text(CERT, [cert(21)]).encode("gb18030"))
    expected[f"{day}/名单.csv"] = ("loaded", 1, 0)
    # transfers in flight: temporary names, and a file still being written
    put(root, f"{day}/.名单.csv", csv_text(CERT, [cert(22)]))
    expected[f"{day}/.名单.csv"] = ("deferred", 0, 0)
    put(root, f"{day}/k.csv.part", csv_text(CERT, [cert(23)]))
    expected[f"{day}/k.csv.part"] = ("deferred", 0, 0)
    put(root, f"{day}/l.tmp", "half a file")
    expected[f"{day}/l.tmp"] = ("deferred", 0, 0)
    # not files the contract lands
    put(root, f"{day}/说明.txt", "see the attached list")
    expected[f"{day}/说明.txt"] = ("skipped", 0, 0)
    put(outside, "elsewhere.csv", csv_text(CERT, [cert(24)]))
    (root / day / "m_link.csv").symlink_to(outside / "elsewhere.csv")
    expected[f"{day}/m_link.csv"] = ("skipped", 0, 0)
    put(root, "certifications/2024-02-30/n.csv", csv_text(CERT, [cert(25)]))
    expected["certifications/2024-02-30/n.csv"] = ("skipped", 0, 0)
    put(root, "certifications/loose.csv", csv_text(CERT, [cert(26)]))
    expected["certifications/loose.csv"] = ("skipped", 0, 0)
    put(root, f"{day}/sub/o.csv", csv_text(CERT, [cert(27)]))
    expected[f"{day}/sub/o.csv"] = ("skipped", 0, 0)
    put(root, "stray/2024-03-31/p.csv", csv_text(CERT, [cert(28)]))
    expected["stray/2024-03-31/p.csv"] = ("skipped", 0, 0)
    # subsidies a float parser would take: quarantined, not a crash at the decimal(14, 2) insert
    train = [[f"T{i}", NAMES[29 + i], PEOPLE[29 + i], "项目制培训", "高级", "某培训学校", "2024-03-01", "结业",
              amount, "650102"] for i, amount in enumerate(["nan", "inf", "1e20", '"1,200.00"'])]
    put(root, "trainings/2024-03-31/q_subsidy.csv", csv_text(TRAIN, train))
    expected["trainings/2024-03-31/q_subsidy.csv"] = ("loaded", 1, 3)
    # a row with a missing field: the name would land in 授予年度 if values shifted
    put(root, "honours/2024-03-31/r_short.csv", csv_text(HONOUR, [
        ["全国技术能手", "2023", NAMES[33], PEOPLE[33], "650102"],
        ["全国技术能手", SHIFTED_NAME, PEOPLE[34], "650102"],
    ]))
    expected["honours/2024-03-31/r_short.csv"] = ("loaded", 1, 1)
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            old(path)
    # still being written: modified just now (the settle time is 300 s in this test)
    put(root, f"{day}/s_young.csv", csv_text(CERT, [cert(30)]))
    expected[f"{day}/s_young.csv"] = ("deferred", 0, 0)
    return expected


def _ledger(warehouse: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            r[0]: r[1:]
            for r in con.execute(
                "select source_file, status, rows_landed, rows_loaded, rows_quarantined, message "
                "from audit.load_ledger order by all"
            ).fetchall()
        }
    finally:
        con.close()


def _all(warehouse: Path) -> dict[str, list]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() order by all").fetchall()
        return {
            f"{s}.{t}": con.execute(f"select * exclude (run_id, loaded_at) from {s}.{t} order by all").fetchall()
            if t == "load_ledger"
            else con.execute(f"select * exclude (run_id, quarantined_at) from {s}.{t} order by all").fetchall()
            if t == "quarantine"
            else con.execute(f"select * from {s}.{t} order by all").fetchall()
            for s, t in tables
            if t != "refresh"
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    landing, outside = root / "landing", root / "outside"
    expected = build_landing(landing, outside)
    mp = pytest.MonkeyPatch()
    mp.setenv("TALENT_PII_KEY", "hostile-test-key")
    settings = WarehouseSettings(
        landing_dir=str(landing), warehouse_path=str(root / "wh" / "talent.duckdb"), as_of=AS_OF,
        settle_seconds=300,
    )
    outcome = refresh(settings)
    yield settings, expected, outcome
    mp.undo()


def test_the_night_publishes_and_every_file_has_its_ledger_row(hostile):
    settings, expected, outcome = hostile
    assert outcome.success and outcome.published, outcome.describe()
    ledger = _ledger(settings.warehouse)
    assert set(ledger) == set(expected)
    for source_file, (status, loaded, quarantined) in expected.items():
        got_status, landed, got_loaded, got_quarantined, message = ledger[source_file]
        assert (got_status, got_loaded, got_quarantined) == (status, loaded, quarantined), (source_file, message)
        if status in ("loaded", "rejected"):
            assert landed == got_loaded + got_quarantined, source_file  # the counts reconcile
        if status in ("rejected", "skipped", "deferred"):
            assert message, f"{source_file}: a {status} file says why"


def test_reasons_name_the_problem_and_the_place(hostile):
    settings, _, _ = hostile
    ledger = _ledger(settings.warehouse)
    day = "certifications/2024-03-31"
    assert "not UTF-16LE (invalid byte at offset" in ledger[f"{day}/f_utf16_broken.csv"][4]
    assert "waiting for the transfer" in ledger[f"{day}/k.csv.part"][4]
    assert "modified less than 300 s ago" in ledger[f"{day}/s_young.csv"][4]
    assert "outside the landing folder" in ledger[f"{day}/m_link.csv"][4]
    assert "is not a <YYYY-MM-DD> export date" in ledger["certifications/2024-02-30/n.csv"][4]
    assert "not a source folder" in ledger["stray/2024-03-31/p.csv"][4]
    assert "not UTF-8" in ledger[f"{day}/名单.csv"][4]
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    quarantine = con.execute(
        "select source_file, row_number, column_name, reason, value from audit.quarantine order by all"
    ).fetchall()
    con.close()
    assert (f"{day}/b_ragged.csv", 2, None, "9 fields, the header has 8", None) in quarantine
    assert (f"{day}/b_ragged.csv", 3, None, "7 fields, the header has 8", None) in quarantine
    assert (f"{day}/c_unclosed.csv", 2, None, "quoted field not closed before the end of the file", None) in quarantine
    subsidy = {(r[1], r[4]) for r in quarantine if r[0].endswith("q_subsidy.csv")}
    assert subsidy == {(2, "[withheld]"), (3, "[withheld]"), (4, "1e20")}  # rare and without a digit: withheld
    assert {r[3] for r in quarantine if r[0].endswith("q_subsidy.csv")} == {"amount not recognised"}
    assert ("honours/2024-03-31/r_short.csv", 3, None, "4 fields, the header has 5", None) in quarantine
    assert any(r[0] == f"{day}/f_utf16_broken.csv" and r[1] is None for r in quarantine)


def test_nothing_personal_in_the_published_file(hostile):
    settings, _, _ = hostile
    blob = str(_all(settings.warehouse))
    for secret in [SHIFTED_NAME, *NAMES, *PEOPLE]:
        assert secret not in blob


def test_the_same_folder_again_changes_nothing(hostile):
    settings, _, _ = hostile
    before = _all(settings.warehouse)
    again = refresh(settings)
    assert again.success, again.describe()
    assert _all(settings.warehouse) == before


def test_completed_and_fixed_files_load_once_then_nothing_changes(hostile):
    settings, _, _ = hostile
    landing, day = Path(settings.landing), "certifications/2024-03-31"
    (landing / day / "k.csv.part").rename(landing / day / "k.csv")  # the transfer finished
    fixed = csv_text(CERT, [cert(13, f"U{i:05d}") for i in range(3)], end="\r\n").encode("utf-16-le")
    put(landing, f"{day}/f_utf16_fixed.csv", fixed)  # the office sent the broken file again, fixed
    for path in (landing / day / "k.csv", landing / day / "f_utf16_fixed.csv", landing / day / "s_young.csv"):
        old(path)
    outcome = refresh(settings)
    assert outcome.success, outcome.describe()
    ledger = _ledger(settings.warehouse)
    assert ledger[f"{day}/k.csv"][:4] == ("loaded", 1, 1, 0)
    assert ledger[f"{day}/f_utf16_fixed.csv"][:4] == ("loaded", 3, 3, 0)
    assert ledger[f"{day}/s_young.csv"][:4] == ("loaded", 1, 1, 0)
    assert f"{day}/k.csv.part" not in ledger  # gone from the landing folder, gone from the ledger
    assert ledger[f"{day}/f_utf16_broken.csv"][0] == "rejected"  # still there, still rejected
    before = _all(settings.warehouse)
    assert refresh(settings).success
    assert _all(settings.warehouse) == before


def test_a_file_changed_after_it_was_loaded_is_reported_not_loaded_twice(hostile):
    settings, _, _ = hostile
    path = Path(settings.landing) / "certifications/2024-03-31/a_trailing_rows.csv"
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    marts = con.execute("select * from marts.mart_high_skill_ratio order by all").fetchall()
    con.close()
    path.write_text(csv_text(CERT, [cert(0), cert(1), cert(2), cert(31)]))
    old(path)
    outcome = refresh(settings)
    assert outcome.success, outcome.describe()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    rows = con.execute(
        "select status, rows_loaded, message from audit.load_ledger where source_file = ? order by status",
        [str(path.relative_to(settings.landing))],
    ).fetchall()
    assert con.execute("select * from marts.mart_high_skill_ratio order by all").fetchall() == marts
    con.close()
    assert [r[:2] for r in rows] == [("loaded", 3), ("rejected", 0)]
    assert "changed after it was loaded" in rows[1][2]


def test_an_empty_landing_stays_empty_and_a_missing_one_is_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "TALENT_PII_KEY": "empty-test-key"}
    talent = [sys.executable, "-m", "talent.cli", "refresh", "--warehouse", str(tmp_path / "wh/talent.duckdb"),
              "--as-of", AS_OF]
    done = subprocess.run([*talent, "--landing", str(empty)], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(empty.iterdir()) == []  # no synthetic data generated into it
    con = duckdb.connect(str(tmp_path / "wh/talent.duckdb"), read_only=True)
    assert con.execute("select count(*) from marts.mart_high_skill_ratio where skilled_persons > 0").fetchone()[0] == 0
    assert con.execute("select count(*) from audit.load_ledger").fetchone()[0] == 0
    con.close()
    missing = subprocess.run([*talent, "--landing", str(tmp_path / "not-mounted")], capture_output=True,
                             text=True, env=env, check=False)
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    assert not (tmp_path / "not-mounted").exists()


def test_a_file_that_kills_the_process_stops_one_night_not_every_night(tmp_path, monkeypatch):
    """The run dies while reading a file (as under the OOM killer): the next run rejects that file,
    says why, and loads the rest."""
    landing = tmp_path / "landing"
    day = "certifications/2024-03-31"
    put(landing, f"{day}/a_poison.csv", csv_text(CERT, [cert(0), cert(1)]))
    put(landing, f"{day}/b_fine.csv", csv_text(CERT, [cert(2), cert(3)]))
    env = {**os.environ, "TALENT_PII_KEY": "crash-test-key", "TALENT_FAULT": "ingest.after_read"}
    talent = [sys.executable, "-m", "talent.cli", "refresh", "--landing", str(landing),
              "--warehouse", str(tmp_path / "wh/talent.duckdb"), "--as-of", AS_OF]
    killed = subprocess.run(talent, capture_output=True, text=True, env=env, check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not (tmp_path / "wh/talent.duckdb").exists()
    monkeypatch.setenv("TALENT_PII_KEY", "crash-test-key")  # the next night, in this process
    settings = WarehouseSettings(landing_dir=str(landing), warehouse_path=str(tmp_path / "wh/talent.duckdb"),
                                 as_of=AS_OF)
    done = refresh(settings)
    assert done.success, done.describe()
    ledger = _ledger(tmp_path / "wh/talent.duckdb")
    assert ledger[f"{day}/a_poison.csv"][0] == "rejected"
    assert "the previous run died while reading this file" in ledger[f"{day}/a_poison.csv"][4]
    assert ledger[f"{day}/b_fine.csv"][:4] == ("loaded", 2, 2, 0)
