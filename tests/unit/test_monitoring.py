"""Alerts, the run history and the facts behind `talent status`, on hand-made ledgers (no Dagster run).

Deliveries go to a real HTTP server on 127.0.0.1 and a real shell command; the warnings (quarantine
share, sources past their cadence) are computed from ledger rows written here by hand.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.landing import new_settled_files
from orchestration import history
from orchestration.alerts import RunSummary, night_alert, send
from orchestration.monitor import Published, facts_from, refresh_tables
from orchestration.settings import MonitoringSettings, WarehouseSettings
from tests.conftest import Hook, make_id, write_csv
from tests.support import LEDGER_14

AS_OF = date(2026, 6, 30)
ID = make_id("650102", "19900501", "012")


def ledger(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """An in-memory build with raw.load_ledger holding ``rows`` (LEDGER_14 columns, then display_file)."""
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.load_ledger (load_id varchar, source varchar, source_file varchar, file_name varchar, "
        "export_date date, file_bytes bigint, rows_landed integer, rows_loaded integer, rows_quarantined integer, "
        "status varchar, message varchar, duplicate_of varchar, run_id varchar, loaded_at timestamp, "
        "file_mtime_ns bigint, display_file varchar)"
    )
    con.executemany(f"insert into raw.load_ledger ({LEDGER_14}, display_file) values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    return con


def row(run, n, source, export, landed, loaded, status="loaded", message=None, name=None, at=None):
    path = f"{source}/{export}/{name or f'f{n}.csv'}"
    display = path.replace(ID, "[redacted 1a2b3c4d]") if name and ID in name else path
    return (f"load{n}", source, path, path.rsplit("/", 1)[1], export, 100, landed, loaded, landed - loaded,
            status, message, None, run, at or f"2026-06-{10 + n:02d} 02:00:00", display)  # fmt: skip


# Night "r1" (earlier): 1,000 rows, 10 quarantined. Night "r2": 200 rows, 30 quarantined (15 %), one
# file rejected (its name holds an ID number), one deferred; trainings' latest export is recent,
# certifications' half a year old, the other four sources never loaded anything.
ROWS = [
    row("r1", 1, "certifications", "2025-12-31", 1000, 990, at="2026-06-11 02:00:00"),
    row("r2", 2, "trainings", "2026-06-20", 200, 170, at="2026-06-29 02:00:00"),
    row("r2", 3, "certifications", "2026-06-20", 12, 0, "rejected", "required column 公民身份号码 missing",
        name=f"名册_{ID}.csv", at="2026-06-29 02:00:01"),
    row("r2", 4, "certifications", "2026-06-29", 0, 0, "deferred", "modified less than 300 s ago: left for the next run",
        at="2026-06-29 02:00:02"),
]  # fmt: skip


@pytest.fixture
def facts():
    con = ledger(ROWS)
    try:
        yield facts_from(con, AS_OF, MonitoringSettings(), None)
    finally:
        con.close()


def settings(tmp_path: Path) -> WarehouseSettings:
    return WarehouseSettings(landing_dir=str(tmp_path / "landing"), warehouse_path=str(tmp_path / "wh" / "t.duckdb"))


def test_nights_sources_and_files_from_the_ledger(facts):
    assert [(n.run_id, n.files, n.rows_landed, n.rows_quarantined) for n in facts.nights] == [
        ("r2", 2, 212, 42), ("r1", 1, 1000, 10)]  # fmt: skip
    assert [(n.run_id, n.rows_landed) for n in facts.previous_nights("r2")] == [("r1", 1000)]
    assert [f.file for f in facts.rejected] == ["certifications/2026-06-20/名册_[redacted 1a2b3c4d].csv"]
    assert facts.rejected[0].reason == "required column 公民身份号码 missing"
    assert [f.file for f in facts.deferred] == ["certifications/2026-06-29/f4.csv"]
    by = {s.source: s for s in facts.sources}
    # the rejected and deferred certification files do not count: the latest *loaded* export is 2025-12-31
    assert (by["certifications"].latest_export_date, by["certifications"].days_behind) == (date(2025, 12, 31), 181)
    assert by["certifications"].stale and not by["trainings"].stale
    assert (by["trainings"].days_behind, by["trainings"].cadence_days) == (10, 35)
    assert by["honours"].latest_export_date is None and by["honours"].stale


def test_quarantine_share_and_stale_source_warnings(facts, tmp_path):
    run = RunSummary("r2", AS_OF, "schedule nightly_refresh_0200", success=True, published=True)
    alert = night_alert(settings(tmp_path), run, facts, None, MonitoringSettings(quarantine_share=0.05))
    assert alert.level == "warning" and "published with warnings" in alert.subject
    warnings = alert.facts["warnings"]
    assert warnings[0] == "quarantined 42 of the 212 rows landed tonight (19.8%; threshold 5.0%)"
    assert "certifications: no newer export loaded since 2025-12-31 (181 days; expected every 35 days)" in warnings
    assert "honours: no export has ever loaded (expected every 400 days)" in warnings
    assert not any(w.startswith("trainings") for w in warnings)
    # a higher threshold, generous cadences: nothing to say
    calm = MonitoringSettings(quarantine_share=0.25, cadence_days=dict.fromkeys(
        ("certifications", "trainings", "competitions", "honours", "carriers", "graduates"), 400))  # fmt: skip
    con = ledger(ROWS)
    still = night_alert(settings(tmp_path), run, facts_from(con, AS_OF, calm, None), None, calm)
    con.close()
    assert still.facts["warnings"] == [
        f"{source}: no export has ever loaded (expected every 400 days)"
        for source in ("competitions", "honours", "carriers", "graduates")
    ]


def test_a_failed_night_names_step_check_and_rejected_files_and_how_to_rerun(facts, tmp_path):
    s = settings(tmp_path)
    run = RunSummary(
        "r2", AS_OF, "schedule nightly_refresh_0200", success=False,
        failed_steps=["raw__load_ledger_ge_ledger_reconciliation (DagsterAssetCheckFailedError)"],
        failed_checks=["raw/load_ledger: ge_ledger_reconciliation"],
    )  # fmt: skip
    published = Published("r1", date(2026, 6, 29), __import__("datetime").datetime(2026, 6, 29, 18, 5))
    alert = night_alert(s, run, facts, published, MonitoringSettings())
    text = alert.text()
    assert alert.level == "error"
    assert alert.subject.startswith("[talent-warehouse] FAILED: the night as of 2026-06-30 was not published")
    assert "The published file was left as it was: as of 2026-06-29, published 2026-06-29 18:05 UTC." in text
    assert "Failed step: raw__load_ledger_ge_ledger_reconciliation (DagsterAssetCheckFailedError)" in text
    assert "Failed check: raw/load_ledger: ge_ledger_reconciliation" in text
    assert "  certifications/2026-06-20/名册_[redacted 1a2b3c4d].csv: required column 公民身份号码 missing" in text
    assert f"talent refresh --landing {s.landing} --warehouse {s.warehouse} --as-of 2026-06-30" in text
    assert "re-execute run r2 from the Dagster UI" in text
    assert ID not in text and ID not in json.dumps(alert.payload(), ensure_ascii=False)


def test_a_quiet_night_and_a_same_day_rerun_send_nothing(tmp_path):
    con = ledger([row("r1", 1, "certifications", "2026-06-29", 100, 100)])
    calm = MonitoringSettings(cadence_days=dict.fromkeys(
        ("certifications", "trainings", "competitions", "honours", "carriers", "graduates"), 400))  # fmt: skip
    f = facts_from(con, AS_OF, calm, None)
    f.sources = [x for x in f.sources if x.source == "certifications"]
    assert night_alert(settings(tmp_path), RunSummary("r1", AS_OF, published=True), f, None, calm) is None
    assert night_alert(settings(tmp_path), RunSummary("r9", AS_OF, up_to_date=True), None, None, calm) is None


def test_webhook_and_command_receive_the_alert(facts, tmp_path):
    out = tmp_path / "stdin.txt"
    run = RunSummary("r2", AS_OF, "talent refresh", success=False, failed_steps=["dbt_models (DbtCliError)"])
    alert = night_alert(settings(tmp_path), run, facts, None, MonitoringSettings())
    with Hook() as hook:
        cmd = f"{sys.executable} -c \"import sys; open({str(out)!r}, 'wb').write(sys.stdin.buffer.read())\""
        done = send(alert, MonitoringSettings(webhook=hook.url, command=cmd))
    assert [(d.channel, d.ok) for d in done] == [("webhook", True), ("command", True)]
    body = hook.bodies[0]
    assert body["msgtype"] == "text" and body["text"]["content"] == alert.text()
    assert body["talent"]["failed_steps"] == ["dbt_models (DbtCliError)"]
    assert body["talent"]["rejected_files"][0]["file"].endswith("名册_[redacted 1a2b3c4d].csv")
    assert out.read_text(encoding="utf-8") == alert.text()


def test_a_failed_delivery_is_reported_never_raised(facts, tmp_path, caplog):
    alert = night_alert(settings(tmp_path), RunSummary("r2", AS_OF, success=False), facts, None, MonitoringSettings())
    with Hook(status=500) as hook:
        refused = send(alert, MonitoringSettings(webhook=hook.url, command="exit 3"))
    assert [(d.channel, d.ok, d.detail) for d in refused] == [("webhook", False, "HTTP 500"), ("command", False, "exit code 3")]
    with Hook(delay=2) as slow:
        late = send(alert, MonitoringSettings(webhook=slow.url, command="sleep 5", timeout=0.5))
    assert [(d.channel, d.ok) for d in late] == [("webhook", False), ("command", False)]
    assert late[0].detail.startswith("TimeoutError") and late[1].detail == "timed out after 0.5 s"
    nowhere = send(alert, MonitoringSettings(webhook="http://127.0.0.1:9/"))  # nothing listens on port 9
    assert not nowhere[0].ok and nowhere[0].detail.startswith("URLError")
    assert "the alert could not be sent (webhook)" in caplog.text


def test_monitoring_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("TALENT_ALERT_QUARANTINE_SHARE", "0.2")
    monkeypatch.setenv("TALENT_CADENCE_HONOURS", "30")
    monkeypatch.setenv("TALENT_STALE_HOURS", "12")
    m = MonitoringSettings.from_env()
    assert (m.quarantine_share, m.cadence_days["honours"], m.cadence_days["trainings"], m.stale_hours) == (0.2, 30, 35, 12)
    monkeypatch.setenv("TALENT_STALE_HOURS", "a day")
    with pytest.raises(ValueError, match="TALENT_STALE_HOURS"):
        MonitoringSettings.from_env()


def test_run_history_keeps_the_last_line_of_each_run(tmp_path):
    history.record(tmp_path, {"run_id": "a", "outcome": "failed", "finished_at": "2026-06-29T02:01:00"})
    history.record(tmp_path, {"run_id": "b", "outcome": "published", "finished_at": "2026-06-30T02:01:00"})
    history.record(tmp_path, {"run_id": "a", "outcome": "published", "finished_at": "2026-06-29T02:03:00"})
    with (tmp_path / history.HISTORY).open("a") as fh:
        fh.write('{"run_id": "c", "outc')  # a line cut short by a crash
    assert [(r["run_id"], r["outcome"]) for r in history.read(tmp_path)] == [("a", "published"), ("b", "published")]
    assert history.last(tmp_path)["run_id"] == "b"
    assert oct(os.stat(tmp_path / history.HISTORY).st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError):
        history.record(tmp_path, {"run_id": "d", "outcome": "fine"})


def test_audit_refresh_row_counts_the_night_and_the_failures_since_the_last_publish(facts):
    runs = [
        {"run_id": "r1", "outcome": "published", "finished_at": "2026-06-11T02:05:00"},
        {"run_id": "x1", "outcome": "failed", "finished_at": "2026-06-12T02:05:00", "failed_steps": ["dbt_models (DbtCliError)"]},
        {"run_id": "x2", "outcome": "failed", "finished_at": "2026-06-13T02:05:00", "failed_steps": ["ingest_landing (OSError)"]},
    ]  # fmt: skip
    row_, sources = refresh_tables(facts, {"run_id": "r2", "trigger": "talent refresh"}, runs)
    assert row_["files_read"] == 2 and row_["files_rejected"] == 1 and row_["files_deferred"] == 1
    assert (row_["rows_landed"], row_["rows_quarantined"], row_["quarantine_share"]) == (212, 42, round(42 / 212, 6))
    assert (row_["quarantine_share_previous"], row_["previous_nights"]) == (0.01, 1)
    assert row_["failed_runs_since_last_publish"] == 2 and row_["last_failed_step"] == "ingest_landing (OSError)"
    assert (row_["previous_run_id"], row_["previous_run_outcome"]) == ("x2", "failed")
    assert row_["sources_stale"] == 5
    assert {s["source"]: s["is_stale"] for s in sources}["trainings"] is False


def test_the_landing_sensor_sees_only_settled_files_no_run_has_read(tmp_path):
    landing = tmp_path / "landing"
    old = write_csv(landing / "certifications/2026-06-20/a.csv", ["证书编号"], [["C1"]])
    read = write_csv(landing / "certifications/2026-06-20/b.csv", ["证书编号"], [["C2"]])
    young = write_csv(landing / "trainings/2026-06-29/c.csv", ["培训编号"], [["T1"]])
    write_csv(landing / "trainings/2026-06-29/d.csv.part", ["培训编号"], [["T2"]])
    now = time.time()
    for p in (old, read):
        os.utime(p, (now - 3600, now - 3600))
    st = read.stat()
    known = {"certifications/2026-06-20/b.csv": ("loaded", st.st_size, st.st_mtime_ns)}
    new = new_settled_files(landing, known, settle_seconds=300, now=now)
    assert [f.source_file for f in new] == ["certifications/2026-06-20/a.csv"]
    # once c.csv has settled it counts; b.csv changed after it was read counts again
    os.utime(young, (now - 3600, now - 3600))
    os.utime(read, (now - 60 * 30, now - 60 * 30))
    again = new_settled_files(landing, known, settle_seconds=300, now=now)
    assert [f.source_file for f in again] == [
        "certifications/2026-06-20/a.csv", "certifications/2026-06-20/b.csv", "trainings/2026-06-29/c.csv"]  # fmt: skip
    # a file left for later by the last run (deferred) is new once settled
    deferred = {**known, "trainings/2026-06-29/c.csv": ("deferred", young.stat().st_size, young.stat().st_mtime_ns)}
    assert "trainings/2026-06-29/c.csv" in [f.source_file for f in new_settled_files(landing, deferred, 300, now)]
