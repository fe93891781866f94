"""End to end on generated data: the training, carrier, graduate, competition and honour marts (and the
policy scorecard and the eligibility export built on them), compared with the generator's ground truth.

The truth is computed by the generator from its own clean models with the contract's counting rules,
never from the messy files and never with ingest or dbt code; one refresh serves every test here.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb
import fastexcel
import pytest

from orchestration.settings import WarehouseSettings
from talent.export import export_eligibility

pytestmark = pytest.mark.e2e

AS_OF = "2026-06-30"
SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
NEW_SOURCES = ("trainings", "carriers", "graduates", "competitions", "honours")
LEVEL_COLUMNS = (
    "apprentice", "elementary", "intermediate", "advanced_worker", "technician", "senior_technician",
    "principal_technician", "chief_technician",
)


@pytest.fixture(scope="module")
def generated(generated):
    settings, truth, _ = generated
    return settings, truth


def _rows(settings: WarehouseSettings, sql: str) -> list[dict]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def _by(rows: list[dict], *key: str) -> dict:
    out = {tuple(r[k] for k in key): r for r in rows}
    assert len(out) == len(rows), f"duplicate keys {key}"
    return out


def _compare(mart: dict, truth: dict, columns: tuple[str, ...], what: str) -> None:
    assert truth, f"the ground truth has no {what} rows"
    assert set(mart) == set(truth), (
        f"{what}: rows only in the mart {sorted(set(mart) - set(truth))[:5]}, "
        f"only in the truth {sorted(set(truth) - set(mart))[:5]}"
    )
    wrong = [
        (k, {c: (mart[k][c], truth[k][c]) for c in columns if mart[k][c] != truth[k][c]})
        for k in sorted(truth)
        if any(mart[k][c] != truth[k][c] for c in columns)
    ]
    assert not wrong, f"{what}: {len(wrong)} rows differ (mart, truth), e.g. {wrong[:3]}"


def test_every_new_source_file_is_in_the_ledger_and_every_bad_row_quarantined(generated):
    settings, truth = generated
    ledger = _by(
        _rows(settings, "select source, source_file, status, rows_landed, rows_loaded, rows_quarantined "
              "from audit.load_ledger"),
        "source_file",
    )
    quarantined = {
        (r["source_file"], r["row_number"], r["column_name"])
        for r in _rows(settings, "select source_file, row_number, column_name from audit.quarantine")
    }
    for source in NEW_SOURCES:
        files = [f for f in truth["files"] if f["source"] == source]
        assert {f["status"] for f in files} == {"loaded", "rejected", "duplicate", "skipped"}, source
        for f in files:
            got = ledger[(f["source_file"],)]
            assert got["status"] == f["status"], f
            if f["status"] in ("loaded", "rejected"):
                assert (got["rows_landed"], got["rows_loaded"], got["rows_quarantined"]) == (
                    f["rows_landed"], f["rows_loaded"], f["rows_quarantined"]), f
        totals = truth["sources"][source]
        counted = [r for r in ledger.values() if r["source"] == source and r["status"] in ("loaded", "rejected")]
        assert sum(r["rows_loaded"] for r in counted) == totals["rows_loaded"], source
        assert sum(r["rows_quarantined"] for r in counted) == totals["rows_quarantined"], source
    for bad in truth["quarantined_rows"]:
        if bad["source_file"].split("/")[0] in NEW_SOURCES:
            assert (bad["source_file"], bad["row_number"], bad["column"]) in quarantined, bad


def test_apprenticeship_annual_equals_truth(generated):
    settings, truth = generated
    columns = (
        "enterprise_person_times", "enterprise_advanced_person_times", "modern_person_times",
        "modern_advanced_person_times", "apprenticeship_person_times", "apprenticeship_advanced_person_times",
    )
    statuses = ("appr_enterprise_status", "appr_modern_status", "appr_advanced_status",
                "enterprise_advanced_status", "modern_advanced_status")
    mart = _by(_rows(settings, "select * from marts.mart_apprenticeship_annual"), "year", "region_code")
    expected = {}
    for r in truth["apprenticeship_annual"]:
        expected[(r["year"], r["region_code"])] = {c: r.get(c) for c in columns + statuses}
    _compare(mart, expected, columns + statuses, "mart_apprenticeship_annual")
    assert sum(r["enterprise_person_times"] for r in truth["apprenticeship_annual"]) > 0


def test_training_level_mix_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_training_level_mix"), "year", "program")
    expected = {}
    for r in truth["training_level_mix"]:
        row = {f"{name}_person_times": n for name, n in zip(LEVEL_COLUMNS, r["person_times_by_rank"])}
        row.update({c: r[c] for c in ("person_times", "advanced_plus_person_times", "withdrawn_person_times",
                                       "unregistered_provider_person_times", "project_advanced_status")})
        expected[(r["year"], r["program"])] = row
    columns = tuple(next(iter(expected.values())))
    _compare(mart, expected, columns, "mart_training_level_mix")
    assert {r["year"] for r in truth["training_level_mix"]} == set(truth["scorecard_years"])


def test_carrier_compliance_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_carrier_compliance"), "carrier_code", "year")
    expected = {(r["carrier_code"], r["year"]): r for r in truth["carrier_compliance"]}
    _compare(mart, expected, ("indicator_id", "person_times", "advanced_plus_person_times", "status"),
             "mart_carrier_compliance")
    statuses = Counter((r["indicator_id"], r["status"]) for r in truth["carrier_compliance"])
    assert statuses[("BASE-ADVANCED", "met")] and statuses[("BASE-ADVANCED", "missed")], statuses


def test_new_carriers_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_new_carriers"), "year", "carrier_type")
    tiers = {"国家级": "national", "自治区级": "region", "地州级": "prefecture", "县级": "county"}
    expected = {}
    for r in truth["new_carriers"]:
        row = {f"new_{tiers[t]}_carriers": n for t, n in r["new_by_tier"].items()}
        row.update({c: r[c] for c in ("new_carriers", "carriers_established_to_date", "status")})
        expected[(r["year"], r["carrier_type"])] = row
    _compare(mart, expected, tuple(next(iter(expected.values()))), "mart_new_carriers")
    statuses = Counter(r["status"] for r in truth["new_carriers"] if r["status"])
    assert statuses["met"] and statuses["missed"], statuses


def test_graduate_certificates_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_graduate_certificates"), "year", "unit_type", "unit_code")
    expected = {(r["year"], r["unit_type"], r["unit_code"]): r for r in truth["graduate_certificates"]}
    _compare(mart, expected, ("institution_type", "region_code", "institutions", "graduates",
                              "graduates_certified", "status"), "mart_graduate_certificates")
    statuses = Counter(r["status"] for r in truth["graduate_certificates"] if r["unit_type"] == "institution")
    assert statuses["met"] and statuses["missed"], statuses


def test_competition_results_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_competition_results"), "year", "tier", "region_code")
    expected = {(r["year"], r["tier"], r["region_code"]): r for r in truth["competition_results"]}
    columns = tuple(c for c in truth["competition_results"][0] if c not in ("year", "tier", "region_code"))
    _compare(mart, expected, columns, "mart_competition_results")


def test_promotion_followup_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_promotion_followup"), "year", "region_code")
    expected = {(r["year"], r["region_code"]): r for r in truth["promotion_followup"]}
    _compare(mart, expected, ("entitled_persons", "done_persons", "backlog_persons"), "mart_promotion_followup")
    region = [r for r in truth["promotion_followup"] if r["region_code"] == "650000"]
    assert sum(r["done_persons"] for r in region) and sum(r["backlog_persons"] for r in region)


def test_title_eligibility_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_title_eligibility"),
               "year", "region_code", "indicator_id", "rule_id")
    expected = {(r["year"], r["region_code"], r["indicator_id"], r["rule_id"]): r for r in truth["title_eligibility"]}
    _compare(mart, expected, ("eligible_persons", "newly_eligible_persons"), "mart_title_eligibility")
    assert {r["indicator_id"] for r in truth["title_eligibility"]} == {"TITLE-DIRECT-FULL", "TITLE-DIRECT-DEPUTY"}


def test_certificate_rewards_equals_truth(generated):
    settings, truth = generated
    mart = _by(_rows(settings, "select * from marts.mart_certificate_rewards"), "year", "region_code", "level_rank")
    expected = {(r["year"], r["region_code"], r["level_rank"]): r for r in truth["certificate_rewards"]}
    _compare(mart, expected, ("certified_persons", "certificates"), "mart_certificate_rewards")


def test_trainings_of_unregistered_providers_count_and_are_audited(generated):
    settings, truth = generated
    audit = _rows(settings, "select year, provider_code, unmatched_reason, sum(person_times) as person_times, "
                  "sum(advanced_plus_person_times) as advanced_plus_person_times, "
                  "sum(withdrawn_person_times) as withdrawn_person_times "
                  "from marts.audit_unmatched_providers group by all")
    got = {(r["year"], r["provider_code"] or ""): r for r in audit}
    expected = {(r["year"], r["provider_code"] or ""): r for r in truth["unmatched_providers"]}
    _compare(got, expected, ("person_times", "advanced_plus_person_times", "withdrawn_person_times"),
             "audit_unmatched_providers")
    unknown = [r for r in audit if r["unmatched_reason"] == "code_not_in_registry" and r["person_times"] > 0]
    assert unknown and any(r["unmatched_reason"] == "no_provider_code" for r in audit)
    # one unknown code: its trainings are in the programme totals, not in any carrier's
    year, code = unknown[0]["year"], unknown[0]["provider_code"]
    mix = _rows(settings, f"select sum(unregistered_provider_person_times) as u, sum(person_times) as p "
                f"from marts.mart_training_level_mix where year = {year}")[0]
    unmatched = sum(r["person_times"] for r in audit if r["year"] == year)
    assert mix["u"] == unmatched and mix["p"] > unmatched
    assert not _rows(settings, f"select 1 from marts.mart_carrier_compliance where carrier_code = '{code}'")


def test_scorecard_has_a_row_for_every_indicator_in_the_as_of_year(generated):
    settings, truth = generated
    with (SEEDS / "ref_policy_targets.csv").open(encoding="utf-8") as fh:
        indicators = {r["indicator_id"] for r in csv.DictReader(fh)}
    rows = _rows(settings, "select * from marts.mart_policy_scorecard where year = 2026")
    assert {r["indicator_id"] for r in rows} == indicators
    # nothing to measure in 2026: SOE pay (no source), the 2026 graduates (not graduated by 30 June),
    # and a title list nobody is on yet
    titles_2026 = {r["indicator_id"] for r in truth["title_eligibility"] if r["year"] == 2026}
    unmeasured = {"SOE-PAY-GROWTH", "GRAD-CERT-RATE"} | ({"TITLE-DIRECT-FULL", "TITLE-DIRECT-DEPUTY"} - titles_2026)
    no_data = {i for i in indicators if all(r["status"] == "no_data" for r in rows if r["indicator_id"] == i)}
    assert no_data == unmeasured
    # the region-wide training statuses are the truth's
    appr = next(r for r in truth["apprenticeship_annual"] if r["year"] == 2026 and r["region_code"] == "650000")
    project = next(r for r in truth["training_level_mix"] if r["year"] == 2026 and r["program"] == "项目制培训")
    status = {r["indicator_id"]: r["status"] for r in rows if r["unit_type"] == "region"}
    assert (status["APPR-ENTERPRISE"], status["APPR-MODERN"], status["APPR-ADVANCED"], status["PROJECT-ADVANCED"]) == (
        appr["appr_enterprise_status"], appr["appr_modern_status"], appr["appr_advanced_status"],
        project["project_advanced_status"])


def test_eligibility_export_lists_exactly_the_entitled_persons(generated, tmp_path):
    settings, truth = generated
    per_year = Counter(e["year"] for e in truth["entitlements"])
    year = max(per_year, key=lambda y: (per_year[y], y))
    out = tmp_path / "eligible.xlsx"
    n = export_eligibility(settings, year, out, who="e2e test")
    sheet = fastexcel.read_excel(str(out)).load_sheet(0, dtypes="string").to_polars()
    kinds = {"COMPETITION-PROMOTION": "晋升职业技能等级", "TITLE-DIRECT-FULL": "直接申报正高级职称",
             "TITLE-DIRECT-DEPUTY": "直接申报副高级职称"}
    done = {True: "已持有相应或更高等级证书", False: "待晋升", None: None}
    got = Counter(
        (r["姓名"], r["公民身份号码"], r["行政区划代码"], r["资格类型"], r["可晋升等级或可申报职称"], r["规则编号"],
         int(float(r["资格记录数"])), r["晋升落实情况"])
        for r in sheet.iter_rows(named=True)
    )
    expected = Counter(
        (e["name"], e["id_number"], e["region_code"], kinds[e["indicator_id"]], e["entitlement"], e["rule_id"],
         e["qualifying_records"], done[e["is_done"]])
        for e in truth["entitlements"] if e["year"] == year
    )
    assert n == sum(expected.values()) == sheet.height
    assert got == expected
