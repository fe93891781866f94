"""Data-quality suites of the policy scorecard slice: raw trainings, carriers and graduates, and the
marts built from them, written as data in the style of :mod:`expectations.suites`.

Vocabularies come from the dbt seeds (ref_training_programs, ref_carrier_types,
ref_institution_types, ref_skill_levels, ref_prefectures, ref_policy_targets). Cross-row rules
(every indicator of the policy present in the scorecard for the latest year, region rows equal to
the sum of their units, level columns adding up) are derived frames computed in SQL, so every rule
stays a plain Great Expectations expectation.
"""

from __future__ import annotations

from expectations.suites import (
    EXAMPLE_ROW,
    REGION_CODE,
    Frame,
    _gxe,
    _seed,
    _sql_list,
    _values_of,
    loaded_rows,
    raw_columns_frame,
    raw_regions_frame,
    skill_levels,
    unit_codes,
)

TRAINING_STATUSES = ("在训", "结业", "退出")
CARRIER_TIERS = ("国家级", "自治区级", "地州级", "县级")
YEARLY_STATUSES = ("met", "missed", "on_track", "off_track", "no_data")
COMPLIANCE_STATUSES = ("met", "missed", "on_track", "off_track", "no_training")
GRADUATE_STATUSES = ("met", "missed", "no_data")
SCORECARD_UNIT_TYPES = ("region", "prefecture", "carrier", "carrier_type", "institution")
UNMATCHED_REASONS = ("no_provider_code", "code_not_in_registry")
PERSON_KEY_PATTERN = r"^[0-9a-f]{64}$"
FIRST_YEAR, LAST_YEAR = 1900, 2100  # plausible establishment and graduation years
TRAINING_COLUMNS = (
    "training_id", "person_key", "birth_date", "program", "level", "level_rank", "occupation_name",
    "provider_code", "provider_name", "start_date", "end_date", "status", "subsidy_yuan", "region_code",
)  # fmt: skip
CARRIER_COLUMNS = (
    "carrier_code", "carrier_name", "carrier_type", "carrier_tier", "region_code", "established_year",
    "planned_capacity",
)  # fmt: skip
GRADUATE_COLUMNS = (
    "institution",
    "institution_type",
    "year",
    "graduates",
    "graduates_certified",
    "region_code",
)
LEVEL_COLUMNS = (
    "apprentice", "elementary", "intermediate", "advanced_worker", "technician", "senior_technician",
    "principal_technician", "chief_technician",
)  # fmt: skip
ADVANCED_LEVEL_COLUMNS = LEVEL_COLUMNS[3:]  # rank 3 (高级工) and above


# --- reference data from the dbt seeds -------------------------------------------------------------


def training_programs() -> list[str]:
    return [row["program"] for row in _seed("ref_training_programs")]


def carrier_types() -> list[str]:
    return [row["carrier_type"] for row in _seed("ref_carrier_types")]


def institution_types() -> list[str]:
    return [row["institution_type"] for row in _seed("ref_institution_types")]


def indicator_ids() -> list[str]:
    """Every indicator id of the policy (ref_policy_targets), in seed order."""
    return [row["indicator_id"] for row in _seed("ref_policy_targets")]


# --- shared frames ----------------------------------------------------------------------------------


def _share(column: str, description: str | None = None):
    gxe = _gxe()
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=0, max_value=1, description=description or f"{column} is a share (0-1)"
    )


def _not_more(part: str, whole: str, description: str):
    return _gxe().ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=whole,
        column_B=part,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        description=description,
    )


# --- raw suites -------------------------------------------------------------------------------------


