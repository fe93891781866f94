"""The dbt project end to end on a hand-made raw schema.

A dozen certificate rows cover corrections, revocations, same-day ties, moves between prefectures and
both age bounds. The expected marts below were worked out by hand from those rows (see PERSONS); dbt
runs once for the module (`dbt build`, which seeds, runs, and runs every data and unit test).
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests import support
from tests.support import CERTIFICATION_COLUMNS, LEDGER_14, dbt_test_failures, key, load_id, query, raw_schema

AS_OF = "2025-06-30"

REGION = "650000"
N_UNITS = 26  # ref_prefectures: 14 prefectures + 12 region-administered cities


# person -> birth date. Ages on the as-of dates are what the bounds test.
PERSONS = {
    "P1": date(1990, 5, 1),
    "P2": date(1985, 1, 1),
    "P3": date(2000, 2, 1),
    "P4": date(2009, 6, 30),  # 15 at 2024-12-31, 16 exactly on 2025-06-30: counts only then
    "P5": date(2009, 7, 1),  # 15 on 2025-06-30: never counts
    "P6": date(1964, 6, 30),  # 60 at 2024-12-31, 61 exactly on 2025-06-30: drops out then
    "P7": date(1965, 7, 1),  # 59 on 2025-06-30 (60 the day after): counts
    "P8": date(1995, 3, 3),
    "P9": date(1992, 12, 12),
    "P10": date(1980, 1, 1),
    "P11": date(1980, 1, 1),
}

LEVELS = {1: "初级工", 2: "中级工", 3: "高级工", 4: "技师", 5: "高级技师"}

# (export date, file name, certificate, person, rank, issue date, region, status), in file order.
CERTIFICATE_ROWS = [
    # C01: two files of the same export date; b.csv applies after a.csv and moves it to 650100
    ("2022-12-01", "a.csv", "C01", "P1", 3, "2022-03-10", "654000", "有效"),
    ("2022-12-01", "a.csv", "C02", "P2", 2, "2022-06-01", "650100", "有效"),
    ("2022-12-01", "a.csv", "C07", "P6", 5, "2022-08-01", "653100", "有效"),
    ("2022-12-01", "b.csv", "C01", "P1", 3, "2022-03-10", "650100", "有效"),
    # C04: landed as 初级工 in 650100, corrected a month later to 中级工 in 659001
    ("2023-05-01", "roster.csv", "C04", "P3", 1, "2023-04-01", "650100", "有效"),
    ("2023-05-01", "roster.csv", "C08", "P7", 4, "2023-02-01", "653100", "有效"),
    ("2023-05-01", "roster.csv", "C14", "P10", 3, "2023-01-01", "650100", "注销"),
    ("2023-06-01", "roster.csv", "C04", "P3", 2, "2023-04-01", "659001", "有效"),
    # P8: two certificates the same day; the higher level (C10, 650100) sets the prefecture
    ("2023-10-01", "roster.csv", "C09", "P8", 2, "2023-09-09", "654000", "有效"),
    ("2023-10-01", "roster.csv", "C10", "P8", 3, "2023-09-09", "650100", "有效"),
    # C03: P2's 技师, revoked in 2025 (which restates the 2024 year end too)
    ("2024-06-01", "roster.csv", "C03", "P2", 4, "2024-05-01", "654000", "有效"),
    # P9: same day, same level; the lower region code (650100) wins
    ("2024-06-01", "roster.csv", "C12", "P9", 2, "2024-03-03", "654000", "有效"),
    ("2024-06-01", "roster.csv", "C13", "P9", 2, "2024-03-03", "650100", "有效"),
    ("2024-11-01", "roster.csv", "C05", "P4", 1, "2024-09-01", "650100", "有效"),
    # P8: a later, lower certificate moves them to 659001 and keeps rank 3
    ("2024-11-01", "roster.csv", "C11", "P8", 1, "2024-10-10", "659001", "有效"),
    ("2025-02-01", "revocations.csv", "C03", "P2", 4, "2024-05-01", "654000", "撤销"),
    ("2025-02-01", "revocations.csv", "C06", "P5", 2, "2025-01-15", "650100", "有效"),
    ("2025-04-01", "roster.csv", "C15", "P11", 3, "2025-03-01", "654000", "有效"),
]

# mart_high_skill_ratio, worked out by hand: (as_of_date, region_code) -> (skilled, high-skilled).
# Units not listed have 0 / 0 on that date.
EXPECTED_COUNTS = {
    # P1 (H, 650100), P2 (650100), P6 (H, 653100)
    ("2022-12-31", REGION): (3, 2),
    ("2022-12-31", "650100"): (2, 1),
    ("2022-12-31", "653100"): (1, 1),
    # + P3 (659001), P7 (H, 653100), P8 (H, 650100); P10 only ever cancelled
    ("2023-12-31", REGION): (6, 4),
    ("2023-12-31", "650100"): (3, 2),
    ("2023-12-31", "653100"): (2, 2),
    ("2023-12-31", "659001"): (1, 0),
    # + P9 (650100); P8 moved to 659001; P2 still 中级工 (技师 revoked); P4 only 15
    ("2024-12-31", REGION): (7, 4),
    ("2024-12-31", "650100"): (3, 1),
    ("2024-12-31", "653100"): (2, 2),
    ("2024-12-31", "659001"): (2, 1),
    # + P4 (16 today, 650100), P11 (H, 654000); - P6 (61 today); P5 only 15
    (AS_OF, REGION): (8, 4),
    (AS_OF, "650100"): (4, 1),
    (AS_OF, "653100"): (1, 1),
    (AS_OF, "659001"): (2, 1),
    (AS_OF, "654000"): (1, 1),
}
AS_OF_DATES = ["2022-12-31", "2023-12-31", "2024-12-31", AS_OF]
LOADED_AT = "2025-06-30 01:00:00"

def build_raw(db_path: Path) -> None:
    """Write the hand-made raw schema into a new DuckDB file, lineage and ledger included."""
    certifications, rows_per_file = [], {}
    for export_date, file_name, cert, person, rank, issued, region, status in CERTIFICATE_ROWS:
        source_file = f"certifications/{export_date}/{file_name}"
        rows_per_file[source_file] = rows_per_file.get(source_file, 0) + 1
        row_number = rows_per_file[source_file] + 1  # the CSV header is row 1
        lineage = (load_id(source_file), source_file, file_name, export_date, row_number)
        certificate = (cert, key(person), "男", PERSONS[person], "6-18-02-04", "焊工", LEVELS[rank], rank)
        rest = (issued, "某评价机构", "企业自主评价", region, None, None, status)
        certifications.append(lineage + certificate + rest)

    # the last file also had a row with a bad ID number, quarantined; the same bytes landed again
    # under another name (a duplicate) and another file was rejected whole: they load nothing
    bad_row_file = "certifications/2025-04-01/roster.csv"
    ledger = [
        ledger_row(path, rows + (path == bad_row_file), rows, "loaded")
        for path, rows in rows_per_file.items()
    ]
    ledger += [
        ledger_row("certifications/2025-04-02/copy.csv", 0, 0, "duplicate", same_bytes_as=bad_row_file),
        ledger_row("certifications/2025-04-03/old.csv", 3, 0, "rejected"),
    ]
    # a file that is not .csv or .xlsx is skipped unread: no content hash
    skipped = ledger_row("certifications/2025-04-03/说明.txt", 0, 0, "skipped")
    ledger.append((None, *skipped[1:]))
    quarantine = [
        (
            load_id(bad_row_file),
            "certifications",
            bad_row_file,
            "2025-04-01",
            4,
            "id_number",
            "check digit does not match",
            None,
            "run-1",
            LOADED_AT,
        ),
    ]
    with raw_schema(db_path) as con:  # every source of the contract, as ingest creates it
        for table, columns, rows in [
            ("certifications", CERTIFICATION_COLUMNS, certifications),
            ("load_ledger", LEDGER_14, ledger),
            ("quarantine", "", quarantine),
        ]:
            columns = f" ({columns})" if columns else ""
            con.executemany(f"insert into raw.{table}{columns} values ({', '.join(['?'] * len(rows[0]))})", rows)


def ledger_row(source_file: str, landed: int, loaded: int, status: str, same_bytes_as: str | None = None):
    _, export_date, file_name = source_file.split("/")
    return (
        load_id(same_bytes_as or source_file),
        "certifications",
        source_file,
        file_name,
        export_date,
        1000,
        landed,
        loaded,
        landed - loaded if status == "loaded" else 0,
        status,
        "missing required column 技能等级" if status == "rejected" else None,
        same_bytes_as,
        "run-1",
        LOADED_AT,
    )


def run_dbt(args: list[str], db_path: Path, work: Path, **kwargs) -> subprocess.CompletedProcess:
    return support.run_dbt(args, db_path, work, as_of=AS_OF, **kwargs)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """Build the warehouse once: raw schema by hand, then `dbt build` (seeds, models, all tests)."""
    work = tmp_path_factory.mktemp("dbt_build")
    db_path = work / "build.duckdb"
    build_raw(db_path)
    result = run_dbt(["build"], db_path, work)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return db_path, work


def test_every_node_passes_without_warnings(built):
    _, work = built
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    # exposures (dbt_project/models/_exposures.yml) are in a build's results with status no-op: nothing to run
    results = [r for r in results if not r["unique_id"].startswith("exposure.")]
    assert {r["status"] for r in results} <= {"success", "pass"}, [
        (r["unique_id"], r["status"]) for r in results if r["status"] not in ("success", "pass")
    ]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 8


def test_schemas_are_used_verbatim(built):
    db_path, _ = built
    schemas = {s for (s,) in query(db_path, "select distinct table_schema from information_schema.tables")}
    assert {"raw", "staging", "intermediate", "marts", "reference"} <= schemas


def test_as_of_dates(built):
    db_path, _ = built
    rows = query(
        db_path,
        "select cast(as_of_date as varchar), is_year_end from intermediate.int_as_of_dates order by 1",
    )
    assert rows == [(d, d != AS_OF) for d in AS_OF_DATES]


def test_person_keys_are_stored_uncompressed_where_a_row_holds_one_per_certificate(built):
    """raw.certifications (ingest's DDL) and the two models with a row per certificate or period
    (their contract's custom constraint) declare person_key without compression, and raw.certifications
    its certificate_no too: full refreshes write millions of these keys, one a row, and compressing
    them costs much of the write for little."""
    db_path, _ = built
    ddl = dict(query(
        db_path,
        "select schema_name || '.' || table_name, sql from duckdb_tables()"
        " where table_name in ('certifications', 'int_certificates_latest', 'int_person_standing_periods')",
    ))
    assert set(ddl) == {"raw.certifications", "intermediate.int_certificates_latest", "intermediate.int_person_standing_periods"}
    for table, sql in ddl.items():
        assert "person_key VARCHAR USING COMPRESSION Uncompressed" in sql, table
        # and in raw.certifications its natural key, one a row; the other columns compress as DuckDB sees fit
        assert sql.count("USING COMPRESSION") == (2 if table == "raw.certifications" else 1), table
    assert "certificate_no VARCHAR USING COMPRESSION Uncompressed" in ddl["raw.certifications"]


def test_certificates_latest_applies_corrections_and_revocations(built):
    db_path, _ = built
    rows = {
        cert: (region, rank, valid, versions)
        for cert, region, rank, valid, versions in query(
            db_path,
            "select certificate_no, region_code, level_rank, is_valid, landed_versions"
            " from intermediate.int_certificates_latest",
        )
    }
    assert len(rows) == 15
    assert rows["C01"] == ("650100", 3, True, 2)
    assert rows["C04"] == ("659001", 2, True, 2)
    assert rows["C03"] == ("654000", 4, False, 2)
    assert rows["C14"][2] is False


def test_high_skill_ratio_counts(built):
    db_path, _ = built
    rows = query(
        db_path,
        "select cast(as_of_date as varchar), region_code, skilled_persons, high_skilled_persons,"
        " high_skill_ratio, is_year_end from marts.mart_high_skill_ratio",
    )
    assert len(rows) == len(AS_OF_DATES) * (N_UNITS + 1)
    for as_of, region, skilled, high, ratio, is_year_end in rows:
        assert (skilled, high) == EXPECTED_COUNTS.get((as_of, region), (0, 0)), (as_of, region)
        assert ratio == (high / skilled if skilled else None)
        assert is_year_end == (as_of != AS_OF)
    names = dict(query(db_path, "select distinct region_code, region_name from marts.mart_high_skill_ratio"))
    assert names[REGION] == "新疆维吾尔自治区"
    assert names["654000"] == "伊犁哈萨克自治州"
    assert len(names) == N_UNITS + 1


def mart_columns(db_path: Path, table: str) -> list[tuple[str, str]]:
    return query(
        db_path,
        "select column_name, data_type from information_schema.columns"
        f" where table_schema = 'marts' and table_name = '{table}' order by ordinal_position",
    )


def test_mart_contract_types(built):
    db_path, _ = built
    assert mart_columns(db_path, "mart_high_skill_ratio") == [
        ("as_of_date", "DATE"),
        ("region_code", "VARCHAR"),
        ("region_name", "VARCHAR"),
        ("skilled_persons", "BIGINT"),
        ("high_skilled_persons", "BIGINT"),
        ("high_skill_ratio", "DOUBLE"),
        ("is_year_end", "BOOLEAN"),
    ]
    assert mart_columns(db_path, "mart_target_progress") == [
        ("indicator_id", "VARCHAR"),
        ("region_code", "VARCHAR"),
        ("region_name", "VARCHAR"),
        ("target_year", "INTEGER"),
        ("target_ratio", "DOUBLE"),
        ("latest_as_of_date", "DATE"),
        ("latest_ratio", "DOUBLE"),
        ("skilled_persons", "BIGINT"),
        ("high_skilled_persons", "BIGINT"),
        ("gap_pp", "DOUBLE"),
        ("trend_pp_per_year", "DOUBLE"),
        ("projected_ratio", "DOUBLE"),
        ("on_track", "BOOLEAN"),
        ("additional_high_skilled_needed", "BIGINT"),
        ("status", "VARCHAR"),
    ]


def test_target_progress(built):
    db_path, _ = built
    rows = {
        (indicator, region): rest
        for indicator, region, *rest in query(
            db_path,
            "select indicator_id, region_code, cast(latest_as_of_date as varchar), skilled_persons,"
            " high_skilled_persons, additional_high_skilled_needed, status, on_track"
            " from marts.mart_target_progress",
        )
    }
    assert len(rows) == 2 * (N_UNITS + 1)
    assert {indicator for indicator, _ in rows} == {"HS-RATIO-2027", "HS-RATIO-2035"}
    assert {r[0] for r in rows.values()} == {AS_OF}
    # region-wide: 4 of 8 high-skilled, both targets met
    assert rows[("HS-RATIO-2027", REGION)] == [AS_OF, 8, 4, 0, "met", True]
    assert rows[("HS-RATIO-2035", REGION)] == [AS_OF, 8, 4, 0, "met", True]
    # 乌鲁木齐: 1 of 4 meets 25 % exactly; 30 % needs ceil(1.2 - 1) = 1 more, and the year-end
    # trend (1/2, 2/3, 1/3) falls, so it is off track
    assert rows[("HS-RATIO-2027", "650100")] == [AS_OF, 4, 1, 0, "met", True]
    assert rows[("HS-RATIO-2035", "650100")] == [AS_OF, 4, 1, 1, "off_track", False]
    statuses = [r[4] for r in rows.values()]
    assert statuses.count("no_data") == 2 * (N_UNITS - 4)
    assert statuses.count("met") == 9
    assert statuses.count("off_track") == 1


def test_target_progress_trend(built):
    db_path, _ = built
    [(trend, projected, gap)] = query(
        db_path,
        "select trend_pp_per_year, projected_ratio, gap_pp from marts.mart_target_progress"
        " where indicator_id = 'HS-RATIO-2035' and region_code = '650100'",
    )
    # least squares over the year ends 2022-2024: (1/3 - 1/2) / 2 per year
    assert trend == pytest.approx((1 / 3 - 1 / 2) / 2 * 100)
    assert projected == 0.0  # 0.25 - 0.083 x 10.5 years, clamped at 0
    assert gap == pytest.approx(5.0)


RATIO_ARITHMETIC = (
    "coalesce(abs(high_skill_ratio - high_skilled_persons / nullif(skilled_persons, 0)) <= 0.000050001, true)"
)
GAP_ARITHMETIC = "coalesce(abs(gap_pp - 100 * (target_ratio - latest_ratio)) <= 0.050000001, true)"


def test_dbt_tests_own_the_rules_on_the_models_rows(built, tmp_path):
    """Each rule on the rows of mart_high_skill_ratio and mart_target_progress fails its dbt test
    on a spoiled copy of the build, on exactly the rows spoiled; rounding within the tolerances
    (a ratio to 4 places, gap_pp to 1) passes."""
    db_path, _ = built
    copy = tmp_path / "build.duckdb"
    copy.write_bytes(db_path.read_bytes())
    with duckdb.connect(str(copy)) as con:
        at = f"as_of_date = '{AS_OF}'"
        # the region's 4 of 8 is 0.5, not 0.45; 乌鲁木齐's 0.25 within the rounding tolerance
        con.execute(f"update marts.mart_high_skill_ratio set high_skill_ratio = 0.45 where {at} and region_code = '{REGION}'")
        con.execute(f"update marts.mart_high_skill_ratio set high_skill_ratio = 0.25004 where {at} and region_code = '650100'")
        progress = "update marts.mart_target_progress set {} where indicator_id = '{}' and region_code = '{}'"
        con.execute(progress.format("gap_pp = -gap_pp", "HS-RATIO-2027", REGION))  # -25 pp, not +25
        con.execute(progress.format("gap_pp = gap_pp + 0.04", "HS-RATIO-2035", "650100"))  # rounded: passes
        con.execute(progress.format("target_year = 2030", "HS-RATIO-2035", REGION))  # not the seed's year
        con.execute(progress.format("region_code = '659999'", "HS-RATIO-2035", "659001"))  # no such unit
        # a gap without a ratio (both units without skilled persons)
        con.execute(progress.format("gap_pp = 0", "HS-RATIO-2027", "659002"))
        con.execute(progress.format("gap_pp = 0", "HS-RATIO-2035", "659002"))
        [(no_data,)] = con.execute(
            "select count(*) from marts.mart_target_progress where region_code = '659002' and latest_ratio is null"
        ).fetchall()
        assert no_data == 2
    result = run_dbt(["test", "--select", "mart_high_skill_ratio", "mart_target_progress"], copy, tmp_path)
    assert result.returncode == 1
    assert dbt_test_failures(tmp_path / "target", copy) == {
        ("mart_high_skill_ratio", RATIO_ARITHMETIC): 1,
        ("mart_target_progress", GAP_ARITHMETIC): 1,
        ("mart_target_progress", "(gap_pp is null) = (latest_ratio is null)"): 2,
        ("mart_target_progress", "values_in_reference"): 1,  # the tuple (HS-RATIO-2035, 2030, 0.3)
        ("mart_target_progress", "relationships"): 1,  # region_code 659999
        (None, "assert_target_progress_covers_every_target_and_unit"): 1,  # (HS-RATIO-2035, 659001)
    }


def test_staging_tests_read_only_rows_not_yet_tested_when_told(built, tmp_path):
    """TALENT_DBT_TESTED_THROUGH (the last publish's load time): staging tests skip older rows."""
    db_path, _ = built
    copy = tmp_path / "build.duckdb"
    copy.write_bytes(db_path.read_bytes())
    new_file = "certifications/2025-07-01/day.csv"
    with duckdb.connect(str(copy)) as con:
        # an old row gone bad (as if it had slipped past an earlier night) ...
        con.execute("update raw.certifications set birth_date = null where certificate_no = 'C02'")
        # ... and a new file, loaded after the last publish, with a good row
        con.execute(
            f"insert into raw.certifications ({CERTIFICATION_COLUMNS}) select '{load_id(new_file)}', '{new_file}', 'day.csv',"
            " date '2025-07-01', 2, 'C99', person_key, gender, birth_date, occupation_code, occupation_name,"
            " skill_level, level_rank, issue_date, assessor_name, assessor_type, region_code, employer,"
            " employer_type, status from raw.certifications where certificate_no = 'C01' limit 1"
        )
        row = ledger_row(new_file, 1, 1, "loaded")
        con.execute(
            "insert into raw.load_ledger (" + LEDGER_14 + ") values (" + ", ".join(["?"] * len(row)) + ")",
            [*row[:-1], "2025-07-01 02:00:00"],
        )
    not_null = ["test", "--select", "stg_raw__certifications,test_name:not_null_columns"]
    target = tmp_path / "target"

    def null_columns() -> list[tuple]:
        """The failing rows of the last run's not_null test: (column, rows with a null there)."""
        compiled = next(target.glob("compiled/**/not_null_stg_raw__certifications.sql")).read_text()
        with duckdb.connect(str(copy), read_only=True) as con:
            return con.execute(compiled).fetchall()

    told = {"TALENT_DBT_TESTED_THROUGH": LOADED_AT}
    result = run_dbt(not_null, copy, tmp_path, env=told)
    assert result.returncode == 0, result.stdout[-3000:]
    assert dbt_test_failures(target) == {}

    result = run_dbt(not_null, copy, tmp_path, env={"TALENT_DBT_TESTED_THROUGH": ""})  # a full refresh: every row
    assert result.returncode == 1
    assert dbt_test_failures(target) == {("stg_raw__certifications", "not_null_columns"): 1}
    assert null_columns() == [("birth_date", 1)]

    with duckdb.connect(str(copy)) as con:  # the new row is bad too: caught however it is told
        con.execute(f"update raw.certifications set birth_date = null where source_file = '{new_file}'")
        con.execute(f"update raw.certifications set level_rank = null where source_file = '{new_file}'")
    result = run_dbt(not_null, copy, tmp_path, env=told)
    assert result.returncode == 1
    assert dbt_test_failures(target) == {("stg_raw__certifications", "not_null_columns"): 2}  # the new row's two nulls
    assert sorted(null_columns()) == [("birth_date", 1), ("level_rank", 1)]


def test_key_tests_of_incremental_models_read_the_keys_the_last_run_recomputed(built, tmp_path):
    """`__last_run__`: a unique test of an incremental model reads the rows of the keys its latest
    run wrote, an older row left behind beside them included, and no other key. When every row has
    the same loaded_through (a full refresh, a first build) that is every row, and the test reads
    the table without the semi join that finds those keys."""
    db_path, _ = built
    copy = tmp_path / "build.duckdb"
    copy.write_bytes(db_path.read_bytes())
    table = "intermediate.int_certificates_latest"
    unique = ["test", "--select", "unique_int_certificates_latest_certificate_no"]
    target = tmp_path / "target"

    def compiled() -> str:
        return next(target.glob("compiled/**/unique_int_certificates_latest_certificate_no.sql")).read_text()

    with duckdb.connect(str(copy)) as con:  # the build wrote every row: a duplicate anywhere is found
        assert con.execute(f"select count(distinct loaded_through) from {table}").fetchall() == [(1,)]
        con.execute(f"insert into {table} select * from {table} where certificate_no = 'C02'")
    result = run_dbt(unique, copy, tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert dbt_test_failures(target) == {("int_certificates_latest", "unique"): 1}
    assert "max(loaded_through)" not in compiled()

    with duckdb.connect(str(copy)) as con:  # a later run recomputed C01 only; C02 is an older key
        con.execute(f"update {table} set loaded_through = loaded_through - interval 1 day")
        con.execute(f"update {table} set loaded_through = loaded_through + interval 1 day where certificate_no = 'C01'")
    result = run_dbt(unique, copy, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]  # C02's duplicate is not the last run's key
    assert "max(loaded_through)" in compiled()

    with duckdb.connect(str(copy)) as con:  # an older C01 row left behind beside the recomputed one
        con.execute(
            f"insert into {table} select * replace (loaded_through - interval 1 day as loaded_through)"
            f" from {table} where certificate_no = 'C01'"
        )
    result = run_dbt(unique, copy, tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert dbt_test_failures(target) == {("int_certificates_latest", "unique"): 1}
