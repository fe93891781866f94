"""The data-quality suites on a small hand-built build database.

Good data passes every suite; each kind of bad data fails exactly the expectation written for it.
Great Expectations is imported once, by the first suite run of the session.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from expectations import SUITES, SuiteResult, run_suite
from expectations.spec import CONSTANTS
from tests.support import CERTIFICATION_COLUMNS, LEDGER_14, insert, lineage, raw_schema

ROOT = Path(__file__).resolve().parents[2]
L1, L2 = "a" * 64, "b" * 64  # load ids (sha256 of the file bytes)
FILE_A = "certifications/2024-01-05/a.csv"
FILE_B = "certifications/2024-02-01/b.xlsx"
L_TRAININGS, FILE_T = "d" * 64, "trainings/2024-01-05/t.csv"


def _person_key(n: int) -> str:
    return f"{n:064x}"


def _certificate_no(level_digit: int, serial: int) -> str:
    """Current format: Y and 21 digits, the 16th of which is the level digit."""
    return f"Y{serial:015d}{level_digit}{0:05d}"


def _fill_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Rows in the raw schema ingest made (tests.support.raw_schema)."""
    # rows 2, 3 and 5 of a.csv loaded; row 4 quarantined (two problems in it)
    certificates = [
        (2, _certificate_no(3, 1), _person_key(1), "6-18-02-04", "高级工", 3, "2021-05-01", "650100", "有效"),
        (3, "S-OLD-0042", _person_key(2), None, "初级工", 1, "1998-03-02", "659001", "撤销"),
        (
            5,
            _certificate_no(1, 2),
            _person_key(3),
            "6-31-01-03",
            "高级技师",
            5,
            "2024-11-30",
            "654300",
            "有效",
        ),
    ]
    con.executemany(
        f"insert into raw.certifications ({CERTIFICATION_COLUMNS}) values (?, ?, 'a.csv', date '2024-01-05', ?, ?, ?, '男',"
        " date '1985-06-01', ?, '焊工', ?, ?, ?::date, '某评价机构', '技工院校', ?, '某公司', '民营企业', ?)",
        [(L1, FILE_A, *row) for row in certificates],
    )
    # only the lineage columns matter here
    insert(con, "raw.trainings", [{**lineage(FILE_T, n), "load_id": L_TRAININGS, "person_key": _person_key(9)} for n in (2, 3)])
    con.execute(
        f"""
        insert into raw.load_ledger ({LEDGER_14}) values
        ('{L1}', 'certifications', '{FILE_A}', 'a.csv', '2024-01-05', 900, 4, 3, 1, 'loaded', null, null,
         'r1', now()),
        ('{L2}', 'certifications', '{FILE_B}', 'b.xlsx', '2024-02-01', 5000, 2, 0, 2, 'rejected',
         'missing required column 证书编号', null, 'r1', now()),
        ('{L1}', 'certifications', 'certifications/2024-03-01/copy.csv', 'copy.csv', '2024-03-01', 900,
         null, 0, 0, 'duplicate', null, '{FILE_A}', 'r2', now()),
        (null, 'certifications', 'certifications/2024-03-01/notes.txt', 'notes.txt', '2024-03-01',
         12, 0, 0, 0, 'skipped', 'not .csv or .xlsx', null, 'r2', now()),
        ('{L_TRAININGS}', 'trainings', '{FILE_T}', 't.csv', '2024-01-05', 300, 2, 2, 0,
         'loaded', null, null, 'r1', now())
        """
    )
    con.execute(
        f"""
        insert into raw.quarantine values
        ('{L1}', 'certifications', '{FILE_A}', '2024-01-05', 4, 'id_number', 'check digit', null, 'r1', now()),
        ('{L1}', 'certifications', '{FILE_A}', '2024-01-05', 4, 'skill_level', 'unknown level', '九级',
         'r1', now()),
        ('{L2}', 'certifications', '{FILE_B}', '2024-02-01', 2, 'certificate_no', 'missing column', null,
         'r1', now()),
        ('{L2}', 'certifications', '{FILE_B}', '2024-02-01', 3, 'certificate_no', 'missing column', null,
         'r1', now())
        """
    )


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """The good build database, built once; each test gets an in-memory copy to spoil."""
    path = tmp_path_factory.mktemp("expectations") / "build.duckdb"
    with raw_schema(path) as connection:
        _fill_raw(connection)
    return path


