"""Data-quality suites of the competitions and honours slice (policy measures 14, 15 and 18): the raw
competitions and honours tables and the four marts built from them, written as data in the style of
:mod:`expectations.suites`.

Vocabularies come from the source contract (tiers, awards, honours: :mod:`ingest.contract`) and the
dbt seeds (ref_prefectures, ref_skill_levels, ref_entitlement_rules). Cross-row rules (region-wide
rows equal to the sum of their units, done + backlog = entitled, no personal column in any of the
marts) are derived frames computed in SQL, so every rule stays a plain Great Expectations
expectation. The marts may be empty (no competitions landed yet): no suite asks for rows.
"""

from __future__ import annotations

from expectations.suites import (
    EXAMPLE_ROW,
    PERSONAL_COLUMNS,
    REGION_CODE,
    Frame,
    _gxe,
    _seed,
    _values_of,
    loaded_rows,
    raw_columns_frame,
    raw_regions_frame,
    skill_levels,
    unit_codes,
)

PERSON_KEY_PATTERN = r"^[0-9a-f]{64}$"
FIRST_YEAR, LAST_YEAR = 1950, 2100  # plausible competition and honour years
SHARE_TOLERANCE = 1e-9
COMPETITION_COLUMNS = (
    "competition_name", "tier", "year", "event", "person_key", "birth_date", "award", "region_code",
)  # fmt: skip
HONOUR_COLUMNS = ("honour", "year", "person_key", "birth_date", "region_code")
MARTS = (
    "mart_competition_results",
    "mart_promotion_followup",
    "mart_title_eligibility",
    "mart_certificate_rewards",
)
# Columns that must never reach a mart: personal data and the pseudonymous key.
NON_AGGREGATE_COLUMNS = (*PERSONAL_COLUMNS, "person_key", "birth_date")
TITLE_GRADES = {"TITLE-DIRECT-FULL": "正高级", "TITLE-DIRECT-DEPUTY": "副高级"}


# --- vocabularies -----------------------------------------------------------------------------------


def _contract_values(source: str, column: str) -> list[str]:
    from ingest import contract

    return list(contract.SOURCES[source].column(column).values)


def competition_tiers() -> list[str]:
    return _contract_values("competitions", "tier")


def competition_awards() -> list[str]:
    return _contract_values("competitions", "award")


def honour_types() -> list[str]:
    return _contract_values("honours", "honour")


def title_rules() -> list[tuple[str, str]]:
    """(indicator_id, rule_id) of the title rules of ref_entitlement_rules."""
    return [
        (row["indicator_id"], row["rule_id"])
        for row in _seed("ref_entitlement_rules")
        if row["indicator_id"] in TITLE_GRADES
    ]


# --- shared frames ----------------------------------------------------------------------------------


def _raw_years_frame(table: str) -> Frame:
    gxe = _gxe()
    return Frame(
        "years",
        _values_of(table, "year"),
        [
            gxe.ExpectColumnValuesToNotBeNull(column="year"),
            gxe.ExpectColumnValuesToBeBetween(column="year", min_value=FIRST_YEAR, max_value=LAST_YEAR),
        ],
        keys=EXAMPLE_ROW,
    )


def _person_key_expectations() -> list:
    gxe = _gxe()
    return [
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", meta={"redact_values": True}),
        gxe.ExpectColumnValuesToMatchRegex(
            column="person_key",
            regex=PERSON_KEY_PATTERN,
            description="person_key is 64 lower-case hex characters (HMAC-SHA256)",
            meta={"redact_values": True},
        ),
    ]


def _mart_columns_frame(mart: str) -> Frame:
    gxe = _gxe()
    return Frame(
        "no_personal_columns",
        "select column_name from information_schema.columns"
        f" where table_schema = 'marts' and table_name = '{mart}'",
        [
            gxe.ExpectColumnValuesToNotBeInSet(
                column="column_name",
                value_set=list(NON_AGGREGATE_COLUMNS),
                description=f"marts.{mart} is an aggregate: no person_key, name, ID number or birth date",
            ),
            gxe.ExpectTableRowCountToBeBetween(min_value=1, description=f"marts.{mart} exists"),
        ],
    )


