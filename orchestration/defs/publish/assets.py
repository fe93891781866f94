"""The published warehouse file: replaced atomically once every blocking check has passed."""


from datetime import timedelta

import dagster as dg

from orchestration import progress
from orchestration.defs.dbt.assets import dbt_models
from orchestration.defs.guard import HeldBuildLock
from orchestration.defs.ingest.assets import raw_key
from orchestration.errors import recorded_safely
from orchestration.settings import MonitoringSettings, WarehouseSettings

PUBLISHED_KEY = dg.AssetKey(["warehouse", "published"])
STALE_HOURS = MonitoringSettings.from_env().stale_hours
OUTPUTS_CHECK = "report_and_feeds"
MART_KEYS = sorted((k for k in dbt_models.keys if k.path[0] == "marts"), key=lambda k: k.path)


def _refresh_rows(context: dg.AssetExecutionContext, settings: WarehouseSettings, key) -> tuple[dict, list[dict]]:
    """The rows of audit.refresh and audit.source_freshness: this run, its night, the nights before."""
    from datetime import UTC, datetime

    import duckdb

    from ingest.redact import Redactor
    from orchestration import history
    from orchestration.alerts import trigger_of
    from orchestration.monitor import facts_from, refresh_tables
    from orchestration.settings import MonitoringSettings

    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        facts = facts_from(con, settings.as_of_date, MonitoringSettings.from_env(), Redactor(con, key))
    finally:
        con.close()
    record = context.instance.get_run_record_by_id(context.run.run_id)
    start = record.start_time if record is not None else None
    run = {
        "run_id": context.run.run_id,
        "trigger": trigger_of(context.run.tags),
        "started_at": datetime.fromtimestamp(start, UTC).replace(tzinfo=None).isoformat() if start else None,
    }
    return refresh_tables(facts, run, history.read(settings.build_dir))


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[*MART_KEYS, raw_key("load_ledger"), raw_key("quarantine")],
    group_name="publish",
    kinds={"duckdb"},
    # Nightly at 02:00: a published file older than a day means a night was missed. Fails past
    # TALENT_STALE_HOURS (default 30, what `talent status` exits 1 on), warns 4 hours before.
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=STALE_HOURS), warn_window=timedelta(hours=max(STALE_HOURS - 4, 1))
    ),
    description="The analysts' file: schemas `marts` and `audit` only, no personal data, DuckDB "
    "storage v1.5.0; swapped in with os.replace when the run's blocking checks have passed. Then, "
    "from it, the nightly report, the Parquet feed and the public edition beside it.",
    check_specs=[
        dg.AssetCheckSpec(
            OUTPUTS_CHECK,
            asset=PUBLISHED_KEY,
            description="The report (report/index.html), the Parquet feed (parquet/) and the public edition "
            "(public/) were written from the new file. A failure leaves the new warehouse published, fails "
            "this check, and makes the next run rebuild and write them again.",
        )
    ],
)
def published_warehouse(
    context: dg.AssetExecutionContext, settings: WarehouseSettings, build_lock: dg.ResourceParam[HeldBuildLock]
):
    import duckdb

    from ingest.pii import resolve_key
    from orchestration.defs.dbt.resources import dbt_project
    from publish.outputs import write_outputs
    from publish.state import clear_marker, current_state, write_marker
    from publish.warehouse import publish

    shown = progress.reporter()
    shown.start("publish", total=1)
    key = resolve_key(settings.key_file, create=False)  # ingest made sure there is one
    manifest = dbt_project().manifest_path
    with recorded_safely("publish"):
        refresh, sources = _refresh_rows(context, settings, key)
        report = publish(
            settings.build_db, settings.warehouse, context.run.run_id, settings.as_of_date, key, manifest,
            refresh=refresh, sources=sources,
        )
    context.log.info(
        "published %s (%d tables, %d bytes, %d values redacted)",
        report.path, len(report.tables), report.bytes, report.redacted,
    )
    outputs = write_outputs(settings.warehouse, manifest)
    if outputs.ok:
        con = duckdb.connect(str(settings.build_db), read_only=True)
        try:
            write_marker(settings.build_dir, current_state(con, settings, manifest))
        finally:
            con.close()
    else:  # no "up to date" marker: the next run, even with nothing new, publishes and writes them again
        clear_marker(settings.build_dir)
        for name, error in outputs.errors.items():
            context.log.error("published, but the %s was not written: %s", name, error)
    shown.advance("publish")
    shown.finish("publish", detail=f"{len(report.tables)} tables, {report.bytes / 2**20:.1f} MiB")
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name=OUTPUTS_CHECK,
                passed=outputs.ok,
                severity=dg.AssetCheckSeverity.ERROR,
                description=None if outputs.ok else "; ".join(f"{k}: {v}" for k, v in outputs.errors.items()),
                metadata={"written": dg.MetadataValue.json(outputs.written)},
            )
        ],
        metadata={
            "path": dg.MetadataValue.path(str(report.path)),
            "as_of_date": dg.MetadataValue.text(settings.as_of_date.isoformat()),
            "bytes": dg.MetadataValue.int(report.bytes),
            "tables": dg.MetadataValue.json(report.tables),
        }
    )

