"""Killed and concurrent runs, end to end: `talent refresh` and `talent export` as child processes,
killed with SIGKILL at the fault points of :mod:`ingest.faults`, or frozen there (SIGSTOP) while a
second refresh, an export and a reader meet them.

One small hand-written landing, in two parts: ``L1`` is published first (the base); ``L2`` then lands
and three warehouses start from a copy of that base:

- the **reference**: one uninterrupted refresh, frozen just before its rename while a second refresh
  (refused), an export (waits) and a reader (keeps its snapshot) meet it, then let go;
- the **chain**: a refresh killed at each fault point in pipeline order, each run starting from what
  the killed one left, then one ordinary run; after each kill the published file must be readable
  and either the base's (same bytes) or the reference's (same marts), and the last run must give
  exactly the reference's marts, ledger, quarantine and person records, and leave no temp file;
- the export faults run on the reference once it is done.

Each refresh costs ~10-20 s of start-up (Dagster, dbt parse, Great Expectations): the chain puts its
six kills in one warehouse (whose build path stays the same, so dbt's partial parse stays valid)
instead of six warehouses with a recovery run each.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import openpyxl
import pytest

from ingest.faults import POINTS
from orchestration.settings import WarehouseSettings
from publish.access import connect_published
from talent import export_log
from tests.conftest import make_id, write_csv

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-06-30"
KEY = "fault-injection-test-key"
OLD = time.time() - 3600  # landed files older than any settle time

P = {  # person -> (name, ID number)
    1: ("阿依古丽·买买提", make_id("650102", "19900501", "012")),
    2: ("王建国", make_id("652301", "19850101", "021")),
    3: ("李娜", make_id("654002", "19920315", "042")),
    4: ("热合曼·艾力", make_id("659001", "19951111", "031")),
    5: ("张伟", make_id("650104", "19880808", "051")),
    6: ("古丽娜尔", make_id("653101", "19750606", "082")),
    7: ("陈静", make_id("652302", "19930909", "102")),
}
CERT = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区", "证书状态"]
COMP = ["竞赛名称", "竞赛级别", "竞赛年度", "竞赛项目", "姓名", "公民身份号码", "获奖等次", "所在地区"]
HONOUR = ["荣誉类型", "授予年度", "姓名", "公民身份号码", "所在地区"]


def cert(no: str, p: int, level: str, issued: str, region: str, status: str = "") -> list[str]:
    return [no, *P[p], "焊工", level, issued, "某评价机构", region, status]


def write_l1(landing: Path) -> None:
    write_csv(landing / "certifications/2024-03-31/名册_一季度.csv", CERT, [
        cert("C1", 1, "技师", "2020-05-01", "650100"),
        cert("C2", 2, "高级工", "2021-06-01", "652300"),
        cert("C3", 3, "中级工", "2022-03-01", "654000"),
        cert("C4", 4, "三级", "2023/9/1", "659001"),
        ["C9", "坏号", P[5][1][:-1] + ("0" if P[5][1][-1] != "0" else "1"), "焊工", "高级工", "2023-01-01",
         "某评价机构", "650100", ""],  # check digit wrong: quarantined
    ])  # fmt: skip
    write_csv(landing / "competitions/2024-12-20/全国赛.csv", COMP, [
        ["全国技能大赛", "国家级一类", "2024", "焊工", *P[1], "金牌", "650100"],
        ["自治区技能大赛", "自治区级一类", "2024", "车工", *P[2], "金牌", "652300"],
    ])  # fmt: skip


def write_l2(landing: Path) -> None:
    write_csv(landing / "certifications/2025-03-31/名册_补报.csv", CERT, [
        cert("C4", 4, "三级", "2023/9/1", "659001", "撤销"),  # revoked
        cert("C5", 5, "高级技师", "2024-11-11", "650100"),
        cert("C6", 6, "初级工", "2025-01-10", "653100"),
        cert("C7", 7, "技师", "2025-02-02", "652300"),
    ], encoding="gb18030")  # fmt: skip
    write_csv(landing / "certifications/2025-06-30/名册_二季度.csv", CERT, [
        cert("C8", 3, "高级工", "2025-05-05", "654000"),
    ])  # fmt: skip
    write_csv(landing / "honours/2024-12-31/荣誉.csv", HONOUR, [["全国技术能手", "2024", *P[3], "654000"]])


def age(landing: Path) -> None:
    for path in landing.rglob("*"):
        os.utime(path, (OLD, OLD))


def settings_of(root: Path) -> WarehouseSettings:
    return WarehouseSettings(landing_dir=str(root / "landing"), warehouse_path=str(root / "wh" / "talent.duckdb"))


def env(fault: str | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("TALENT_", "DAGSTER_HOME"))}
    out.update(TALENT_PII_KEY=KEY, TALENT_SETTLE_SECONDS="0")
    if fault:
        out["TALENT_FAULT"] = fault
    return out


def refresh_args(root: Path) -> list[str]:
    s = settings_of(root)
    return [sys.executable, "-m", "talent.cli", "refresh", "--landing", str(s.landing),
            "--warehouse", str(s.warehouse), "--as-of", AS_OF]  # fmt: skip


def export_args(root: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "talent.cli", "export", "eligibility", "--year", "2024", "--out", str(out),
            "--warehouse", str(settings_of(root).warehouse), "--who", "测试员", *extra]  # fmt: skip


def run(args: list[str], fault: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=env(fault), capture_output=True, text=True, timeout=900, check=False)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def marts(path: Path) -> dict[str, list[tuple]]:
    """Every mart, through the analysts' connection (proves the file opens and reads whole)."""
    con = connect_published(path)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]  # fmt: skip
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in names}
    finally:
        con.close()