def raw_trainings(run_id: str | None = None) -> list[Frame]:
    gxe = _gxe()
    table = loaded_rows("raw.trainings", run_id)
    levels = skill_levels()
    return [
        raw_columns_frame("trainings", TRAINING_COLUMNS),
        Frame(
            "rows",
            f"select source_file, row_number, training_id, person_key, start_date from {table}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="training_id", meta={"redact_values": True}),
                gxe.ExpectColumnValuesToNotBeNull(column="person_key", meta={"redact_values": True}),
                gxe.ExpectColumnValuesToMatchRegex(
                    column="person_key",
                    regex=PERSON_KEY_PATTERN,
                    description="person_key is 64 lower-case hex characters (HMAC-SHA256)",
                    meta={"redact_values": True},
                ),
                gxe.ExpectColumnValuesToNotBeNull(column="start_date"),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "programs",
            _values_of(table, "program"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="program"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="program",
                    value_set=training_programs(),
                    description="program is a programme of ref_training_programs",
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "levels",
            _values_of(table, "level", "level_rank"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="level"),
                gxe.ExpectColumnValuesToBeInSet(column="level", value_set=[lv for lv, _ in levels]),
                gxe.ExpectColumnPairValuesToBeInSet(
                    column_A="level",
                    column_B="level_rank",
                    value_pairs_set=levels,
                    description="level_rank is the seed's rank of level",
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "statuses",
            _values_of(table, "status"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="status"),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(TRAINING_STATUSES)),
            ],
            keys=EXAMPLE_ROW,
        ),
        raw_regions_frame(table),
    ]


def raw_carriers(run_id: str | None = None) -> list[Frame]:
    gxe = _gxe()
    table = loaded_rows("raw.carriers", run_id)
    return [
        raw_columns_frame("carriers", CARRIER_COLUMNS),
        Frame(
            "rows",
            f"select source_file, row_number, carrier_code, carrier_name, established_year, planned_capacity"
            f" from {table}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="carrier_code"),
                gxe.ExpectColumnValuesToNotBeNull(column="carrier_name"),
                gxe.ExpectColumnValuesToNotBeNull(column="established_year"),
                gxe.ExpectColumnValuesToBeBetween(
                    column="established_year", min_value=FIRST_YEAR, max_value=LAST_YEAR
                ),
                gxe.ExpectColumnValuesToBeBetween(
                    column="planned_capacity",
                    min_value=0,
                    description="planned capacity, when given, is >= 0",
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "types_and_tiers",
            _values_of(table, "carrier_type", "carrier_tier"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="carrier_type"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="carrier_type",
                    value_set=carrier_types(),
                    description="carrier_type is a type of ref_carrier_types",
                ),
                gxe.ExpectColumnValuesToNotBeNull(column="carrier_tier"),
                gxe.ExpectColumnValuesToBeInSet(column="carrier_tier", value_set=list(CARRIER_TIERS)),
            ],
            keys=EXAMPLE_ROW,
        ),
        raw_regions_frame(table),
    ]


