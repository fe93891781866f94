"""Publish on a hand-made build database: modes, stale temp files, room on the disk, a disk that fills
while writing, and a reader that holds the published file open across a publish."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.load import LEDGER_DDL, QUARANTINE_DDL
from publish import warehouse as pw

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 6, 30)


def make_build(path: Path, version: int, rows: int = 20_000) -> Path:
    """A build database as dbt leaves it, as far as publish reads it: two marts (one of ``rows`` rows,
    every value carrying ``version``), the ledger and the quarantine."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute(LEDGER_DDL)
        con.execute(QUARANTINE_DDL)
        con.execute(
            "insert into raw.load_ledger (load_id, source, source_file, file_name, export_date, status) "
            "values ('ab', 'certifications', 'certifications/2024-01-31/a.csv', 'a.csv', '2024-01-31', 'loaded')"
        )
        con.execute(
            "create table marts.mart_big as select range as id, ? as version, "
            "'unit ' || (range % 97) as label from range(?)",
            [version, rows],
        )
        con.execute("create table marts.mart_small as select ? as version", [version])
        con.execute("comment on table marts.mart_small is 'one row: the build version'")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published(tmp_path):
    """Version 1 published under tmp_path/pub/wh/ (folders created by publish)."""
    build = make_build(tmp_path / "build.duckdb", 1)
    warehouse = tmp_path / "pub" / "wh" / "talent.duckdb"
    pw.publish(build, warehouse, "run00001-aaaa", AS_OF)
    return build, warehouse


def test_published_file_and_new_folders_are_readable_by_analysts_under_a_private_umask(tmp_path):
    build = make_build(tmp_path / "build.duckdb", 1)
    warehouse = tmp_path / "pub" / "wh" / "talent.duckdb"
    previous = os.umask(0o077)  # the run's umask
    try:
        report = pw.publish(build, warehouse, "run00001-aaaa", AS_OF)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(warehouse.stat().st_mode) == 0o644
    assert stat.S_IMODE(warehouse.parent.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "pub").stat().st_mode) == 0o755
    assert report.tables == {
        "audit.load_ledger": 1,
        "audit.quarantine": 0,
        "audit.refresh": 1,
        "audit.source_freshness": 0,
        "marts.mart_big": 20_000,
        "marts.mart_small": 1,
    }
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["talent.duckdb"]


def test_stale_temp_files_of_earlier_runs_are_removed_and_nothing_else(published):
    build, warehouse = published
    stale = [warehouse.with_name(".talent.duckdb.deadbeef.tmp"), warehouse.with_name(".talent.duckdb.deadbeef.tmp.wal")]
    for path in stale:
        path.write_bytes(b"half a file")
    kept = warehouse.with_name("README.txt")
    kept.write_text("analysts' notes")
    assert pw.stale_temps(warehouse) == sorted(stale)

    pw.publish(make_build(build, 2), warehouse, "run00002-bbbb", AS_OF)

    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["README.txt", "talent.duckdb"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select version from marts.mart_small").fetchone() == (2,)


def test_no_room_for_the_new_file_refuses_before_writing_and_keeps_the_old_one(published, monkeypatch):
    build, warehouse = published
    before = sha256(warehouse)
    with duckdb.connect() as con:
        con.execute(f"attach '{build}' as build (read_only)")
        need = pw.required_bytes(con, warehouse)
    # at least the previous file with its margin, and more than the 20,000-row mart's values
    assert need >= warehouse.stat().st_size * pw.SPACE_FACTOR + pw.SPACE_SLACK
    assert need > 8 * 20_000 * 3
    monkeypatch.setattr(pw, "free_bytes", lambda folder: need - 1)
    with pytest.raises(pw.NoRoomToPublish) as refused:
        pw.publish(make_build(build, 2), warehouse, "run00002-bbbb", AS_OF)
    assert f"refusing to publish: {warehouse.parent} has " in str(refused.value)
    assert "the published file was left as it was" in str(refused.value)
    assert sha256(warehouse) == before
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["talent.duckdb"]

    monkeypatch.setattr(pw, "free_bytes", lambda folder: need)
    pw.publish(build, warehouse, "run00003-cccc", AS_OF)
    assert sha256(warehouse) != before


FILL = """
import resource, signal, sys
from datetime import date
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, like ENOSPC
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from publish.warehouse import PublishWriteFailed, publish
try:
    publish(Path(sys.argv[1]), Path(sys.argv[2]), "run00002-bbbb", date(2026, 6, 30))
except PublishWriteFailed as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_disk_that_fills_while_writing_leaves_the_old_file_and_no_temp_file(published):
    """The writer may write no file beyond 600 KiB (RLIMIT_FSIZE): the new file cannot be completed,
    as on a full disk that the estimate did not foresee."""
    build, warehouse = published
    before = sha256(warehouse)
    make_build(build, 2, rows=200_000)
    done = subprocess.run(
        [sys.executable, "-c", FILL, str(build), str(warehouse), str(600 * 1024)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert f"writing the new published file in {warehouse.parent} failed" in done.stdout
    assert "the published file was left as it was" in done.stdout
    assert sha256(warehouse) == before
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["talent.duckdb"]


def test_a_reader_holding_the_file_across_a_publish_keeps_a_consistent_old_snapshot(published):
    build, warehouse = published
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert reader.execute("select run_id from audit.refresh").fetchone() == ("run00001-aaaa",)
        # the big mart is first read after the replace: its blocks come from the old file
        pw.publish(make_build(build, 2, rows=30_000), warehouse, "run00002-bbbb", AS_OF)
        old = reader.execute("select count(*), min(version), max(version) from marts.mart_big").fetchone()
        assert old == (20_000, 1, 1)
        assert reader.execute("select version from marts.mart_small").fetchone() == (1,)
        assert reader.execute("select run_id from audit.refresh").fetchone() == ("run00001-aaaa",)
    finally:
        reader.close()
    with duckdb.connect(str(warehouse), read_only=True) as fresh:
        assert fresh.execute("select count(*), min(version), max(version) from marts.mart_big").fetchone() == (
            30_000,
            2,
            2,
        )
        assert fresh.execute("select run_id from audit.refresh").fetchone() == ("run00002-bbbb",)
