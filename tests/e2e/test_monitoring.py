"""Operators hear of a failed night, and `talent status` tells a fresh, a stale and a failed warehouse apart.

On copies of the shared generated warehouse (`generated`): a second night as of NEXT_AS_OF, run by
`talent refresh` in this process, lands a file that is rejected whole (its name holds an ID number)
and meets a raw row no ledger row accounts for, so the blocking ledger reconciliation fails and
nothing is published. Its alert is received by a webhook on 127.0.0.1 and by a command's standard
input; then the daemon's run-failure sensor is evaluated on the same run (the Dagster instance it ran
in), as if the schedule had started it.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest
from typer.testing import CliRunner

from ingest.redact import id_shaped
from orchestration import history
from orchestration.run import TRIGGER_TAG
from publish.access import connect_published
from talent.cli import app
from tests.conftest import Hook, make_id, restricted_persons, write_csv
from tests.e2e.conftest import AS_OF, NEXT_AS_OF, copy_of

pytestmark = pytest.mark.e2e

BAD_ID = make_id("650102", "19880808", "051")
REJECTED_NAME = f"名册_{BAD_ID}.csv"
RECONCILIATION = "raw/load_ledger: ge_ledger_reconciliation"


def _ledger(settings, sql: str, *params):
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _landed_names(settings) -> set[str]:
    con = restricted_persons(settings.restricted_db)
    try:
        return {r[0] for r in con.execute("select distinct name from persons where name is not null").fetchall()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def failed_night(generated, tmp_path_factory):
    settings, _, _ = generated
    root = tmp_path_factory.mktemp("failed-night")
    s = copy_of(settings, root / "copy")
    bad = write_csv(s.landing / "certifications" / "2026-07-20" / REJECTED_NAME, ["证书编号", "职业(工种)名称"], [["X1", "电工"]])
    old = time.time() - 3600
    os.utime(bad, (old, old))
    con = duckdb.connect(str(s.build_db))  # a raw row that no ledger row accounts for
    con.execute("insert into raw.certifications select * replace ('orphan-load-id' as load_id) from raw.certifications limit 1")
    con.close()
    # the run's Dagster instance, kept for the sensor test (in memory, as `talent refresh` has it
    # without DAGSTER_HOME; a persistent SQLite instance would cost ~25 s of event writes here)
    instance = dg.DagsterInstance.ephemeral()
    stdin_file = root / "alert.txt"
    mp = pytest.MonkeyPatch()
    with Hook() as hook:
        mp.setattr("orchestration.run._instance", lambda: instance)
        mp.setenv("TALENT_ALERT_WEBHOOK", hook.url)
        mp.setenv("TALENT_ALERT_COMMAND", f"cat > '{stdin_file}'")
        result = CliRunner().invoke(
            app, ["refresh", "--landing", str(s.landing), "--warehouse", str(s.warehouse), "--as-of", NEXT_AS_OF]
        )
        yield {"settings": s, "result": result, "hook": hook, "stdin": stdin_file, "instance": instance}
    mp.undo()
    instance.dispose()


def test_a_failed_night_alerts_by_webhook_and_command_without_personal_data(failed_night):
    result, hook, s = failed_night["result"], failed_night["hook"], failed_night["settings"]
    assert result.exit_code == 1, result.output
    assert "alert sent (webhook)" in result.output and "alert sent (command)" in result.output
    assert len(hook.bodies) == 1
    body = hook.bodies[0]
    facts = body["talent"]
    assert facts["outcome"] == "failed" and facts["as_of_date"] == NEXT_AS_OF
    assert RECONCILIATION in facts["failed_checks"]
    # the failing step is named, with its error class, and the rerun spelled out
    assert any(step.startswith("raw__load_ledger_ge_ledger_reconciliation") for step in facts["failed_steps"]), facts
    assert facts["rerun"] == f"talent refresh --landing {s.landing} --warehouse {s.warehouse} --as-of {NEXT_AS_OF}"
    [rejected] = facts["rejected_files"]
    assert rejected["file"].startswith("certifications/2026-07-20/[redacted ") and rejected["file"].endswith("].csv")
    assert "公民身份号码" in rejected["reason"]
    text = body["text"]["content"]
    assert text.startswith(f"[talent-warehouse] FAILED: the night as of {NEXT_AS_OF} was not published")
    assert f"The published file was left as it was: as of {AS_OF}" in text
    assert failed_night["stdin"].read_text(encoding="utf-8") == text
    # no ID number, no landed name, anywhere in what went out
    raw = hook.raw[0].decode("utf-8")
    assert BAD_ID not in raw and not any(id_shaped(line) for line in text.splitlines())
    names = _landed_names(s)
    assert len(names) > 1000
    assert not [n for n in names if len(n) >= 2 and n in raw]


def test_the_failed_night_left_the_published_file_and_is_in_the_history(failed_night):
    s = failed_night["settings"]
    with connect_published(s.warehouse) as con:
        assert con.execute("select as_of_date::varchar from audit.refresh").fetchone()[0] == AS_OF
    last = history.last(s.build_dir)
    assert (last["outcome"], last["as_of_date"], last["trigger"]) == ("failed", NEXT_AS_OF, "talent refresh")
    assert RECONCILIATION in last["failed_checks"]


def test_the_daemon_failure_sensor_reports_a_run_it_did_not_leave_to_talent_refresh(failed_night):
    from orchestration.defs.sensors import alert_on_run_failure

    hook = failed_night["hook"]
    instance = failed_night["instance"]
    [run] = instance.get_runs()
    [failure] = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)

    def evaluate(run):
        ctx = dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure", dagster_event=failure.dagster_event,
            dagster_instance=instance, dagster_run=run,
        ).for_run_failure()  # fmt: skip
        alert_on_run_failure(ctx)

    evaluate(run)  # started by talent refresh, which alerted itself: nothing more is sent
    assert len(hook.bodies) == 1
    instance.add_run_tags(run.run_id, {TRIGGER_TAG: "schedule nightly_refresh_0200"})
    evaluate(instance.get_run_by_id(run.run_id))
    assert len(hook.bodies) == 2
    facts = hook.bodies[1]["talent"]
    assert facts["started_by"] == "schedule nightly_refresh_0200"
    assert RECONCILIATION in facts["failed_checks"]
    assert any(step.startswith("raw__load_ledger_ge_ledger_reconciliation") for step in facts["failed_steps"])
    assert f"re-execute run {run.run_id} from the Dagster UI" in facts["rerun"]
    assert [f["reason"] for f in facts["rejected_files"]] == [f["reason"] for f in hook.bodies[0]["talent"]["rejected_files"]]


def test_status_after_the_failed_night(failed_night):
    s = failed_night["settings"]
    done = CliRunner().invoke(app, ["status", "--warehouse", str(s.warehouse)])
    assert done.exit_code == 0, done.output  # the file is still young: it is the night that failed
    out = done.output
    assert f"as of {AS_OF}, published" in out
    assert "last run: FAILED (run " in out and f"as of {NEXT_AS_OF}" in out
    assert f"failed check: {RECONCILIATION}" in out
    assert "rejected: certifications/2026-07-20/[redacted " in out
    assert BAD_ID not in out


def test_status_of_a_fresh_sample_warehouse_and_audit_refresh(generated):
    settings, _, outcome = generated
    done = CliRunner().invoke(app, ["status", "--warehouse", str(settings.warehouse)])
    assert done.exit_code == 0, done.output
    out = done.output
    assert f"as of {AS_OF}, published" in out and "fresh, threshold 30 h" in out
    assert f"last run: published (run {outcome.run_id}, as of {AS_OF}" in out
    [(files, landed, quarantined)] = _ledger(
        settings, "select count(*), sum(rows_landed), sum(rows_quarantined) from raw.load_ledger "
        "where run_id = ? and status in ('loaded', 'rejected')", outcome.run_id)  # fmt: skip
    assert quarantined > 0
    assert (
        f"quarantine, last night (run {outcome.run_id}): {quarantined:,} of {landed:,} rows quarantined "
        f"({quarantined / landed:.1%})"
    ) in out
    [(deferred, rejected)] = _ledger(settings, """
        select count(*) filter (status = 'deferred'), count(*) filter (status = 'rejected') from (
            select status from raw.load_ledger
            qualify row_number() over (partition by source_file order by loaded_at desc) = 1)""")  # fmt: skip
    assert f"landed, not loaded: {deferred} deferred, {rejected} rejected" in out
    latest = dict(_ledger(settings, "select source, max(export_date) from raw.load_ledger where status = 'loaded' group by 1"))
    for source, day in latest.items():
        assert f"  {source:<15} {day.isoformat():<11}" in out
    # the same facts, published for BI
    with connect_published(settings.warehouse) as con:
        row = con.execute(
            "select run_id, files_read, rows_landed, rows_quarantined, files_rejected, started_by, "
            "failed_runs_since_last_publish from audit.refresh").fetchall()  # fmt: skip
        sources = dict(con.execute("select source, latest_export_date from audit.source_freshness").fetchall())
        stale = dict(con.execute("select source, is_stale from audit.source_freshness").fetchall())
        days = dict(con.execute("select source, days_behind from audit.source_freshness").fetchall())
    assert row == [(outcome.run_id, files, landed, quarantined, rejected, "talent refresh", 0)]
    assert {k: v for k, v in sources.items() if v is not None} == latest
    as_of = datetime.fromisoformat(AS_OF).date()
    assert days["certifications"] == (as_of - latest["certifications"]).days
    assert stale["certifications"] == (days["certifications"] > 35)


def test_status_of_a_stale_warehouse_exits_1(generated, tmp_path):
    settings, _, _ = generated
    s = copy_of(settings, tmp_path / "stale")
    two_days_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=50)
    con = duckdb.connect(str(s.warehouse))  # as if the last publish had been two nights ago
    con.execute("update audit.refresh set published_at = ?", [two_days_ago])
    con.close()
    done = CliRunner().invoke(app, ["status", "--warehouse", str(s.warehouse)])
    assert done.exit_code == 1, done.output
    assert "(50.0 h ago; STALE, threshold 30 h)" in done.output
    assert CliRunner().invoke(app, ["status", "--warehouse", str(s.warehouse), "--max-age-hours", "72"]).exit_code == 0
    missing = CliRunner().invoke(app, ["status", "--warehouse", str(tmp_path / "none" / "talent.duckdb")])
    assert missing.exit_code == 2 and "NOT PUBLISHED" in missing.output
