"""`talent`: the operators' and analysts' command line.

Heavy libraries (Dagster, dbt, Great Expectations) are imported inside the commands that need
them, so `talent --help` answers at once.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from orchestration.defaults import DEFAULT_LANDING, DEFAULT_WAREHOUSE

SAMPLE_PERSONS = 20_000
SAMPLE_SEED = 2025
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the build lock; retry later

app = typer.Typer(
    name="talent",
    help="Xinjiang high-skilled talent warehouse: refresh it, generate sample landings, read it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _as_of(value: str | None) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from exc


def _landing_is_empty(landing: Path) -> bool:
    return not landing.exists() or not any(
        p.is_file() and not p.name.startswith(".") for p in landing.rglob("*")
    )


@app.command()
def refresh(
    landing: Annotated[Path, typer.Option(help="Landing folder: <source>/<YYYY-MM-DD>/<file>.")] = Path(
        DEFAULT_LANDING
    ),
    warehouse: Annotated[Path, typer.Option(help="The published warehouse file analysts open.")] = Path(
        DEFAULT_WAREHOUSE
    ),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Run date YYYY-MM-DD (default: today, Asia/Shanghai).")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild the raw layer and every model from the landing folder.")
    ] = False,
    settle: Annotated[
        int | None,
        typer.Option(
            "--settle",
            help="Seconds a file must have been left unmodified to be read (default TALENT_SETTLE_SECONDS, "
            "else 300); younger files are deferred to the next run.",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show Dagster's step log and dbt's per-node log as they come.")
    ] = False,
) -> None:
    """Run the whole pipeline through the nightly Dagster job: ingest, dbt build, checks, publish.

    The landing folder must exist (a missing one is refused: a failed mount must not publish an
    empty warehouse). An empty one publishes what the ledger already holds, or an empty warehouse.
    It never generates data (`talent generate` does, `make refresh` calls it on an empty default landing
    folder). Exits 1 when the run failed (the
    published file is left as it was), 2 when the landing folder is missing, and 75 without
    starting when another run (the schedule, the Dagster UI, another refresh) holds the build lock.
    Shows a progress bar per stage and a summary; dbt's per-node log and library warnings go to
    log files in the build directory (named in the summary), or to the terminal with -v.
    """
    from orchestration.defs.dbt.invocation import prestart

    prestart()  # dbt's import starts on the other core now; the run tells it what to parse
    from rich.console import Console

    from orchestration.run import BuildBusy, report_failure
    from orchestration.run import refresh as run_refresh
    from orchestration.settings import WarehouseSettings
    from talent.console import ConsoleReporter, error_line, library_log, stderr_console, summary

    as_of_text = _as_of(as_of)
    settings = WarehouseSettings(
        landing_dir=str(landing.resolve()),
        warehouse_path=str(warehouse.resolve()),
        as_of=as_of_text,
        full_refresh=full_refresh,
        settle_seconds=settle if settle is not None else -1,
    )
    if not landing.is_dir():
        typer.echo(
            f"error: the landing folder {landing} does not exist (not mounted?); nothing was read and the "
            "published warehouse was left as it was. `talent generate --out DIR` writes a synthetic sample.",
            err=True,
        )
        _alerted(report_failure(settings, f"the landing folder {landing} does not exist (not mounted?)"))
        raise typer.Exit(2)
    console = stderr_console()
    try:
        with library_log(settings.build_dir, verbose) as library, ConsoleReporter(console, verbose) as shown:
            # without -v Dagster's own console log stays quiet: failures come back in the outcome,
            # by step and error class (its messages can quote rows of a landed file)
            outcome = run_refresh(
                settings, log_level="INFO" if verbose else "CRITICAL", reporter=shown, alert=True
            )
    except BuildBusy as exc:
        typer.echo(f"error: {exc}; this refresh was not started (try again when it has finished)", err=True)
        raise typer.Exit(EXIT_BUSY) from exc
    except Exception as exc:  # noqa: BLE001 - shown by class and place, never by its text
        typer.echo(f"error: the refresh stopped: {error_line(exc)}; the published warehouse was left as it was", err=True)
        _alerted(report_failure(settings, f"the refresh stopped: {error_line(exc)}"))
        raise typer.Exit(1) from None
    Console().print(summary(outcome, shown, settings, library))
    _alerted(outcome.deliveries)
    if not outcome.success:
        raise typer.Exit(1)
    typer.echo(f"warehouse: {settings.warehouse} (as of {settings.as_of_date})")
    if outcome.published and outcome.failed_checks:  # the report or a feed was not written beside it
        typer.echo("the warehouse is published, but the report or a feed beside it was not written "
                   "(the next run writes them again)", err=True)
        raise typer.Exit(3)


def _alerted(deliveries) -> None:
    """One line per alert channel: sent, or why not (the run's outcome does not depend on it)."""
    for d in deliveries:
        if d.ok:
            typer.echo(f"alert sent ({d.channel})", err=True)
        else:
            typer.echo(f"warning: the alert could not be sent ({d.channel}: {d.detail})", err=True)


@app.command()
def status(
    warehouse: Annotated[Path, typer.Option(help="The published warehouse file.")] = Path(DEFAULT_WAREHOUSE),
    max_age_hours: Annotated[
        float | None,
        typer.Option(help="Exit 1 when the published file is older than this (default TALENT_STALE_HOURS, else 30)."),
    ] = None,
) -> None:
    """Is the published warehouse current? For operators and monitoring systems.

    Prints the published file's as-of date and publish time, the last run and its outcome (failed
    step and checks), files landed but not loaded (deferred, rejected, with their reasons), the last
    night's quarantine against the nights before, and each source's latest export date against its
    cadence (TALENT_CADENCE_<SOURCE>). Exits 0 when the published file is fresh, 1 when it is older
    than --max-age-hours, 2 when there is no published file. The same facts are published in
    audit.refresh and audit.source_freshness.
    """
    from orchestration.settings import WarehouseSettings
    from talent.status import gather, render

    settings = WarehouseSettings(warehouse_path=str(warehouse.resolve()))
    state = gather(settings, max_age_hours)
    typer.echo(render(state, settings))
    if state.exit_code:
        raise typer.Exit(state.exit_code)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Landing folder to write (created if missing).")],
    persons: Annotated[int, typer.Option(help="Number of synthetic persons.")] = SAMPLE_PERSONS,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = SAMPLE_SEED,
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Only when OUT is missing or holds no file (what `make refresh` does)."),
    ] = False,
) -> None:
    """Write a synthetic, contract-messy landing folder plus _ground_truth/ground_truth.json.

    Each file is dated (modified) on its export day, as if copied in that day. Without --if-empty a
    previous generated landing in OUT is replaced; a folder holding other files is refused.
    """
    if if_empty and not _landing_is_empty(out):
        typer.echo(f"{out} holds files: left as it is (nothing generated)")
        return
    from synth import generate as synth

    truth = synth(out, persons=persons, seed=seed, progress=sys.stderr.isatty())
    rows = truth.get("sources", {}).get("certifications", {}).get("rows_landed")
    typer.echo(f"wrote {out} ({rows} certificate rows landed; ground truth in {out}/_ground_truth/)")


