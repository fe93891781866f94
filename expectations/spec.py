"""The suites as data: `expectations/suites/<suite>.yml` read into `SuiteSpec`s and `Frame`s.

One YAML file per suite (one Dagster asset check), about one table. A suite lists *frames*: a
DuckDB query against the build database and the Great Expectations expectations its result must
meet, each written as GE's expectation type and keyword arguments. Nothing here is specific to a
suite; :mod:`expectations.runner` runs them all the same way.

```yaml
description: what the check guards (shown in Dagster)
table: raw.certifications        # the asset the check is on
reads: [raw.quarantine]           # further tables its queries read (dependencies of the check)
rows: untested                    # $table: the rows no publish has tested yet; marts: `all` (default)
blocking: true                    # a failure stops the publish
values:                           # named values, usable in kwargs ("$name") and in SQL ($name)
  units: {seed: [ref_region, ref_prefectures], column: code}
frames:
  - name: skill_levels
    from: distinct                # rows | distinct | columns | sql
    select: [skill_level, level_rank]
    expect:
      - type: expect_column_pair_values_to_be_in_set
        column_A: skill_level
        column_B: level_rank
        value_pairs_set: {seed: ref_skill_levels, columns: [skill_level, level_rank], types: {level_rank: int}}
```

Frame kinds (`$table` is the suite's table, or its rows no publish has tested yet):
- `rows`: ``select <select> from $table [where <where>]``;
- `distinct`: one row per distinct value (combination) of `select`, with its row count and one
  example row (`source_file`, `row_number`: the default `keys`): a multi-million-row table costs
  what its distinct values cost, and a failure names an example row;
- `columns`: the table's column names (`column_name`), from information_schema;
- `sql`: the frame's own `sql`, with `$table`, the named values and the run fragments of
  :func:`untested_fragments`.

Value references (in `values` and in expectation kwargs): `{seed: name | [names], column: c}` (a
list), `{seed: ..., columns: [a, b]}` (a list of pairs), with `where: {column: value | [values]}`
and `types: {column: int | float}`; `{contract: source.column}` (a closed vocabulary of
:mod:`ingest.contract`); `{const: name}` (:data:`CONSTANTS`); any of them with `plus: [...]`.
Expectation keys other than `type`, `description` and `meta` are GE's kwargs. `meta:
{redact_values: true}` reports failures without their values (they might be personal data).
"""

from __future__ import annotations

import csv
import datetime as dt
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"

EXAMPLE_ROW = ("source_file", "row_number")
CONSTANTS: dict[str, tuple[str, ...]] = {
    # Column names that would mean personal data got past ingest (English aliases and Chinese headers).
    "personal_columns": ("name", "id_number", "姓名", "公民身份号码", "身份证号", "身份证号码"),
    # ...and what an aggregate must not carry either: the pseudonymous key and the birth date.
    "non_aggregate_columns": ("name", "id_number", "姓名", "公民身份号码", "身份证号", "身份证号码", "person_key", "birth_date"),
    "lineage_columns": ("load_id", "source_file", "file_name", "export_date", "row_number"),
    # Sources of the landing contract; each loads into raw.<source>, one row per loaded row.
    "reconciled_sources": ("certifications", "trainings", "competitions", "honours", "carriers", "graduates"),
}
_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str}