@pytest.fixture
def con(template_db):
    connection = duckdb.connect()
    connection.execute(f"attach '{template_db}' as template (read_only)")
    connection.execute("copy from database template to memory")
    connection.execute("detach template")
    yield connection
    connection.close()


def failures(result: SuiteResult) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(f["frame"], f["expectation"], tuple(f.get("columns", ()))) for f in result.failed}


def only_failure(result: SuiteResult) -> dict:
    assert not result.success
    assert len(result.failed) == 1, result.failed
    return result.failed[0]


# --- registry and good data ------------------------------------------------------------------------


# The suites of the certification slice, whose tables this module's fixture builds; later slices'
# suites run against real builds in their integration tests.
CERTIFICATION_SUITES = ("raw_certifications", "raw_certifications_advisory", "ledger_reconciliation")


def test_registry_shape_and_blocking_flags():
    assert set(CERTIFICATION_SUITES) <= set(SUITES)
    assert {name for name, spec in SUITES.items() if not spec.blocking} == {"raw_certifications_advisory"}
    assert SUITES["raw_certifications"].tables == ("raw.certifications",)
    assert SUITES["ledger_reconciliation"].tables == (
        "raw.load_ledger",
        "raw.quarantine",
        *(f"raw.{source}" for source in CONSTANTS["reconciled_sources"]),
    )
    for spec in SUITES.values():
        assert spec.name and spec.description and spec.tables
        assert all(t.split(".")[0] in {"raw", "marts"} for t in spec.tables)
        # the raw layer is checked on the rows of the run; the marts whole
        assert spec.untested_only is (spec.tables[0].split(".")[0] == "raw")


