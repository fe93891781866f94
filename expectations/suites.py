"""Data-quality suites, written as data.

A suite is a list of `Frame`s. A frame is one DuckDB query against the build database and the Great
Expectations expectations its result must meet. Rules that span rows or tables (every unit present on
every date, region-wide equals the sum of the units, the load ledger balancing) are written as a
derived frame computed in SQL, so every rule stays a plain GE expectation on a plain DataFrame.

Vocabularies (prefecture codes, skill levels, ratio targets) come from the dbt seeds, the project's
single source of reference data. Great Expectations is imported inside the suite functions, never at
module import (it takes seconds to import).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"

REGION_CODE = "650000"  # region-wide rows of the marts
CERTIFICATE_STATUSES = ("有效", "撤销", "注销")
LEDGER_STATUSES = ("loaded", "rejected", "duplicate", "skipped", "deferred")
UNREAD_LEDGER_STATUSES = ("skipped", "deferred")  # files not read (yet): no load_id needed
BALANCED_LEDGER_STATUSES = ("loaded", "rejected")  # files whose rows are all either loaded or quarantined
TARGET_STATUSES = ("met", "on_track", "off_track", "no_data")
# Column names that would mean personal data got past ingest (English aliases and Chinese headers).
PERSONAL_COLUMNS = ("name", "id_number", "姓名", "公民身份号码", "身份证号", "身份证号码")
LINEAGE_COLUMNS = ("load_id", "source_file", "file_name", "export_date", "row_number")
CERTIFICATION_COLUMNS = (
    "certificate_no", "person_key", "gender", "birth_date", "occupation_code", "occupation_name",
    "skill_level", "level_rank", "issue_date", "assessor_name", "assessor_type", "region_code",
    "employer", "employer_type", "status",
)  # fmt: skip
EARLIEST_ISSUE_DATE = dt.datetime(1990, 1, 1)  # a datetime: GE compares it with pandas Timestamps
# Sources of the landing contract; each loads into raw.<source>, one row per loaded row.
RECONCILED_SOURCES = ("certifications", "trainings", "competitions", "honours", "carriers", "graduates")
# Tolerances for recomputed figures: the marts may round, the ratio to 4 and gap_pp to 1 decimal place.
RATIO_TOLERANCE = 0.5e-4 + 1e-9
GAP_PP_TOLERANCE = 0.05 + 1e-9
OCCUPATION_CODE_PATTERN = r"^\d-\d{2}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Frame:
    """One DuckDB query and the expectations its result must meet.

    `keys` are columns that locate a row in a failure report (never personal data). An expectation
    whose `meta` holds {"redact_values": True} is reported without its unexpected values.
    """

    name: str
    sql: str
    expectations: list[Any]
    keys: tuple[str, ...] = ()


# --- reference data from the dbt seeds -------------------------------------------------------------


@cache
def _seed(name: str) -> tuple[dict[str, str], ...]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def unit_codes() -> list[str]:
    """The prefecture-level units the marts report: the 14 prefectures and the 6590xx cities."""
    return [row["code"] for row in _seed("ref_prefectures")]


def skill_levels() -> list[tuple[str, int]]:
    """(skill_level, level_rank), lowest first."""
    return [(row["skill_level"], int(row["level_rank"])) for row in _seed("ref_skill_levels")]


def ratio_targets() -> list[tuple[str, float, int]]:
    """(indicator_id, target ratio, target year) of the ratio indicators tracked in mart_target_progress."""
    return [
        (row["indicator_id"], float(row["target_value"]), int(row["target_year"]))
        for row in _seed("ref_policy_targets")
        if row["measure"] == "high_skill_ratio"
    ]


def _sql_list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _gxe():
    import great_expectations.expectations as gxe

    return gxe


# --- suites -----------------------------------------------------------------------------------------


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def loaded_rows(table: str, run_id: str | None) -> str:
    """A raw source table as a FROM relation: all its rows, or only those one run loaded.

    A run's rows are those whose load_id is the content hash of a file the ledger records as
    `loaded` by that run (raw tables are append-only and a file's bytes load once), so the raw
    suites of a nightly run cost what that night landed, not the whole history.
    """
    if run_id is None:
        return table
    return (
        f"(select * from {table} where load_id in (select load_id from raw.load_ledger"
        f" where run_id = {_sql_text(run_id)} and status = 'loaded'))"
    )


def _values_of(table: str, *columns: str) -> str:
    """One row per distinct value (combination) of `columns`, with its row count and one example row.

    Validating the distinct values of a multi-million-row table instead of every row keeps a suite
    fast (GE's pandas engine checks ranges and value pairs row by row in Python); a failure then counts
    distinct values, and `source_file`/`row_number` point at an example row of each.
    """
    cols = ", ".join(columns)
    return (
        f"select {cols}, count(*) as row_count, arg_min(source_file, row_number) as source_file,"
        f" min(row_number) as row_number from {table} group by {cols}"
    )


EXAMPLE_ROW = ("source_file", "row_number")


def raw_certifications(run_id: str | None = None) -> list[Frame]:
    gxe = _gxe()
    levels = skill_levels()
    table = loaded_rows("raw.certifications", run_id)
    return [
        Frame(
            "columns",
            "select column_name from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'certifications'",
            [
                gxe.ExpectColumnValuesToNotBeInSet(
                    column="column_name",
                    value_set=list(PERSONAL_COLUMNS),
                    description="raw.certifications has no personal-data column (name, id_number)",
                ),
                gxe.ExpectColumnDistinctValuesToContainSet(
                    column="column_name",
                    value_set=list(LINEAGE_COLUMNS + CERTIFICATION_COLUMNS),
                    description="raw.certifications has the lineage and canonical columns",
                ),
            ],
        ),
        Frame(
            "rows",
            f"select source_file, row_number, certificate_no, person_key from {table}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="certificate_no", meta={"redact_values": True}),
                gxe.ExpectColumnValuesToNotBeNull(column="person_key", meta={"redact_values": True}),
                gxe.ExpectColumnValuesToMatchRegex(
                    column="person_key",
                    regex=r"^[0-9a-f]{64}$",
                    description="person_key is 64 lower-case hex characters (HMAC-SHA256)",
                    meta={"redact_values": True},
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "skill_levels",
            _values_of(table, "skill_level", "level_rank"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="skill_level"),
                gxe.ExpectColumnValuesToBeInSet(column="skill_level", value_set=[lv for lv, _ in levels]),
                gxe.ExpectColumnValuesToNotBeNull(column="level_rank"),
                gxe.ExpectColumnValuesToBeBetween(column="level_rank", min_value=0, max_value=7),
                gxe.ExpectColumnPairValuesToBeInSet(
                    column_A="skill_level",
                    column_B="level_rank",
                    value_pairs_set=levels,
                    description="level_rank is the seed's rank of skill_level",
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "statuses",
            _values_of(table, "status"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="status"),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(CERTIFICATE_STATUSES)),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "regions",
            _values_of(table, "region_code"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="region_code"),
                gxe.ExpectColumnValuesToMatchRegex(column="region_code", regex=r"^65\d{4}$"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="region_code",
                    value_set=unit_codes(),
                    description="region_code is a unit of ref_prefectures (county codes rolled up)",
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "issue_dates",
            _values_of(table, "issue_date"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="issue_date"),
                gxe.ExpectColumnValuesToBeBetween(column="issue_date", min_value=EARLIEST_ISSUE_DATE),
            ],
            keys=EXAMPLE_ROW,
        ),
    ]


def raw_certifications_advisory(run_id: str | None = None) -> list[Frame]:
    """Warnings from the reference notes: worth a look, never a reason to stop publishing."""
    gxe = _gxe()
    table = loaded_rows("raw.certifications", run_id)
    return [
        Frame(
            "occupation_codes",
            _values_of(table, "occupation_code"),
            [
                gxe.ExpectColumnValuesToMatchRegex(
                    column="occupation_code",
                    regex=OCCUPATION_CODE_PATTERN,
                    description="occupation_code, when present, has the 2022 classification format D-DD-DD-DD",
                )
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            # Current-format numbers: Y or S and 21 digits, the 16th digit the level (1 = 高级技师 ..
            # 5 = 初级工, i.e. 6 - level_rank).
            "certificate_level_digits",
            _values_of(
                f"(select source_file, row_number, substr(certificate_no, 17, 1) as level_digit,"
                f" (6 - level_rank)::varchar as expected_level_digit from {table}"
                " where regexp_full_match(upper(certificate_no), '[YS][0-9]{21}') and level_rank between 1 and 5)",
                "level_digit",
                "expected_level_digit",
            ),
            [
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="level_digit",
                    column_B="expected_level_digit",
                    description="the level digit of a current-format certificate number matches skill_level",
                )
            ],
            keys=EXAMPLE_ROW,
        ),
    ]


def mart_high_skill_ratio() -> list[Frame]:
    gxe = _gxe()
    units = unit_codes()
    mart = "marts.mart_high_skill_ratio"
    return [
        Frame(
            "rows",
            "select as_of_date, region_code, skilled_persons, high_skilled_persons, high_skill_ratio"
            f" from {mart}",
            [
                gxe.ExpectTableRowCountToBeBetween(
                    min_value=1,
                    description="the mart is not empty (the day of the run is always an as-of date)",
                ),
                gxe.ExpectColumnValuesToNotBeNull(column="as_of_date"),
                gxe.ExpectColumnValuesToNotBeNull(column="region_code"),
                gxe.ExpectColumnValuesToBeInSet(column="region_code", value_set=[REGION_CODE, *units]),
                gxe.ExpectCompoundColumnsToBeUnique(column_list=["as_of_date", "region_code"]),
                gxe.ExpectColumnValuesToNotBeNull(column="skilled_persons"),
                gxe.ExpectColumnValuesToNotBeNull(column="high_skilled_persons"),
                gxe.ExpectColumnValuesToBeBetween(column="high_skilled_persons", min_value=0),
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="skilled_persons",
                    column_B="high_skilled_persons",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                    description="high-skilled persons never outnumber skilled persons",
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="high_skill_ratio",
                    min_value=0,
                    max_value=1,
                    description="the ratio is a share (null when there are no skilled persons)",
                ),
            ],
            keys=("as_of_date", "region_code"),
        ),
        Frame(
            "ratio_arithmetic",
            "select as_of_date, region_code,"
            " abs(high_skill_ratio - high_skilled_persons / nullif(skilled_persons, 0)) as ratio_error,"
            " high_skill_ratio is null as ratio_is_null,"
            " coalesce(skilled_persons, 0) = 0 as has_no_skilled_persons"
            f" from {mart}",
            [
                gxe.ExpectColumnValuesToBeBetween(
                    column="ratio_error",
                    min_value=0,
                    max_value=RATIO_TOLERANCE,
                    description="high_skill_ratio = high_skilled_persons / skilled_persons",
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="ratio_is_null",
                    column_B="has_no_skilled_persons",
                    description="the ratio is null exactly when there are no skilled persons",
                ),
            ],
            keys=("as_of_date", "region_code"),
        ),
        Frame(
            "unit_coverage",
            f"with dates as (select distinct as_of_date from {mart} where as_of_date is not null),"
            f" expected as (select unnest({_sql_list([REGION_CODE, *units])}) as region_code),"
            f" present as (select distinct as_of_date, region_code from {mart})"
            " select d.as_of_date, e.region_code, p.region_code is not null as present"
            " from dates d cross join expected e"
            " left join present p on p.as_of_date = d.as_of_date and p.region_code = e.region_code",
            [
                gxe.ExpectColumnValuesToBeInSet(
                    column="present",
                    value_set=[True],
                    description="every as-of date has a row for 650000 and for every unit of ref_prefectures",
                )
            ],
            keys=("as_of_date", "region_code"),
        ),
        Frame(
            "region_vs_units",
            f"with region as (select * from {mart} where region_code = '{REGION_CODE}'),"
            " units as (select as_of_date, sum(skilled_persons)::bigint as skilled_persons,"
            "  sum(high_skilled_persons)::bigint as high_skilled_persons"
            f"  from {mart} where region_code <> '{REGION_CODE}' group by as_of_date)"
            " select coalesce(r.as_of_date, u.as_of_date) as as_of_date,"
            " r.skilled_persons as region_skilled_persons, u.skilled_persons as units_skilled_persons,"
            " r.high_skilled_persons as region_high_skilled_persons,"
            " u.high_skilled_persons as units_high_skilled_persons"
            " from region r full join units u on u.as_of_date = r.as_of_date",
            [
                # A date missing either side is reported by unit_coverage, not twice.
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="region_skilled_persons",
                    column_B="units_skilled_persons",
                    ignore_row_if="either_value_is_missing",
                    description="region-wide skilled persons = sum over the units",
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="region_high_skilled_persons",
                    column_B="units_high_skilled_persons",
                    ignore_row_if="either_value_is_missing",
                    description="region-wide high-skilled persons = sum over the units",
                ),
            ],
            keys=("as_of_date",),
        ),
    ]


def mart_target_progress() -> list[Frame]:
    gxe = _gxe()
    units = unit_codes()
    targets = ratio_targets()
    indicator_ids = [indicator_id for indicator_id, _, _ in targets]
    mart = "marts.mart_target_progress"
    return [
        Frame(
            "rows",
            "select indicator_id, region_code, target_year, target_ratio, latest_ratio, gap_pp, status"
            f" from {mart}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="indicator_id"),
                gxe.ExpectColumnValuesToBeInSet(column="indicator_id", value_set=indicator_ids),
                gxe.ExpectColumnValuesToNotBeNull(column="region_code"),
                gxe.ExpectColumnValuesToBeInSet(column="region_code", value_set=[REGION_CODE, *units]),
                gxe.ExpectCompoundColumnsToBeUnique(column_list=["indicator_id", "region_code"]),
                gxe.ExpectColumnValuesToNotBeNull(column="status"),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(TARGET_STATUSES)),
                gxe.ExpectColumnPairValuesToBeInSet(
                    column_A="indicator_id",
                    column_B="target_ratio",
                    value_pairs_set=[(i, ratio) for i, ratio, _ in targets],
                    description="target_ratio is the seed's target of the indicator",
                ),
                gxe.ExpectColumnPairValuesToBeInSet(
                    column_A="indicator_id",
                    column_B="target_year",
                    value_pairs_set=[(i, year) for i, _, year in targets],
                    description="target_year is the seed's target year of the indicator",
                ),
                gxe.ExpectColumnValuesToBeBetween(column="latest_ratio", min_value=0, max_value=1),
            ],
            keys=("indicator_id", "region_code"),
        ),
        Frame(
            "coverage",
            f"with expected as (select i.indicator_id, r.region_code"
            f"  from unnest({_sql_list(indicator_ids)}) i(indicator_id)"
            f"  cross join unnest({_sql_list([REGION_CODE, *units])}) r(region_code)),"
            f" present as (select distinct indicator_id, region_code from {mart})"
            " select e.indicator_id, e.region_code, p.region_code is not null as present"
            " from expected e left join present p"
            " on p.indicator_id = e.indicator_id and p.region_code = e.region_code",
            [
                gxe.ExpectColumnValuesToBeInSet(
                    column="present",
                    value_set=[True],
                    description="both ratio indicators have a row for 650000 and for every unit",
                )
            ],
            keys=("indicator_id", "region_code"),
        ),
        Frame(
            "gap_arithmetic",
            "select indicator_id, region_code,"
            " abs(gap_pp - 100 * (target_ratio - latest_ratio)) as gap_pp_error,"
            " gap_pp is null as gap_pp_is_null, latest_ratio is null as latest_ratio_is_null,"
            " status = 'no_data' as status_is_no_data"
            f" from {mart}",
            [
                gxe.ExpectColumnValuesToBeBetween(
                    column="gap_pp_error",
                    min_value=0,
                    max_value=GAP_PP_TOLERANCE,
                    description="gap_pp = 100 * (target_ratio - latest_ratio), in percentage points",
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="gap_pp_is_null",
                    column_B="latest_ratio_is_null",
                    description="gap_pp is null exactly when latest_ratio is",
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="status_is_no_data",
                    column_B="latest_ratio_is_null",
                    description="status is no_data exactly when latest_ratio is null",
                ),
            ],
            keys=("indicator_id", "region_code"),
        ),
    ]


def ledger_reconciliation(run_id: str | None = None) -> list[Frame]:
    """The ledger balances: every landed row loaded or quarantined, and raw and quarantine agree.

    With a run id, the per-file balances cover the files that run read; raw and quarantine rows
    are counted for those files and for any load id or file no earlier run accounts for (an
    orphan, wherever it came from, still fails), so a night's check does not count the history.
    """
    from great_expectations.expectations.row_conditions import Column

    gxe = _gxe()
    balanced = _sql_list(BALANCED_LEDGER_STATUSES)
    this_run = "true" if run_id is None else f"run_id = {_sql_text(run_id)}"
    # load ids and files whose rows an earlier run's ledger rows account for
    earlier_load_ids = (
        "false" if run_id is None else
        f"load_id in (select load_id from raw.load_ledger where list_contains({balanced}, status)"
        f" and load_id is not null and run_id is distinct from {_sql_text(run_id)})"
    )
    earlier_files = (
        "false" if run_id is None else
        f"(load_id, source_file) in (select load_id, source_file from raw.load_ledger"
        f" where list_contains({balanced}, status) and load_id is not null"
        f" and run_id is distinct from {_sql_text(run_id)})"
    )
    raw_counts = " union all ".join(
        f"select '{source}' as source, load_id, count(*) as raw_rows from raw.{source}"
        f" where not coalesce({earlier_load_ids}, false) group by load_id"
        for source in RECONCILED_SOURCES
    )
    return [
        Frame(
            "ledger",
            "select source_file, load_id, status, rows_landed, rows_loaded, rows_quarantined"
            " from raw.load_ledger",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="source_file"),
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["source_file", "load_id"],
                    description="one ledger row per landed file version (path and content)",
                ),
                gxe.ExpectColumnValuesToNotBeNull(
                    column="load_id",
                    row_condition=Column("status").is_not_in(UNREAD_LEDGER_STATUSES),
                    description="every file read has a load_id (a skipped or deferred file is not read)",
                ),
                gxe.ExpectColumnValuesToNotBeNull(column="status"),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(LEDGER_STATUSES)),
                gxe.ExpectColumnValuesToBeBetween(column="rows_landed", min_value=0),
                gxe.ExpectColumnValuesToBeBetween(column="rows_loaded", min_value=0),
                gxe.ExpectColumnValuesToBeBetween(column="rows_quarantined", min_value=0),
            ],
            keys=("source_file",),
        ),
        Frame(
            "file_balance",
            "select source_file, rows_landed, rows_loaded + rows_quarantined as rows_loaded_or_quarantined"
            f" from raw.load_ledger where list_contains({balanced}, status) and {this_run}",
            [
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="rows_loaded_or_quarantined",
                    column_B="rows_landed",
                    description="every landed row of a loaded or rejected file is loaded or quarantined",
                )
            ],
            keys=("source_file",),
        ),
        Frame(
            "quarantine_vs_ledger",
            f"with ledger as (select load_id, source_file, rows_quarantined from raw.load_ledger"
            f"  where list_contains({balanced}, status) and {this_run}),"
            " quarantined as (select load_id, source_file, count(distinct row_number) as rows"
            f"  from raw.quarantine where not coalesce({earlier_files}, false) group by load_id, source_file)"
            " select coalesce(l.source_file, q.source_file) as source_file,"
            " l.rows_quarantined as ledger_rows_quarantined, coalesce(q.rows, 0) as quarantine_distinct_rows"
            " from ledger l full join quarantined q on q.load_id = l.load_id and q.source_file = l.source_file",
            [
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="ledger_rows_quarantined",
                    column_B="quarantine_distinct_rows",
                    description="the ledger's rows_quarantined = distinct quarantined rows of the file"
                    " (a quarantined file without a loaded/rejected ledger row fails too)",
                )
            ],
            keys=("source_file",),
        ),
        Frame(
            "raw_vs_ledger",
            f"with ledger as (select source, source_file, load_id, rows_loaded from raw.load_ledger"
            f"  where list_contains({balanced}, status) and {this_run}"
            f"  and list_contains({_sql_list(RECONCILED_SOURCES)}, source)),"
            f" raw_counts as ({raw_counts})"
            " select coalesce(l.source, r.source) as source, l.source_file, coalesce(l.load_id, r.load_id) as load_id,"
            " l.rows_loaded as ledger_rows_loaded, coalesce(r.raw_rows, 0) as raw_rows"
            " from ledger l full join raw_counts r on r.source = l.source and r.load_id = l.load_id",
            [
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="ledger_rows_loaded",
                    column_B="raw_rows",
                    description="the raw table holds rows_loaded rows of each loaded file"
                    " (raw rows whose load_id has no loaded ledger row fail too)",
                )
            ],
            keys=("source", "source_file", "load_id"),
        ),
    ]


# --- frames shared by the suites of every raw source ------------------------------------------------


def raw_columns_frame(table: str, canonical: tuple[str, ...]) -> Frame:
    """raw.<table> has its lineage and canonical columns and no personal-data column."""
    gxe = _gxe()
    return Frame(
        "columns",
        "select column_name from information_schema.columns"
        f" where table_schema = 'raw' and table_name = '{table}'",
        [
            gxe.ExpectColumnValuesToNotBeInSet(
                column="column_name",
                value_set=list(PERSONAL_COLUMNS),
                description=f"raw.{table} has no personal-data column (name, id_number)",
            ),
            gxe.ExpectColumnDistinctValuesToContainSet(
                column="column_name",
                value_set=list(LINEAGE_COLUMNS + canonical),
                description=f"raw.{table} has the lineage and canonical columns",
            ),
        ],
    )


def raw_regions_frame(table: str) -> Frame:
    """raw.<table>.region_code is set and a unit of the reference divisions."""
    gxe = _gxe()
    return Frame(
        "regions",
        _values_of(table, "region_code"),
        [
            gxe.ExpectColumnValuesToNotBeNull(column="region_code"),
            gxe.ExpectColumnValuesToBeInSet(
                column="region_code",
                value_set=unit_codes(),
                description="region_code is a unit of ref_prefectures (county codes rolled up)",
            ),
        ],
        keys=EXAMPLE_ROW,
    )