def raw_graduates(run_id: str | None = None) -> list[Frame]:
    gxe = _gxe()
    table = loaded_rows("raw.graduates", run_id)
    return [
        raw_columns_frame("graduates", GRADUATE_COLUMNS),
        Frame(
            "rows",
            f"select source_file, row_number, institution, year, graduates, graduates_certified from {table}",
            [
                gxe.ExpectColumnValuesToNotBeNull(column="institution"),
                gxe.ExpectColumnValuesToNotBeNull(column="year"),
                gxe.ExpectColumnValuesToBeBetween(column="year", min_value=FIRST_YEAR, max_value=LAST_YEAR),
                gxe.ExpectColumnValuesToNotBeNull(column="graduates"),
                gxe.ExpectColumnValuesToBeBetween(column="graduates", min_value=0),
                gxe.ExpectColumnValuesToNotBeNull(column="graduates_certified"),
                gxe.ExpectColumnValuesToBeBetween(column="graduates_certified", min_value=0),
                _not_more(
                    "graduates_certified", "graduates", "certified graduates never outnumber graduates"
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        Frame(
            "institution_types",
            _values_of(table, "institution_type"),
            [
                gxe.ExpectColumnValuesToNotBeNull(column="institution_type"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="institution_type",
                    value_set=institution_types(),
                    description="institution_type is a type of ref_institution_types",
                ),
            ],
            keys=EXAMPLE_ROW,
        ),
        raw_regions_frame(table),
    ]


# --- mart suites ------------------------------------------------------------------------------------


def mart_apprenticeship_annual() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_apprenticeship_annual"
    keys = ("year", "region_code")
    return [
        Frame(
            "rows",
            f"select * from {mart}",
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnValuesToBeInSet(column="region_code", value_set=[REGION_CODE, *unit_codes()]),
                *(
                    _share(f"{p}_advanced_share", f"{p}_advanced_share is a share (0-1)")
                    for p in ("enterprise", "modern", "apprenticeship")
                ),
                *(
                    _not_more(f"{p}_advanced_person_times", f"{p}_person_times", f"{p}: advanced+ <= all")
                    for p in ("enterprise", "modern", "apprenticeship")
                ),
                *(
                    gxe.ExpectColumnValuesToBeInSet(column=c, value_set=list(YEARLY_STATUSES))
                    for c in ("appr_enterprise_status", "appr_modern_status", "appr_advanced_status")
                ),
            ],
            keys=keys,
        ),
        Frame(
            "region_vs_units",
            f"with units as (select year, sum(enterprise_person_times)::bigint as enterprise,"
            f"  sum(modern_person_times)::bigint as modern from {mart}"
            f"  where region_code <> '{REGION_CODE}' group by year)"
            " select r.year, r.enterprise_person_times, u.enterprise as units_enterprise_person_times,"
            " r.modern_person_times, u.modern as units_modern_person_times"
            f" from {mart} r join units u on u.year = r.year where r.region_code = '{REGION_CODE}'",
            [
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="enterprise_person_times",
                    column_B="units_enterprise_person_times",
                    description="region-wide enterprise apprenticeship person-times = sum over the units",
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="modern_person_times",
                    column_B="units_modern_person_times",
                    description="region-wide modern apprenticeship person-times = sum over the units",
                ),
            ],
            keys=("year",),
        ),
    ]


def mart_training_level_mix() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_training_level_mix"
    keys = ("year", "program")
    all_levels = " + ".join(f"{c}_person_times" for c in LEVEL_COLUMNS)
    advanced_levels = " + ".join(f"{c}_person_times" for c in ADVANCED_LEVEL_COLUMNS)
    return [
        Frame(
            "rows",
            f"select year, program, person_times, advanced_plus_person_times, advanced_plus_share,"
            f" project_advanced_status, ({all_levels}) as levels_person_times,"
            f" ({advanced_levels}) as advanced_levels_person_times from {mart}",
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnValuesToBeInSet(column="program", value_set=training_programs()),
                _share("advanced_plus_share"),
                _not_more("advanced_plus_person_times", "person_times", "advanced+ person-times <= all"),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="levels_person_times",
                    column_B="person_times",
                    description="the level columns add up to person_times",
                ),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="advanced_levels_person_times",
                    column_B="advanced_plus_person_times",
                    description="the rank 3+ level columns add up to advanced_plus_person_times",
                ),
                gxe.ExpectColumnValuesToBeInSet(
                    column="project_advanced_status", value_set=list(YEARLY_STATUSES)
                ),
            ],
            keys=keys,
        ),
    ]


def mart_carrier_compliance() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_carrier_compliance"
    keys = ("carrier_code", "year")
    return [
        Frame(
            "rows",
            "select carrier_code, year, established_year, indicator_id, person_times,"
            f" advanced_plus_person_times, advanced_plus_share, status, status_by_capacity from {mart}",
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnValuesToBeInSet(
                    column="indicator_id",
                    value_set=["BASE-ADVANCED", "COLLEGE-ADVANCED", "PUBLIC-BASE-ADVANCED"],
                ),
                _share("advanced_plus_share"),
                _not_more("advanced_plus_person_times", "person_times", "advanced+ person-times <= all"),
                _not_more("established_year", "year", "no row before the carrier was established"),
                gxe.ExpectColumnValuesToNotBeNull(column="status"),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(COMPLIANCE_STATUSES)),
                gxe.ExpectColumnValuesToBeInSet(column="status_by_capacity", value_set=list(YEARLY_STATUSES)),
            ],
            keys=keys,
        ),
    ]


