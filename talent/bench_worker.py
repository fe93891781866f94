"""One measured run in its own process, for `talent bench`: prints its result as one JSON line.

The benchmark runs every measured run as a child process so that its peak memory (the child's own
and that of the processes it waits for: dbt, the suite worker) and its wall time belong to that run
alone. Modes:

- ``refresh CONFIG``: `orchestration.run.refresh` with these WarehouseSettings fields, the dbt process
  started first (`invocation.prestart`), as `talent refresh` starts it;
- ``ingest CONFIG``: `ingest.load.ingest` alone on ``landing`` into a new build under ``root``;
- ``limit CONFIG``: the fair limit query on ``files`` as of ``as_of``;
- ``copy CONFIG``: the bare copy of ``path`` into a new database ``database``;
- ``parquet CONFIG``: the bare copy of ``path`` into a new Parquet file ``out``;
- ``clean``, ``small_files``, ``sample``: write the benchmark's data (`synth.clean`, `synth.generate`);
- ``marts CONFIG``: the headline counts of a published warehouse on an as-of date.
"""

import json
import logging
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path


def refresh(config: dict) -> dict:
    """What `talent refresh` runs, started the way it starts it: the dbt process first."""
    from orchestration.defs.dbt.invocation import prestart

    prestart()
    from orchestration.run import refresh as run_refresh
    from orchestration.settings import WarehouseSettings

    outcome = run_refresh(WarehouseSettings(**config), log_level="CRITICAL")
    return {**asdict(outcome), "ok": outcome.success}


def ingest(config: dict) -> dict:
    from ingest.load import close_build, connect_build, ingest
    from ingest.pii import resolve_key

    root = Path(config["root"])
    key = resolve_key(root / "keys" / "pii.key")
    con = connect_build(root / "build" / "build.duckdb", root / "restricted" / "restricted.duckdb", key)
    try:
        started = time.perf_counter()
        report = ingest(Path(config["landing"]), con, key, "bench-ingest")
        seconds = time.perf_counter() - started
    finally:
        close_build(con)
    return {
        "seconds": seconds,
        "files": report.new_files,
        "rows_landed": report.count("rows_landed"),
        "rows_loaded": report.count("rows_loaded"),
        "summary": report.summary(),
        "ok": report.count("rows_loaded") > 0,
    }


def limit(config: dict) -> dict:
    from talent.bench import run_fair_limit

    return run_fair_limit([Path(f) for f in config["files"]], date.fromisoformat(config["as_of"]))


def copy(config: dict) -> dict:
    from talent.bench import run_bare_copy

    return run_bare_copy(Path(config["path"]), Path(config["database"]))


def parquet(config: dict) -> dict:
    from talent.bench import run_parquet_copy

    return run_parquet_copy(Path(config["path"]), Path(config["out"]))


def clean(config: dict) -> dict:
    from synth.clean import write_clean_certifications

    day = config.get("issue_date")
    rows = write_clean_certifications(
        Path(config["path"]), config["rows"], start=config.get("start", 0), seed=config["seed"],
        issue_date=date.fromisoformat(day) if day else None, revoke=config.get("revoke", 0),
        revoke_below=config.get("revoke_below", 0),
    )
    return {"rows": rows}


def small_files(config: dict) -> dict:
    from synth.clean import write_small_files

    return {"rows": write_small_files(Path(config["landing"]), config["files"], config["rows_per_file"], seed=config["seed"])}


def sample(config: dict) -> dict:
    from synth import generate

    generate(Path(config["out"]), persons=config["persons"], seed=config["seed"], progress=False)
    return {}


def marts(config: dict) -> dict:
    from talent.bench import mart_counts

    return {"counts": mart_counts(Path(config["warehouse"]), date.fromisoformat(config["as_of"]))}


MODES = {
    "refresh": refresh, "ingest": ingest, "limit": limit, "copy": copy, "parquet": parquet, "clean": clean, "small_files": small_files,
    "sample": sample, "marts": marts,
}  # fmt: skip


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.ERROR)
    mode, config = argv[0], json.loads(argv[1])
    result = MODES[mode](config)
    print("BENCH-RESULT " + json.dumps(result, default=str))
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
