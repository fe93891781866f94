"""Run a data-quality suite against the build database: the one runner of every suite.

The suites are data (`expectations/suites/<suite>.yml`, read by :mod:`expectations.spec`). Each
frame of a suite is pulled from DuckDB into pandas (via Arrow) and validated with an
ephemeral Great Expectations context: one pandas datasource, one dataframe asset, one whole-dataframe
batch definition, created once per process. GE's SQL datasource is not used (duckdb-engine does not
work with SQLAlchemy 2.1).

`SUITES` is the registry orchestration turns into asset checks: per suite, the tables it reads (the
first is the table the suite is about), and whether a failure blocks publishing. The raw-layer
suites (`rows: untested`) can be given the load time the published warehouse was tested through:
they then read only the rows of files loaded after it (the ledger knows them); the mart suites
always read the whole mart.

Importing Great Expectations costs seconds (~8 s on a 2-core machine): :mod:`expectations.worker`
runs the suites in a process of its own that imports it while the rest of a refresh starts. A
process without a worker imports it at its first suite, in the thread that runs it: never in a
background thread, where it would race the caller's own imports (Python 3.11 can hand one of two
threads importing the same modules a half-initialised module; a night failed with an empty
expectation registry that way).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from expectations.spec import Frame, SuiteSpec, load_suites

MAX_EXAMPLES = 5  # unexpected values and rows reported per failed expectation


SUITES: dict[str, SuiteSpec] = load_suites()


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int  # expectations evaluated
    failed: list[dict[str, Any]]  # one item per failed expectation (or frame whose query failed)


_lock = threading.Lock()  # a GE context is not meant to be shared by concurrent validations
_context_lock = threading.Lock()  # one thread creates the context; the others wait for it


def _batch_definition():
    with _context_lock:
        return _create_batch_definition()


@cache
def _create_batch_definition():
    """The ephemeral GE context's whole-dataframe batch definition, created once per process."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GE fingerprints every pandas batch below HASH_THRESHOLD bytes (twice per validation); the
    # fingerprint is batch metadata we never use, and on a few million rows of strings it costs most
    # of the run time and over a gigabyte of memory. Zero turns it off.
    pandas_execution_engine.HASH_THRESHOLD = 0

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("build_db").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def run_suite(con: duckdb.DuckDBPyConnection, suite_name: str, tested_through: str | None = None) -> SuiteResult:
    """Validate every frame of a suite against an open DuckDB connection to the build database.

    With `tested_through` (a load time), a raw-layer suite reads only the rows of files loaded after
    it (:func:`expectations.spec.loaded_rows`); mart suites ignore it.
    """
    import great_expectations as gx

    frames = SUITES[suite_name](tested_through)
    batch_definition = _batch_definition()
    evaluated = 0
    failed: list[dict[str, Any]] = []
    for frame in frames:
        try:
            df = _fetch(con, frame.sql)
        except duckdb.Error as exc:  # a missing table or column is a failed check, not a crash
            failed.append({"frame": frame.name, "expectation": "query", "error": _first_line(exc)})
            continue
        # no query text of the unexpected rows (unused here): building it copies the whole frame
        # (1.4 s of the 4.4 s that the raw certificates suite took at 8 M rows)
        result_format = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": MAX_EXAMPLES,
            "return_unexpected_index_query": False,
        }
        if frame.keys:
            result_format["unexpected_index_column_names"] = list(frame.keys)
        suite = gx.ExpectationSuite(name=f"{suite_name}.{frame.name}", expectations=frame.expectations)
        with _lock:
            validation = batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(
                suite, result_format=result_format
            )
        evaluated += validation.statistics["evaluated_expectations"]
        failed.extend(_failure(frame, r) for r in validation.results if not r.success)
    return SuiteResult(suite=suite_name, success=not failed, evaluated=evaluated, failed=failed)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str):
    """The query's result as a pandas DataFrame, by way of Arrow.

    Arrow is several times faster and lighter than `.df()` on millions of rows (which goes through
    Python objects). Integer and boolean columns holding NULLs arrive as object columns of Python
    values and None (GE's pandas metrics cannot take the truth value of pd.NA); decimals and hugeints
    become float64 (as `.df()` makes them), so they compare equal to the seeds' floats; dates become
    datetime64.
    """
    import pyarrow as pa

    table = con.sql(sql).to_arrow_table()
    schema = pa.schema(
        [f.with_type(pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema]
    )
    return table.cast(schema).to_pandas(date_as_object=False, integer_object_nulls=True)


def _failure(frame: Frame, result) -> dict[str, Any]:
    config = result.expectation_config
    kwargs = config.kwargs
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    columns += list(kwargs.get("column_list") or [])
    details = result.result or {}
    item: dict[str, Any] = {"frame": frame.name, "expectation": config.type, "columns": columns}
    if config.description:
        item["description"] = config.description
    if "unexpected_count" in details:
        item["unexpected_count"] = int(details["unexpected_count"])
        if not (config.meta or {}).get("redact_values"):
            item["unexpected_values"] = [_plain(v) for v in details.get("partial_unexpected_list", [])]
        if frame.keys:
            item["unexpected_rows"] = [
                {k: _plain(row.get(k)) for k in frame.keys}
                for row in details.get("partial_unexpected_index_list", [])
                if isinstance(row, dict)
            ]
    if details.get("observed_value") is not None:
        item["observed_value"] = _plain(details["observed_value"])
    if details.get("partial_missing_list"):  # expected values absent from the column
        item["missing_values"] = _plain(details["partial_missing_list"])
    if details.get("details"):
        item["details"] = _plain(details["details"])
    exception = result.exception_info or {}
    errors = [exception] if "raised_exception" in exception else list(exception.values())
    messages = [
        e.get("exception_message") for e in errors if isinstance(e, dict) and e.get("raised_exception")
    ]
    if messages:
        item["error"] = _first_line(messages[0])
    return item


def _plain(value: Any) -> Any:
    """JSON-friendly: numpy scalars to Python, timestamps at midnight to ISO dates, NaN/NaT/NA to None."""
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # None, NaN, NaT, pd.NA
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    return value


def _first_line(message: Any) -> str:
    text = str(message).strip()
    return text.splitlines()[0] if text else type(message).__name__
