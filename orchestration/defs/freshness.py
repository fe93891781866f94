"""Freshness checks, visible in the Dagster UI: the published file, and each raw source by the export
date of its latest loaded file.

Dagster 1.13's ``FreshnessPolicy`` (on the published asset too) measures the time of the last
materialization only; a raw source is materialized every night whatever landed, so its freshness is
the export date ingest puts in ``dagster/last_updated_timestamp`` (orchestration.defs.ingest), which
only the freshness *checks* (``build_last_update_freshness_checks``) read. Dagster marks those
factories as superseded by ``FreshnessPolicy``; they are used here for that reason and their
supersession warnings silenced.

- ``raw/<source>``: overdue when its latest loaded export is older than its cadence
  (``TALENT_CADENCE_<SOURCE>`` days);
- ``warehouse/published``: overdue when the last publish is older than ``TALENT_STALE_HOURS`` (the
  threshold `talent status` exits 1 on).

They are WARN checks, left out of the nightly job (orchestration.defs.schedules), and evaluated by
the daemon through ``freshness_checks_sensor`` (running by default) or from the UI.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import dagster as dg

from ingest import contract
from orchestration.defs.ingest.assets import raw_key
from orchestration.settings import MonitoringSettings

PUBLISHED = dg.AssetKey(["warehouse", "published"])
SENSOR_NAME = "freshness_checks_sensor"

_monitoring = MonitoringSettings.from_env()

with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning)
    source_freshness_checks = [
        check
        for source in contract.SOURCES
        for check in dg.build_last_update_freshness_checks(
            assets=[raw_key(source)],
            lower_bound_delta=timedelta(days=_monitoring.cadence_days[source]),
            timezone="Asia/Shanghai",
            severity=dg.AssetCheckSeverity.WARN,
        )
    ]
    published_freshness_checks = dg.build_last_update_freshness_checks(
        assets=[PUBLISHED],
        lower_bound_delta=timedelta(hours=_monitoring.stale_hours),
        timezone="Asia/Shanghai",
        severity=dg.AssetCheckSeverity.WARN,
    )
    freshness_checks = [*source_freshness_checks, *published_freshness_checks]
    freshness_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=freshness_checks,
        name=SENSOR_NAME,
        minimum_interval_seconds=600,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