def _region_vs_units_frame(mart: str, group_by: tuple[str, ...], measures: tuple[str, ...]) -> Frame:
    """Per group: the region-wide row's measures and the sums over the unit rows (absent = 0)."""
    gxe = _gxe()
    groups = ", ".join(group_by)
    region_sums = ", ".join(
        f"sum({m}) filter (where region_code = '{REGION_CODE}') as region_{m}" for m in measures
    )
    unit_sums = ", ".join(
        f"coalesce(sum({m}) filter (where region_code <> '{REGION_CODE}'), 0) as units_{m}" for m in measures
    )
    return Frame(
        "region_vs_units",
        f"select {groups}, {region_sums}, {unit_sums} from marts.{mart} group by {groups}",
        [
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A=f"region_{m}",
                column_B=f"units_{m}",
                description=f"the region-wide {m} is the sum over the units (and the region row exists)",
            )
            for m in measures
        ],
        keys=group_by,
    )


def _counts(*columns: str) -> list:
    gxe = _gxe()
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns] + [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in columns
    ]


def _not_more(part: str, whole: str, description: str):
    return _gxe().ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=whole,
        column_B=part,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        description=description,
    )


def _units():
    return [REGION_CODE, *unit_codes()]


# --- raw suites -------------------------------------------------------------------------------------


def raw_competitions(run_id: str | None = None) -> list[Frame]:
    gxe = _gxe()
    table = loaded_rows("raw.competitions", run_id)
    return [
        raw_columns_frame("competitions", COMPETITION_COLUMNS),
        Frame(
            "rows",
            f"select source_file, row_number, competition_name, event, person_key from {table}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="competition_name"),
                gxe.ExpectColumnValuesToNotBeNull(column="event"),
                *_person_key_expectations(),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "tiers_and_awards",
            _values_of(table, "tier", "award"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="tier"),
                gxe.ExpectColumnValuesToBeInSet(column="tier", value_set=competition_tiers()),
                gxe.ExpectColumnValuesToNotBeNull(column="award"),
                gxe.ExpectColumnValuesToBeInSet(column="award", value_set=competition_awards()),
            ],
            keys=EXAMPLE_ROW,
        ),
        _raw_years_frame(table),
        raw_regions_frame(table),
    ]


def raw_honours(run_id: str | None = None) -> list[Frame]:
    gxe = _gxe()
    table = loaded_rows("raw.honours", run_id)
    return [
        raw_columns_frame("honours", HONOUR_COLUMNS),
        Frame(
            "rows",
            f"select source_file, row_number, person_key from {table}",
            _person_key_expectations(),
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "honours",
            _values_of(table, "honour"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="honour"),
                gxe.ExpectColumnValuesToBeInSet(column="honour", value_set=honour_types()),
            ],
            keys=EXAMPLE_ROW,
        ),
        _raw_years_frame(table),
        raw_regions_frame(table),
    ]


# --- mart suites ------------------------------------------------------------------------------------

AWARD_COLUMNS = (
    "gold_medallists", "silver_medallists", "bronze_medallists", "merit_award_winners",
    "first_prize_winners", "second_prize_winners", "third_prize_winners",
)  # fmt: skip


def mart_competition_results() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_competition_results"
    keys = ("year", "tier", "region_code")
    return [
        _mart_columns_frame("mart_competition_results"),
        Frame(
            "rows",
            f"select * from {mart}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="year"),
                gxe.ExpectColumnValuesToBeInSet(column="tier", value_set=competition_tiers()),
                gxe.ExpectColumnValuesToBeInSet(column="region_code", value_set=_units()),
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                *_counts("entries", "entrants", "award_winners", *AWARD_COLUMNS),
                gxe.ExpectColumnValuesToBeBetween(column="entrants", min_value=1),
                _not_more("entrants", "entries", "a person has at least one result"),
                _not_more("award_winners", "entrants", "award winners are entrants"),
                *[_not_more(c, "award_winners", f"{c} are award winners") for c in AWARD_COLUMNS],
            ],
            keys=keys,
        ),
        _region_vs_units_frame("mart_competition_results", ("year", "tier"), ("entries",)),
    ]


