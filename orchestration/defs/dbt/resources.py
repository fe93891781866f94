"""The dbt project as Dagster sees it: one cached DbtProject and the CLI resource."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from functools import cache, cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from orchestration.defs.dbt.invocation import DBT_EXECUTABLE, PROJECT_DIR, TARGET


@cache
def dbt_project() -> DbtProject:
    # the venv's dbt must be found even when the venv is not activated (`.venv/bin/dg dev`)
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target=TARGET)
    project.prepare_if_dev()  # `dagster dev` / `dg dev`: re-parse when models change
    if not project.manifest_path.exists():  # a clean checkout before `make install` parsed it
        subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
            check=True,
        )
    return project


class TalentDbtCliResource(DbtCliResource):
    """dagster-dbt's CLI resource without two start-up costs this project does not need.

    Before each invocation dagster-dbt runs ``dbt --version`` in a subprocess (a cold dbt start,
    3-6 s here) to tell dbt Core from the Fusion engine, and builds a dbt adapter in this process
    (importing dbt Core, 3-4 s) that only its optional row-count and column-metadata fetchers use.
    The dbt run here is always the dbt Core of this environment (DBT_EXECUTABLE), and those
    fetchers are not used, so the version comes from the installed package and no adapter is built.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    return TalentDbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)
