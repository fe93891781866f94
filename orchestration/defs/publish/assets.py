"""The published warehouse file: replaced atomically once every blocking check has passed."""


from datetime import timedelta

import dagster as dg

from orchestration import progress
from orchestration.defs.dbt.assets import dbt_models
from orchestration.defs.ingest.assets import raw_key
from orchestration.settings import WarehouseSettings

PUBLISHED_KEY = dg.AssetKey(["warehouse", "published"])
MART_KEYS = sorted((k for k in dbt_models.keys if k.path[0] == "marts"), key=lambda k: k.path)


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[*MART_KEYS, raw_key("load_ledger"), raw_key("quarantine")],
    group_name="publish",
    kinds={"duckdb"},
    # Nightly at 02:00: a published file older than a day means a night was missed.
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=30), warn_window=timedelta(hours=26)
    ),
    description="The analysts' file: schemas `marts` and `audit` only, no personal data, DuckDB "
    "storage v1.5.0; swapped in with os.replace when the run's blocking checks have passed.",
)
def published_warehouse(context: dg.AssetExecutionContext, settings: WarehouseSettings):
    import duckdb

    from orchestration.defs.dbt.resources import dbt_project
    from publish.state import current_state, write_marker
    from publish.warehouse import publish

    shown = progress.reporter()
    shown.start("publish", total=1)
    report = publish(settings.build_db, settings.warehouse, context.run.run_id, settings.as_of_date)
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        write_marker(settings.build_dir, current_state(con, settings, dbt_project().manifest_path))
    finally:
        con.close()
    context.log.info("published %s (%d tables, %d bytes)", report.path, len(report.tables), report.bytes)
    shown.advance("publish")
    shown.finish("publish", detail=f"{len(report.tables)} tables, {report.bytes / 2**20:.1f} MiB")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(report.path)),
            "as_of_date": dg.MetadataValue.text(settings.as_of_date.isoformat()),
            "bytes": dg.MetadataValue.int(report.bytes),
            "tables": dg.MetadataValue.json(report.tables),
        }
    )