def test_a_suite_file_with_an_unknown_key_or_frame_kind_is_refused(tmp_path):
    from expectations.spec import load_suite

    (tmp_path / "typo.yml").write_text(
        "description: d\ntable: raw.x\nblocking: true\nframe: []\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="unknown keys"):
        load_suite(tmp_path / "typo.yml")
    (tmp_path / "kind.yml").write_text(
        "description: d\ntable: raw.x\nblocking: true\nframes:\n  - {name: f, from: view, expect: [x]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="known `from`"):
        load_suite(tmp_path / "kind.yml")


def test_package_import_does_not_import_great_expectations():
    code = "import sys, expectations; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_a_suite_is_built_while_another_thread_is_still_importing_great_expectations():
    """Great Expectations fills its expectation registry at the very end of its import, seconds
    after the registry module itself exists. A suite built in that window (another thread of the
    process importing GE: a night failed so, "expect_column_values_to_not_be_in_set not found") must
    wait for the import, not look into a half-filled registry."""
    code = (
        "import sys, threading, time\n"
        "from expectations import SUITES\n"
        "threading.Thread(target=__import__, args=('great_expectations',), daemon=True).start()\n"
        "while 'great_expectations.expectations.registry' not in sys.modules:\n"
        "    time.sleep(0.001)\n"
        "time.sleep(0.05)\n"
        "frames = SUITES['raw_carriers']()\n"
        "print(sum(len(f.expectations) for f in frames))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert int(out) == sum(len(frame["expect"]) for frame in SUITES["raw_carriers"].frames)


def test_the_suite_worker_loads_scipy_and_altair_only_when_used():
    """The worker's process defers scipy.stats and altair (about 3 s of its import): Great
    Expectations and its context load without executing them, and they still work when used."""
    code = (
        "from expectations.worker import defer_imports; defer_imports()\n"
        "from expectations.runner import _batch_definition; _batch_definition()\n"
        "import sys\n"
        "print(type(sys.modules['scipy.stats']).__name__, type(sys.modules['altair']).__name__)\n"
        "import scipy.stats\n"
        "print(scipy.stats.norm.cdf(0.0), type(sys.modules['scipy.stats']).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert out.split() == ["_LazyModule", "_LazyModule", "0.5", "module"]


def test_the_suite_worker_finds_what_the_suite_finds_in_process(template_db, tmp_path, con):
    from expectations.worker import SuiteWorker

    bad = tmp_path / "bad.duckdb"
    with duckdb.connect(str(bad)) as writer:
        writer.execute(f"attach '{template_db}' as template (read_only)")
        writer.execute("copy from database template to bad")
        writer.execute("update raw.certifications set person_key = 'not-a-key' where row_number = 3")
    con.execute("update raw.certifications set person_key = 'not-a-key' where row_number = 3")
    worker = SuiteWorker()
    try:
        in_worker = worker.run(bad, "raw_certifications", None)
    finally:
        worker.close()
    in_process = run_suite(con, "raw_certifications")
    assert failures(in_worker) == failures(in_process) == {("rows", "expect_column_values_to_match_regex", ("person_key",))}
    assert in_worker.evaluated == in_process.evaluated > 0


def test_suites_read_only_their_declared_tables(con):
    import great_expectations.expectations as gxe

    for name, spec in SUITES.items():
        for frame in spec():
            assert frame.expectations and all(isinstance(e, gxe.Expectation) for e in frame.expectations)
            referenced = set(re.findall(r"\b(?:raw|marts)\.\w+", frame.sql))
            assert referenced <= set(spec.tables), (name, frame.name, referenced)


@pytest.mark.parametrize("suite", CERTIFICATION_SUITES)
def test_good_data_passes(con, suite):
    result = run_suite(con, suite)
    assert result.failed == []
    assert result.success is True
    assert result.suite == suite
    assert result.evaluated == sum(len(frame.expectations) for frame in SUITES[suite]())


# --- raw.certifications ----------------------------------------------------------------------------


KEY_CANDIDATES = [
    "a" * 64, "0123456789abcdef" * 4, "110101199003074578", "a" * 63, "a" * 65, "A" * 64, "a" * 64 + "\n",
    "\n" + "a" * 64, "a" * 63 + "\r", " " + "a" * 63, "a" * 63 + "\uff10", "a" * 63 + "\u0663", "a" * 63 + "g", "",
]  # fmt: skip


@pytest.mark.parametrize("suite", ["raw_certifications", "raw_competitions", "raw_honours", "raw_trainings"])
def test_key_prefilter_keeps_every_key_the_pattern_rejects(suite):
    """The person-key frames hand Great Expectations only the keys DuckDB finds off the pattern: on
    hand-made keys (full-width and Arabic-Indic digits, line breaks either end, one short or long)
    DuckDB's filter keeps exactly those Python's match of GE's pattern rejects."""
    (spec,) = [f for f in SUITES[suite].frames if f["name"] == "rows"]
    (regex,) = [e["regex"] for e in spec["expect"] if e["type"] == "expect_column_values_to_match_regex"]
    con = duckdb.connect()
    con.execute("create table keys (person_key varchar)")
    con.executemany("insert into keys values (?)", [[k] for k in KEY_CANDIDATES])
    kept = {r[0] for r in con.execute(f"select person_key from keys where {spec['where']}").fetchall()}
    rejected = {k for k in KEY_CANDIDATES if not re.search(regex, k)}
    assert kept == rejected
    assert len(rejected) == len(KEY_CANDIDATES) - 2


@pytest.mark.parametrize(
    "bad",
    ["'110101199003074578'", "repeat('a', 64) || chr(10)", "upper(repeat('a', 64))", "repeat('a', 63) || '\uff10'"],
    ids=["id_number", "final_newline", "upper_case", "full_width_digit"],
)
def test_bad_person_key_fails_and_is_reported_without_its_value(con, bad):
    con.execute(f"update raw.certifications set person_key = {bad} where row_number = 3")
    failure = only_failure(run_suite(con, "raw_certifications"))
    assert (failure["frame"], failure["expectation"], failure["columns"]) == (
        "rows",
        "expect_column_values_to_match_regex",
        ["person_key"],
    )
    assert failure["unexpected_count"] == 1
    assert "unexpected_values" not in failure  # redacted: could be an ID number that slipped through
    assert failure["unexpected_rows"] == [{"source_file": FILE_A, "row_number": 3}]
    assert "110101199003074578" not in json.dumps(failure, ensure_ascii=False)


# Nulls, vocabularies and regions of raw rows are dbt tests of the staging views (one home per rule).
@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("level_rank = 9", {("skill_levels", "expect_column_pair_values_to_be_in_set", ("skill_level", "level_rank"))}),
        (
            "level_rank = 4",  # 技师's rank on a 高级工 certificate
            {("skill_levels", "expect_column_pair_values_to_be_in_set", ("skill_level", "level_rank"))},
        ),
        (
            "skill_level = '高级'",  # a spelling, not the canonical level
            {("skill_levels", "expect_column_pair_values_to_be_in_set", ("skill_level", "level_rank"))},
        ),
        (
            "issue_date = date '1985-12-31'",
            {("issue_dates", "expect_column_values_to_be_between", ("issue_date",))},
        ),
    ],
)
def test_bad_certification_values_fail_their_expectation(con, assignment, expected):
    con.execute(f"update raw.certifications set {assignment} where row_number = 2")
    result = run_suite(con, "raw_certifications")
    assert result.success is False
    assert failures(result) == expected


def test_failures_report_each_bad_value_once_with_an_example_row(con):
    con.execute("update raw.certifications set issue_date = '1985-01-01' where row_number in (2, 5)")
    con.execute("update raw.certifications set issue_date = '1980-01-01' where row_number = 3")
    failure = only_failure(run_suite(con, "raw_certifications"))
    assert failure["frame"] == "issue_dates"
    assert failure["unexpected_count"] == 2  # distinct values
    assert sorted(failure["unexpected_values"]) == ["1980-01-01", "1985-01-01"]
    assert sorted(failure["unexpected_rows"], key=lambda r: r["row_number"]) == [
        {"source_file": FILE_A, "row_number": 2},
        {"source_file": FILE_A, "row_number": 3},
    ]
    json.dumps(failure)  # plain values, ready for Dagster metadata


@pytest.mark.parametrize("column", ["name", "id_number", "身份证号"])
def test_personal_data_column_in_raw_fails_the_structural_check(con, column):
    con.execute(f'alter table raw.certifications add column "{column}" varchar')
    failure = only_failure(run_suite(con, "raw_certifications"))
    assert (failure["frame"], failure["expectation"]) == ("columns", "expect_column_values_to_not_be_in_set")
    assert failure["unexpected_values"] == [column]


def test_missing_canonical_column_fails_the_structural_check(con):
    con.execute("alter table raw.certifications drop column employer_type")
    failure = only_failure(run_suite(con, "raw_certifications"))
    assert (failure["frame"], failure["expectation"]) == (
        "columns",
        "expect_column_distinct_values_to_contain_set",
    )
    assert failure["missing_values"] == ["employer_type"]


def test_advisory_warnings(con):
    con.execute("update raw.certifications set occupation_code = '6180204' where row_number = 2")
    con.execute(
        f"update raw.certifications set certificate_no = '{_certificate_no(2, 9)}' where row_number = 5"
    )
    result = run_suite(con, "raw_certifications_advisory")
    assert failures(result) == {
        ("occupation_codes", "expect_column_values_to_match_regex", ("occupation_code",)),
        (
            "certificate_level_digits",
            "expect_column_pair_values_to_be_equal",
            ("level_digit", "expected_level_digit"),
        ),
    }
    digits = next(f for f in result.failed if f["frame"] == "certificate_level_digits")
    assert digits["unexpected_values"] == [["2", "1"]]  # number says 技师, column says 高级技师
    assert SUITES["raw_certifications_advisory"].blocking is False


# --- marts: dbt tests own the rules on their rows --------------------------------------------------


def test_mart_suites_only_scan_for_personal_columns():
    """One home per rule: every rule on a mart's own rows is a dbt test in the model's YAML (their
    tamper tests are in tests/integration); a mart suite keeps only the no-personal-data scan."""
    marts = {name: spec for name, spec in SUITES.items() if spec.tables[0].startswith("marts.")}
    assert set(marts) == {
        "mart_certificate_rewards",
        "mart_competition_results",
        "mart_promotion_followup",
        "mart_title_eligibility",
    }
    for name, spec in marts.items():
        assert spec.tables == (f"marts.{name}",) and spec.blocking and not spec.untested_only
        assert [(frame["name"], frame["from"]) for frame in spec.frames] == [("no_personal_columns", "columns")]


# --- ledger reconciliation -------------------------------------------------------------------------


def test_file_rows_not_adding_up_fails(con):
    con.execute(f"update raw.load_ledger set rows_landed = 5 where source_file = '{FILE_A}'")
    failure = only_failure(run_suite(con, "ledger_reconciliation"))
    assert (failure["frame"], failure["expectation"]) == (
        "file_balance",
        "expect_column_pair_values_to_be_equal",
    )
    assert failure["unexpected_rows"] == [{"source_file": FILE_A}]
    assert failure["unexpected_values"] == [[4, 5]]


def test_rejected_file_not_fully_quarantined_fails(con):
    con.execute(f"update raw.load_ledger set rows_quarantined = 1 where source_file = '{FILE_B}'")
    result = run_suite(con, "ledger_reconciliation")
    assert failures(result) == {
        (
            "file_balance",
            "expect_column_pair_values_to_be_equal",
            ("rows_loaded_or_quarantined", "rows_landed"),
        ),
        (
            "quarantine_vs_ledger",
            "expect_column_pair_values_to_be_equal",
            ("ledger_rows_quarantined", "quarantine_distinct_rows"),
        ),
    }


def test_quarantine_rows_not_matching_ledger_fails(con):
    con.execute(
        f"insert into raw.quarantine values ('{L1}', 'certifications', '{FILE_A}', '2024-01-05', 3,"
        " 'issue_date', 'bad date', '2024-13-01', 'r1', now())"
    )
    failure = only_failure(run_suite(con, "ledger_reconciliation"))
    assert failure["frame"] == "quarantine_vs_ledger"
    assert failure["unexpected_rows"] == [{"source_file": FILE_A}]
    assert failure["unexpected_values"] == [[1, 2]]


def test_quarantine_of_an_unledgered_file_fails(con):
    con.execute(
        "insert into raw.quarantine values ('" + "e" * 64 + "', 'certifications', 'certifications/x/y.csv',"
        " '2024-01-05', 2, 'region', 'unknown region', '火星', 'r1', now())"
    )
    failure = only_failure(run_suite(con, "ledger_reconciliation"))
    assert failure["frame"] == "quarantine_vs_ledger"
    assert failure["unexpected_rows"] == [{"source_file": "certifications/x/y.csv"}]


def test_raw_rows_not_matching_rows_loaded_fails(con):
    con.execute("delete from raw.certifications where row_number = 5")
    failure = only_failure(run_suite(con, "ledger_reconciliation"))
    assert (failure["frame"], failure["columns"]) == ("raw_vs_ledger", ["ledger_rows_loaded", "raw_rows"])
    assert failure["unexpected_values"] == [[3, 2]]
    assert failure["unexpected_rows"] == [{"source": "certifications", "source_file": FILE_A, "load_id": L1}]


def test_raw_rows_without_a_ledger_row_fail(con):
    con.execute("update raw.certifications set load_id = '" + "f" * 64 + "' where row_number = 5")
    result = run_suite(con, "ledger_reconciliation")
    assert failures(result) == {
        ("raw_vs_ledger", "expect_column_pair_values_to_be_equal", ("ledger_rows_loaded", "raw_rows"))
    }
    assert result.failed[0]["unexpected_count"] == 2  # L1 short by one, the orphan load id unledgered


def test_every_source_is_reconciled_with_its_raw_table(con):
    con.execute("delete from raw.trainings where row_number = 3")
    failure = only_failure(run_suite(con, "ledger_reconciliation"))
    assert failure["frame"] == "raw_vs_ledger"
    assert failure["unexpected_rows"] == [
        {"source": "trainings", "source_file": FILE_T, "load_id": L_TRAININGS}
    ]


def test_raw_rows_of_a_ledger_row_without_load_id_are_orphans(con):
    # a read file's missing load_id is a dbt test of stg_raw__load_ledger; its raw rows fail here
    con.execute(f"update raw.load_ledger set load_id = null where source_file = '{FILE_T}'")
    result = run_suite(con, "ledger_reconciliation")
    assert failures(result) == {
        ("raw_vs_ledger", "expect_column_pair_values_to_be_equal", ("ledger_rows_loaded", "raw_rows"))
    }


def test_ledger_status_outside_vocabulary_fails(con):
    con.execute("update raw.load_ledger set status = 'ignored' where status = 'duplicate'")
    failure = only_failure(run_suite(con, "ledger_reconciliation"))
    assert (failure["frame"], failure["expectation"], failure["columns"]) == (
        "ledger",
        "expect_column_values_to_be_in_set",
        ["status"],
    )
    assert failure["unexpected_values"] == ["ignored"]


def test_a_path_with_new_bytes_is_a_second_ledger_row_not_a_failure(con):
    """A file changed after it was loaded: a rejected row for the new bytes beside the loaded one."""
    con.execute(
        "insert into raw.load_ledger (load_id, source, source_file, file_name, export_date, file_bytes, rows_landed,"
        " rows_loaded, rows_quarantined, status, message, run_id, loaded_at) select 'f' || load_id, source,"
        " source_file, file_name, export_date, file_bytes, 0, 0, 0, 'rejected', 'changed after it was loaded',"
        " 'r3', now() from raw.load_ledger where source = 'trainings'"
    )
    assert run_suite(con, "ledger_reconciliation").success


# --- a table that is not there ---------------------------------------------------------------------


def test_missing_table_fails_every_frame_instead_of_raising(con):
    con.execute("drop table raw.certifications")
    result = run_suite(con, "raw_certifications_advisory")  # every frame reads the table's rows
    assert result.success is False
    assert result.evaluated == 0
    assert [f["expectation"] for f in result.failed] == ["query"] * len(SUITES["raw_certifications_advisory"]())
    assert "certifications" in result.failed[0]["error"]


# --- a night's checks read the rows no publish has tested yet ------------------------------------

L3, FILE_C = "c" * 64, "certifications/2024-04-01/c.csv"
# load times: before run r1, of runs r1 and r2 (the fixture's ledger), of run r3
T0, T1, T2, T3 = "2024-06-01 00:00:00", "2024-06-01 01:00:00", "2024-06-02 01:00:00.5", "2024-06-03 01:00:00"


def _land_file_of_run_r3(con, *, rows_loaded: int = 1) -> None:
    """Run r3 loads c.csv: one good certificate (rows_loaded in the ledger may be set wrong). The
    ledger's rows get their runs' load times (T1, T2, T3)."""
    con.execute(f"update raw.load_ledger set loaded_at = case run_id when 'r1' then timestamp '{T1}' else timestamp '{T2}' end")
    con.execute(
        f"insert into raw.certifications ({CERTIFICATION_COLUMNS}) select '{L3}', '{FILE_C}', 'c.csv', date '2024-04-01', 2,"
        f" '{_certificate_no(2, 3)}', '{_person_key(4)}', '女', birth_date, occupation_code, occupation_name,"
        " '中级工', 2, date '2024-03-30', assessor_name, assessor_type, '650100', employer, employer_type, '有效'"
        " from raw.certifications where row_number = 2"
    )
    con.execute(
        f"insert into raw.load_ledger ({LEDGER_14}) values ('{L3}', 'certifications', '{FILE_C}', 'c.csv', '2024-04-01', 400,"
        f" 1, {rows_loaded}, {1 - rows_loaded}, 'loaded', null, null, 'r3', timestamp '{T3}')"
    )


def test_raw_suites_read_only_the_rows_loaded_after_the_last_publish(con):
    _land_file_of_run_r3(con)
    con.execute("update raw.certifications set skill_level = '九级工' where row_number = 3")  # a.csv, run r1
    assert run_suite(con, "raw_certifications", tested_through=T2).success  # r1 and r2 published: r3's rows
    assert not run_suite(con, "raw_certifications", tested_through=T0).success  # nothing published: r1's too
    assert not run_suite(con, "raw_certifications").success  # every row
    con.execute(f"update raw.certifications set issue_date = '1985-01-01' where load_id = '{L3}'")
    failure = only_failure(run_suite(con, "raw_certifications", tested_through=T2))
    assert failure["frame"] == "issue_dates" and failure["unexpected_values"] == ["1985-01-01"]
    assert failure["unexpected_rows"] == [{"source_file": FILE_C, "row_number": 2}]
    # r3 failed and published nothing: a night after it, with nothing new, is tested through T2 still
    # and fails the same way; once r3's rows are published (tested through T3) they are not read
    assert only_failure(run_suite(con, "raw_certifications", tested_through=T2))["frame"] == "issue_dates"
    assert run_suite(con, "raw_certifications", tested_through=T3).success
    # nothing untested of the source: nothing of it is checked (and the columns still)
    con.execute("alter table raw.certifications add column name varchar")
    failure = only_failure(run_suite(con, "raw_certifications", tested_through=T3))
    assert failure["frame"] == "columns"


def test_tested_through_must_be_a_timestamp(con):
    with pytest.raises(ValueError, match="tested_through must be a timestamp"):
        run_suite(con, "raw_certifications", tested_through="2024-06-01' or true --")


def test_ledger_reconciliation_balances_the_untested_files_and_still_finds_orphans(con):
    _land_file_of_run_r3(con)
    con.execute(f"update raw.load_ledger set rows_landed = 5 where source_file = '{FILE_A}'")  # run r1
    assert run_suite(con, "ledger_reconciliation", tested_through=T2).success
    assert not run_suite(con, "ledger_reconciliation", tested_through=T0).success
    # raw rows under a load id no ledger row accounts for fail however far the publish tested
    con.execute("update raw.certifications set load_id = '" + "f" * 64 + "' where row_number = 5")
    result = run_suite(con, "ledger_reconciliation", tested_through=T3)
    raw_vs_ledger = only_failure(result)
    assert raw_vs_ledger["frame"] == "raw_vs_ledger"
    assert raw_vs_ledger["unexpected_rows"] == [{"source": "certifications", "source_file": None, "load_id": "f" * 64}]


def test_ledger_reconciliation_checks_the_rows_of_the_untested_files(con):
    _land_file_of_run_r3(con, rows_loaded=0)  # the ledger says c.csv loaded nothing, raw holds a row
    result = run_suite(con, "ledger_reconciliation", tested_through=T2)
    assert failures(result) == {
        ("raw_vs_ledger", "expect_column_pair_values_to_be_equal", ("ledger_rows_loaded", "raw_rows")),
        ("quarantine_vs_ledger", "expect_column_pair_values_to_be_equal",
         ("ledger_rows_quarantined", "quarantine_distinct_rows")),
    }
    # once c.csv is tested (T3), its ledger row is not read, and its raw row is accounted for
    assert run_suite(con, "ledger_reconciliation", tested_through=T3).success


def test_a_deferred_file_is_not_read_yet_and_needs_no_load_id(con):
    con.execute(
        f"insert into raw.load_ledger ({LEDGER_14}) values (null, 'certifications', 'certifications/2024-05-01/late.csv',"
        " 'late.csv', '2024-05-01', 10, 0, 0, 0, 'deferred', 'modified 12 s ago', null, 'r3', now())"
    )
    assert run_suite(con, "ledger_reconciliation", tested_through=T0).success
    con.execute("update raw.load_ledger set status = 'late' where status = 'deferred'")
    assert not run_suite(con, "ledger_reconciliation", tested_through=T0).success