@dataclass(frozen=True)
class Frame:
    """One DuckDB query and the Great Expectations expectations its result must meet.

    `keys` are columns that locate a row in a failure report (never personal data).
    """

    name: str
    sql: str
    expectations: list[Any]
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    tables: tuple[str, ...]  # tables read; the first is the one the suite checks
    blocking: bool  # a failure stops the publish step
    description: str
    # given the load time the published warehouse was tested through, `$table` is only the rows of
    # files loaded after it; they are found in raw.load_ledger, which is not listed in `tables` (the
    # rows are chosen there, not checked; and listing it would make the blocking ledger check and
    # these gate each other)
    untested_only: bool = False
    frames: tuple[dict[str, Any], ...] = ()
    values: dict[str, Any] = field(default_factory=dict)

    def __call__(self, tested_through: str | None = None) -> list[Frame]:
        """The suite's frames with their SQL rendered and their expectations built (imports GE).

        `tested_through`: see :func:`loaded_rows` (None: every row)."""
        # the package first: its import ends by registering the core expectations, and importing it
        # waits for a thread that is importing it still (the registry module alone is ready sooner)
        import great_expectations  # noqa: F401
        from great_expectations.expectations.registry import get_expectation_impl

        tested_through = tested_through if self.untested_only else None
        values = {name: resolve(ref) for name, ref in self.values.items()}
        fragments = {
            "table": loaded_rows(self.tables[0], tested_through),
            **{name: sql_literal(value) for name, value in values.items()},
            **untested_fragments(tested_through),
        }
        frames = []
        for frame in self.frames:
            expectations = []
            for item in frame["expect"]:
                kwargs = {k: _kwarg(v, values) for k, v in item.items() if k != "type"}
                expectations.append(get_expectation_impl(item["type"])(**kwargs))
            default_keys = EXAMPLE_ROW if frame["from"] == "distinct" else ()
            frames.append(
                Frame(
                    frame["name"],
                    string.Template(_sql(self.tables[0], frame)).substitute(fragments),
                    expectations,
                    tuple(frame.get("keys", default_keys)),
                )
            )
        return frames


def _sql(table: str, frame: dict[str, Any]) -> str:
    kind = frame["from"]
    where = f" where {frame['where']}" if frame.get("where") else ""
    if kind == "sql":
        return frame["sql"].strip()
    if kind == "columns":
        schema, name = table.split(".")
        return (
            "select column_name from information_schema.columns"
            f" where table_schema = '{schema}' and table_name = '{name}'"
        )
    select = ", ".join(frame["select"])
    if kind == "rows":
        return f"select {select} from $table{where}"
    if kind == "distinct":
        return (
            f"select {select}, count(*) as row_count, arg_min(source_file, row_number) as source_file,"
            f" min(row_number) as row_number from $table{where} group by all"
        )
    raise ValueError(f"unknown frame kind {kind!r}")


def _kwarg(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)  # GE compares it with pandas Timestamps
    if isinstance(value, str) and value.startswith("$") and value[1:] in values:
        return values[value[1:]]
    if isinstance(value, dict) and ({"seed", "contract", "const"} & value.keys()):
        return resolve(value)
    return value


# --- references ------------------------------------------------------------------------------------


