"""How a run invokes dbt, without importing dagster-dbt: arguments, environment, target folder,
and dbt's parse started early.

What keeps dbt's fixed cost low from one night to the next:

- the as-of date reaches dbt in the environment (``TALENT_DBT_AS_OF_DATE``), never in ``--vars``,
  and the project reads it only when a node compiles: a change of ``--vars`` makes dbt re-parse the
  whole project, an environment variable read while parsing the files that read it;
- dbt writes its artifacts, its ``partial_parse.msgpack`` and its own log to one stable folder
  per build directory (``<build dir>/dbt``), instead of dagster-dbt's fresh folder per invocation
  (from which the updated parse state would never be read again). The parse state is tied to the
  build database's path (dbt hashes the connection settings), hence one folder per build;
- dbt runs in a warm process (`orchestration.defs.dbt.worker`) that `talent refresh` starts with the
  run: it imports dbt and parses the project (without opening the database) while the refresh
  imports Dagster and ingests, and the build then runs on the manifest it holds;
- data tests on the staging views read only the rows of files loaded since the last publish
  (``TALENT_DBT_TESTED_THROUGH``, see ``dbt_project/macros/tests/get_where_subquery.sql``); a full
  refresh, a first build, ``make test`` and plain ``dbt build`` test every row.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not at run time: `prestart` runs before Dagster is imported
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
    from ingest.memory import memory_limit

    return {
        "TALENT_BUILD_DB": str(settings.build_db),  # dbt_project/profiles.yml
        "TALENT_DUCKDB_MEMORY_LIMIT": memory_limit(),  # dbt_project/profiles.yml
        "TALENT_DBT_AS_OF_DATE": settings.as_of_date.isoformat(),  # macros/as_of_date_literal.sql
        "TALENT_DBT_TESTED_THROUGH": "" if settings.full_refresh else (tested_through or ""),
    }


def dbt_target_path(settings: WarehouseSettings) -> Path:
    """dbt's artifacts, partial-parse state and log (dbt.log): one stable folder per build."""
    return settings.build_dir / "dbt"


WORKER_NICENESS = 10
WORKER = [sys.executable, "-m", "orchestration.defs.dbt.worker"]
_STATIC_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PYTHONUNBUFFERED": "1"}
_worker: subprocess.Popen | None = None  # the warm dbt process of the run under way (`start_worker`)
_prestarted: subprocess.Popen | None = None  # a dbt process importing dbt, not yet told its build


