"""The dbt project as Dagster sees it: one cached DbtProject and the CLI resource."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target="build")
    project.prepare_if_dev()  # `dagster dev` / `dg dev`: re-parse when models change
    if not project.manifest_path.exists():  # a clean checkout before `make install` parsed it
        subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
            check=True,
        )
    return project


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)
