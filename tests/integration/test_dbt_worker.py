"""The warm dbt process (orchestration.defs.dbt.worker) speaks what dagster-dbt reads from a dbt
subprocess: JSON event lines and dbt's exit code. One build folder for the file, so that the
second and third workers find the first one's parse state."""

from __future__ import annotations

import json

import pytest
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from packaging import version

from orchestration.defs.dbt import invocation
from orchestration.defs.dbt.invocation import (
    PROJECT_DIR,
    dbt_target_path,
    discard_worker,
    start_worker,
    take_worker,
)
from orchestration.defs.dbt.translator import TalentDbtTranslator
from orchestration.settings import WarehouseSettings


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    root = tmp_path_factory.mktemp("worker")
    return WarehouseSettings(
        warehouse_path=str(root / "wh" / "talent.duckdb"), build_path=str(root / "build"), as_of="2026-07-01"
    )


def stream(worker, settings: WarehouseSettings) -> DbtCliInvocation:
    manifest = json.loads((PROJECT_DIR / "target" / "manifest.json").read_text())
    return DbtCliInvocation(
        process=worker,
        manifest=manifest,
        dagster_dbt_translator=TalentDbtTranslator(),
        project_dir=PROJECT_DIR,
        target_path=dbt_target_path(settings),
        raise_on_error=True,
        cli_version=version.parse("1.11.0"),
    )


def test_an_unused_worker_exits_cleanly_leaving_its_parse_state(settings):
    worker = start_worker(settings)
    assert worker.poll() is None  # parsing, then waiting for the build's arguments
    discard_worker()
    assert worker.returncode == 0
    assert invocation._worker is None
    assert (dbt_target_path(settings) / "partial_parse.msgpack").stat().st_size > 0
    assert not (dbt_target_path(settings) / "manifest.json").exists()  # the build writes it, not the parse


def test_a_build_streams_dagster_events_for_each_node(settings):
    start_worker(settings)
    worker = take_worker(settings, ["build", "--select", "ref_region", "--indirect-selection", "cautious"])
    events = list(stream(worker, settings).stream_raw_events())
    assert worker.returncode == 0
    results = [e.raw_event for e in events if e.raw_event["info"]["name"] in {"LogSeedResult", "LogTestResult"}]
    names = sorted(r["data"]["node_info"]["node_name"] for r in results)
    assert names[0] == "not_null_ref_region" and "ref_region" in names
    assert all(r["data"]["node_info"]["node_status"] in {"success", "pass"} for r in results)
    # dbt's per-node lines are what dagster-dbt re-emits: "1 of 3 OK loaded seed file ..."
    assert any(str(e).startswith("1 of ") for e in events)
    written = json.loads((dbt_target_path(settings) / "manifest.json").read_text())
    assert "seed.talent_warehouse.ref_region" in written["nodes"]


def test_a_failing_dbt_command_fails_the_invocation(settings):
    worker = take_worker(settings, ["run-operation", "no_such_macro"])  # no warm one: started here
    with pytest.raises(DagsterDbtCliRuntimeError):
        list(stream(worker, settings).stream_raw_events())
    assert worker.returncode != 0


def test_a_prestarted_worker_is_told_its_build_when_the_run_knows_it(settings):
    """`talent refresh` starts the dbt process before it knows its settings (`prestart`); the run's
    `start_worker` hands it the build's environment and parse arguments, and it builds as a worker
    started knowing them does (the build database named in that environment is the one written)."""
    invocation.prestart()
    prestarted = invocation._prestarted
    assert prestarted is not None and prestarted.poll() is None
    worker = start_worker(settings)
    assert worker is prestarted and invocation._prestarted is None  # taken, not a second process
    worker = take_worker(settings, ["seed", "--select", "ref_skill_levels"])
    assert worker is prestarted
    events = list(stream(worker, settings).stream_raw_events())
    assert worker.returncode == 0
    done = [e.raw_event["data"]["node_info"] for e in events if e.raw_event["info"]["name"] == "LogSeedResult"]
    assert [(n["node_name"], n["node_status"]) for n in done] == [("ref_skill_levels", "success")]
    import duckdb

    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        assert con.execute("select count(*) from reference.ref_skill_levels").fetchone()[0] > 0