@cache
def seed_rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of a dbt seed (the project's single source of reference data), as text."""
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def resolve(ref: Any) -> Any:
    """A value reference (see the module docstring) as a plain list; anything else as it is."""
    if not isinstance(ref, dict):
        return ref
    if "const" in ref:
        values: list[Any] = list(CONSTANTS[ref["const"]])
    elif "contract" in ref:
        from ingest import contract

        source, column = ref["contract"].split(".")
        values = list(contract.SOURCES[source].column(column).values)
    elif "seed" in ref:
        seeds = [ref["seed"]] if isinstance(ref["seed"], str) else ref["seed"]
        rows = [row for seed in seeds for row in seed_rows(seed) if _matches(row, ref.get("where", {}))]
        types = {c: _TYPES[t] for c, t in ref.get("types", {}).items()}

        def typed(row: dict[str, str], column: str) -> Any:
            return types.get(column, str)(row[column])

        if "columns" in ref:
            values = [tuple(typed(row, c) for c in ref["columns"]) for row in rows]
        else:
            values = [typed(row, ref["column"]) for row in rows]
    else:
        raise ValueError(f"not a value reference: {ref!r}")
    return values + list(ref.get("plus", []))


def _matches(row: dict[str, str], where: dict[str, Any]) -> bool:
    return all(row[c] in ([v] if isinstance(v, str) else v) for c, v in where.items())


def sql_literal(value: Any) -> str:
    """A Python value as a DuckDB literal: a list as a list, a tuple as a row, text quoted."""
    if isinstance(value, list):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(sql_literal(v) for v in value) + ")"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return "null" if value is None else repr(value)


# --- the rows no publish has tested yet ------------------------------------------------------------


def _after(tested_through: str) -> str:
    """`tested_through` (a load time, ``raw.load_ledger.loaded_at``) as a timestamp literal."""
    try:
        dt.datetime.fromisoformat(tested_through)
    except ValueError:
        raise ValueError(f"tested_through must be a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff]), got {tested_through!r}") from None
    return f"timestamp {sql_literal(tested_through)}"


def loaded_rows(table: str, tested_through: str | None) -> str:
    """A table as a FROM relation: all its rows, or only those no publish has tested yet.

    `tested_through` is the last load time (``raw.load_ledger.loaded_at``) of the build the
    published warehouse was made from (``last_publish.json``), whose checks passed. The untested
    rows are those whose load_id is the content hash of a file the ledger records as `loaded`
    after it (raw tables are append-only and a file's bytes load once): on a night after a publish,
    what that night loaded; after a night that failed, its rows too, so a blocking check that
    failed fails again until the data is fixed (dbt's staging tests read the same rows). A suite
    then costs what has landed since the last publish, not the whole history.
    """
    if tested_through is None:
        return table
    return (
        f"(select * from {table} where load_id in (select load_id from raw.load_ledger"
        f" where status = 'loaded' and loaded_at > {_after(tested_through)}))"
    )


BALANCED_LEDGER_STATUSES = ("loaded", "rejected")  # files whose rows are all either loaded or quarantined


def untested_fragments(tested_through: str | None) -> dict[str, str]:
    """SQL conditions for the ledger reconciliation of the files no publish has tested yet (all
    true/false without `tested_through`: every file).

    - `$untested`: a ledger row recorded after `tested_through` (or without a load time);
    - `$tested_load_ids`: a row whose load_id a tested loaded/rejected ledger row accounts for;
    - `$tested_files`: the same for a (load_id, source_file) pair.
    A night's check then balances the files loaded since the last publish and still counts every
    orphan row, wherever it came from.
    """
    if tested_through is None:
        return {"untested": "true", "tested_load_ids": "false", "tested_files": "false"}
    after, balanced = _after(tested_through), sql_literal(list(BALANCED_LEDGER_STATUSES))
    accounted = (
        f"from raw.load_ledger where list_contains({balanced}, status) and load_id is not null"
        f" and loaded_at <= {after}"
    )
    return {
        "untested": f"coalesce(loaded_at > {after}, true)",
        "tested_load_ids": f"coalesce(load_id in (select load_id {accounted}), false)",
        "tested_files": f"coalesce((load_id, source_file) in (select load_id, source_file {accounted}), false)",
    }


# --- the registry --------------------------------------------------------------------------------------


def load_suite(path: Path) -> SuiteSpec:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"description", "table", "reads", "rows", "blocking", "values", "frames"}
    if unknown:
        raise ValueError(f"{path.name}: unknown keys {sorted(unknown)}")
    if data.get("rows", "all") not in ("all", "untested"):
        raise ValueError(f"{path.name}: rows is 'all' or 'untested'")
    for frame in data["frames"]:
        if frame["from"] not in ("rows", "distinct", "columns", "sql") or not frame.get("expect"):
            raise ValueError(f"{path.name}: frame {frame.get('name')} needs a known `from` and expectations")
    return SuiteSpec(
        name=path.stem,
        tables=(data["table"], *data.get("reads", ())),
        blocking=bool(data["blocking"]),
        description=" ".join(data["description"].split()),
        untested_only=data.get("rows", "all") == "untested",
        frames=tuple(data["frames"]),
        values=data.get("values", {}),
    )


def load_suites(directory: Path = SUITES_DIR) -> dict[str, SuiteSpec]:
    """Every suite of the folder, in file-name order."""
    return {spec.name: spec for spec in map(load_suite, sorted(directory.glob("*.yml")))}
