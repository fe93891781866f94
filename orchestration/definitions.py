"""The one Definitions object: `dagster dev`, `dg dev`, the schedule and `talent refresh` all load it."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.dbt.assets import dbt_models
from orchestration.defs.freshness import freshness_checks, freshness_sensor
from orchestration.defs.guard import build_lock_resource
from orchestration.defs.ingest.assets import ingest_landing
from orchestration.defs.publish.assets import published_warehouse
from orchestration.defs.quality.checks import quality_checks
from orchestration.defs.schedules import nightly_refresh, nightly_schedule
from orchestration.defs.sensors import alert_on_run_failure, landing_sensor, report_finished_run
from orchestration.settings import WarehouseSettings

defs = dg.Definitions(
    assets=[ingest_landing, dbt_models, published_warehouse],
    asset_checks=[*quality_checks, *freshness_checks],
    jobs=[nightly_refresh],
    schedules=[nightly_schedule],
    sensors=[alert_on_run_failure, report_finished_run, landing_sensor, freshness_sensor],
    resources={"settings": WarehouseSettings(), "build_lock": build_lock_resource},
)
