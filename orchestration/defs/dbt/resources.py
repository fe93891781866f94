"""The dbt project as Dagster sees it: one cached DbtProject (dbt itself runs in a warm process,
see :mod:`orchestration.defs.dbt.worker`)."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from orchestration.defs.dbt.compat import DbtProject
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