def prestart() -> None:
    """Start a dbt process before the run knows its settings, let alone holds the build lock: it
    imports dbt (~3 s of a core) and touches no file until `start_worker` sends it the build's
    environment and parse arguments. `talent refresh` calls this first, while the other core is
    still idle (its own import of Dagster takes ~1.5 s of the first); a refresh with nothing to do,
    or one that stops before starting its worker, kills it (`discard_prestarted`, also at exit)."""
    global _prestarted
    if _prestarted is not None and _prestarted.poll() is None:
        return
    _prestarted = subprocess.Popen(
        WORKER,
        env={**os.environ, **_STATIC_ENV},
        cwd=PROJECT_DIR.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _set_niceness(_prestarted, WORKER_NICENESS)
    atexit.register(discard_prestarted)


def discard_prestarted() -> None:
    """Kill a prestarted dbt process no run took (it has only imported dbt: nothing to finish)."""
    global _prestarted
    worker, _prestarted = _prestarted, None
    if worker is not None and worker.poll() is None:
        worker.kill()
        worker.wait()
    if worker is not None:
        for stream in (worker.stdin, worker.stdout):
            with contextlib.suppress(OSError):
                stream.close()


def location_args(settings: WarehouseSettings, project_dir: Path = PROJECT_DIR) -> list[str]:
    """Project, profile, target and target folder: what a dbt subprocess took from dagster-dbt's
    environment, given as arguments to the warm process's parse and build alike (pure: unit-tested)."""
    target = dbt_target_path(settings)
    return [
        "--target", TARGET, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target-path", str(target), "--log-path", str(target),
    ]  # fmt: skip


def worker_parse_args(settings: WarehouseSettings, project_dir: Path = PROJECT_DIR) -> list[str]:
    """What the warm dbt process parses with: exactly the `--vars` and location the build will
    have, so that the build can run on the parsed manifest (pure: unit-tested)."""
    return [*dbt_build_args(settings)[1:3], *location_args(settings, project_dir)]


def worker_command(settings: WarehouseSettings, project_dir: Path = PROJECT_DIR) -> list[str]:
    """The warm dbt process's command line, when it starts knowing its build (pure: unit-tested)."""
    return [*WORKER, json.dumps(worker_parse_args(settings, project_dir))]


def start_worker(settings: WarehouseSettings, project_dir: Path = PROJECT_DIR) -> subprocess.Popen:
    """Start the warm dbt process (`orchestration.defs.dbt.worker`) for this run's build, in place
    of any earlier one: it imports dbt and parses on the other core while the run ingests."""
    global _worker
    discard_worker()
    _worker = _spawn(settings, project_dir)
    return _worker


def ensure_worker(settings: WarehouseSettings) -> None:
    """Start the warm dbt process unless this run has one (`talent refresh` starts it before
    Dagster; a run from the daemon or the UI gets it here, when its ingest starts). A run process
    that ends without building closes the worker's input by exiting, and the worker exits too."""
    if not _serves(_worker, settings, PROJECT_DIR):
        start_worker(settings)


def take_worker(settings: WarehouseSettings, args: list[str], project_dir: Path = PROJECT_DIR) -> subprocess.Popen:
    """The warm dbt process started for this run, told to run `dbt <args>`; a new one when none was
    started (a run from the Dagster daemon or UI: it parses first, as a dbt subprocess would) or it
    was started for another build folder or project copy. The caller streams its standard output."""
    global _worker
    worker, _worker = _worker, None
    if not _serves(worker, settings, project_dir):
        if worker is not None:
            _close(worker)
        worker = _spawn(settings, project_dir)
    _set_niceness(worker, 0)  # the build is the run's own work (lowering it back needs root; else it stays)
    assert worker.stdin is not None
    worker.stdin.write((json.dumps([*args, *location_args(settings, project_dir)]) + "\n").encode())
    worker.stdin.close()
    return worker


def _serves(worker: subprocess.Popen | None, settings: WarehouseSettings, project_dir: Path) -> bool:
    """Whether `worker` is alive and was started for this build folder and project copy."""
    return worker is not None and worker.poll() is None and worker.talent_for == (settings.build_dir, project_dir)


def _spawn(settings: WarehouseSettings, project_dir: Path) -> subprocess.Popen:
    """A warm dbt process with the build's environment (`dbt_env`, from the last publish's
    marker), at low priority until it builds: the prestarted one if there is one, told its build
    now, else a new one."""
    global _prestarted
    from publish.state import tested_through

    dbt_target_path(settings).mkdir(parents=True, exist_ok=True)
    build_env = dbt_env(settings, tested_through(settings))
    worker, _prestarted = _prestarted, None
    if worker is not None and worker.poll() is None:
        assert worker.stdin is not None
        job = {"env": build_env, "parse": worker_parse_args(settings, project_dir)}
        worker.stdin.write((json.dumps(job) + "\n").encode())
        worker.stdin.flush()
    else:
        worker = subprocess.Popen(
            worker_command(settings, project_dir),
            env={**os.environ, **build_env, **_STATIC_ENV},
            cwd=PROJECT_DIR.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        # its import and parse are speculative: they take the CPU the run leaves idle, not the run's own
        _set_niceness(worker, WORKER_NICENESS)
    worker.talent_for = (settings.build_dir, project_dir)  # type: ignore[attr-defined]
    return worker


def _set_niceness(worker: subprocess.Popen, niceness: int) -> None:
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, worker.pid, niceness)


def discard_worker() -> None:
    """End a warm dbt process that was not used (the run stopped before its build step): told that
    nothing comes, it exits once its parse is done, having written the parse state for next time."""
    global _worker
    worker, _worker = _worker, None
    if worker is not None:
        _close(worker)


def _close(worker: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        if worker.stdin is not None and not worker.stdin.closed:
            worker.stdin.close()
    try:
        worker.wait(timeout=120)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    if worker.stdout is not None:
        worker.stdout.close()
