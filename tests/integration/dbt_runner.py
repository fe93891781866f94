"""Run the project's dbt against a temporary build database (shared by the dbt integration tests)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = REPO / ".venv" / "bin" / "dbt"


def run_dbt(args: list[str], db_path: Path, work: Path, *, as_of: str) -> subprocess.CompletedProcess:
    """`dbt <args>` on `db_path`, with target and logs under `work`, as of `as_of`; never raises."""
    env = {**os.environ, "TALENT_BUILD_DB": str(db_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run(
        [
            str(DBT),
            *args,
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--vars",
            json.dumps({"as_of_date": as_of}),
        ],
        check=False,
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