def test_a_prestarted_worker_no_run_takes_is_killed(settings):
    invocation.prestart()
    prestarted = invocation._prestarted
    invocation.discard_prestarted()
    assert prestarted.poll() is not None and invocation._prestarted is None


def test_dbts_own_log_has_no_debug_lines_unless_asked(settings, monkeypatch):
    """The warm process drops dbt's debug events where they are fired (they cost a night ~1 s);
    what dagster-dbt streams is unchanged, and TALENT_DBT_LOG_LEVEL=debug brings them back."""
    log = dbt_target_path(settings) / "dbt.log"
    for level, debug_lines in (("", False), ("debug", True)):
        monkeypatch.setenv("TALENT_DBT_LOG_LEVEL", level)
        log.unlink(missing_ok=True)
        start_worker(settings)
        worker = take_worker(settings, ["seed", "--select", "ref_region"])
        events = list(stream(worker, settings).stream_raw_events())
        assert worker.returncode == 0
        assert any(e.raw_event["info"]["name"] == "LogSeedResult" for e in events)
        text = log.read_text()
        assert "Running with dbt=" in text
        assert ("[debug]" in text) is debug_lines


def test_a_worker_keeps_dbts_compiled_templates_and_schemas_for_the_next_one(settings, tmp_path):
    """The first build of a project copy writes the compiled Jinja and dbt's JSON schemas into the
    project's target folder (`templates.FILE_NAME`, `schemas.FILE_NAME`), and a later worker's parse
    and build that take the same paths compile and build nothing new, so neither file is rewritten.
    A copy of the project of its own: the suite's other builds share the checkout's target folder."""
    import shutil

    from orchestration.defs.dbt import schemas, templates

    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    kept = {name: project / "target" / name for name in (templates.FILE_NAME, schemas.FILE_NAME)}
    select = ["build", "--select", "ref_skill_levels", "--indirect-selection", "cautious"]
    mtimes = []
    for _ in range(3):  # the second build of a seed takes other macros (truncate, not create)
        start_worker(settings, project_dir=project)
        worker = take_worker(settings, select, project_dir=project)
        events = list(stream(worker, settings).stream_raw_events())
        assert worker.returncode == 0
        assert any(e.raw_event["info"]["name"] == "LogTestResult" for e in events)
        assert kept[templates.FILE_NAME].stat().st_size > 10_000
        assert kept[schemas.FILE_NAME].stat().st_size > 10_000  # the project's, the profile's, ...
        mtimes.append({name: path.stat().st_mtime_ns for name, path in kept.items()})
    assert mtimes[2] == mtimes[1]
    assert mtimes[1][schemas.FILE_NAME] == mtimes[0][schemas.FILE_NAME]  # built by the first worker only
    for name in kept:
        assert not (dbt_target_path(settings) / name).exists()  # not in the build's folder


def test_a_build_nobody_reads_any_more_ends_and_lets_go_of_the_build_database(settings):
    """A run that dies mid-build (SIGKILL, out of memory, `timeout`) leaves its dbt process writing
    events to a pipe nobody reads. It must end, not hang on holding the build database, which
    DuckDB would then refuse to every later refresh (before: dbt's thread that met the broken pipe
    lost its node's completion, and the build waited for it for ever). Here the reader stops once
    the first node has started; `end_with_parent` (unit-tested) covers a run that dies while its
    build writes nothing."""
    import subprocess

    import duckdb

    from orchestration.defs.dbt.worker import ORPHANED

    start_worker(settings)
    worker = take_worker(settings, ["build", "--select", "resource_type:seed", "--indirect-selection", "cautious"])
    for line in worker.stdout:  # until a node runs, on one of dbt's threads
        if b'"LogStartLine"' in line:
            break
    worker.stdout.close()
    try:
        assert worker.wait(timeout=30) == ORPHANED
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        raise AssertionError("the dbt process went on for 30 s with nobody reading it") from None
    duckdb.connect(str(settings.build_db)).close()  # nobody holds it any more
