"""What the tests share to build a warehouse by hand: the raw schema as ingest makes it, the helpers
that fill it (`key`, `load_id`, `insert`), `query`, the one way the tests run dbt, and
`fresh_python` for checks that need an interpreter no other test has touched.

The raw schema comes from the real `ingest.load.connect_build`, never from a copy of its DDL, so a
test's hand-made rows always sit in the tables and types ingest writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from ingest.pii import PiiKey

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
DBT = REPO / ".venv" / "bin" / "dbt"
TEST_PII_KEY = PiiKey(b"test-key-not-secret", "environment")
# The columns of raw.certifications in the order the hand-made rows of the tests give them.
CERTIFICATION_COLUMNS = (
    "load_id, source_file, file_name, export_date, row_number, certificate_no, person_key, gender, birth_date,"
    " occupation_code, occupation_name, skill_level, level_rank, issue_date, assessor_name, assessor_type,"
    " region_code, employer, employer_type, status"
)
# The ledger columns a hand-made ledger row gives (ingest adds file_mtime_ns and display_file).
LEDGER_14 = (
    "load_id, source, source_file, file_name, export_date, file_bytes, rows_landed, rows_loaded, "
    "rows_quarantined, status, message, duplicate_of, run_id, loaded_at"
)


def raw_schema(build_db: Path, key: PiiKey = TEST_PII_KEY, restricted_db: Path | None = None):
    """A connection to a new (or existing) build database whose schema `raw` is the one ingest makes:
    every source of the contract, the ledger, the quarantine, the build metadata (key fingerprint).
    The restricted store (attached as `restricted`) defaults to `restricted/` in the build folder."""
    from ingest.load import connect_build

    restricted_db = restricted_db or build_db.parent / "restricted" / "restricted.duckdb"
    return connect_build(build_db, restricted_db, key)


def key(text: str, pii_key: PiiKey = TEST_PII_KEY) -> str:
    """A person key as ingest makes it: HMAC-SHA256 of `text` under the test key."""
    return pii_key.hash_one(text)


def load_id(source_file: str) -> str:
    """A stand-in content hash for a landed file (64 hex characters, one per path)."""
    return hashlib.sha256(source_file.encode()).hexdigest()


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert dicts by column name (columns left out stay null), in one statement per column set."""
    by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(list(row.values()))
    for columns, values in by_columns.items():
        con.executemany(
            f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})", values
        )


def lineage(source_file: str, row_number: int) -> dict[str, Any]:
    """The lineage columns of a raw row of `<source>/<YYYY-MM-DD>/<file>`."""
    _, export_date, file_name = source_file.split("/")
    return {
        "load_id": load_id(source_file),
        "source_file": source_file,
        "file_name": file_name,
        "export_date": export_date,
        "row_number": row_number,
    }


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def dbt_command(
    args: list[str], db_path: Path, target: Path, *, dbt_vars: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `dbt <args>` on `db_path`, with its target folder and logs
    under `target`: the one way the tests call dbt (see run_dbt and start_dbt)."""
    environment = {
        **os.environ,
        "TALENT_BUILD_DB": str(db_path),
        "TALENT_DBT_TESTED_THROUGH": "",  # every row tested, unless the test says otherwise
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env or {}),
    }
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        "--vars",
        json.dumps(dict(dbt_vars)),
    ]
    return command, environment


def run_dbt(args: list[str], db_path: Path, work: Path, *, as_of: str, env: Mapping[str, str] | None = None):
    """`dbt <args>` on `db_path`, with target and logs under `work/target`, as of `as_of`; never raises."""
    command, environment = dbt_command(args, db_path, work / "target", dbt_vars={"as_of_date": as_of}, env=env)
    return subprocess.run(
        command, check=False, cwd=DBT_PROJECT, env=environment, capture_output=True, text=True, timeout=300
    )


def start_dbt(args: list[str], db_path: Path, target: Path, *, dbt_vars: Mapping[str, Any], env=None, stdout=None):
    """`dbt <args>` started in the background (a Popen); its output to `stdout`."""
    command, environment = dbt_command(args, db_path, target, dbt_vars=dbt_vars, env=env)
    return subprocess.Popen(command, cwd=DBT_PROJECT, env=environment, stdout=stdout, stderr=subprocess.STDOUT)


def failed_dbt_tests(target: Path, db: Path | None = None) -> set[tuple[str | None, str]]:
    """The tests a dbt invocation failed: (model, expression) for each failed row rule (the
    expression_is_true tests, and each broken expression of an expressions_are_true test, read
    from `db`), (model, test name) for other generic tests, (None, name) for singular ones."""
    return set(dbt_test_failures(target, db))


def dbt_test_failures(target: Path, db: Path | None = None) -> dict[tuple[str | None, str], int]:
    """The failing rows of each test a dbt invocation failed, keyed as in failed_dbt_tests (the
    counts of two failed tests with the same key add up). An expressions_are_true test is split by
    the expression each failing row broke, by running its compiled query on `db` again."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    failed: dict[tuple[str | None, str], int] = {}
    for result in results:
        if result["status"] != "fail":
            continue
        node = nodes[result["unique_id"]]
        metadata = node.get("test_metadata") or {}
        model = (node.get("attached_node") or "").split(".")[-1] or None
        if metadata.get("name") == "expressions_are_true":
            assert db is not None, f"{node['name']} failed: give the database to split it by expression"
            with duckdb.connect(str(db), read_only=True) as con:
                per_rule = con.execute(
                    f"select failed_expression, count(*) from ({result['compiled_code']}) group by all"
                ).fetchall()
            for expression, rows in per_rule:
                test = (model, " ".join(expression.split()))
                failed[test] = failed.get(test, 0) + rows
            continue
        if metadata.get("name") == "expression_is_true":
            test = (model, " ".join(metadata["kwargs"]["expression"].split()))
        else:
            test = (model, metadata.get("name") or node["name"])
        failed[test] = failed.get(test, 0) + result["failures"]
    return failed


def fresh_python(script: str) -> Any:
    """Run `script` in a new interpreter from the repository root; the JSON its last output line
    holds. For what a process-wide patch or import order decides (in pytest's process another test
    may have imported or patched first). Its error output is in the failure when it exits non-zero."""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def spoiled_copies(good: bytes, package: str) -> list[bytes]:
    """A file the warm dbt process keeps (`orchestration.defs.dbt.templates.KeptFile`), spoiled each
    way a reader must ignore: written by another version of `package`, damaged after its header,
    cut short, empty."""
    header_end = good.index(b"\n") + 1
    return [
        good.replace(f"{package}=".encode(), f"{package}=0.".encode(), 1),
        good[:header_end] + b"\x00not marshal",
        good[: len(good) // 2],
        b"",
    ]