@app.command()
def bench(
    scale: Annotated[
        str,
        typer.Option(
            help="quick (tiny, for tests); sample (the embedded sample, and 1,000 small files); "
            "2m (2 million clean certificate rows in one CSV); region (8 million: slow, run it rarely)."
        ),
    ] = "sample",
    workdir: Annotated[Path, typer.Option(help="Where generated landings and warehouses go.")] = Path("data/bench"),
    output: Annotated[Path, typer.Option(help="Markdown file the results are written into.")] = Path("BENCHMARKS.md"),
    regenerate: Annotated[bool, typer.Option(help="Generate the landing even if one of this scale exists.")] = False,
    repeat: Annotated[
        int | None, typer.Option(help="Runs per measurement (default: the scale's: 3, 1 at quick).")
    ] = None,
) -> None:
    """Benchmark the refresh at a scale against the fair limit (DuckDB alone on the same file).

    Full refresh, nightly, same day on empty, nothing new, ingest alone, and bare copies of the clean
    CSV into a DuckDB table and into Parquet (the floors under ingest on this host); each run a child
    process, repeated, measured for wall time and peak memory (medians, with min - max); per-stage times and
    shares from Dagster's run events. Results go to OUTPUT (one section per scale, replaced on a re-run).
    """
    from talent.bench import SCALES, render, run_bench, write_markdown

    if scale not in SCALES:
        raise typer.BadParameter(f"scale must be one of {', '.join(SCALES)}")
    report = run_bench(
        scale, workdir.resolve(), regenerate=regenerate, say=lambda m: typer.echo(m, err=True), repeat=repeat
    )
    write_markdown(report, output)
    typer.echo(render(report))
    failed = [sc.label for sc in report.scenarios.values() if not sc.ok]
    if failed:
        typer.echo("failed runs: " + ", ".join(failed), err=True)
        raise typer.Exit(1)


