"""dbt models, seeds and tests as Dagster assets and asset checks; one `dbt build` per run.

How the build is invoked (arguments, environment, target folder, the warm dbt process) is in
:mod:`orchestration.defs.dbt.invocation`; this module streams its events into Dagster through
dagster-dbt's own converter and its per-node log into a file.
"""


import hashlib
import importlib.metadata
import io
import re
import sys
import time
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path

import dagster as dg
from packaging import version

from orchestration import progress
from orchestration.defs.dbt.compat import dbt_assets
from orchestration.defs.dbt.invocation import (
    PROJECT_DIR,
    dbt_build_args,
    dbt_target_path,
    nightly_exclusions,
    take_worker,
)
from orchestration.defs.dbt.resources import dbt_project
from orchestration.defs.dbt.translator import TalentDbtTranslator
from orchestration.defs.guard import HeldBuildLock
from orchestration.settings import WarehouseSettings
from publish.report import warm_up as warm_up_report

__all__ = ["dbt_build_args", "dbt_models", "dbt_target_path"]

KEEP_LOGS = 30  # per-node logs of the most recent runs kept in <build dir>/logs


class NodeLog(io.TextIOBase):
    """dbt's per-node lines (what dagster-dbt prints): to a log file, and to `echo` when given.

    Counts the finished nodes ("12 of 463 OK ...") for the progress bar and keeps dbt's closing
    "Done. PASS=..." line for the summary.
    """

    NODE_DONE = re.compile(r"^(\d+) of (\d+) (?!START)")
    ANSI = re.compile(r"\x1b\[[0-9;]*m")

    def __init__(self, path: Path, echo=None, on_node=None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("w", encoding="utf-8")
        self._echo, self._on_node = echo, on_node
        self.done_line = ""

    def write(self, text: str) -> int:
        plain = self.ANSI.sub("", text)
        self._file.write(plain)
        if self._echo is not None:
            self._echo.write(text)
        for line in plain.splitlines():
            match = self.NODE_DONE.match(line)
            if match and self._on_node:
                self._on_node(int(match.group(2)))
            elif line.startswith("Done. PASS="):
                self.done_line = line.strip()
        return len(text)

    def flush(self) -> None:
        self._file.flush()
        if self._echo is not None:
            self._echo.flush()

    def close(self) -> None:
        super().close()  # flushes first
        self._file.close()


def manifest_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def sources_loaded_since(settings: WarehouseSettings, loaded_after: str | None) -> set[str]:
    """Sources with a file loaded after `loaded_after` (every source when None)."""
    import duckdb

    from ingest import contract

    if not loaded_after:
        return set(contract.SOURCES)
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        rows = con.execute(
            "select distinct source from raw.load_ledger where status = 'loaded' and loaded_at > ?::timestamp",
            [loaded_after],
        ).fetchall()
    finally:
        con.close()
    return {source for (source,) in rows}


def node_log_path(settings: WarehouseSettings, run_id: str) -> Path:
    logs = settings.build_dir / "logs"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for old in sorted(logs.glob("dbt-*.log"))[:-KEEP_LOGS] if logs.is_dir() else []:
        old.unlink(missing_ok=True)
    return logs / f"dbt-{stamp}-{run_id[:8]}.log"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=TalentDbtTranslator(),
    name="dbt_models",
)
def dbt_models(
    context: dg.AssetExecutionContext,
    settings: WarehouseSettings,
    build_lock: dg.ResourceParam[HeldBuildLock],
):
    from ingest.faults import fault_point
    from publish.state import read_marker, tested_through

    marker = read_marker(settings.build_dir)
    exclusions = nightly_exclusions(
        settings,
        marker,
        manifest_sha256(dbt_project().manifest_path),
        sources_loaded_since(settings, tested_through(settings)),
    )
    if exclusions:
        context.log.info("nothing changed since the last publish for: %s", exclusions[1])
    shown = progress.reporter()
    shown.start("dbt")
    seen = {"nodes": 0}

    def on_node(total: int) -> None:
        if seen["nodes"] == 0:
            shown.start("dbt", total=total)
        seen["nodes"] += 1
        shown.advance("dbt")

    started = time.perf_counter()
    log = NodeLog(
        node_log_path(settings, context.run.run_id),
        echo=sys.stdout if shown.echo_logs else None,
        on_node=on_node,
    )
    shown.log_file("dbt", str(log.path))
    warm_up_report()  # this process mostly waits for dbt's output now
    try:
        fault_point("dbt.before_build")
        with redirect_stdout(log):  # dagster-dbt prints every dbt event line to standard output
            yield from stream_build(context, settings, dbt_build_args(settings, exclusions)).stream()
        fault_point("dbt.after_build")
    finally:
        log.close()
        context.log.info("dbt per-node log: %s", log.path)
        shown.finish("dbt", detail=f"{log.done_line or 'dbt build ended'} in {time.perf_counter() - started:.1f} s")


def stream_build(context: dg.AssetExecutionContext, settings: WarehouseSettings, args: list[str]):
    """dagster-dbt's invocation of `dbt <args>`, run by the warm dbt process (`take_worker`): the
    nodes of the assets and checks this run selected, their events converted as dagster-dbt
    converts a dbt subprocess's (`DbtCliInvocation`)."""
    from dagster_dbt.asset_utils import (
        extract_runtime_selection_from_args,
        get_updated_cli_invocation_params_for_context,
    )
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

    cleaned, selects, excludes = extract_runtime_selection_from_args(args)
    params = get_updated_cli_invocation_params_for_context(
        context=context, manifest={}, dagster_dbt_translator=TalentDbtTranslator(),
        runtime_selects=selects, runtime_excludes=excludes,
    )  # fmt: skip
    selection = list(params.selection_args)
    if params.indirect_selection and "--indirect-selection" not in cleaned:
        selection += ["--indirect-selection", params.indirect_selection]
    project_dir = Path(params.dbt_project.project_dir) if params.dbt_project else PROJECT_DIR
    worker = take_worker(settings, [*cleaned, *selection], project_dir=project_dir)
    return DbtCliInvocation(
        process=worker,
        manifest=params.manifest,
        dagster_dbt_translator=params.dagster_dbt_translator,
        project_dir=project_dir,
        target_path=dbt_target_path(settings),
        raise_on_error=True,
        cli_version=version.parse(importlib.metadata.version("dbt-core")),
        project=dbt_project(),
        context=context,
    )