def mart_new_carriers() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_new_carriers"
    keys = ("year", "carrier_type")
    return [
        Frame(
            "rows",
            "select year, carrier_type, new_carriers, status,"
            " new_national_carriers + new_region_carriers + new_prefecture_carriers + new_county_carriers"
            f" as tiers_new_carriers from {mart}",
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnValuesToBeInSet(column="carrier_type", value_set=carrier_types()),
                gxe.ExpectColumnValuesToBeBetween(column="new_carriers", min_value=0),
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="tiers_new_carriers",
                    column_B="new_carriers",
                    description="the tier columns add up to new_carriers",
                ),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(YEARLY_STATUSES)),
            ],
            keys=keys,
        ),
    ]


def mart_graduate_certificates() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_graduate_certificates"
    keys = ("year", "unit_type", "unit_code")
    return [
        Frame(
            "rows",
            f"select year, unit_type, unit_code, graduates, graduates_certified, certificate_rate, status from {mart}",
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnValuesToBeInSet(
                    column="unit_type", value_set=["institution", "institution_type", "region"]
                ),
                _not_more(
                    "graduates_certified", "graduates", "certified graduates never outnumber graduates"
                ),
                _share("certificate_rate", "the certificate rate is a share (0-1)"),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(GRADUATE_STATUSES)),
            ],
            keys=keys,
        ),
    ]


def audit_unmatched_providers() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.audit_unmatched_providers"
    keys = ("year", "provider_code", "provider_name")
    return [
        Frame(
            "rows",
            f"select year, provider_code, provider_name, unmatched_reason, person_times,"
            f" advanced_plus_person_times from {mart}",
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnValuesToNotBeNull(column="unmatched_reason"),
                gxe.ExpectColumnValuesToBeInSet(column="unmatched_reason", value_set=list(UNMATCHED_REASONS)),
                _not_more("advanced_plus_person_times", "person_times", "advanced+ person-times <= all"),
            ],
            keys=keys,
        ),
    ]


def mart_policy_scorecard() -> list[Frame]:
    gxe = _gxe()
    mart = "marts.mart_policy_scorecard"
    keys = ("indicator_id", "year", "unit_type", "unit_code")
    ids = indicator_ids()
    return [
        Frame(
            "rows",
            f"select indicator_id, year, unit_type, unit_code, status from {mart}",
            [
                gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                gxe.ExpectColumnValuesToNotBeNull(column="indicator_id"),
                gxe.ExpectColumnValuesToBeInSet(column="indicator_id", value_set=ids),
                gxe.ExpectColumnValuesToBeInSet(column="unit_type", value_set=list(SCORECARD_UNIT_TYPES)),
                gxe.ExpectColumnValuesToNotBeNull(column="status"),
                gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(YEARLY_STATUSES)),
            ],
            keys=keys,
        ),
        Frame(
            "shares",
            f"select indicator_id, year, unit_type, unit_code, actual_value from {mart}"
            " where target_unit in ('share', 'ratio')",
            [_share("actual_value", "shares and ratios of the scorecard are within 0-1")],
            keys=keys,
        ),
        Frame(
            "latest_year_coverage",
            f"with latest as (select year(max(as_of_date)) as year from {mart}),"
            f" present as (select distinct indicator_id from {mart} where year = (select year from latest))"
            f" select e.indicator_id, p.indicator_id is not null as present"
            f" from unnest({_sql_list(ids)}) e(indicator_id)"
            " left join present p on p.indicator_id = e.indicator_id",
            [
                gxe.ExpectColumnValuesToBeInSet(
                    column="present",
                    value_set=[True],
                    description="every indicator id of ref_policy_targets has a row for the latest year",
                )
            ],
            keys=("indicator_id",),
        ),
    ]
