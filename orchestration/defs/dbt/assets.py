"""dbt models, seeds and tests as Dagster assets and asset checks; one `dbt build` per run."""


import json
import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import TalentDbtTranslator
from orchestration.defs.guard import HeldBuildLock
from orchestration.settings import WarehouseSettings


def dbt_build_args(settings: WarehouseSettings) -> list[str]:
    """The one dbt invocation of a run (pure: unit-tested).

    dbt unit tests (fixed given/expect rows) check the SQL, not the data: they run in the test suite
    (`make test`), not every night, where they would add ~10 s to each run.
    """
    args = ["build", "--vars", json.dumps(settings.dbt_vars(), sort_keys=True), "--exclude-resource-type", "unit_test"]
    if settings.full_refresh:
        args.append("--full-refresh")
    return args


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=TalentDbtTranslator(),
    name="dbt_models",
)
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: WarehouseSettings,
    build_lock: dg.ResourceParam[HeldBuildLock],
):
    from ingest.faults import fault_point

    os.environ["TALENT_BUILD_DB"] = str(settings.build_db)  # read by dbt_project/profiles.yml
    fault_point("dbt.before_build")
    yield from dbt.cli(dbt_build_args(settings), context=context).stream()
    fault_point("dbt.after_build")
