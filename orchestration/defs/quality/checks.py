"""Great Expectations suites as Dagster asset checks, next to the assets they check.

Each suite of :mod:`expectations.runner` becomes one check on the asset whose table it reads;
blocking suites stop everything downstream of that asset in the run, the publish included. The
raw-layer suites read only the rows no publish has tested yet (files the ledger records as loaded
after the last publish's last load: this night's, and those of a night that failed since).
"""


import dagster as dg

from expectations.runner import SUITES
from orchestration import progress
from orchestration.defs.guard import HeldBuildLock
from orchestration.settings import WarehouseSettings


def _asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(table.split("."))


def _describe(failure: dict) -> str:
    """One line per failed expectation: what, on which columns, a few offending values or rows."""
    where = ",".join(failure.get("columns") or [])
    example = failure.get("unexpected_values") or failure.get("unexpected_rows") or failure.get("error") or ""
    return f"{failure.get('frame')}: {failure.get('expectation')}({where}) {example}".strip()


def shown_failures(settings: WarehouseSettings, failed: list[dict]) -> list[dict]:
    """Failure examples as they may be shown (console, Dagster's run storage): values holding an ID
    number or equal to a landed person's name are redacted."""
    if not failed:
        return failed
    import duckdb

    from ingest.pii import PiiKeyMissing, resolve_key
    from ingest.redact import Redactor, redact_examples

    try:
        key = resolve_key(settings.key_file, create=False)
    except PiiKeyMissing:
        return redact_examples(failed, None)
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        return redact_examples(failed, Redactor(con, key))
    finally:
        con.close()


def _make_check(name: str, spec) -> dg.AssetChecksDefinition:
    tables = list(spec.tables)

    @dg.asset_check(
        asset=_asset_key(tables[0]),
        name=f"ge_{name}",
        blocking=spec.blocking,
        additional_deps=[_asset_key(t) for t in tables[1:]],
        description=spec.description,
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        settings: WarehouseSettings,
        build_lock: dg.ResourceParam[HeldBuildLock],
    ) -> dg.AssetCheckResult:
        from expectations.worker import run_suite_on
        from publish.state import tested_through

        shown = progress.reporter()
        shown.start("checks", total=len(SUITES))
        # raw-layer suites read the rows no publish has tested yet; the marts are checked whole
        result = run_suite_on(settings.build_db, name, tested_through(settings) if spec.untested_only else None)
        shown.advance("checks", detail=name)
        failed = shown_failures(settings, result.failed[:20])
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            description=None if result.success else "; ".join(_describe(f) for f in failed[:5]),
            metadata={
                "evaluated": dg.MetadataValue.int(result.evaluated),
                "failed": dg.MetadataValue.json(failed),
            },
        )

    return _check


quality_checks = [_make_check(name, spec) for name, spec in SUITES.items()]
