"""Run the nightly job in this process: what `talent refresh` and the benchmark call."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import progress
from orchestration.alerts import RunSummary
from orchestration.lock import BuildBusy, build_lock
from orchestration.settings import WarehouseSettings

__all__ = ["BuildBusy", "RefreshOutcome", "refresh"]

TRIGGER_TAG = "talent/started_by"  # runs `talent refresh` starts: the daemon's sensors leave them to it
CLI_TRIGGER = "talent refresh"


@dataclass
class RefreshOutcome:
    success: bool
    published: bool
    up_to_date: bool  # nothing new and nothing changed since the last publish: nothing was rebuilt
    run_id: str
    seconds: float
    failed_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # non-blocking checks that did not pass
    failed_steps: list[str] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    ingest_summary: str = ""
    failed_check_names: list[str] = field(default_factory=list)  # "asset/key: check" (no description)
    warning_names: list[str] = field(default_factory=list)
    deliveries: list = field(default_factory=list)  # alerts sent (orchestration.alerts.Delivery)

    def describe(self) -> str:
        state = "up to date" if self.up_to_date else "published" if self.published else "NOT published"
        lines = [f"run {self.run_id}: {state} in {self.seconds:.1f} s"]
        if self.ingest_summary:
            lines.append(f"  ingest: {self.ingest_summary}")
        lines += [f"  failed check: {c}" for c in self.failed_checks]
        lines += [f"  warning: {c}" for c in self.warnings]
        lines += [f"  failed step: {s}" for s in self.failed_steps]
        return "\n".join(lines)


def _suites(settings: WarehouseSettings):
    """Where the Great Expectations suites run. The first run of a process hands them to a worker
    that imports Great Expectations on the other core while this process loads Dagster and ingests
    (`expectations.worker`): what a nightly `talent refresh` is. A process that runs again (the
    Dagster daemon, a test session) or has imported Great Expectations already runs them itself,
    importing it once for all its runs instead of once a run."""
    from expectations.worker import suite_worker

    global _ran_before
    ran_before, _ran_before = _ran_before, True
    if ran_before or "great_expectations" in sys.modules:
        return contextlib.nullcontext()
    return suite_worker(_worker_log(settings.build_dir))


_ran_before = False  # a refresh has started in this process


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Import Dagster, dbt's classes and the definitions, and make the instance, with the cyclic
    garbage collector off; then freeze what they made. Imports make millions of objects that live as
    long as the process and almost no garbage: collecting while importing is wasted, and every full
    collection after (one at exit included, about 1 s with all this loaded) would walk them again."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _instance():
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def refresh(
    settings: WarehouseSettings,
    log_level: str = "WARNING",
    reporter: progress.Reporter | None = None,
    *,
    alert: bool = False,
    trigger: str = CLI_TRIGGER,
) -> RefreshOutcome:
    """Run the nightly job once, in this process; `reporter` receives each stage's progress.

    When the published file is already current (`nothing_to_do`), it says so without starting
    Dagster. Otherwise the Great Expectations suite worker starts first, and the warm dbt process
    (which imports dbt and parses the project), so that both work on the other core while this
    process imports Dagster and the definitions and ingests.

    Every run that starts is recorded in the run history (orchestration.history); with ``alert``
    (what `talent refresh` passes), a failed night or one with warnings is also sent to the
    configured alert channels (orchestration.alerts), and the deliveries are in the outcome.
    """
    from orchestration.history import now_utc

    started_at = now_utc()
    from orchestration.defs.dbt.invocation import discard_prestarted, discard_worker, start_worker

    started = time.perf_counter()
    # Taken here to refuse before Dagster starts; the job's build_lock resource re-enters it.
    with build_lock(settings.build_dir, "talent refresh"):
        reason = nothing_to_do(settings)
        if reason:
            discard_prestarted()  # the dbt process `talent refresh` started ahead: no build tonight
            _finish(settings, RunSummary(
                f"up-to-date-{uuid.uuid4().hex[:12]}", settings.as_of_date, trigger, up_to_date=True,
                started_at=started_at), alert=False)  # fmt: skip
            return RefreshOutcome(
                success=True,
                published=False,
                up_to_date=True,
                run_id="-",
                seconds=time.perf_counter() - started,
                ingest_summary=reason,
            )
    with (
        build_lock(settings.build_dir, "talent refresh"),
        _suites(settings),
        progress.reporting(reporter or progress.reporter()),
    ):
        start_worker(settings)  # dbt imports and parses on the other core while Dagster loads and ingest runs
        # a process's first refresh loads the libraries; a later one (the daemon, tests) finds them
        # loaded, and freezing again would only keep the earlier runs' uncollected garbage for good
        loaded = "orchestration.definitions" in sys.modules
        if not loaded:
            # at exit, freeze what is left instead of collecting it: the last collection would walk
            # every object the run made (files are closed by their `with` blocks, not by it)
            atexit.register(gc.freeze)
        try:
            with contextlib.nullcontext() if loaded else _collector_paused():
                import dagster as dg

                from orchestration.definitions import defs
                from orchestration.defs.publish.assets import PUBLISHED_KEY

                job = defs.resolve_job_def("nightly_refresh")
                instance = _instance()
            result = job.execute_in_process(
                run_config=settings.run_config(log_level), instance=instance, raise_on_error=False,
                tags={TRIGGER_TAG: trigger},
            )  # fmt: skip
        finally:
            discard_worker()  # unused when the run stopped before its build step
    seconds = time.perf_counter() - started
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    published = PUBLISHED_KEY in materialized
    up_to_date = result.success and dg.AssetKey(["raw", "load_ledger"]) not in materialized
    failed_checks, warnings = [], []
    names = summarize(result.all_events)
    for e in result.get_asset_check_evaluations():
        if e.passed:
            continue
        line = f"{e.asset_key.to_user_string()}: {e.check_name}" + (f" ({e.description})" if e.description else "")
        (failed_checks if e.severity == dg.AssetCheckSeverity.ERROR else warnings).append(line)
    failed_steps = names["failed_steps"]
    step_seconds = step_durations(instance.all_logs(result.run_id))
    summary = ""
    for e in result.all_events:
        if e.is_step_materialization and e.asset_key and e.asset_key.path == ["raw", "load_ledger"]:
            md = e.event_specific_data.materialization.metadata
            summary = md["summary"].value if "summary" in md else ""
    if up_to_date:
        summary = UP_TO_DATE
    success = result.success and (published or up_to_date)
    run = RunSummary(
        result.run_id, settings.as_of_date, trigger, success=success, published=published,
        up_to_date=up_to_date, failed_steps=failed_steps, failed_checks=names["failed_checks"],
        warnings=names["warnings"], started_at=started_at,
    )  # fmt: skip
    deliveries = _finish(settings, run, alert=alert)
    return RefreshOutcome(
        success=success,
        published=published,
        up_to_date=up_to_date,
        run_id=result.run_id,
        seconds=seconds,
        failed_checks=failed_checks,
        warnings=warnings,
        failed_steps=failed_steps,
        step_seconds=step_seconds,
        ingest_summary=summary,
        failed_check_names=names["failed_checks"],
        warning_names=names["warnings"],
        deliveries=deliveries,
    )


def summarize(events) -> dict:
    """A run's failed steps (with error classes), failed error checks and warning checks, by name
    only, from its Dagster events (``result.all_events`` or the event log's ``dagster_event``s)."""
    import dagster as dg

    out = {"failed_steps": [], "failed_checks": [], "warnings": [], "materialized": set()}
    for e in events:
        if e is None:
            continue
        if e.is_step_failure:
            out["failed_steps"].append(f"{e.step_key} ({error_classes(e.step_failure_data.error)})")
        elif e.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = e.event_specific_data
            if evaluation.passed:
                continue
            name = f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
            severity = evaluation.severity
            out["failed_checks" if severity == dg.AssetCheckSeverity.ERROR else "warnings"].append(name)
        elif e.is_step_materialization and e.asset_key is not None:
            out["materialized"].add(e.asset_key)
    return out


def _finish(settings: WarehouseSettings, run: RunSummary, *, alert: bool) -> list:
    """Record the run in the history and, when asked, send its alert; neither may fail the run."""
    import logging

    from orchestration import history
    from orchestration.alerts import notify

    logger = logging.getLogger("talent.alerts")
    try:
        if settings.build_dir.is_dir():
            history.record(settings.build_dir, run.history_entry())
    except OSError as exc:
        logger.warning("the run history could not be written (%s)", type(exc).__name__)
    return notify(settings, run, logger=logger) if alert else []


def report_failure(settings: WarehouseSettings, error: str, *, trigger: str = CLI_TRIGGER, alert: bool = True) -> list:
    """A refresh that stopped before or outside the Dagster job (a missing landing folder, an
    exception around the job): recorded and alerted like a failed night. ``error`` is our own text,
    or an exception's class and place, never its message."""
    from orchestration.history import now_utc

    run = RunSummary(f"cli-{uuid.uuid4().hex[:12]}", settings.as_of_date, trigger, success=False,
                     started_at=now_utc(), error=error)  # fmt: skip
    return _finish(settings, run, alert=alert)


UP_TO_DATE = "nothing new landed; the published warehouse is up to date (nothing rebuilt)"
FINAL_STATUSES = frozenset({"loaded", "rejected", "duplicate", "skipped"})  # a file ingest is done with
MANIFEST = Path(__file__).resolve().parents[1] / "dbt_project" / "target" / "manifest.json"


def nothing_to_do(settings: WarehouseSettings) -> str | None:
    """Why a refresh would rebuild nothing, found in milliseconds without Dagster or dbt; None when
    it may have work to do (or cannot tell).

    Nothing to do: not a full refresh, a published file and the state it was built from (as-of
    date, age bounds, ledger, dbt manifest; see publish.state) equal to now, and every file under
    the landing's source folders already in the ledger with a final status. Anything else (a new or
    renamed file, a file left for later, a new date, a changed model) runs the nightly job, whose
    ingest step makes the same decision with the full reading of the landing.
    """
    import duckdb

    from ingest import contract
    from publish.state import current_state, read_marker

    marker = read_marker(settings.build_dir)
    if settings.full_refresh or marker is None or not settings.warehouse.exists() or not settings.build_db.exists():
        return None
    try:
        con = duckdb.connect(str(settings.build_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        ledger = con.execute(
            "select source_file, status, file_bytes, file_mtime_ns from raw.load_ledger "
            "qualify row_number() over (partition by source_file order by loaded_at desc) = 1"
        ).fetchall()
        if current_state(con, settings, MANIFEST) != marker:
            return None
    except duckdb.Error:
        return None
    finally:
        con.close()
    if any(status not in FINAL_STATUSES for _, status, _, _ in ledger):
        return None
    known = {source_file: (size, mtime) for source_file, _, size, mtime in ledger}
    for source in contract.SOURCES:
        for path in (settings.landing / source).rglob("*"):
            if not path.is_file():
                continue
            st = path.stat()
            if known.get(path.relative_to(settings.landing).as_posix()) != (st.st_size, st.st_mtime_ns):
                return None  # new, or changed since it was recorded
    return UP_TO_DATE


def _worker_log(build_dir: Path) -> Path:
    logs = build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / "suite-worker.log"


# Exception classes whose messages this project writes for operators and which never quote a landed
# value (`ingest.load.BuildRefused` and its kinds): a failed step shows them with their message.
EXPLAINED_ERRORS = frozenset({"BuildRefused", "BuildInUse"})


def error_classes(error) -> str:
    """A step's error as the chain of its exception classes, never its text (it may quote a row),
    except the message of an `EXPLAINED_ERRORS` class: what the operator is to do."""
    names = []
    while error is not None and len(names) < 5:
        name = error.cls_name or "error"
        if name in EXPLAINED_ERRORS:
            name += ": " + _explanation(error.message or "", name)
        names.append(name)
        error = error.cause
    return " <- ".join(names) if names else "error"


def _explanation(message: str, name: str) -> str:
    """The text of an explained error's message (Dagster's starts with the class's dotted name)."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    _, found, rest = first.partition(f"{name}: ")
    return (rest if found else first)[:400]


def step_durations(records) -> dict[str, float]:
    """Seconds per step, from Dagster's own event log (STEP_START .. STEP_SUCCESS/FAILURE)."""
    start: dict[str, float] = {}
    out: dict[str, float] = {}
    for record in records:
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            start[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in start:
            out[event.step_key] = round(record.timestamp - start[event.step_key], 3)
    return out