def audit(path: Path) -> dict[str, list[tuple]]:
    """Ledger and quarantine without what differs from run to run (run ids, load times)."""
    con = connect_published(path)
    try:
        return {
            "ledger": con.execute(
                "select source_file, status, rows_landed, rows_loaded, rows_quarantined from audit.load_ledger "
                "order by all").fetchall(),
            "quarantine": con.execute(
                "select source_file, row_number, column_name, reason from audit.quarantine order by all").fetchall(),
        }  # fmt: skip
    finally:
        con.close()


def published_run(path: Path) -> str:
    con = connect_published(path)
    try:
        return con.execute("select run_id from audit.refresh").fetchone()[0]
    finally:
        con.close()


def person_records(settings: WarehouseSettings) -> Counter:
    """Person records in the restricted store (decrypted), by (ID number, source, file, row)."""
    from ingest.pii import PiiKey
    from ingest.restricted import read_persons

    con = duckdb.connect()
    con.execute(f"attach '{settings.restricted_db}' as restricted (read_only)")
    try:
        records = read_persons(con, PiiKey(KEY.encode(), "environment"))
    finally:
        con.close()
    return Counter(zip(*(records[c].to_pylist() for c in ("id_number", "source", "source_file", "row_number")),
                       strict=True))


class DuplicatedPersonRecords(AssertionError):
    pass


def stray_files(root: Path) -> list[str]:
    """Anything in the published, build and restricted folders but what a finished run leaves."""
    expected = {
        "wh/talent.duckdb",
        "build/build.duckdb",
        "build/refresh.lock",
        "build/last_publish.json",
        "build/runs.jsonl",
        "restricted/restricted.duckdb",
        "restricted/restricted.duckdb.wal",  # the night's chunks, until DuckDB checkpoints (close_build)
        "restricted/export_log.jsonl",
    }
    # written by every run, under their own names: the report and feeds beside the published file,
    # dbt's target folder and the run logs in the build folder (a temp name there is still stray)
    regular = ("wh/report/", "wh/parquet/", "wh/public/", "build/dbt/", "build/logs/")
    found = {
        str(p.relative_to(root))
        for folder in ("wh", "build", "restricted")
        for p in (root / folder).rglob("*")
        if p.is_file()
    }
    return sorted(
        f for f in found - expected
        if not (f.startswith(regular) and ".tmp" not in f and not f.rsplit("/", 1)[-1].startswith("."))
    )