export_app = typer.Typer(
    help="Exports: the marts as Parquet for other BI tools (from the published file), and the person-level "
    "lists with names and ID numbers (from the restricted store; needs the PII key; every export is logged).",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")


@export_app.command("marts")
def export_marts(
    out: Annotated[Path, typer.Option(help="Folder to write <mart>.parquet files into (created if missing).")],
    fmt: Annotated[str, typer.Option("--format", help="File format: parquet.")] = "parquet",
    public: Annotated[
        bool,
        typer.Option("--public", help="The public edition instead: small counts and what is built on them "
                     "suppressed (c), unavailable x, not applicable z; CSV beside each Parquet file."),
    ] = False,
    threshold: Annotated[
        int | None, typer.Option(help="With --public: counts below this are suppressed (default "
                                 "TALENT_PUBLIC_THRESHOLD, else 5).")
    ] = None,
    warehouse: Annotated[Path, typer.Option(help="The published warehouse file.")] = Path(DEFAULT_WAREHOUSE),
) -> None:
    """One Parquet file per mart of the published warehouse (or the public edition with --public).

    Each column's Chinese label and dbt description are in the Parquet field metadata. Every publish
    also writes them beside the published file: parquet/ and public/.
    """
    from publish.docs import DocsMissing, published_docs

    if fmt != "parquet":
        raise typer.BadParameter("only parquet is supported", param_hint="--format")
    if not warehouse.exists():
        typer.echo(f"error: {warehouse} does not exist: run `talent refresh` first", err=True)
        raise typer.Exit(2)
    try:
        docs = published_docs()
    except DocsMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if public:
        from publish.public import threshold_from_env, write_public

        files = write_public(warehouse, out, docs, threshold if threshold is not None else threshold_from_env())
    else:
        from publish.parquet import export_marts as write_marts

        files = write_marts(warehouse, out, docs)
    typer.echo(f"wrote {len(files)} files to {out}")


@export_app.command("eligibility")
def export_eligibility(
    year: Annotated[int, typer.Option(help="Year of the competition results and honours.")],
    out: Annotated[Path, typer.Option(help="The .xlsx file to write.")],
    warehouse: Annotated[
        Path, typer.Option(help="The published warehouse file; its build directory holds the lists.")
    ] = Path(DEFAULT_WAREHOUSE),
    who: Annotated[
        str | None, typer.Option(help="Who is exporting, for the export log (default: the login name).")
    ] = None,
    wait: Annotated[
        int, typer.Option(help="Seconds to wait for a running refresh to finish before giving up.")
    ] = 1800,
) -> None:
    """Persons entitled to a skill-level promotion or to apply directly for a senior title in YEAR.

    Names and ID numbers come from the restricted store, not the published file. The file is
    written with mode 0600.

    Needs TALENT_PII_KEY (or the key file). Each export is recorded, before the file appears, in the
    export log (append-only, hash-chained; `talent export verify-log` checks it) with --who and the
    OS account that ran it. During a refresh, the export waits for it to finish (up to --wait s).
    """
    import getpass

    from ingest.pii import PiiKeyMissing
    from orchestration.settings import WarehouseSettings
    from talent.export import ExportError
    from talent.export import export_eligibility as run_export

    if not who:
        try:
            who = getpass.getuser()
        except (KeyError, OSError) as exc:
            raise typer.BadParameter("cannot tell who you are: pass --who", param_hint="--who") from exc
    settings = WarehouseSettings(warehouse_path=str(warehouse.resolve()))
    try:
        rows = run_export(settings, year, out, who, wait=wait, say=lambda m: typer.echo(m, err=True))
    except (PiiKeyMissing, ExportError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"wrote {out}: {rows} entitlements of {year} (recorded in the export log)")


@export_app.command("verify-log")
def export_verify_log(
    warehouse: Annotated[
        Path, typer.Option(help="The published warehouse file; the export log is in its restricted folder.")
    ] = Path(DEFAULT_WAREHOUSE),
) -> None:
    """Check the export log's hash chain; exit 1 naming the first broken entry.

    When intact, prints the number of entries and the head hash (worth keeping elsewhere: a chain
    cannot show that its last entries were cut off).
    """
    from orchestration.settings import WarehouseSettings
    from talent.export_log import log_path, verify

    settings = WarehouseSettings(warehouse_path=str(warehouse.resolve()))
    result = verify(log_path(settings.restricted_dir))
    typer.echo(result.describe(), err=not result.intact)
    if not result.intact:
        raise typer.Exit(1)


@app.command()
def sql(
    query: Annotated[
        str | None,
        typer.Argument(help="The SQL to run; '-' reads it from standard input; none at a terminal opens a prompt."),
    ] = None,
    warehouse: Annotated[Path, typer.Option(help="The published warehouse file.")] = Path(DEFAULT_WAREHOUSE),
    csv_output: Annotated[bool, typer.Option("--csv", help="Print CSV (every row) instead of a table.")] = False,
) -> None:
    """Query the published warehouse the way analysts connect: read-only, blind to other files.

    The connection has enable_external_access = false and lock_configuration = true: no ATTACH, no
    read_csv of local files, no COPY TO, no extensions, and no SET to undo it. BI code gets the same
    connection from publish.access.connect_published(path).
    """
    from talent.sql import main

    code = main(warehouse, query, as_csv=csv_output)
    if code:
        raise typer.Exit(code)


@app.command()
def scorecard(
    year: Annotated[
        int | None, typer.Option(help="Year to show (default: the latest, the year of the as-of date).")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="A prefecture-level unit, by code (654000) or name (伊犁哈萨克自治州, 伊犁): every row that "
            "belongs to it; 650000 for the region-wide rows."
        ),
    ] = None,
    detail: Annotated[
        bool, typer.Option("--detail", help="One row per prefecture, carrier and institution instead of a summary.")
    ] = False,
    warehouse: Annotated[Path, typer.Option(help="The published warehouse file.")] = Path(DEFAULT_WAREHOUSE),
) -> None:
    """Print the policy scorecard from the published warehouse: each indicator (Chinese name and id),
    its value, target and status."""
    from rich.console import Console

    from talent.scorecard import ScorecardError, render_scorecard

    try:
        renderable = render_scorecard(warehouse, year, region, detail=detail)
    except ScorecardError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    Console().print(renderable)


if __name__ == "__main__":
    app()