def mart_promotion_followup() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_promotion_followup"
    keys = ("year", "region_code")
    return [
        _mart_columns_frame("mart_promotion_followup"),
        Frame(
            "rows",
            "select year, region_code, as_of_date, entitled_persons, done_persons, backlog_persons, share_done,"
            " done_persons + backlog_persons as done_plus_backlog,"
            " abs(share_done - done_persons / nullif(entitled_persons, 0)) as share_error,"
            " share_done is null as share_is_null, entitled_persons = 0 as nobody_entitled"
            f" from {mart}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="year"),
                gxe.ExpectColumnValuesToNotBeNull(column="as_of_date"),
                gxe.ExpectColumnValuesToBeInSet(column="region_code", value_set=_units()),
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                *_counts("entitled_persons", "done_persons", "backlog_persons"),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="done_plus_backlog",
                    column_B="entitled_persons",
                    description="done + backlog = entitled",
                ),
                gxe.ExpectColumnValuesToBeBetween(column="share_done", min_value=0, max_value=1),
                gxe.ExpectColumnValuesToBeBetween(
                    column="share_error",
                    min_value=0,
                    max_value=SHARE_TOLERANCE,
                    description="share_done = done_persons / entitled_persons",
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="share_is_null",
                    column_B="nobody_entitled",
                    description="share_done is null exactly when nobody is entitled",
                ),
            ],
            keys=keys,
        ),
        _region_vs_units_frame(
            "mart_promotion_followup", ("year",), ("entitled_persons", "done_persons", "backlog_persons")
        ),
    ]


def mart_title_eligibility() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_title_eligibility"
    keys = ("year", "region_code", "indicator_id", "rule_id")
    return [
        _mart_columns_frame("mart_title_eligibility"),
        Frame(
            "rows",
            f"select * from {mart}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="year"),
                gxe.ExpectColumnValuesToBeInSet(column="region_code", value_set=_units()),
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnPairValuesToBeInSet(
                    column_A="indicator_id",
                    column_B="title_grade",
                    value_pairs_set=list(TITLE_GRADES.items()),
                    description="TITLE-DIRECT-FULL is 正高级, TITLE-DIRECT-DEPUTY 副高级",
                ),
                gxe.ExpectColumnPairValuesToBeInSet(
                    column_A="indicator_id",
                    column_B="rule_id",
                    value_pairs_set=title_rules(),
                    description="rule_id is a title rule of ref_entitlement_rules for the indicator",
                ),
                *_counts("eligible_persons", "newly_eligible_persons"),
                gxe.ExpectColumnValuesToBeBetween(column="eligible_persons", min_value=1),
                _not_more(
                    "newly_eligible_persons", "eligible_persons", "newly eligible persons are eligible"
                ),
            ],
            keys=keys,
        ),
        _region_vs_units_frame(
            "mart_title_eligibility",
            ("year", "indicator_id", "rule_id"),
            ("eligible_persons", "newly_eligible_persons"),
        ),
    ]


def mart_certificate_rewards() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_certificate_rewards"
    keys = ("year", "region_code", "level_rank")
    return [
        _mart_columns_frame("mart_certificate_rewards"),
        Frame(
            "rows",
            "select year, region_code, skill_level, level_rank, certified_persons, certificates,"
            f" make_date(year, 1, 1) <= as_of_date as issued_by_as_of_date from {mart}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="year"),
                gxe.ExpectColumnValuesToBeInSet(column="region_code", value_set=_units()),
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnPairValuesToBeInSet(
                    column_A="skill_level",
                    column_B="level_rank",
                    value_pairs_set=skill_levels(),
                    description="level_rank is the seed's rank of skill_level",
                ),
                *_counts("certified_persons", "certificates"),
                gxe.ExpectColumnValuesToBeBetween(column="certificates", min_value=1),
                _not_more("certified_persons", "certificates", "each person counted has a certificate there"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="issued_by_as_of_date",
                    value_set=[True],
                    description="no year after the as-of date",
                ),
            ],
            keys=keys,
        ),
        _region_vs_units_frame(
            "mart_certificate_rewards", ("year", "level_rank"), ("certified_persons", "certificates")
        ),
    ]