# --- the shared warehouses ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """L1 refreshed and one export logged; a copy of it (``snapshot``) is where the others start.
    The chain then runs in this folder (the build path dbt last parsed with)."""
    root = tmp_path_factory.mktemp("faults") / "chain"
    write_l1(root / "landing")
    age(root / "landing")
    done = run(refresh_args(root))
    assert done.returncode == 0, done.stdout + done.stderr
    exported = run(export_args(root, root / "exports" / "base.xlsx"))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    snapshot = root.parent / "snapshot"
    shutil.copytree(root, snapshot, symlinks=True)
    warehouse = settings_of(root).warehouse
    return {"root": root, "snapshot": snapshot, "sha256": sha256(warehouse), "marts": marts(warehouse),
            "run_id": published_run(warehouse)}  # fmt: skip


@pytest.fixture(scope="module")
def chain(base):
    """L2 lands; a refresh is killed at every fault point in turn, then one runs to the end."""
    root = base["root"]
    write_l2(root / "landing")
    age(root / "landing")
    seen = {}
    for point in POINTS:
        started = time.perf_counter()
        done = run(refresh_args(root), fault=point)
        warehouse = settings_of(root).warehouse
        seen[point] = {
            "returncode": done.returncode,
            "output": done.stdout[-3000:] + done.stderr[-3000:],
            "sha256": sha256(warehouse),
            "marts": marts(warehouse),
            "run_id": published_run(warehouse),
            "seconds": time.perf_counter() - started,
        }
    started = time.perf_counter()
    final = run(refresh_args(root))
    assert final.returncode == 0, final.stdout + final.stderr
    print("chain: " + ", ".join(f"{p} {v['seconds']:.0f} s" for p, v in seen.items()),
          f"next run {time.perf_counter() - started:.0f} s")  # fmt: skip
    return root, seen


@pytest.fixture(scope="module")
def reference(base, tmp_path_factory):
    """L2 refreshed without a fault, frozen before its rename while a second refresh, an export and a
    reader meet it."""
    root = tmp_path_factory.mktemp("reference") / "ref"
    shutil.copytree(base["snapshot"], root, symlinks=True)
    write_l2(root / "landing")
    age(root / "landing")
    settings = settings_of(root)
    logs = root.parent
    with (logs / "a.out").open("w") as a_out:
        first = subprocess.Popen(
            refresh_args(root), cwd=REPO, env=env("publish.before_replace:stop"), stdout=a_out, stderr=a_out
        )
        _, status = os.waitpid(first.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), (logs / "a.out").read_text()[-3000:]
        try:
            second = run(refresh_args(root))
            reader = duckdb.connect(str(settings.warehouse), read_only=True)
            reader_before = reader.execute("select run_id from audit.refresh").fetchone()[0]
            out = root / "exports" / "during.xlsx"
            export = subprocess.Popen(
                export_args(root, out, "--wait", "600"),
                cwd=REPO,
                env=env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            export_said = ""
            for line in export.stderr:  # until it says it waits (or ends)
                export_said += line
                if "waiting up to" in line:
                    break
            export_done_while_stopped = export.poll() is not None
        finally:
            os.kill(first.pid, signal.SIGCONT)
        first.wait(timeout=900)
    export_out, export_err = export.communicate(timeout=900)
    reader_marts = {t: reader.execute(f"select * from marts.{t} order by all").fetchall() for t in base["marts"]}
    reader_after = reader.execute("select run_id from audit.refresh").fetchone()[0]
    reader.close()
    assert first.returncode == 0, (logs / "a.out").read_text()[-3000:]
    return {
        "root": root,
        "first_pid": first.pid,
        "second": second,
        "export": (export.returncode, export_said + export_err, export_out, export_done_while_stopped, out),
        "reader": (reader_before, reader_after, reader_marts),
        "marts": marts(settings.warehouse),
        "audit": audit(settings.warehouse),
        "run_id": published_run(settings.warehouse),
    }


# --- killed runs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_run_leaves_the_published_file_readable_and_old_or_new(chain, base, reference, point):
    _, seen = chain
    after = seen[point]
    assert after["returncode"] == -signal.SIGKILL, after["output"]
    if point == "publish.after_replace":  # renamed, then killed: the new file, whole
        assert after["run_id"] != base["run_id"]
        assert after["marts"] == reference["marts"]
    else:
        assert after["sha256"] == base["sha256"]
        assert after["marts"] == base["marts"]


def test_the_next_run_converges_to_the_uninterrupted_run(chain, reference):
    root, _ = chain
    warehouse = settings_of(root).warehouse
    assert marts(warehouse) == reference["marts"]
    assert audit(warehouse) == reference["audit"]
    assert len(reference["audit"]["ledger"]) == 5 and len(reference["audit"]["quarantine"]) == 1


def test_no_stray_temp_files_after_the_next_run(chain):
    root, _ = chain
    assert stray_files(root) == []


def test_private_folders_stay_private_and_the_published_one_readable(chain):
    root, _ = chain
    mode = {p: os.stat(root / p).st_mode & 0o777 for p in (
        "wh", "wh/talent.duckdb", "build", "build/build.duckdb", "build/last_publish.json", "build/refresh.lock",
        "build/runs.jsonl",
        "restricted", "restricted/restricted.duckdb", "restricted/restricted.duckdb.wal",
        "restricted/export_log.jsonl")}  # fmt: skip
    assert mode == {
        "wh": 0o755, "wh/talent.duckdb": 0o644,
        "build": 0o700, "build/build.duckdb": 0o600, "build/last_publish.json": 0o600, "build/refresh.lock": 0o600,
        "build/runs.jsonl": 0o600,
        "restricted": 0o700, "restricted/restricted.duckdb": 0o600, "restricted/restricted.duckdb.wal": 0o600,
        "restricted/export_log.jsonl": 0o600,
    }  # fmt: skip


def test_no_duplicated_person_records_after_the_next_run(chain, reference):
    root, _ = chain
    got = person_records(settings_of(root))
    expected = person_records(settings_of(reference["root"]))
    assert expected and max(expected.values()) == 1
    duplicated = {k: n for k, n in got.items() if n > 1}
    if duplicated:
        raise DuplicatedPersonRecords(f"{len(duplicated)} person records stored more than once")
    assert got == expected


# --- two runs at once -----------------------------------------------------------------------------


def test_a_second_refresh_during_a_refresh_refuses_with_a_clear_message(reference):
    second = reference["second"]
    build = settings_of(reference["root"]).build_dir
    assert second.returncode == 75
    assert f"error: another refresh is running on {build} since " in second.stderr
    assert f"pid {reference['first_pid']} " in second.stderr
    assert "this refresh was not started" in second.stderr


def test_an_export_during_a_refresh_waits_for_it_then_writes_and_logs(reference):
    code, said, printed, done_while_stopped, out = reference["export"]
    assert not done_while_stopped
    assert f"pid {reference['first_pid']}" in said and "waiting up to 600 s" in said
    assert code == 0, said
    assert "entitlements of 2024 (recorded in the export log)" in printed
    rows = list(openpyxl.load_workbook(out, read_only=True)["资格名单"].iter_rows(values_only=True))
    assert (P[1][0], P[1][1]) in {(r[1], r[2]) for r in rows[1:]}  # names and IDs from the store
    log = export_log.entries(export_log.log_path(settings_of(reference["root"]).restricted_dir))
    assert [Path(e["file"]).name for e in log] == ["base.xlsx", "during.xlsx"]  # the base's, then this one
    assert log[-1]["file"] == str(out) and log[-1]["file_sha256"] == sha256(out)


def test_a_reader_keeps_its_old_snapshot_across_the_publish(reference, base):
    before, after, reader_marts = reference["reader"]
    assert before == after == base["run_id"]
    assert reader_marts == base["marts"]
    assert reference["run_id"] != base["run_id"]
    assert reference["marts"] != base["marts"]  # L2 changed the marts: the test can tell them apart


# --- killed exports -------------------------------------------------------------------------------


def test_a_killed_export_leaves_no_unlogged_file_and_no_readable_temp(reference):
    root = reference["root"]
    settings = settings_of(root)
    log = export_log.log_path(settings.restricted_dir)
    out = root / "exports" / "killed.xlsx"
    before = len(export_log.entries(log))

    def temps():
        return sorted(p for p in out.parent.iterdir() if p.name.startswith(".killed.xlsx."))

    killed = run(export_args(root, out), fault="export.after_write")  # written, not logged
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists() and len(export_log.entries(log)) == before
    (written,) = temps()
    assert written.stat().st_mode & 0o777 == 0o600

    killed = run(export_args(root, out), fault="export.after_log")  # logged, not renamed
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists()
    entries = export_log.entries(log)
    assert len(entries) == before + 1 and entries[-1]["file"] == str(out)
    assert written not in temps() and len(temps()) == 1  # the first temp went at this export's start
    assert temps()[0].stat().st_mode & 0o777 == 0o600
    assert entries[-1]["file_sha256"] == sha256(temps()[0])

    done = run(export_args(root, out))
    assert done.returncode == 0, done.stderr
    assert out.exists() and out.stat().st_mode & 0o777 == 0o600 and temps() == []
    assert len(export_log.entries(log)) == before + 2

    verified = run([sys.executable, "-m", "talent.cli", "export", "verify-log", "--warehouse", str(settings.warehouse)])
    assert verified.returncode == 0
    assert f"chain intact, {before + 2} entries" in verified.stdout
