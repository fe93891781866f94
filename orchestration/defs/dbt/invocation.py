"""How a run invokes dbt, without importing dagster-dbt: arguments, environment, target folder,
and dbt's parse started early.

What keeps dbt's fixed cost low from one night to the next:

- the as-of date reaches dbt in the environment (``TALENT_DBT_AS_OF_DATE``), never in ``--vars``,
  and the project reads it only when a node compiles: a change of ``--vars`` makes dbt re-parse the
  whole project, an environment variable read while parsing the files that read it;
- dbt writes its artifacts, its ``partial_parse.msgpack`` and its own debug log to one stable folder
  per build directory (``<build dir>/dbt``), instead of dagster-dbt's fresh folder per invocation
  (from which the updated parse state would never be read again). The parse state is tied to the
  build database's path (dbt hashes the connection settings), hence one folder per build;
- when that folder has no parse state yet (a new build directory), `start_parse` runs ``dbt parse``
  in the background while the refresh imports Dagster and ingests (it does not open the database),
  and the build finds the project parsed;
- data tests on the staging views read only the rows of files loaded since the last publish
  (``TALENT_DBT_TESTED_THROUGH``, see ``dbt_project/macros/tests/get_where_subquery.sql``); a full
  refresh, a first build, ``make test`` and plain ``dbt build`` test every row.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from orchestration.settings import WarehouseSettings

PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
TARGET = "build"  # the profile's one target; part of dbt's parse state, so the same everywhere


def dbt_build_args(settings: WarehouseSettings, exclusions: list[str] = ()) -> list[str]:
    """The one dbt invocation of a run (pure: unit-tested).

    The as-of date is not among the arguments: it travels in the environment (`dbt_env`).
    dbt unit tests (fixed given/expect rows) check the SQL, not the data: they run in the test suite
    (`make test`), not every night, where they would add ~10 s to each run. `exclusions` come from
    `nightly_exclusions`.
    """
    args = ["build", "--vars", json.dumps(settings.dbt_vars(), sort_keys=True), "--exclude-resource-type", "unit_test"]
    if settings.full_refresh:
        args.append("--full-refresh")
    return [*args, *exclusions]


def nightly_exclusions(
    settings: WarehouseSettings, marker: dict | None, manifest_sha256: str, sources_with_new_rows: set[str]
) -> list[str]:
    """dbt nodes a night's build leaves out because nothing they read changed since the last
    publish, which built and tested them (pure: unit-tested):

    - the seeds and the tests on them alone, when the dbt project (its manifest, seeds included)
      is the one the last publish was built with;
    - the staging view of a source no file was loaded into since the last publish, and the tests
      on it alone (with `__new_rows__` they would read no row anyway).

    Tests with another parent that is built (a relationship from a model to a seed) still run
    (``--indirect-selection cautious``). A full refresh, a first build, or a changed project
    leaves nothing out.
    """
    from ingest import contract

    if settings.full_refresh or not marker or marker.get("manifest_sha256") != manifest_sha256:
        return []
    untouched = [f"stg_raw__{source}" for source in contract.SOURCES if source not in sources_with_new_rows]
    return ["--exclude", " ".join(["resource_type:seed", *untouched]), "--indirect-selection", "cautious"]


def dbt_env(settings: WarehouseSettings, tested_through: str | None) -> dict[str, str]:
    """Environment variables the dbt project reads (pure: unit-tested).

    `tested_through` is the load time (``raw.load_ledger.loaded_at``) up to which the published
    warehouse's rows were tested; None (a full refresh, nothing published yet) tests every row.
    """
    return {
        "TALENT_BUILD_DB": str(settings.build_db),  # dbt_project/profiles.yml
        "TALENT_DBT_AS_OF_DATE": settings.as_of_date.isoformat(),  # macros/as_of_date_literal.sql
        "TALENT_DBT_TESTED_THROUGH": "" if settings.full_refresh else (tested_through or ""),
    }


@contextlib.contextmanager
def scoped_environ(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with `values` set, as it was again afterwards (a run in a longer-lived process,
    the Dagster daemon's or a test's, must not leave one night's dates behind for the next)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_target_path(settings: WarehouseSettings) -> Path:
    """dbt's artifacts, partial-parse state and debug log (dbt.log): one stable folder per build."""
    return settings.build_dir / "dbt"


_parsing: subprocess.Popen | None = None


def start_parse(settings: WarehouseSettings) -> bool:
    """Start ``dbt parse`` in the background when the build's target folder has no parse state yet,
    with exactly the arguments and environment the build will have (so that the build takes it as
    its own). Returns whether a parse was started."""
    global _parsing
    target = dbt_target_path(settings)
    if _parsing is not None or (target / "partial_parse.msgpack").exists():
        return False
    target.mkdir(parents=True, exist_ok=True)
    build = dbt_build_args(settings)
    args = [
        DBT_EXECUTABLE, "parse", *build[1:3], "--target", TARGET, "--quiet",
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(target), "--log-path", str(target),
    ]  # fmt: skip
    env = {**os.environ, **dbt_env(settings, None), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    _parsing = subprocess.Popen(
        args,
        env=env,
        cwd=PROJECT_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # speculative work: it takes the CPU the refresh leaves idle, never the refresh's own
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, _parsing.pid, 10)
    return True


def wait_for_parse() -> None:
    """Let a background parse finish before dbt builds (both write the target folder). Whatever its
    outcome, the build parses what is left to parse and reports any error itself."""
    global _parsing
    if _parsing is not None:
        _parsing.wait()
        _parsing = None
