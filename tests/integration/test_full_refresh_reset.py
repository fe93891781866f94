"""`--full-refresh` deletes the build and the person store under the run's lock, never the export log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest.load import connect_build, ingest
from ingest.pii import resolve_key
from orchestration.defs.guard import HeldBuildLock, build_lock_resource
from orchestration.defs.ingest.assets import ingest_landing
from orchestration.settings import WarehouseSettings
from talent import export_log
from tests.conftest import make_id, write_csv

REPO = Path(__file__).resolve().parents[2]
HEADER = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区"]
HOLD = """
import sys
from orchestration.lock import build_lock
with build_lock(sys.argv[1], "refresh run other (job nightly_refresh)"):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def earlier_build(tmp_path, pii_key):
    """A build, a person store and an export log as an earlier run and an export left them."""
    settings = WarehouseSettings(
        landing_dir=str(tmp_path / "landing"), warehouse_path=str(tmp_path / "wh" / "talent.duckdb"), settle_seconds=0
    )
    write_csv(settings.landing / "certifications/2024-03-31/a.csv", HEADER, [
        ["Y1", "阿依古丽", make_id("650102", "19900101", "002"), "焊工", "高级", "2024/3/5", "机构", "650102"],
    ])  # fmt: skip
    key = resolve_key(settings.key_file)
    con = connect_build(settings.build_db, settings.restricted_db, key)
    try:
        assert ingest(settings.landing, con, key, "run-1").new_files == 1
    finally:
        con.close()
    export_log.append(settings.restricted_dir, {"who": "审核员", "export": "eligibility", "year": 2024, "rows": 1})
    log = export_log.log_path(settings.restricted_dir)
    return settings, log, log.read_bytes()


def ledger_files(settings: WarehouseSettings) -> int:
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        return con.execute("select count(*) from raw.load_ledger").fetchone()[0]


def test_full_refresh_rebuilds_the_store_and_keeps_the_export_log(earlier_build):
    settings, log, before = earlier_build
    for path in settings.landing.rglob("*.csv"):
        path.unlink()  # an empty landing: whatever the build holds after the reset came from nowhere
    full = WarehouseSettings(**{**settings.model_dump(), "full_refresh": True})
    result = dg.materialize(
        [ingest_landing], resources={"settings": full, "build_lock": build_lock_resource}, raise_on_error=False
    )
    assert result.success
    assert ledger_files(settings) == 0  # the build was deleted and recreated
    assert log.read_bytes() == before
    assert export_log.verify(log).entries == 1


def test_full_refresh_refuses_without_the_lock(earlier_build):
    settings, log, before = earlier_build
    full = WarehouseSettings(**{**settings.model_dump(), "full_refresh": True})
    not_held = HeldBuildLock(str(settings.build_dir), {})  # a resource that took no lock
    result = dg.materialize([ingest_landing], resources={"settings": full, "build_lock": not_held}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "full refresh refused: this run does not hold the lock of" in str(failure.event_specific_data.error)
    assert ledger_files(settings) == 1 and log.read_bytes() == before


def test_full_refresh_while_another_run_holds_the_lock_deletes_nothing(earlier_build):
    settings, log, before = earlier_build
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.build_dir)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        full = WarehouseSettings(**{**settings.model_dump(), "full_refresh": True})
        result = dg.materialize(
            [ingest_landing], resources={"settings": full, "build_lock": build_lock_resource}, raise_on_error=False
        )
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE")
    assert "another refresh is running on" in str(failure.event_specific_data.error)
    assert f"pid {holder.pid}" in str(failure.event_specific_data.error)
    assert ledger_files(settings) == 1 and log.read_bytes() == before
