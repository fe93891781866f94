"""What `talent refresh` shows: one progress bar per stage while it runs, then one screen of summary.

Everything else a run writes goes to log files in the build directory: dbt's per-node log (one file
per run, ``logs/dbt-*.log``) and the warnings of the Python libraries (``logs/refresh.log``). With
``-v`` the bars give way to those logs on the terminal, as they come.

No exception text is ever printed here: an error is shown by its class and where it happened
(a DuckDB or polars message can quote a whole row, names and ID numbers included).
"""

from __future__ import annotations

import logging
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestration import progress

STAGE_LABELS = {"ingest": "ingest   files", "dbt": "dbt      nodes", "checks": "checks   suites", "publish": "publish"}
STEP_STAGE = {"ingest_landing": "ingest", "dbt_models": "dbt"}


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to (GE asset checks are the `checks` stage)."""
    if step_key in STEP_STAGE:
        return STEP_STAGE[step_key]
    if step_key.startswith("warehouse__published"):
        return "publish"
    return "checks"


class ConsoleReporter(progress.Reporter):
    """Progress bars on standard error, one per stage, drawn as the stages start."""

    def __init__(self, console: Console, verbose: bool = False):
        self.console = console
        self.echo_logs = verbose
        self.details: dict[str, str] = {}
        self.logs: dict[str, str] = {}
        self._bars = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=verbose or not console.is_terminal,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> Self:
        self._bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bars.stop()

    def _task(self, stage: str, total: int | None = None) -> int:
        if stage not in self._tasks:
            self._tasks[stage] = self._bars.add_task(STAGE_LABELS.get(stage, stage), total=total)
            if self.echo_logs:
                self.console.print(f"[bold]{stage}[/bold] ...")
        elif total is not None:
            self._bars.update(self._tasks[stage], total=total)
        return self._tasks[stage]

    def start(self, stage: str, total: int | None = None, detail: str = "") -> None:
        self._task(stage, total)

    def advance(self, stage: str, steps: int = 1, detail: str = "") -> None:
        self._bars.advance(self._task(stage), steps)

    def update(self, stage: str, completed: int, total: int | None = None) -> None:
        self._bars.update(self._task(stage, total), completed=completed)

    def finish(self, stage: str, detail: str = "") -> None:
        task = self._task(stage)
        total = self._bars.tasks[task].total
        if total is None:  # a stage that never knew its size ends as one step done
            self._bars.update(task, total=1, completed=1)
        else:
            self._bars.update(task, completed=total)
        if detail:
            self.details[stage] = detail

    def log_file(self, stage: str, path: str) -> None:
        self.logs[stage] = path


@contextmanager
def library_log(build_dir: Path, verbose: bool):
    """Python logging while a refresh runs: warnings to the terminal with -v, else to a file.

    Yields a counter of the warnings written to the file.
    """
    counter = {"warnings": 0, "path": ""}
    root = logging.getLogger()
    if verbose:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        yield counter
        return
    logs = build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / "refresh.log"
    handler = _CountingFileHandler(path, counter)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    previous = (root.level, list(root.handlers))
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    counter["path"] = str(path)
    try:
        yield counter
    finally:
        handler.close()
        root.handlers = previous[1]
        root.setLevel(previous[0])


class _CountingFileHandler(logging.FileHandler):
    def __init__(self, path: Path, counter: dict):
        super().__init__(path, mode="a", encoding="utf-8", delay=True)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        self.counter["warnings"] += 1
        super().emit(record)


def where(exc: BaseException) -> str:
    """The innermost frame of the project's own code an exception passed through: module:function:line."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "/site-packages/" not in f.filename] or frames
    if not own:
        return "unknown"
    frame = own[-1]
    return f"{Path(frame.filename).name}:{frame.name}:{frame.lineno}"


def error_line(exc: BaseException) -> str:
    """An error as its class and where, without its text (which may quote personal data)."""
    chain, seen = [type(exc).__name__], exc
    while seen.__cause__ is not None and len(chain) < 4:
        seen = seen.__cause__
        chain.append(type(seen).__name__)
    return f"{' <- '.join(chain)} at {where(exc)}"


def summary(outcome, reporter: ConsoleReporter, settings, library: dict) -> Table | str:
    """One screen: state, time per stage with its share and what it did, checks that failed or
    warned, where the logs are."""
    if outcome.up_to_date and not outcome.step_seconds:  # decided before the job started
        return (
            f"[green]up to date[/green] as of {settings.as_of_date}: {outcome.ingest_summary} "
            f"({outcome.seconds:.1f} s)"
        )
    state = (
        "[green]up to date[/green] (nothing new, nothing rebuilt)"
        if outcome.up_to_date
        else "[green]published[/green]"
        if outcome.published
        else "[red]NOT published[/red]: the published warehouse was left as it was"
    )
    stages = {stage: 0.0 for stage in progress.STAGES}
    for step, seconds in outcome.step_seconds.items():
        stages[stage_of(step)] += seconds
    table = Table(
        title=f"refresh {outcome.run_id[:8]}: {state} in {outcome.seconds:.1f} s, as of {settings.as_of_date}",
        title_justify="left",
        show_edge=False,
        box=None,
        pad_edge=False,
    )
    table.add_column("stage")
    table.add_column("time", justify="right")
    table.add_column("share", justify="right")
    table.add_column("")
    checks = outcome.step_seconds and sum(1 for s in outcome.step_seconds if stage_of(s) == "checks")
    details = dict(reporter.details)
    if outcome.ingest_summary:
        details["ingest"] = outcome.ingest_summary
    if checks:
        details["checks"] = (
            f"{checks} Great Expectations suites: {len(outcome.failed_checks)} failed, "
            f"{len(outcome.warnings)} warned (dbt tests: see dbt)"
        )
    for stage, seconds in stages.items():
        if not seconds and stage not in details:
            continue
        share = f"{100 * seconds / outcome.seconds:.0f} %" if outcome.seconds else ""
        table.add_row(stage, f"{seconds:.1f} s", share, details.get(stage, ""))
    other = outcome.seconds - sum(stages.values())
    table.add_row("start-up", f"{max(other, 0):.1f} s", f"{100 * max(other, 0) / outcome.seconds:.0f} %" if outcome.seconds else "",
                  "imports, definitions, between steps")
    for line in outcome.failed_checks:
        table.add_row("[red]failed[/red]", "", "", line)
    for line in outcome.warnings:
        table.add_row("[yellow]warning[/yellow]", "", "", line)
    for line in outcome.failed_steps:
        table.add_row("[red]step failed[/red]", "", "", line)
    if reporter.logs.get("dbt"):
        table.add_row("log", "", "", f"dbt per node: {reporter.logs['dbt']}")
    if library.get("warnings"):
        table.add_row("log", "", "", f"{library['warnings']} warnings: {library['path']}")
    return table


def stderr_console() -> Console:
    return Console(file=sys.stderr)
