"""The daemon's sensors: tell the operators when a run ends badly, and start a run when files land.

- ``alert_on_run_failure`` (running by default): a run of this code location failed: record it in the
  run history and send the night's alert (orchestration.alerts) to ``TALENT_ALERT_WEBHOOK`` and/or
  ``TALENT_ALERT_COMMAND``.
- ``report_finished_run`` (running by default): a refresh run succeeded: record it, and send a
  warning when its night deserves one (quarantine share, stale sources, a failed error check such as
  ``report_and_feeds``).
- ``landing_sensor`` (stopped by default; switch it on in the UI): starts the nightly job when files
  have landed and settled (``TALENT_SETTLE_SECONDS``) that no run has read, for departments that want
  their figures before the next night. One run per set of files (the run key); the run queue of
  ``dagster.yaml`` keeps it from overlapping another run.

Runs started by `talent refresh` carry the tag ``talent/started_by``: it records and alerts them
itself, so these sensors leave them alone. The run's settings are read from its run config (the
``settings`` resource), else from the environment, as the run itself did.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.schedules import nightly_refresh
from orchestration.settings import WarehouseSettings

LANDING_SENSOR = "landing_sensor"


def settings_of(run: dg.DagsterRun) -> WarehouseSettings:
    config = (run.run_config or {}).get("resources", {}).get("settings", {}).get("config", {})
    return WarehouseSettings(**config) if config else WarehouseSettings()


def is_refresh(run: dg.DagsterRun) -> bool:
    """A run that materializes assets (not a run of the freshness checks alone)."""
    return run.job_name == nightly_refresh.name or bool(run.asset_selection)


def _summary(instance: dg.DagsterInstance, run: dg.DagsterRun, success: bool):
    from orchestration.alerts import RunSummary, trigger_of
    from orchestration.defs.publish.assets import PUBLISHED_KEY
    from orchestration.history import now_utc
    from orchestration.run import summarize

    names = summarize(r.dagster_event for r in instance.all_logs(run.run_id))
    record = instance.get_run_record_by_id(run.run_id)
    start = record.start_time if record is not None and record.start_time else None
    settings = settings_of(run)
    published = PUBLISHED_KEY in names["materialized"]
    up_to_date = success and dg.AssetKey(["raw", "load_ledger"]) not in names["materialized"]
    return settings, RunSummary(
        run.run_id, settings.as_of_date, trigger_of(run.tags), success=success, published=published,
        up_to_date=up_to_date and not published, failed_steps=names["failed_steps"],
        failed_checks=names["failed_checks"], warnings=names["warnings"],
        started_at=datetime.fromtimestamp(start, UTC).replace(tzinfo=None).isoformat() if start else now_utc(),
    )  # fmt: skip


def report_run(context, run: dg.DagsterRun, success: bool) -> str:
    """Record the run and send its alert; returns what was done (the sensor tick's message)."""
    from orchestration import history
    from orchestration.alerts import notify
    from orchestration.run import CLI_TRIGGER, TRIGGER_TAG

    if run.tags.get(TRIGGER_TAG) == CLI_TRIGGER:
        return f"run {run.run_id}: started by talent refresh, which reports it"
    settings, summary = _summary(context.instance, run, success)
    if is_refresh(run) and settings.build_dir.is_dir():
        try:
            history.record(settings.build_dir, summary.history_entry())
        except OSError as exc:
            context.log.warning(f"the run history could not be written ({type(exc).__name__})")
    deliveries = notify(settings, summary, logger=context.log)
    sent = ", ".join(f"{d.channel}: {'sent' if d.ok else 'FAILED ' + d.detail}" for d in deliveries)
    return f"run {run.run_id}: {summary.outcome}" + (f"; alert {sent}" if sent else "")


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A run failed: record it and send the alert (failed step and check, rejected files, "
    "how to rerun) to TALENT_ALERT_WEBHOOK / TALENT_ALERT_COMMAND.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    context.log.info(report_run(context, context.dagster_run, success=False))


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="report_finished_run",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A refresh succeeded: record it, and warn when its night quarantined more than "
    "TALENT_ALERT_QUARANTINE_SHARE, a source is past its cadence, or an error check failed.",
)
def report_finished_run(context: dg.RunStatusSensorContext):
    if is_refresh(context.dagster_run):
        context.log.info(report_run(context, context.dagster_run, success=True))


def landed_not_read(settings: WarehouseSettings) -> list | str:
    """Settled files no run has read, or why that cannot be told now (a run holds the build)."""
    import duckdb

    from ingest.landing import new_settled_files

    known: dict = {}
    if settings.build_db.exists():
        try:
            con = duckdb.connect(str(settings.build_db), read_only=True)
        except duckdb.Error:
            return "the build database is in use (a run is going on)"
        try:
            known = {
                path: (status, size, mtime)
                for path, status, size, mtime in con.execute(
                    "select source_file, status, file_bytes, file_mtime_ns from raw.load_ledger "
                    "qualify row_number() over (partition by source_file order by loaded_at desc) = 1"
                ).fetchall()
            }
        except duckdb.Error:
            known = {}
        finally:
            con.close()
    if not settings.landing.is_dir():
        return f"the landing folder {settings.landing} does not exist"
    return new_settled_files(settings.landing, known, settings.settle)


@dg.sensor(
    name=LANDING_SENSOR,
    job=nightly_refresh,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts the refresh when files have landed, settled (TALENT_SETTLE_SECONDS) and not "
    "been read: figures before the next night. Off by default.",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    new = landed_not_read(WarehouseSettings())
    if isinstance(new, str):
        return dg.SkipReason(new)
    if not new:
        return dg.SkipReason("nothing new has landed and settled")
    key = hashlib.sha256(
        "\n".join(f"{f.source_file}\t{f.size}\t{f.mtime_ns}" for f in new).encode()
    ).hexdigest()[:32]
    return dg.RunRequest(run_key=key, tags={"talent/landed_files": str(len(new))})
