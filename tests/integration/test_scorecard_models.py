"""The policy scorecard slice end to end on a hand-made raw schema.

A few certificates, fifteen training enrolments, ten carriers and six graduate rows cover the
counting rules (start year, withdrawal, repetitions, a training after the as-of date), corrections
landed in later files, providers outside the carrier register, a carrier established after the run,
and both readings of the ambiguous targets. Every expected figure below was worked out by hand from
those rows (the comments say how); dbt runs once for the module (`dbt build`: seeds, models, data and
unit tests). The raw tables are created with ingest's own DDL (ingest.load.raw_columns), so a change
in what ingest writes shows here.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from ingest import contract
from tests import support
from tests.support import LEDGER_14, failed_dbt_tests, insert, key, load_id, query, raw_schema

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
SEEDS = DBT_PROJECT / "seeds"
DBT = REPO / ".venv" / "bin" / "dbt"
AS_OF = "2025-06-30"  # 2025 is the running year: 181 of 365 days elapsed
LOADED_AT = "2025-06-30 01:00:00"

REGION = "650000"
URUMQI, ILI = "650100", "654000"
N_UNITS = 26  # ref_prefectures: 14 prefectures + 12 region-administered cities
with open(SEEDS / "ref_policy_targets.csv", encoding="utf-8", newline="") as _f:
    INDICATORS = [row["indicator_id"] for row in csv.DictReader(_f)]
LEVELS = {0: "学徒工", 1: "初级工", 2: "中级工", 3: "高级工", 4: "技师", 5: "高级技师"}

ENT, MOD, PROJ, RECYCLE = "企业新型学徒制", "现代学徒制", "项目制培训", "技能回炉"
BASE, COLLEGE, PUBLIC = "高技能人才培训基地", "工匠学院", "公共实训基地"


# fmt: off
# --- certificates: 4 skilled persons on the as-of date, 2 of them high-skilled --------------------
# (export date, file, certificate, person, rank, issue date, region)
CERTIFICATES = [
    ("2025-01-05", "roster.csv", "C1", "Q1", 3, "2023-03-01", URUMQI),
    ("2025-01-05", "roster.csv", "C2", "Q2", 2, "2024-05-01", URUMQI),
    ("2025-01-05", "roster.csv", "C3", "Q3", 4, "2024-06-01", ILI),
    ("2025-01-05", "roster.csv", "C4", "Q4", 1, "2025-01-01", ILI),
]

# --- carriers ----------------------------------------------------------------------------------------
# (export date, file, code, name, type, tier, region, established, planned capacity)
CARRIERS = [
    ("2025-01-10", "名录.csv", "B1", "乌鲁木齐甲培训基地", BASE, "自治区级", URUMQI, 2020, 3),
    ("2025-01-10", "名录.csv", "B2", "伊犁乙培训基地", BASE, "国家级", ILI, 2024, None),
    ("2025-01-10", "名录.csv", "K1", "丙工匠学院", COLLEGE, "自治区级", URUMQI, 2023, 1000),
    ("2025-01-10", "名录.csv", "G1", "伊犁州公共实训基地", PUBLIC, "地州级", ILI, 2025, 50),
    ("2025-01-10", "名录.csv", "G2", "自治区公共实训基地", PUBLIC, "自治区级", URUMQI, 2022, 800),
    ("2025-01-10", "名录.csv", "S1", "某国家级技能大师工作室", "技能大师工作室", "国家级", URUMQI, 2024, None),
    ("2025-01-10", "名录.csv", "S2", "某职工创新工作室", "职工创新工作室", "县级", ILI, 2025, None),
    ("2025-01-10", "名录.csv", "S3", "某自治区级技能大师工作室", "技能大师工作室", "自治区级", ILI, 2024, None),
    ("2025-01-10", "名录.csv", "E1", "某企业培训中心", "企业培训中心", "县级", URUMQI, 2019, 200),
    # established after the run's year: in no mart
    ("2025-01-10", "名录.csv", "F1", "筹建中工匠学院", COLLEGE, "地州级", ILI, 2026, 300),
    # a correction: B1's planned capacity is 20, not 3 (the later file wins)
    ("2025-03-01", "更正.csv", "B1", "乌鲁木齐甲培训基地", BASE, "自治区级", URUMQI, 2020, 20),
]

# --- trainings ---------------------------------------------------------------------------------------
# (export date, file, training id, person, programme, rank, provider code, provider name, start, end,
#  status, region). A blank provider code is None; ZZ-404 is not in the register.
OTHER_SCHOOL, OTHER_FIRM = "某民办职业学校", "某培训公司"
TRAININGS = [
    # starts in December 2023, ends in 2024: counts in 2023
    ("2024-04-01", "t.csv", "T01", "A", ENT, 3, "B1", "乌鲁木齐甲培训基地", "2023-12-15", "2024-03-01", "结业", URUMQI),
    ("2024-12-01", "t.csv", "T02", "B", ENT, 2, "B1", "乌鲁木齐甲培训基地", "2024-03-01", "2024-06-01", "结业", URUMQI),
    # landed as 中级工, corrected to 技师 in a later export
    ("2024-05-01", "t.csv", "T03", "C", ENT, 2, "B1", "乌鲁木齐甲培训基地", "2024-04-01", None, "在训", URUMQI),
    ("2024-12-01", "t.csv", "T03", "C", ENT, 4, "B1", "乌鲁木齐甲培训基地", "2024-04-01", "2024-10-01", "结业", URUMQI),
    # a provider outside the register (blank code): still counts
    ("2024-12-01", "t.csv", "T04", "D", ENT, 3, None, OTHER_SCHOOL, "2024-05-01", "2024-08-01", "结业", ILI),
    ("2024-12-01", "t.csv", "T05", "E", MOD, 3, "K1", "丙工匠学院", "2024-06-01", "2024-11-01", "结业", ILI),
    # landed in training, withdrawn in a later export: not counted
    ("2024-07-01", "t.csv", "T06", "F", MOD, 1, "K1", "丙工匠学院", "2024-06-02", None, "在训", ILI),
    ("2024-12-01", "t.csv", "T06", "F", MOD, 1, "K1", "丙工匠学院", "2024-06-02", None, "退出", ILI),
    # a code the register does not know: still counts
    ("2024-12-01", "t.csv", "T07", "G", PROJ, 3, "ZZ-404", OTHER_FIRM, "2024-07-01", "2024-09-01", "结业", URUMQI),
    # the same person twice: two person-times
    ("2024-12-01", "t.csv", "T08", "H", PROJ, 2, "B1", "乌鲁木齐甲培训基地", "2024-08-01", "2024-09-01", "结业", URUMQI),
    ("2024-12-01", "t.csv", "T09", "H", PROJ, 5, "K1", "丙工匠学院", "2024-09-01", "2024-12-01", "结业", URUMQI),
    ("2024-12-01", "t.csv", "T10", "I", RECYCLE, 2, "G2", "自治区公共实训基地", "2024-10-01", None, "在训", URUMQI),
    ("2025-05-01", "t.csv", "T11", "J", ENT, 3, "B2", "伊犁乙培训基地", "2025-02-01", None, "在训", ILI),
    ("2025-05-01", "t.csv", "T12", "K", PROJ, 1, "G1", "伊犁州公共实训基地", "2025-03-01", None, "在训", ILI),
    ("2025-05-01", "t.csv", "T13", "L", PROJ, 3, "G1", "伊犁州公共实训基地", "2025-03-02", None, "退出", ILI),
    ("2025-05-01", "t.csv", "T14", "M", MOD, 4, "ZZ-404", OTHER_FIRM, "2025-04-01", None, "在训", ILI),
    # starts after the as-of date: counts nowhere yet
    ("2025-06-20", "t.csv", "T15", "N", ENT, 3, "B1", "乌鲁木齐甲培训基地", "2025-07-15", None, "在训", URUMQI),
]

# --- graduates ---------------------------------------------------------------------------------------
# (export date, file, institution, type, year, graduates, certified, region)
VOC_UNI, APPLIED, HIGHER_VOC = "新疆某职业技术大学", "某应用技术学院", "某高等职业技术学院"
GRADUATES = [
    ("2024-09-01", "g.csv", VOC_UNI, "职业本科", 2023, 100, 80, URUMQI),
    ("2024-09-01", "g.csv", "某中等职业学校", "中职学校", 2023, 60, 30, URUMQI),
    ("2024-12-20", "g.csv", VOC_UNI, "职业本科", 2024, 200, 150, URUMQI),
    # 35 of 50 is 70 % exactly: met
    ("2024-12-20", "g.csv", APPLIED, "应用型本科", 2024, 50, 35, ILI),
    ("2024-12-20", "g.csv", HIGHER_VOC, "高职院校", 2024, 300, 200, URUMQI),
    ("2024-12-20", "g.csv", "某技工学校", "技工院校", 2024, 40, 10, ILI),
    # a correction: 120 of the university's 200 graduates are certified, not 150
    ("2025-02-01", "g_更正.csv", VOC_UNI, "职业本科", 2024, 200, 120, URUMQI),
]
# fmt: on


def build_raw(db_path: Path) -> None:
    """The raw schema ingest would write for these rows: lineage columns, ledger, empty quarantine."""
    rows: dict[str, list[dict]] = {
        name: [] for name in ("certifications", "trainings", "carriers", "graduates")
    }
    per_file: dict[str, int] = {}

    def lineage(source: str, export_date: str, file_name: str) -> dict:
        source_file = f"{source}/{export_date}/{file_name}"
        per_file[source_file] = per_file.get(source_file, 0) + 1
        return {
            "load_id": load_id(source_file),
            "source_file": source_file,
            "file_name": file_name,
            "export_date": export_date,
            "row_number": per_file[source_file] + 1,  # the CSV header is row 1
        }

    for export_date, file_name, cert, person, rank, issued, region in CERTIFICATES:
        rows["certifications"].append(
            lineage("certifications", export_date, file_name)
            | {
                "certificate_no": cert,
                "person_key": key(person),
                "birth_date": "1990-01-01",
                "gender": "男",
                "occupation_code": "6-18-02-04",
                "occupation_name": "焊工",
                "skill_level": LEVELS[rank],
                "level_rank": rank,
                "issue_date": issued,
                "assessor_name": "某评价机构",
                "assessor_type": "企业自主评价",
                "region_code": region,
                "status": "有效",
            }
        )
    for export_date, file_name, code, name, kind, tier, region, established, capacity in CARRIERS:
        rows["carriers"].append(
            lineage("carriers", export_date, file_name)
            | {
                "carrier_code": code,
                "carrier_name": name,
                "carrier_type": kind,
                "carrier_tier": tier,
                "region_code": region,
                "established_year": established,
                "planned_capacity": capacity,
            }
        )
    for (
        export_date,
        file_name,
        tid,
        person,
        program,
        rank,
        code,
        provider,
        start,
        end,
        status,
        region,
    ) in TRAININGS:
        rows["trainings"].append(
            lineage("trainings", export_date, file_name)
            | {
                "training_id": tid,
                "person_key": key(person),
                "birth_date": "1995-05-05",
                "program": program,
                "level": LEVELS[rank],
                "level_rank": rank,
                "occupation_name": "电工",
                "provider_code": code,
                "provider_name": provider,
                "start_date": start,
                "end_date": end,
                "status": status,
                "subsidy_yuan": 1200,
                "region_code": region,
            }
        )
    for export_date, file_name, institution, kind, year, graduates, certified, region in GRADUATES:
        rows["graduates"].append(
            lineage("graduates", export_date, file_name)
            | {
                "institution": institution,
                "institution_type": kind,
                "year": year,
                "graduates": graduates,
                "graduates_certified": certified,
                "region_code": region,
            }
        )
    ledger = [
        (
            load_id(path),
            path.split("/")[0],
            path,
            path.split("/")[2],
            path.split("/")[1],
            1000,
            n,
            n,
            0,
            "loaded",
            None,
            None,
            "run-1",
            LOADED_AT,
        )
        for path, n in per_file.items()
    ]
    with raw_schema(db_path) as con:  # every source of the contract, as ingest creates it
        con.executemany(f"insert into raw.load_ledger ({LEDGER_14}) values ({', '.join(['?'] * 14)})", ledger)
        for source, source_rows in rows.items():
            insert(con, f"raw.{source}", source_rows)


def run_dbt(args: list[str], db_path: Path, work: Path) -> subprocess.CompletedProcess:
    return support.run_dbt(args, db_path, work, as_of=AS_OF)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """Build the warehouse once: raw schema by hand, then `dbt build` (seeds, models, all tests)."""
    work = tmp_path_factory.mktemp("scorecard_build")
    db_path = work / "build.duckdb"
    build_raw(db_path)
    # this slice and everything upstream of it (other slices' work in progress cannot break it)
    result = run_dbt(
        ["build", "--select", "+tag:scorecard", "--indirect-selection", "cautious"], db_path, work
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return db_path, work


def by_key(rows: list[tuple], width: int) -> dict:
    """{first `width` values: the rest} of query rows."""
    return {tuple(r[:width]) if width > 1 else r[0]: tuple(r[width:]) for r in rows}


# --- the build ---------------------------------------------------------------------------------------


def test_every_node_passes_without_warnings(built):
    _, work = built
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    assert {r["status"] for r in results} <= {"success", "pass"}, [
        (r["unique_id"], r["status"]) for r in results if r["status"] not in ("success", "pass")
    ]
    unit_tests = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("unit_test.")}
    assert {
        "int_trainings_latest_later_row_wins",
        "int_trainings_matched_to_carriers_counting_flags",
        "int_scorecard_years_from_first_data_year",
        "mart_apprenticeship_annual_counting_and_statuses",
        "mart_training_level_mix_levels_withdrawn_and_unmatched",
        "mart_carrier_compliance_recorded_training_vs_capacity",
        "mart_policy_scorecard_every_indicator_has_a_row",
    } <= unit_tests
    assert any(r["unique_id"].endswith("assert_policy_scorecard_covers_every_indicator") for r in results)


def test_seed_vocabularies_match_the_source_contract():
    """The seeds' programmes and types are exactly ingest's vocabularies (one must not drift from the other)."""

    def seed_column(seed: str, column: str) -> set[str]:
        with open(SEEDS / f"{seed}.csv", encoding="utf-8", newline="") as f:
            return {row[column] for row in csv.DictReader(f)}

    assert seed_column("ref_training_programs", "program") == set(contract.TRAININGS.column("program").values)
    assert seed_column("ref_carrier_types", "carrier_type") == set(
        contract.CARRIERS.column("carrier_type").values
    )
    assert seed_column("ref_institution_types", "institution_type") == set(
        contract.GRADUATES.column("institution_type").values
    )


def test_mart_contract_types(built):
    db_path, _ = built
    types = dict(
        query(
            db_path,
            "select table_name || '.' || column_name, data_type from information_schema.columns"
            " where table_schema = 'marts'",
        )
    )
    assert types["mart_policy_scorecard.year"] == "INTEGER"
    assert types["mart_policy_scorecard.actual_value"] == "DOUBLE"
    assert types["mart_policy_scorecard.numerator"] == "BIGINT"
    assert types["mart_policy_scorecard.as_of_date"] == "DATE"
    assert types["mart_apprenticeship_annual.enterprise_person_times"] == "BIGINT"
    assert types["mart_carrier_compliance.advanced_plus_share_of_capacity"] == "DOUBLE"
    assert types["mart_graduate_certificates.certificate_rate"] == "DOUBLE"
    assert types["audit_unmatched_providers.first_start_date"] == "DATE"


# --- intermediate ------------------------------------------------------------------------------------


def test_latest_versions_win(built):
    db_path, _ = built
    trainings = by_key(
        query(
            db_path,
            "select training_id, status, level_rank, landed_versions from intermediate.int_trainings_latest",
        ),
        1,
    )
    assert len(trainings) == 15
    assert trainings["T03"] == ("结业", 4, 2)  # corrected from 中级工 to 技师
    assert trainings["T06"] == ("退出", 1, 2)  # withdrawn in a later export
    carriers = by_key(
        query(db_path, "select carrier_code, planned_capacity from intermediate.int_carriers_latest"), 1
    )
    assert len(carriers) == 10
    assert carriers["B1"] == (20,)
    graduates = by_key(
        query(
            db_path,
            "select institution, graduation_year, graduates_certified from intermediate.int_graduates_latest",
        ),
        2,
    )
    assert len(graduates) == 6
    assert graduates[(VOC_UNI, 2024)] == (120,)


def test_scorecard_years(built):
    db_path, _ = built
    rows = query(
        db_path,
        "select year, is_latest_year, is_year_complete, year_elapsed_fraction, training_records,"
        " graduate_records from intermediate.int_scorecard_years order by year",
    )
    # T01 opens 2023; T15 (after the as-of date) is not a record of 2025
    assert rows == [
        (2023, False, True, 1.0, 1, 2),
        (2024, False, True, 1.0, 9, 4),
        (2025, True, False, pytest.approx(181 / 365), 4, 0),
    ]


# --- marts -------------------------------------------------------------------------------------------


def test_apprenticeship_annual(built):
    db_path, _ = built
    rows = by_key(
        query(
            db_path,
            "select year, region_code, enterprise_person_times, enterprise_advanced_person_times,"
            " modern_person_times, modern_advanced_person_times, apprenticeship_advanced_share,"
            " appr_enterprise_status, appr_modern_status, appr_advanced_status, enterprise_advanced_status,"
            " modern_advanced_status from marts.mart_apprenticeship_annual",
        ),
        2,
    )
    assert len(rows) == 3 * (N_UNITS + 1)
    # 2023: T01 (高级工, starts in December, ends in 2024)
    assert rows[(2023, REGION)] == (1, 1, 0, 0, 1.0, "missed", "missed", "met", "met", "no_data")
    assert rows[(2023, URUMQI)] == (1, 1, 0, 0, 1.0, None, None, None, None, None)
    # 2024: 企业 T02 (中级工), T03 (技师 after the correction), T04 (unregistered provider, 高级工);
    # 现代 T05 (高级工) — T06 was withdrawn. Together 3 of 4 advanced+.
    assert rows[(2024, REGION)] == (3, 2, 1, 1, 0.75, "missed", "missed", "met", "met", "met")
    assert rows[(2024, URUMQI)] == (2, 1, 0, 0, 0.5, None, None, None, None, None)
    assert rows[(2024, ILI)] == (1, 1, 1, 1, 1.0, None, None, None, None, None)
    # 2025 (year to date): T11, T14; 1 of 10,000 is behind pace, both shares so far are on track
    assert rows[(2025, REGION)] == (
        1,
        1,
        1,
        1,
        1.0,
        "off_track",
        "off_track",
        "on_track",
        "on_track",
        "on_track",
    )
    assert rows[(2025, URUMQI)] == (0, 0, 0, 0, None, None, None, None, None, None)
    others = [v for (year, code), v in rows.items() if code not in (REGION, URUMQI, ILI)]
    assert all(v[:4] == (0, 0, 0, 0) for v in others)


def test_training_level_mix(built):
    db_path, _ = built
    rows = by_key(
        query(
            db_path,
            "select year, program, elementary_person_times, intermediate_person_times,"
            " advanced_worker_person_times, technician_person_times, senior_technician_person_times,"
            " person_times, advanced_plus_person_times, advanced_plus_share, withdrawn_person_times,"
            " unregistered_provider_person_times, project_advanced_status from marts.mart_training_level_mix",
        ),
        2,
    )
    assert len(rows) == 3 * 7  # years x programmes of ref_training_programs
    # 项目制培训 2024: T07 (高级工, unregistered code ZZ-404), T08 (中级工) and T09 (高级技师) by the same person
    assert rows[(2024, PROJ)] == (0, 1, 1, 0, 1, 3, 2, pytest.approx(2 / 3), 0, 1, "met")
    # 2025: T12 (初级工) counts, T13 (高级工) was withdrawn: 0 % so far
    assert rows[(2025, PROJ)] == (1, 0, 0, 0, 0, 1, 0, 0.0, 1, 0, "off_track")
    assert rows[(2023, PROJ)] == (0, 0, 0, 0, 0, 0, 0, None, 0, 0, "no_data")
    assert rows[(2024, ENT)] == (0, 1, 1, 1, 0, 3, 2, pytest.approx(2 / 3), 0, 1, None)
    assert rows[(2024, MOD)] == (0, 0, 1, 0, 0, 1, 1, 1.0, 1, 0, None)
    assert rows[(2024, RECYCLE)] == (0, 1, 0, 0, 0, 1, 0, 0.0, 0, 0, None)
    assert rows[(2025, MOD)] == (0, 0, 0, 1, 0, 1, 1, 1.0, 0, 1, None)
    assert rows[(2025, ENT)][5:7] == (1, 1)  # T15 starts after the as-of date
    # every counted enrolment is in exactly one programme row: 1 + 8 + 3
    [(total,)] = query(db_path, "select sum(person_times) from marts.mart_training_level_mix")
    assert total == 12


def test_unmatched_providers_are_audited_not_lost(built):
    db_path, _ = built
    rows = query(
        db_path,
        "select year, provider_code, provider_name, unmatched_reason, person_times,"
        " advanced_plus_person_times, withdrawn_person_times, programs, region_codes"
        " from marts.audit_unmatched_providers order by year, provider_code nulls first",
    )
    assert rows == [
        (2024, None, OTHER_SCHOOL, "no_provider_code", 1, 1, 0, ENT, ILI),
        (2024, "ZZ-404", OTHER_FIRM, "code_not_in_registry", 1, 1, 0, PROJ, URUMQI),
        (2025, "ZZ-404", OTHER_FIRM, "code_not_in_registry", 1, 1, 0, MOD, ILI),
    ]


def test_carrier_compliance(built):
    db_path, _ = built
    rows = by_key(
        query(
            db_path,
            "select carrier_code, year, indicator_id, person_times, advanced_plus_person_times, actual_value,"
            " status, advanced_plus_share_of_capacity, status_by_capacity from marts.mart_carrier_compliance",
        ),
        2,
    )
    assert rows == {
        # B1 (capacity 20 after the correction): 1 of 1 in 2023, 1 of 3 in 2024 (T02, T03, T08) — met as a
        # share of its training, missed against 30 % of its capacity (1 < 6); T15 starts after the run
        ("B1", 2023): ("BASE-ADVANCED", 1, 1, 1.0, "met", 0.05, "missed"),
        ("B1", 2024): ("BASE-ADVANCED", 3, 1, pytest.approx(1 / 3), "met", 0.05, "missed"),
        ("B1", 2025): ("BASE-ADVANCED", 0, 0, None, "no_training", 0.0, "off_track"),
        # B2, established 2024, no capacity
        ("B2", 2024): ("BASE-ADVANCED", 0, 0, None, "no_training", None, "no_data"),
        ("B2", 2025): ("BASE-ADVANCED", 1, 1, 1.0, "on_track", None, "no_data"),
        # K1: T05 and T09 (T06 withdrawn) — 2 of the 200 advanced+ person-times
        ("K1", 2023): ("COLLEGE-ADVANCED", 0, 0, None, "no_training", None, None),
        ("K1", 2024): ("COLLEGE-ADVANCED", 2, 2, 2.0, "missed", None, None),
        ("K1", 2025): ("COLLEGE-ADVANCED", 0, 0, None, "no_training", None, None),
        # G1 (地州级, established 2025): T12 counts, T13 withdrawn. G2 (自治区级) is not held to it;
        # F1 is established in 2026.
        ("G1", 2025): ("PUBLIC-BASE-ADVANCED", 1, 0, 0.0, "off_track", None, None),
    }


def test_new_carriers(built):
    db_path, _ = built
    rows = by_key(
        query(
            db_path,
            "select year, carrier_type, new_national_carriers, new_region_carriers, new_prefecture_carriers,"
            " new_county_carriers, new_carriers, carriers_established_to_date, status from marts.mart_new_carriers",
        ),
        2,
    )
    assert len(rows) == 7 * 10  # 2019 (E1, the first establishment) .. 2025, every type
    assert rows[(2019, "企业培训中心")] == (0, 0, 0, 1, 1, 1, None)
    assert rows[(2020, BASE)] == (0, 1, 0, 0, 1, 1, "met")
    assert rows[(2023, BASE)] == (0, 0, 0, 0, 0, 1, "missed")
    assert rows[(2023, COLLEGE)] == (0, 1, 0, 0, 1, 1, "met")
    assert rows[(2024, "技能大师工作室")] == (1, 1, 0, 0, 2, 2, "met")
    assert rows[(2024, BASE)] == (1, 0, 0, 0, 1, 2, "met")
    assert rows[(2025, "职工创新工作室")] == (0, 0, 0, 1, 1, 1, "met")
    assert rows[(2025, COLLEGE)] == (0, 0, 0, 0, 0, 1, "off_track")  # F1 (2026) does not count
    assert rows[(2025, PUBLIC)] == (0, 0, 1, 0, 1, 2, None)  # not one of the six batch types
    assert [v[-1] for (year, t), v in rows.items() if year == 2025 and v[-1]].count("off_track") == 5


def test_graduate_certificates(built):
    db_path, _ = built
    rows = by_key(
        query(
            db_path,
            "select year, unit_type, unit_code, institutions, graduates, graduates_certified, certificate_rate,"
            " status from marts.mart_graduate_certificates",
        ),
        3,
    )
    assert len(rows) == 6 + 3 * 5 + 3  # institution-years, type rows, overall rows
    assert rows[(2023, "institution", VOC_UNI)] == (1, 100, 80, 0.8, "met")
    assert rows[(2024, "institution", VOC_UNI)] == (1, 200, 120, 0.6, "missed")  # the correction
    assert rows[(2024, "institution", APPLIED)] == (1, 50, 35, 0.7, "met")  # exactly 70 %
    assert rows[(2024, "institution", HIGHER_VOC)] == (1, 300, 200, pytest.approx(2 / 3), "missed")
    assert rows[(2024, "institution", "某技工学校")] == (1, 40, 10, 0.25, None)
    assert rows[(2023, "region", REGION)] == (1, 100, 80, 0.8, "met")  # 中职学校 not included
    assert rows[(2024, "region", REGION)] == (3, 550, 355, pytest.approx(355 / 550), "missed")
    assert rows[(2025, "region", REGION)] == (0, 0, 0, None, "no_data")
    assert rows[(2024, "institution_type", "技工院校")] == (1, 40, 10, 0.25, None)


# --- the scorecard -----------------------------------------------------------------------------------

# (indicator, year, unit_type, unit_code) -> (numerator, denominator, actual, status), hand-computed
# from the marts above; competitions and honours indicators are another slice's and checked apart.
EXPECTED_SCORECARD = {
    ("HS-RATIO-2027", 2025, "region", REGION): (2, 4, 0.5, "met"),
    ("HS-RATIO-2035", 2025, "region", REGION): (2, 4, 0.5, "met"),
    # 乌鲁木齐: Q1 (高级工), Q2; 伊犁: Q3 (技师), Q4; no one skilled elsewhere
    **{
        (indicator, 2025, "prefecture", unit): (1, 2, 0.5, "met")
        for indicator in ("HS-RATIO-2027", "HS-RATIO-2035")
        for unit in (URUMQI, ILI)
    },
    ("APPR-ENTERPRISE", 2023, "region", REGION): (1, None, 1.0, "missed"),
    ("APPR-ENTERPRISE", 2024, "region", REGION): (3, None, 3.0, "missed"),
    ("APPR-ENTERPRISE", 2025, "region", REGION): (1, None, 1.0, "off_track"),
    ("APPR-MODERN", 2023, "region", REGION): (0, None, 0.0, "missed"),
    ("APPR-MODERN", 2024, "region", REGION): (1, None, 1.0, "missed"),
    ("APPR-MODERN", 2025, "region", REGION): (1, None, 1.0, "off_track"),
    ("APPR-ADVANCED", 2023, "region", REGION): (1, 1, 1.0, "met"),
    ("APPR-ADVANCED", 2024, "region", REGION): (3, 4, 0.75, "met"),
    ("APPR-ADVANCED", 2025, "region", REGION): (2, 2, 1.0, "on_track"),
    ("PROJECT-ADVANCED", 2023, "region", REGION): (0, 0, None, "no_data"),
    ("PROJECT-ADVANCED", 2024, "region", REGION): (2, 3, 2 / 3, "met"),
    ("PROJECT-ADVANCED", 2025, "region", REGION): (0, 1, 0.0, "off_track"),
    ("BASE-ADVANCED", 2023, "carrier", "B1"): (1, 1, 1.0, "met"),
    ("BASE-ADVANCED", 2024, "carrier", "B1"): (1, 3, 1 / 3, "met"),
    ("BASE-ADVANCED", 2025, "carrier", "B1"): (0, 0, None, "no_data"),
    ("BASE-ADVANCED", 2024, "carrier", "B2"): (0, 0, None, "no_data"),
    ("BASE-ADVANCED", 2025, "carrier", "B2"): (1, 1, 1.0, "on_track"),
    ("COLLEGE-ADVANCED", 2023, "carrier", "K1"): (0, None, None, "no_data"),
    ("COLLEGE-ADVANCED", 2024, "carrier", "K1"): (2, None, 2.0, "missed"),
    ("COLLEGE-ADVANCED", 2025, "carrier", "K1"): (0, None, None, "no_data"),
    # no 地州级 public base before G1 (2025): nothing to measure
    ("PUBLIC-BASE-ADVANCED", 2023, "region", REGION): (None, None, None, "no_data"),
    ("PUBLIC-BASE-ADVANCED", 2024, "region", REGION): (None, None, None, "no_data"),
    ("PUBLIC-BASE-ADVANCED", 2025, "carrier", "G1"): (0, 1, 0.0, "off_track"),
    ("GRAD-CERT-RATE", 2023, "institution", VOC_UNI): (80, 100, 0.8, "met"),
    ("GRAD-CERT-RATE", 2023, "region", REGION): (80, 100, 0.8, "met"),
    ("GRAD-CERT-RATE", 2024, "institution", VOC_UNI): (120, 200, 0.6, "missed"),
    ("GRAD-CERT-RATE", 2024, "institution", APPLIED): (35, 50, 0.7, "met"),
    ("GRAD-CERT-RATE", 2024, "institution", HIGHER_VOC): (200, 300, 2 / 3, "missed"),
    ("GRAD-CERT-RATE", 2024, "region", REGION): (355, 550, 355 / 550, "missed"),
    ("GRAD-CERT-RATE", 2025, "region", REGION): (0, 0, None, "no_data"),
    **{
        ("SOE-PAY-GROWTH", year, "region", REGION): (None, None, None, "no_data")
        for year in (2023, 2024, 2025)
    },
}
NEW_CARRIER_STATUSES = {  # CARRIERS-NEW per year and batch type: met where one was established
    2023: {COLLEGE: "met"},
    2024: {BASE: "met", "技能大师工作室": "met"},
    2025: {"职工创新工作室": "met"},
}
BATCH_TYPES = [
    BASE,
    COLLEGE,
    "技能大师工作室",
    "劳模和工匠人才创新工作室",
    "职工创新工作室",
    "青创先锋工作室",
]
OTHER_SLICE = ("COMPETITION-PROMOTION", "TITLE-DIRECT-FULL", "TITLE-DIRECT-DEPUTY", "CERT-REWARD")


def scorecard(db_path: Path) -> dict:
    return by_key(
        query(
            db_path,
            "select indicator_id, year, unit_type, unit_code, numerator, denominator, actual_value, status"
            " from marts.mart_policy_scorecard",
        ),
        4,
    )


def test_scorecard_values(built):
    db_path, _ = built
    rows = scorecard(db_path)
    mine = {k: v for k, v in rows.items() if k[0] not in OTHER_SLICE}
    new_carriers = {k: v for k, v in mine.items() if k[0] == "CARRIERS-NEW"}
    headline_units = {k: v for k, v in mine.items() if k[0].startswith("HS-RATIO")}
    assert len(headline_units) == 2 * (N_UNITS + 1)
    assert {v[3] for k, v in headline_units.items() if k not in EXPECTED_SCORECARD} == {"no_data"}
    for k, expected in EXPECTED_SCORECARD.items():
        numerator, denominator, actual, status = rows[k]
        assert (numerator, denominator, status) == (expected[0], expected[1], expected[3]), k
        assert actual == (None if expected[2] is None else pytest.approx(expected[2])), k
    assert set(mine) == set(EXPECTED_SCORECARD) | set(new_carriers) | set(headline_units)
    per_type = {k: v for k, v in new_carriers.items() if k[2] == "carrier_type"}
    assert set(per_type) == {
        ("CARRIERS-NEW", year, "carrier_type", t) for year in (2023, 2024, 2025) for t in BATCH_TYPES
    }
    for (_, year, _, carrier_type), (numerator, _, actual, status) in per_type.items():
        default = "off_track" if year == 2025 else "missed"
        assert status == NEW_CARRIER_STATUSES[year].get(carrier_type, default), (year, carrier_type)
        assert (
            actual
            == numerator
            == {(2024, "技能大师工作室"): 2}.get((year, carrier_type), int(status == "met"))
        )
    # and one region-wide row a year for the batch types together (indicators.md: region, per year,
    # per type): 2023 one college, 2024 a base and two master studios, 2025 one innovation studio
    region_wide = {k: v for k, v in new_carriers.items() if k[2] != "carrier_type"}
    assert region_wide == {
        ("CARRIERS-NEW", 2023, "region", REGION): (1, None, 1.0, "met"),
        ("CARRIERS-NEW", 2024, "region", REGION): (3, None, 3.0, "met"),
        ("CARRIERS-NEW", 2025, "region", REGION): (1, None, 1.0, "met"),
    }


def test_scorecard_has_every_indicator_for_the_latest_year(built):
    db_path, _ = built
    rows = query(
        db_path,
        "select indicator_id, status, note, indicator_name_zh, seed_section, as_of_date::varchar"
        " from marts.mart_policy_scorecard where year = 2025",
    )
    assert {r[0] for r in rows} == set(INDICATORS)
    assert {r[5] for r in rows} == {AS_OF}
    soe = [r for r in rows if r[0] == "SOE-PAY-GROWTH"]
    assert soe == [
        (
            "SOE-PAY-GROWTH",
            "no_data",
            "no source yet",
            "国企高技能人才人均收入增幅不低于管理人员",
            "措施8",
            AS_OF,
        )
    ]
    # every yearly indicator has a row in every year, too
    yearly = query(
        db_path,
        "select indicator_id, count(distinct year) from marts.mart_policy_scorecard group by all",
    )
    assert {i for i, n in yearly if n == 3} == set(INDICATORS) - {"HS-RATIO-2027", "HS-RATIO-2035"}


def test_scorecard_notes_name_the_interpretations(built):
    db_path, _ = built
    notes = by_key(
        query(
            db_path,
            "select indicator_id, year, unit_code, note from marts.mart_policy_scorecard"
            " where indicator_id in ('APPR-ADVANCED', 'BASE-ADVANCED')",
        ),
        3,
    )
    assert notes[("APPR-ADVANCED", 2024, REGION)] == (
        "both programmes together; 企业新型学徒制 66.7 %, 现代学徒制 100.0 %",
    )
    assert notes[("BASE-ADVANCED", 2024, "B1")] == (
        "share of recorded training (of planned capacity: 5.0 %)",
    )
    assert notes[("BASE-ADVANCED", 2024, "B2")] == ("no training recorded",)


# --- Great Expectations ------------------------------------------------------------------------------

SCORECARD_SUITES = ("raw_trainings", "raw_carriers", "raw_graduates")


def test_expectation_suites_pass_on_the_build(built):
    from expectations import SUITES, run_suite

    db_path, _ = built
    assert set(SCORECARD_SUITES) <= set(SUITES)
    with duckdb.connect(str(db_path), read_only=True) as con:
        for name in SCORECARD_SUITES:
            result = run_suite(con, name)
            assert result.success, (name, result.failed)
            assert result.evaluated == sum(len(frame.expectations) for frame in SUITES[name]())


def test_expectation_suites_catch_bad_rows(built, tmp_path):
    """A carrier established in 1800."""
    from expectations import run_suite

    db_path, _ = built
    copy = tmp_path / "bad.duckdb"
    copy.write_bytes(db_path.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("update raw.carriers set established_year = 1800 where row_number = 2")
        carriers = run_suite(con, "raw_carriers")
    assert [(f["frame"], f["columns"], f["unexpected_values"]) for f in carriers.failed] == [
        ("rows", ["established_year"], [1800])
    ]


APPRENTICESHIP_SHARES = (
    "coalesce(enterprise_advanced_share between 0 and 1, true) and coalesce(modern_advanced_share between 0 and 1, true)"
)


def test_dbt_tests_own_the_rules_on_the_models_rows(built, tmp_path):
    """certified > graduates in raw, a share above 1, an indicator missing from the scorecard, a
    region-wide apprenticeship row that is not its units' sum, a programme share above 1, a unit
    outside the seeds and a negative count of new carriers: each fails the dbt test that owns the
    rule (Great Expectations no longer checks them twice)."""
    db_path, _ = built
    copy = tmp_path / "bad.duckdb"
    copy.write_bytes(db_path.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update raw.graduates set graduates_certified = graduates + 1 where institution = ?", [APPLIED]
        )
        con.execute(
            "update marts.mart_training_level_mix set advanced_plus_share = 1.5 where program = ?", [PROJ]
        )
        con.execute("delete from marts.mart_policy_scorecard where indicator_id = 'CERT-REWARD'")
        appr = "update marts.mart_apprenticeship_annual set {} where year = 2024 and region_code = '{}'"
        # one more modern person-time region-wide than in the units (the row's own total kept true)
        con.execute(
            appr.format("modern_person_times = modern_person_times + 1, apprenticeship_person_times ="
                        " apprenticeship_person_times + 1", REGION)
        )
        con.execute(appr.format("enterprise_advanced_share = 1.5", "650100"))
        con.execute(appr.format("region_code = '659999'", "659001"))  # a unit of no seed
        # -1 new carriers of a type, its tiers adding up to it
        con.execute(
            "update marts.mart_new_carriers set new_county_carriers = new_county_carriers - new_carriers - 1,"
            " new_carriers = -1 where year = 2024 and carrier_type = (select min(carrier_type) from marts.mart_new_carriers)"
        )
    selected = [
        "stg_raw__graduates",
        "mart_training_level_mix",
        "assert_policy_scorecard_covers_every_indicator",
        "mart_apprenticeship_annual",
        "mart_new_carriers",
    ]
    result = run_dbt(["test", "--select", *selected], copy, tmp_path)
    assert result.returncode == 1
    assert failed_dbt_tests(tmp_path / "target", copy) == {
        ("stg_raw__graduates", "graduates_certified between 0 and graduates"),
        ("mart_training_level_mix", "coalesce(advanced_plus_share between 0 and 1, person_times = 0)"),
        (None, "assert_policy_scorecard_covers_every_indicator"),
        ("mart_apprenticeship_annual", "region_row_is_sum_of_units"),
        ("mart_apprenticeship_annual", APPRENTICESHIP_SHARES),
        ("mart_apprenticeship_annual", "relationships"),
        ("mart_new_carriers", "new_carriers >= 0"),
    }


# --- talent scorecard ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(built, tmp_path_factory) -> Path:
    """The build published the way a run publishes it (marts and audit only, storage v1.5.0)."""
    from datetime import date

    from publish.warehouse import publish

    db_path, _ = built
    path = tmp_path_factory.mktemp("published") / "talent.duckdb"
    report = publish(db_path, path, "run-scorecard-test", date.fromisoformat(AS_OF))
    assert report.tables["marts.mart_policy_scorecard"] > 0
    assert report.tables["marts.audit_unmatched_providers"] == 3
    return path


def render_text(renderable) -> str:
    from rich.console import Console

    console = Console(width=240, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_render_scorecard_latest_year(published):
    from talent.scorecard import render_scorecard

    text = render_text(render_scorecard(published, None, None))
    lines = text.splitlines()
    assert "2025" in lines[0]
    for indicator in INDICATORS:
        assert indicator in text
    assert "企业新型学徒制培训人次" in text and "国企高技能人才人均收入增幅不低于管理人员" in text

    def line_of(indicator: str, unit: str) -> str:
        [line] = [x for x in lines if f" {indicator} " in x and unit in x]
        return line

    assert "50.0% (2/4)" in line_of("HS-RATIO-2027", "新疆维吾尔自治区")
    assert "达标 met" in line_of("HS-RATIO-2027", "新疆维吾尔自治区")
    assert "2 达标 · 24 无数据" in line_of("HS-RATIO-2027", "26 个地州市")
    appr = line_of("APPR-ENTERPRISE", "新疆维吾尔自治区")
    assert "1 人次" in appr and "≥ 10,000 人次" in appr and "进度滞后 off_track" in appr
    carriers_new = line_of("CARRIERS-NEW", "6 个载体类型")
    assert "1 达标 · 5 进度滞后" in carriers_new
    assert "无数据 no_data" in line_of("SOE-PAY-GROWTH", "新疆维吾尔自治区")
    assert "year to date" in lines[-1]


def test_render_scorecard_year_and_region(published):
    from talent.scorecard import render_scorecard

    text = render_text(render_scorecard(published, 2024, "伊犁"))
    assert "伊犁哈萨克自治州 (654000)" in text.splitlines()[0]
    body = [
        line for line in text.splitlines() if line.startswith("│") and not any(i in line for i in OTHER_SLICE)
    ]
    assert len(body) == 2  # B2 (no training) and 某应用技术学院; everything else is elsewhere
    assert any("伊犁乙培训基地" in line and "无数据 no_data" in line for line in body)
    assert any(APPLIED in line and "70.0% (35/50)" in line and "达标 met" in line for line in body)

    detail = render_text(render_scorecard(published, 2024, None, detail=True))
    assert "乌鲁木齐甲培训基地" in detail and "33.3% (1/3)" in detail


def test_render_scorecard_errors(published, tmp_path):
    from talent.scorecard import ScorecardError, render_scorecard

    with pytest.raises(ScorecardError, match="no scorecard rows for 2019"):
        render_scorecard(published, 2019, None)
    with pytest.raises(ScorecardError, match="not a prefecture-level unit"):
        render_scorecard(published, None, "999999")
    with pytest.raises(ScorecardError, match="does not exist"):
        render_scorecard(tmp_path / "missing.duckdb", None, None)
    empty = tmp_path / "old.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute("create schema marts; create table marts.mart_high_skill_ratio (x integer)")
    with pytest.raises(ScorecardError, match="has no marts.mart_policy_scorecard"):
        render_scorecard(empty, None, None)


def test_render_scorecard_reads_the_file_read_only(published):
    """Another process may hold the published file open for reading while the CLI runs."""
    from talent.scorecard import render_scorecard

    with duckdb.connect(str(published), read_only=True):
        assert "HS-RATIO-2027" in render_text(render_scorecard(published, None, None))


def test_talent_scorecard_command(published):
    from typer.testing import CliRunner

    from talent.cli import app

    result = CliRunner().invoke(app, ["scorecard", "--warehouse", str(published), "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert "GRAD-CERT-RATE" in result.output and "2024" in result.output
    result = CliRunner().invoke(app, ["scorecard", "--warehouse", str(published), "--region", "nowhere"])
    assert result.exit_code == 1
    assert "not a prefecture-level unit" in result.output
