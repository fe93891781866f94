"""`talent`: the operators' and analysts' command line.

Heavy libraries (Dagster, dbt, Great Expectations) are imported inside the commands that need
them, so `talent --help` answers at once.
"""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from orchestration.settings import DEFAULT_LANDING, DEFAULT_WAREHOUSE

SAMPLE_PERSONS = 20_000
SAMPLE_SEED = 2025

app = typer.Typer(
    name="talent",
    help="Xinjiang high-skilled talent warehouse: refresh it, generate sample landings, read it.",
    no_args_is_help=True,
    add_completion=False,
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
) -> None:
    """Run the whole pipeline through the nightly Dagster job: ingest, dbt build, checks, publish.

    When the landing folder is empty, the embedded sample landing is generated into it first.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from orchestration.run import BuildBusy, refresh as run_refresh
    from orchestration.settings import WarehouseSettings

    as_of_text = _as_of(as_of)
    if _landing_is_empty(landing):
        typer.echo(f"{landing} is empty: generating the embedded sample ({SAMPLE_PERSONS} persons, seed {SAMPLE_SEED})")
        from ingest.synth import generate as synth

        synth(landing, persons=SAMPLE_PERSONS, seed=SAMPLE_SEED, progress=sys.stderr.isatty())
    settings = WarehouseSettings(
        landing_dir=str(landing.resolve()),
        warehouse_path=str(warehouse.resolve()),
        as_of=as_of_text,
        full_refresh=full_refresh,
    )
    try:
        outcome = run_refresh(settings)
    except BuildBusy as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(outcome.describe())
    if not outcome.success:
        typer.echo("the published warehouse was left as it was", err=True)
        raise typer.Exit(1)
    typer.echo(f"warehouse: {settings.warehouse} (as of {settings.as_of_date})")


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Landing folder to write (created if missing).")],
    persons: Annotated[int, typer.Option(help="Number of synthetic persons.")] = SAMPLE_PERSONS,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = SAMPLE_SEED,
) -> None:
    """Write a synthetic, contract-messy landing folder plus _ground_truth/ground_truth.json."""
    from ingest.synth import generate as synth

    truth = synth(out, persons=persons, seed=seed, progress=sys.stderr.isatty())
    rows = truth.get("sources", {}).get("certifications", {}).get("rows_landed")
    typer.echo(f"wrote {out} ({rows} certificate rows landed; ground truth in {out}/_ground_truth/)")


if __name__ == "__main__":
    app()
