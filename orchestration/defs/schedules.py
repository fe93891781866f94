"""The nightly job and its schedule: everything, in process, at 02:00 department time."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.freshness import freshness_checks
from orchestration.settings import TIMEZONE

BUILD_TAG = "talent/build"

nightly_refresh = dg.define_asset_job(
    name="nightly_refresh",
    # every asset and its checks, but the freshness checks: the daemon's freshness sensor runs those
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*freshness_checks),
    executor_def=dg.in_process_executor,
    description="landing -> ingest -> raw -> dbt build -> checks -> publish",
    # dagster.yaml limits runs with this tag to one at a time in the run queue (one build DB writer)
    tags={BUILD_TAG: "nightly_refresh"},
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_refresh_0200",
    job=nightly_refresh,
    cron_schedule="0 2 * * *",
    execution_timezone=str(TIMEZONE),
    description="Every night at 02:00 Asia/Shanghai.",
)
