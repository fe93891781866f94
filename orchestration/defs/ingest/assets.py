"""Ingest: every landed file not yet in the ledger -> the build database's raw tables."""


from datetime import datetime, time

import dagster as dg

from ingest import contract
from orchestration import progress
from orchestration.defs.dbt.invocation import ensure_worker
from orchestration.defs.guard import HeldBuildLock
from orchestration.errors import recorded_safely
from orchestration.settings import TIMEZONE, WarehouseSettings

LAST_UPDATED = "dagster/last_updated_timestamp"

RAW_TABLES = {
    **{name: f"{src.title}: rows loaded from `{name}` exports" for name, src in contract.SOURCES.items()},
    "load_ledger": "One row per landed file seen: hash, rows landed/loaded/quarantined, status.",
    "quarantine": "One row per problem in a rejected row: file, row number, column, reason.",
}


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def export_timestamp(day) -> float:
    """An export date as the timestamp Dagster's freshness checks read: its midnight, department time."""
    return datetime.combine(day, time.min, tzinfo=TIMEZONE).timestamp()


def _export_metadata(exports: dict, table: str) -> dict:
    """For a source table: the export date of its latest loaded file, as ``dagster/last_updated_timestamp``
    (what the freshness checks measure; orchestration.defs.freshness), and as a date. A source that
    never loaded a file gets the epoch: overdue, whatever its cadence."""
    if table not in contract.SOURCES:
        return {}
    day = exports.get(table)
    return {
        LAST_UPDATED: dg.MetadataValue.timestamp(export_timestamp(day) if day else 1.0),
        "latest_export_date": dg.MetadataValue.text(day.isoformat() if day else "none"),
    }


def _files_done(shown: progress.Reporter):
    """The progress callback of ingest: files done of files to read."""

    def files_done(done: int, total: int, _name: str) -> None:
        shown.update("ingest", completed=done, total=total)

    return files_done


@dg.multi_asset(
    name="ingest_landing",
    specs=[
        dg.AssetSpec(raw_key(t), group_name="raw", description=d, kinds={"polars", "duckdb"}, skippable=True)
        for t, d in RAW_TABLES.items()
    ],
    description="Read new landed files (CSV, XLSX; any contract encoding), normalise, pseudonymise, "
    "quarantine bad rows and record each file in the load ledger. When nothing new landed and the "
    "published file already reflects this as-of date and these models, nothing downstream runs.",
)
def ingest_landing(
    context: dg.AssetExecutionContext, settings: WarehouseSettings, build_lock: dg.ResourceParam[HeldBuildLock]
):
    from ingest.load import close_build, connect_build, ingest
    from ingest.pii import resolve_key
    from orchestration.defs.dbt.resources import dbt_project
    from orchestration.lock import holds_lock
    from publish.state import clear_marker, current_state, read_marker

    if settings.full_refresh and settings.build_dir.exists():
        # Under the run's build lock (the build_lock resource), so no other run or export reads
        # what is deleted here. The export log (restricted folder) is never deleted.
        if not holds_lock(settings.build_dir):
            raise RuntimeError(f"full refresh refused: this run does not hold the lock of {settings.build_dir}")
        context.log.info("full refresh: removing the build database and the restricted person store")
        for path in (settings.build_db, settings.restricted_db):
            for name in (path, path.with_name(path.name + ".wal")):
                name.unlink(missing_ok=True)
        clear_marker(settings.build_dir)
    shown = progress.reporter()
    shown.start("ingest")
    ensure_worker(settings)  # dbt imports and parses (without opening the database) meanwhile
    with recorded_safely("ingest"):
        key = resolve_key(settings.key_file)
        con = connect_build(settings.build_db, settings.restricted_db, key)
        try:
            report = ingest(
                settings.landing, con, key, context.run.run_id,
                work_dir=settings.build_dir, settle_seconds=settings.settle, progress=_files_done(shown),
            )
            totals = {
                t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES
            }
            exports = dict(con.execute(
                "select source, max(export_date) from raw.load_ledger where status = 'loaded' group by source"
            ).fetchall())  # fmt: skip
            state = current_state(con, settings, dbt_project().manifest_path)
        finally:
            close_build(con)
    context.log.info("ingest: %s", report.summary())
    shown.finish("ingest", detail=report.summary())
    if (
        report.new_files == 0
        and not settings.full_refresh
        and settings.warehouse.exists()
        and read_marker(settings.build_dir) == state
    ):
        context.log.info(
            "up to date: nothing new landed and the published warehouse already reflects as-of %s; "
            "nothing to rebuild",
            state["as_of_date"],
        )
        return
    statuses = report.by_status()
    for table in RAW_TABLES:
        yield dg.MaterializeResult(
            asset_key=raw_key(table),
            metadata={
                **_export_metadata(exports, table),
                "rows_total": dg.MetadataValue.int(totals[table]),
                "new_files": dg.MetadataValue.int(report.new_files),
                "rows_landed": dg.MetadataValue.int(report.count("rows_landed")),
                "rows_loaded": dg.MetadataValue.int(report.count("rows_loaded")),
                "rows_quarantined": dg.MetadataValue.int(report.count("rows_quarantined")),
                "files_rejected": dg.MetadataValue.int(statuses.get("rejected", 0)),
                "files_duplicate": dg.MetadataValue.int(statuses.get("duplicate", 0)),
                "files_skipped": dg.MetadataValue.int(statuses.get("skipped", 0)),
                "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
                "summary": dg.MetadataValue.text(report.summary()),
            },
        )
