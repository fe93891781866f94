"""Competitions, honours and certificate rewards (measures 14, 15, 18) on a hand-made raw schema.

Ten persons cover several medals in one year (one row per entitlement, not per medal), corrections of
a result, a medallist who already held the promoted level (done), one promoted after the competition
(done), one whose certificate was revoked or is dated after the as-of date (backlog), results that
entitle nothing (参赛, 地州级, 天山技术能手) and a result of a year after the as-of date. Every expected
value below was worked out by hand from those rows. dbt builds the competitions models and their
ancestors once for the module; the person-level export is then run against the same build.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pytest

from ingest import restricted
from ingest.pii import PiiKey, PiiKeyMissing
from orchestration.settings import WarehouseSettings
from talent.export import HEADERS, ExportError, export_eligibility
from tests import support
from tests.conftest import make_id
from tests.support import LEDGER_14, failed_dbt_tests, load_id, query, raw_schema

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = REPO / ".venv" / "bin" / "dbt"
AS_OF = "2025-06-30"
KEY = "competitions-test-key"
PII_KEY = PiiKey(KEY.encode(), "environment")
REGION = "650000"
MY_MARTS = (
    "mart_competition_results",
    "mart_promotion_followup",
    "mart_title_eligibility",
    "mart_certificate_rewards",
)

# person -> (name, ID number)
PERSONS = {
    "A": ("阿依古丽·买买提", make_id("650102", "19900501", "012")),
    "B": ("王建国", make_id("652301", "19850101", "021")),
    "C": ("李娜", make_id("654002", "19920315", "042")),
    "D": ("热合曼·艾力", make_id("659001", "19951111", "031")),
    "E": ("张伟", make_id("650104", "19880808", "051")),
    "F": ("马晓东", make_id("650105", "20000101", "071")),
    "G": ("古丽娜尔", make_id("653101", "19750606", "082")),
    "H": ("赵磊", make_id("650102", "20010202", "091")),
    "I": ("陈静", make_id("652302", "19930909", "102")),
    "J": ("刘洋", make_id("650106", "20030303", "111")),
}


def key(person: str) -> str:
    return PII_KEY.hash_one(PERSONS[person][1])


def birth(person: str) -> date:
    digits = PERSONS[person][1][6:14]
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


NATIONAL = "全国技能大赛"
REGIONAL = "自治区技能大赛"
# (export date, file, person, competition, tier, year, event, award, region), in file order
COMPETITION_ROWS = [
    ("2023-12-01", "行业赛.csv", "C", "全国行业技能大赛", "国家级二类", 2023, "电工", "一等奖", "654000"),
    # A: three medals in 2024 (two national, one regional); the regional one lands as 银牌 and is
    # corrected to 金牌 in January
    ("2024-12-20", "全国赛.csv", "A", NATIONAL, "国家级一类", 2024, "焊工", "金牌", "650100"),
    ("2024-12-20", "全国赛.csv", "A", NATIONAL, "国家级一类", 2024, "电工", "银牌", "650100"),
    ("2024-12-20", "全国赛.csv", "E", NATIONAL, "国家级一类", 2024, "焊工", "参赛", "650100"),
    ("2024-12-20", "自治区赛.csv", "A", REGIONAL, "自治区级一类", 2024, "焊工", "银牌", "650100"),
    ("2024-12-20", "自治区赛.csv", "B", REGIONAL, "自治区级一类", 2024, "车工", "金牌", "652300"),
    ("2024-12-20", "自治区赛.csv", "D", "自治区行业技能大赛", "自治区级二类", 2024, "钳工", "金牌", "659001"),
    ("2024-12-20", "自治区赛.csv", "I", "全国行业技能大赛", "国家级二类", 2024, "钳工", "铜牌", "652300"),
    ("2024-12-20", "地州赛.csv", "E", "乌鲁木齐市技能大赛", "地州级", 2024, "焊工", "金牌", "650100"),
    # corrections: A's regional result is gold; I's bronze was a mistake (took part only)
    ("2025-01-15", "更正.csv", "A", REGIONAL, "自治区级一类", 2024, "焊工", "金牌", "650100"),
    ("2025-01-15", "更正.csv", "I", "全国行业技能大赛", "国家级二类", 2024, "钳工", "参赛", "652300"),
    ("2025-06-01", "世赛.csv", "F", "世界技能大赛", "世界技能大赛", 2025, "焊接", "优胜奖", "650100"),
    # a year after the as-of date's year: counted nowhere
    ("2025-06-01", "世赛.csv", "H", NATIONAL, "国家级一类", 2026, "焊工", "金牌", "650100"),
]

# (export date, file, person, honour, year, region)
HONOUR_ROWS = [
    ("2024-12-31", "荣誉.csv", "C", "全国技术能手", 2024, "654000"),
    ("2024-12-31", "荣誉.csv", "G", "自治区级技能大师工作室领办人", 2023, "653100"),
    ("2024-12-31", "荣誉.csv", "G", "天山技术能手", 2022, "653100"),
]

LEVELS = {1: "初级工", 2: "中级工", 3: "高级工", 4: "技师", 5: "高级技师"}
# (export date, file, certificate, person, rank, issue date, region, status)
CERTIFICATE_ROWS = [
    ("2024-12-01", "a.csv", "CA1", "A", 4, "2020-05-01", "650100", "有效"),  # A needs 高级技师
    ("2024-12-01", "a.csv", "CB1", "B", 5, "2019-06-01", "652300", "有效"),  # B already above 技师
    ("2024-12-01", "a.csv", "CC1", "C", 4, "2024-03-01", "654000", "有效"),  # C promoted after 2023
    ("2024-12-01", "a.csv", "CC2", "C", 3, "2024-01-10", "654000", "有效"),
    ("2024-12-01", "a.csv", "CD1", "D", 3, "2024-09-01", "659001", "有效"),  # revoked below
    ("2024-12-01", "a.csv", "CD2", "D", 2, "2022-02-02", "659001", "有效"),
    ("2025-03-01", "b.csv", "CD1", "D", 3, "2024-09-01", "659001", "撤销"),
    ("2025-03-01", "b.csv", "CJ1", "J", 1, "2025-03-03", "650100", "有效"),
    ("2025-03-01", "b.csv", "CJ2", "J", 2, "2025-03-03", "653100", "有效"),  # same day, higher: J's
    ("2025-08-02", "c.csv", "CF1", "F", 4, "2025-08-01", "650100", "有效"),  # after the as-of date
]

NODES = ["+" + mart for mart in MY_MARTS] + ["stg_raw__load_ledger"]


def _lineage(source: str, rows: list[tuple]) -> tuple[list[tuple], dict[str, int]]:
    """(load_id, source_file, file_name, export_date, row_number) per row, and rows per file."""
    out, per_file = [], {}
    for export_date, file_name, *_ in rows:
        source_file = f"{source}/{export_date}/{file_name}"
        per_file[source_file] = per_file.get(source_file, 0) + 1
        out.append((load_id(source_file), source_file, file_name, export_date, per_file[source_file] + 1))
    return out, per_file


def build_raw(build_db: Path, restricted_db: Path) -> None:
    """The raw schema as ingest creates it (every source of the contract), filled by hand."""
    competitions, competition_files = _lineage("competitions", COMPETITION_ROWS)
    honours, honour_files = _lineage("honours", HONOUR_ROWS)
    certifications, certificate_files = _lineage("certifications", CERTIFICATE_ROWS)
    # every source of the contract as ingest creates it, and the restricted store attached
    with raw_schema(build_db, PII_KEY, restricted_db) as con:
        con.executemany(
            "insert into raw.competitions (load_id, source_file, file_name, export_date, row_number,"
            " competition_name, tier, year, event, person_key, birth_date, award, region_code)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (*lineage, name, tier, year, event, key(p), birth(p), award, region)
                for lineage, (_, _, p, name, tier, year, event, award, region) in zip(
                    competitions, COMPETITION_ROWS, strict=True
                )
            ],
        )
        con.executemany(
            "insert into raw.honours (load_id, source_file, file_name, export_date, row_number,"
            " honour, year, person_key, birth_date, region_code) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (*lineage, honour, year, key(p), birth(p), region)
                for lineage, (_, _, p, honour, year, region) in zip(honours, HONOUR_ROWS, strict=True)
            ],
        )
        con.executemany(
            "insert into raw.certifications (load_id, source_file, file_name, export_date, row_number,"
            " certificate_no, person_key, gender, birth_date, occupation_name, skill_level, level_rank,"
            " issue_date, assessor_name, region_code, status)"
            " values (?, ?, ?, ?, ?, ?, ?, '男', ?, '焊工', ?, ?, ?, '某评价机构', ?, ?)",
            [
                (*lineage, cert, key(p), birth(p), LEVELS[rank], rank, issued, region, status)
                for lineage, (_, _, cert, p, rank, issued, region, status) in zip(
                    certifications, CERTIFICATE_ROWS, strict=True
                )
            ],
        )
        ledger = []
        for source, files in (
            ("competitions", competition_files),
            ("honours", honour_files),
            ("certifications", certificate_files),
        ):
            for source_file, n in files.items():
                _, export_date, file_name = source_file.split("/")
                ledger.append(
                    (load_id(source_file), source, source_file, file_name, export_date, 1000, n, n, 0,
                     "loaded", None, None, "run-1", "2025-06-30 01:00:00")
                )  # fmt: skip
        con.executemany(f"insert into raw.load_ledger ({LEDGER_14}) values ({', '.join(['?'] * 14)})", ledger)
        persons = pa.table({
            "id_number": [id_number for _, id_number in PERSONS.values()],
            "name": [name for name, _ in PERSONS.values()],
            "source": ["competitions"] * len(PERSONS),
            "source_file": ["competitions/x.csv"] * len(PERSONS),
            "export_date": [date(2025, 1, 1)] * len(PERSONS),
            "row_number": [2] * len(PERSONS),
        })
        restricted.write_chunks(con, PII_KEY, "run-1", sorted({lid for lid, *_ in ledger}), persons)


def run_dbt(args: list[str], db_path: Path, work: Path) -> subprocess.CompletedProcess:
    return support.run_dbt(args, db_path, work, as_of=AS_OF)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[WarehouseSettings, Path]:
    """Raw schema and restricted store by hand, then `dbt build` of the competitions models."""
    work = tmp_path_factory.mktemp("competitions")
    settings = WarehouseSettings(warehouse_path=str(work / "wh" / "talent.duckdb"), as_of=AS_OF)
    settings.build_dir.mkdir(parents=True)
    settings.restricted_dir.mkdir(parents=True)
    build_raw(settings.build_db, settings.restricted_db)
    result = run_dbt(
        ["build", "--indirect-selection", "cautious", "--select", *NODES], settings.build_db, work
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return settings, work


def rule_texts() -> dict[str, str]:
    with open(DBT_PROJECT / "seeds" / "ref_entitlement_rules.csv", encoding="utf-8", newline="") as f:
        return {row["rule_id"]: row["rule_text"] for row in csv.DictReader(f)}


# --- dbt ---------------------------------------------------------------------------------------------


def test_every_node_passes_and_the_unit_tests_ran(built):
    _, work = built
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    assert {r["status"] for r in results} <= {"success", "pass"}, [
        (r["unique_id"], r["status"]) for r in results if r["status"] not in ("success", "pass")
    ]
    ids = {r["unique_id"] for r in results}
    for mart in MY_MARTS:
        assert f"model.talent_warehouse.{mart}" in ids
    assert {
        "unit_test.talent_warehouse.int_entitlements_deduped.int_entitlements_deduped_once_per_entitlement",
        "unit_test.talent_warehouse.int_promotions_followed_up.int_promotions_followed_up_done_or_backlog",
        "unit_test.talent_warehouse.int_entitlement_records_matched.int_entitlement_records_matched_rules",
    } <= ids
    assert "seed.talent_warehouse.ref_entitlement_rules" in ids


def test_latest_version_of_each_result_wins(built):
    settings, _ = built
    rows = {
        (person_key, event, competition): (award, versions)
        for person_key, event, competition, award, versions in query(
            settings.build_db,
            "select person_key, event, competition_name, award, landed_versions"
            " from intermediate.int_competition_results_latest",
        )
    }
    assert len(rows) == 11
    assert rows[(key("A"), "焊工", REGIONAL)] == ("金牌", 2)
    assert rows[(key("I"), "钳工", "全国行业技能大赛")] == ("参赛", 2)
    assert rows[(key("A"), "焊工", NATIONAL)] == ("金牌", 1)


# (person, year, indicator) -> (entitlement, rule, region, qualifying records, newly entitled)
EXPECTED_ENTITLEMENTS = {
    # A: three medals in 2024 -> one promotion (the highest level), one full title, one deputy
    ("A", 2024, "COMPETITION-PROMOTION"): ("高级技师", "M14-N1-G", "650100", 3, True),
    ("A", 2024, "TITLE-DIRECT-FULL"): ("正高级", "M15F-N1-G", "650100", 2, True),
    ("A", 2024, "TITLE-DIRECT-DEPUTY"): ("副高级", "M15D-R1-G", "650100", 1, True),
    ("B", 2024, "COMPETITION-PROMOTION"): ("技师", "M14-R1-G", "652300", 1, True),
    ("B", 2024, "TITLE-DIRECT-DEPUTY"): ("副高级", "M15D-R1-G", "652300", 1, True),
    # C: 一等奖 counts as gold; 全国技术能手 in 2024 keeps the full title, not newly
    ("C", 2023, "COMPETITION-PROMOTION"): ("技师", "M14-N2-P1", "654000", 1, True),
    ("C", 2023, "TITLE-DIRECT-FULL"): ("正高级", "M15F-N2-P1", "654000", 1, True),
    ("C", 2024, "TITLE-DIRECT-FULL"): ("正高级", "M15F-H-NTE", "654000", 1, False),
    ("D", 2024, "COMPETITION-PROMOTION"): ("高级工", "M14-R2-G", "659001", 1, True),
    ("F", 2025, "COMPETITION-PROMOTION"): ("技师", "M14-WSC-M", "650100", 1, True),
    ("G", 2023, "TITLE-DIRECT-DEPUTY"): ("副高级", "M15D-H-RMS", "653100", 1, True),
}


def test_one_row_per_person_year_and_entitlement_not_per_medal(built):
    settings, _ = built
    by_key = {key(p): p for p in PERSONS}
    rows = query(
        settings.build_db,
        "select person_key, year, indicator_id, entitlement, rule_id, region_code, qualifying_records,"
        " is_newly_entitled from intermediate.int_entitlements_deduped",
    )
    got = {(by_key[pk], year, ind): tuple(rest) for pk, year, ind, *rest in rows}
    assert len(rows) == len(got)
    assert got == EXPECTED_ENTITLEMENTS
    [(listed,)] = query(
        settings.build_db,
        "select qualifying_record_list from intermediate.int_entitlements_deduped"
        f" where person_key = '{key('A')}' and indicator_id = 'COMPETITION-PROMOTION'",
    )
    assert listed == (
        "2024年 全国技能大赛（国家级一类） 焊工 金牌；2024年 全国技能大赛（国家级一类） 电工 银牌；"
        "2024年 自治区技能大赛（自治区级一类） 焊工 金牌"
    )


def test_a_medallist_already_holding_the_level_is_done_not_backlog(built):
    settings, _ = built
    by_key = {key(p): p for p in PERSONS}
    rows = query(
        settings.build_db,
        "select person_key, year, promoted_skill_level, held_skill_level,"
        " cast(first_qualifying_issue_date as varchar), is_done"
        " from intermediate.int_promotions_followed_up",
    )
    assert {(by_key[pk], *rest) for pk, *rest in rows} == {
        ("A", 2024, "高级技师", "技师", None, False),  # holds 技师 only
        ("B", 2024, "技师", "高级技师", "2019-06-01", True),  # already held a higher level
        ("C", 2023, "技师", "技师", "2024-03-01", True),  # promoted after the competition
        ("D", 2024, "高级工", "中级工", None, False),  # the 高级工 certificate was revoked
        ("F", 2025, "技师", None, None, False),  # certificate issued after the as-of date
    }


def test_promotion_followup(built):
    settings, _ = built
    rows = query(
        settings.build_db,
        "select year, region_code, region_name, cast(as_of_date as varchar), entitled_persons,"
        " done_persons, backlog_persons, share_done from marts.mart_promotion_followup order by year, region_code",
    )
    assert rows == [  # the mart is ordered by year and unit code
        (2023, REGION, "新疆维吾尔自治区", AS_OF, 1, 1, 0, 1.0),
        (2023, "654000", "伊犁哈萨克自治州", AS_OF, 1, 1, 0, 1.0),  # C, promoted in 2024
        (2024, REGION, "新疆维吾尔自治区", AS_OF, 3, 1, 2, 1 / 3),
        (2024, "650100", "乌鲁木齐市", AS_OF, 1, 0, 1, 0.0),  # A, once for three medals
        (2024, "652300", "昌吉回族自治州", AS_OF, 1, 1, 0, 1.0),  # B, already held the level
        (2024, "659001", "石河子市", AS_OF, 1, 0, 1, 0.0),  # D, certificate revoked
        (2025, REGION, "新疆维吾尔自治区", AS_OF, 1, 0, 1, 0.0),
        (2025, "650100", "乌鲁木齐市", AS_OF, 1, 0, 1, 0.0),  # F, certificate after the as-of date
    ]


def test_competition_results(built):
    settings, _ = built
    rows = query(
        settings.build_db,
        "select year, tier, region_code, entries, entrants, award_winners, gold_medallists,"
        " silver_medallists, bronze_medallists, merit_award_winners, first_prize_winners,"
        " second_prize_winners, third_prize_winners from marts.mart_competition_results",
    )
    got = {(year, tier, region): tuple(rest) for year, tier, region, *rest in rows}
    assert len(got) == len(rows)
    #        entries, entrants, winners, gold, silver, bronze, merit, 1st, 2nd, 3rd
    expected = {
        (2023, "国家级二类", "654000"): (1, 1, 1, 0, 0, 0, 0, 1, 0, 0),
        (2024, "国家级一类", "650100"): (3, 2, 1, 1, 1, 0, 0, 0, 0, 0),
        (2024, "国家级二类", "652300"): (1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        (2024, "自治区级一类", "650100"): (1, 1, 1, 1, 0, 0, 0, 0, 0, 0),
        (2024, "自治区级一类", "652300"): (1, 1, 1, 1, 0, 0, 0, 0, 0, 0),
        (2024, "自治区级二类", "659001"): (1, 1, 1, 1, 0, 0, 0, 0, 0, 0),
        (2024, "地州级", "650100"): (1, 1, 1, 1, 0, 0, 0, 0, 0, 0),
        (2025, "世界技能大赛", "650100"): (1, 1, 1, 0, 0, 0, 1, 0, 0, 0),
    }
    # region-wide rows: one unit per tier and year, except 2024 自治区级一类 (two units, two persons)
    for (year, tier, _), counts in list(expected.items()):
        if (year, tier) != (2024, "自治区级一类"):
            expected[(year, tier, REGION)] = counts
    expected[(2024, "自治区级一类", REGION)] = (2, 2, 2, 2, 0, 0, 0, 0, 0, 0)
    assert got == expected


def test_title_eligibility(built):
    settings, _ = built
    texts = rule_texts()
    rows = query(
        settings.build_db,
        "select year, region_code, indicator_id, title_grade, rule_id, rule_text, eligible_persons,"
        " newly_eligible_persons from marts.mart_title_eligibility",
    )
    for *_, rule_id, rule_text, _, _ in rows:
        assert rule_text == texts[rule_id]
    got = {(year, region, ind, grade, rule): (n, new) for year, region, ind, grade, rule, _, n, new in rows}
    assert len(got) == len(rows)
    full, deputy = "TITLE-DIRECT-FULL", "TITLE-DIRECT-DEPUTY"
    assert got == {
        (2023, "654000", full, "正高级", "M15F-N2-P1"): (1, 1),
        (2023, REGION, full, "正高级", "M15F-N2-P1"): (1, 1),
        (2023, "653100", deputy, "副高级", "M15D-H-RMS"): (1, 1),
        (2023, REGION, deputy, "副高级", "M15D-H-RMS"): (1, 1),
        (2024, "650100", full, "正高级", "M15F-N1-G"): (1, 1),
        (2024, REGION, full, "正高级", "M15F-N1-G"): (1, 1),
        (2024, "654000", full, "正高级", "M15F-H-NTE"): (1, 0),
        (2024, REGION, full, "正高级", "M15F-H-NTE"): (1, 0),
        (2024, "650100", deputy, "副高级", "M15D-R1-G"): (1, 1),
        (2024, "652300", deputy, "副高级", "M15D-R1-G"): (1, 1),
        (2024, REGION, deputy, "副高级", "M15D-R1-G"): (2, 2),
    }


def test_certificate_rewards(built):
    settings, _ = built
    rows = query(
        settings.build_db,
        "select year, region_code, skill_level, level_rank, is_high_skilled, certified_persons, certificates"
        " from marts.mart_certificate_rewards",
    )
    got = {
        (year, region, level): (rank, high, persons, certs)
        for year, region, level, rank, high, persons, certs in rows
    }
    assert len(got) == len(rows)
    units = {
        (2019, "652300", "高级技师"): (5, True, 1, 1),
        (2020, "650100", "技师"): (4, True, 1, 1),
        (2022, "659001", "中级工"): (2, False, 1, 1),  # D's 高级工 of 2024 was revoked
        (2024, "654000", "技师"): (4, True, 1, 1),
        (2024, "654000", "高级工"): (3, True, 0, 1),  # C counts once, at the higher level
        (2025, "653100", "中级工"): (2, False, 1, 1),  # J: same day, the higher level's unit
        (2025, "650100", "初级工"): (1, False, 0, 1),
        # F's 技师 of 2025-08-01 is after the as-of date: not counted
    }
    expected = dict(units)
    expected.update({(year, REGION, level): counts for (year, _, level), counts in units.items()})
    assert got == expected


def test_marts_hold_no_personal_data(built):
    settings, _ = built
    columns = query(
        settings.build_db,
        "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
        f" and table_name in {MY_MARTS}",
    )
    assert {t for t, _ in columns} == set(MY_MARTS)
    assert not [c for _, c in columns if c in ("person_key", "name", "id_number", "birth_date")]
    text = "\n".join(str(query(settings.build_db, f"select * from marts.{mart}")) for mart in MY_MARTS)
    for person, (name, id_number) in PERSONS.items():
        assert key(person) not in text and id_number not in text and name not in text


def test_mart_contract_types(built):
    settings, _ = built
    types = {
        (t, c): d
        for t, c, d in query(
            settings.build_db,
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'marts'",
        )
    }
    assert types[("mart_promotion_followup", "share_done")] == "DOUBLE"
    assert types[("mart_promotion_followup", "as_of_date")] == "DATE"
    assert types[("mart_title_eligibility", "eligible_persons")] == "BIGINT"
    assert types[("mart_competition_results", "year")] == "INTEGER"
    assert types[("mart_certificate_rewards", "is_high_skilled")] == "BOOLEAN"


# --- the person-level export ----------------------------------------------------------------------


def export_log(settings: WarehouseSettings) -> list[tuple]:
    from talent.export_log import entries, log_path

    return [
        (e["who"], e["export"], e["year"], e["rows"], e["file"], e["file_sha256"], e["as_of_date"])
        for e in entries(log_path(settings.restricted_dir))
    ]


def expected_export_rows() -> list[tuple]:
    t = rule_texts()
    a_national_gold = "2024年 全国技能大赛（国家级一类） 焊工 金牌"
    a_national_silver = "2024年 全国技能大赛（国家级一类） 电工 银牌"
    a_regional_gold = "2024年 自治区技能大赛（自治区级一类） 焊工 金牌"
    b_gold = "2024年 自治区技能大赛（自治区级一类） 车工 金牌"
    d_gold = "2024年 自治区行业技能大赛（自治区级二类） 钳工 金牌"
    promotion, full, deputy = "晋升职业技能等级", "直接申报正高级职称", "直接申报副高级职称"

    def person(p: str) -> tuple[str, str]:
        return PERSONS[p]

    return [
        (2024, *person("A"), "乌鲁木齐市", "650100", promotion, "高级技师", "M14-N1-G", t["M14-N1-G"],
         a_national_gold, f"{a_national_gold}；{a_national_silver}；{a_regional_gold}", 3, "待晋升"),
        (2024, *person("A"), "乌鲁木齐市", "650100", full, "正高级", "M15F-N1-G", t["M15F-N1-G"],
         a_national_gold, f"{a_national_gold}；{a_national_silver}", 2, None),
        (2024, *person("A"), "乌鲁木齐市", "650100", deputy, "副高级", "M15D-R1-G", t["M15D-R1-G"],
         a_regional_gold, a_regional_gold, 1, None),
        (2024, *person("B"), "昌吉回族自治州", "652300", promotion, "技师", "M14-R1-G", t["M14-R1-G"],
         b_gold, b_gold, 1, "已持有相应或更高等级证书"),
        (2024, *person("B"), "昌吉回族自治州", "652300", deputy, "副高级", "M15D-R1-G", t["M15D-R1-G"],
         b_gold, b_gold, 1, None),
        (2024, *person("C"), "伊犁哈萨克自治州", "654000", full, "正高级", "M15F-H-NTE", t["M15F-H-NTE"],
         "2024年 全国技术能手", "2024年 全国技术能手", 1, None),
        (2024, *person("D"), "石河子市", "659001", promotion, "高级工", "M14-R2-G", t["M14-R2-G"],
         d_gold, d_gold, 1, "待晋升"),
    ]  # fmt: skip


def read_xlsx(path: Path) -> tuple[list, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        assert wb.sheetnames == ["资格名单", "说明"]
        rows = list(wb["资格名单"].iter_rows(values_only=True))
    finally:
        wb.close()
    return list(rows[0]), [tuple(r) for r in rows[1:]]


def test_export_eligibility_writes_the_list_with_chinese_headers_and_logs_it(built, tmp_path, monkeypatch):
    settings, _ = built
    monkeypatch.setenv("TALENT_PII_KEY", KEY)
    before = export_log(settings)
    out = tmp_path / "名单" / "2024年资格名单.xlsx"

    rows = export_eligibility(settings, 2024, out, "审核员甲")

    assert rows == 7
    headers, data = read_xlsx(out)
    assert headers == list(HEADERS)
    assert headers[:4] == ["年度", "姓名", "公民身份号码", "地州市"]
    assert {"规则", "资格依据记录"} <= set(headers)
    assert data == expected_export_rows()
    assert all(isinstance(r[2], str) and len(r[2]) == 18 for r in data)  # ID numbers stay text
    assert [f for f in out.parent.iterdir()] == [out]  # no temporary file left behind
    log = export_log(settings)
    assert log[: len(before)] == before
    assert log[len(before) :] == [
        ("审核员甲", "eligibility", 2024, 7, str(out), hashlib.sha256(out.read_bytes()).hexdigest(), AS_OF)
    ]


def test_export_of_a_year_without_entitlements_writes_headers_only(built, tmp_path, monkeypatch):
    settings, _ = built
    monkeypatch.setenv("TALENT_PII_KEY", KEY)
    out = tmp_path / "2022.xlsx"
    assert export_eligibility(settings, 2022, out, "审核员乙") == 0  # 天山技术能手 entitles nothing
    headers, data = read_xlsx(out)
    assert headers == list(HEADERS) and data == []
    assert export_log(settings)[-1][:4] == ("审核员乙", "eligibility", 2022, 0)


def test_export_without_the_pii_key_fails_clearly_and_writes_nothing(built, tmp_path, monkeypatch):
    settings, _ = built
    monkeypatch.delenv("TALENT_PII_KEY", raising=False)
    assert not settings.key_file.exists()
    before = export_log(settings)
    out = tmp_path / "x.xlsx"
    with pytest.raises(PiiKeyMissing, match="TALENT_PII_KEY is not set"):
        export_eligibility(settings, 2024, out, "审核员甲")
    assert not out.exists()
    assert not settings.key_file.exists()  # never creates a key
    assert export_log(settings) == before


def test_export_with_another_key_is_refused(built, tmp_path, monkeypatch):
    settings, _ = built
    monkeypatch.setenv("TALENT_PII_KEY", "not-the-key")
    before = export_log(settings)
    with pytest.raises(ExportError, match="not the one this build was pseudonymised with"):
        export_eligibility(settings, 2024, tmp_path / "x.xlsx", "审核员甲")
    assert not (tmp_path / "x.xlsx").exists()
    assert export_log(settings) == before


def test_cli_export_eligibility(built, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from talent.cli import app

    settings, _ = built
    out = tmp_path / "cli.xlsx"
    args = [
        "export",
        "eligibility",
        "--year",
        "2024",
        "--out",
        str(out),
        "--warehouse",
        str(settings.warehouse),
    ]
    monkeypatch.delenv("TALENT_PII_KEY", raising=False)
    missing = CliRunner().invoke(app, [*args, "--who", "审核员丙"])
    assert missing.exit_code == 2
    assert "TALENT_PII_KEY" in missing.output and not out.exists()

    monkeypatch.setenv("TALENT_PII_KEY", KEY)
    done = CliRunner().invoke(app, [*args, "--who", "审核员丙"])
    assert done.exit_code == 0, done.output
    assert "7 entitlements of 2024" in done.output
    assert read_xlsx(out)[1] == expected_export_rows()
    assert export_log(settings)[-1][:4] == ("审核员丙", "eligibility", 2024, 7)


# --- Great Expectations suites ------------------------------------------------------------------------

MY_SUITES = ("raw_competitions", "raw_honours", *MY_MARTS)


def test_quality_suites_pass_on_the_build(built):
    from expectations import SUITES, run_suite

    settings, _ = built
    assert set(MY_SUITES) <= set(SUITES)
    assert all(SUITES[name].blocking for name in MY_SUITES)
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        for name in MY_SUITES:
            result = run_suite(con, name)
            assert result.success, (name, result.failed)
            assert result.evaluated == sum(len(frame.expectations) for frame in SUITES[name]())


@pytest.mark.parametrize(
    ("suite", "sql", "failures"),
    [
        (
            "mart_title_eligibility",
            "alter table marts.mart_title_eligibility add column person_key varchar",
            [("no_personal_columns", "column_name")],
        ),
        (
            "raw_competitions",
            "update raw.competitions set person_key = upper(person_key) where row_number = 2",
            [("rows", "person_key")],
        ),
    ],
)
def test_quality_suites_catch_bad_data(built, tmp_path, suite, sql, failures):
    import shutil

    from expectations import run_suite

    settings, _ = built
    copy = tmp_path / "build.duckdb"
    shutil.copy(settings.build_db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(sql)
        result = run_suite(con, suite)
    assert not result.success
    assert [(f["frame"], f["columns"][0]) for f in result.failed] == failures


def test_dbt_tests_own_the_rules_on_the_models_rows(built, tmp_path):
    """done + backlog <> entitled, a region row that is not its units' sum, a tier outside the
    contract, a negative award count, a level name that is not its rank's and a title row under a
    rule of another indicator: each fails the dbt test that owns the rule (Great Expectations keeps
    only the scan for personal columns of these marts)."""
    import shutil

    settings, _ = built
    copy = tmp_path / "build.duckdb"
    shutil.copy(settings.build_db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            f"update marts.mart_promotion_followup set backlog_persons = backlog_persons + 1"
            f" where year = 2024 and region_code <> '{REGION}'"
        )
        con.execute(f"delete from marts.mart_certificate_rewards where region_code = '{REGION}' and year = 2019")
        con.execute("update raw.competitions set tier = '省级一类' where row_number = 2")
        con.execute("update marts.mart_competition_results set bronze_medallists = -1 where tier = '地州级'")
        # 高级工 is rank 3 in ref_skill_levels, 技师 rank 4
        con.execute("update marts.mart_certificate_rewards set skill_level = '技师' where level_rank = 3")
        # M14-WSC-G is a rule of ref_entitlement_rules, but of COMPETITION-PROMOTION, not a title rule
        con.execute(
            "update marts.mart_title_eligibility set rule_id = 'M14-WSC-G'"
            " where rule_id = (select min(rule_id) from marts.mart_title_eligibility)"
        )
    selected = [
        "mart_promotion_followup",
        "mart_certificate_rewards",
        "stg_raw__competitions",
        "mart_competition_results",
        "mart_title_eligibility",
    ]
    AWARDS_NOT_NEGATIVE = (
        "least(award_winners, gold_medallists, silver_medallists, bronze_medallists, merit_award_winners,"
        " first_prize_winners, second_prize_winners, third_prize_winners) >= 0"
    )
    PROMOTION_BALANCE = (
        "done_persons + backlog_persons = entitled_persons and done_persons >= 0 and backlog_persons >= 0"
    )
    result = run_dbt(["test", "--select", *selected], copy, tmp_path)
    assert result.returncode == 1
    failed = failed_dbt_tests(tmp_path / "target", copy)
    assert {
        ("mart_promotion_followup", PROMOTION_BALANCE),
        ("mart_promotion_followup", "region_row_is_sum_of_units"),
        ("mart_certificate_rewards", "region_row_is_sum_of_units"),
        ("stg_raw__competitions", "accepted_values"),
        ("mart_competition_results", AWARDS_NOT_NEGATIVE),
        ("mart_certificate_rewards", "values_in_reference"),
        ("mart_title_eligibility", "values_in_reference"),
    } == failed, failed
