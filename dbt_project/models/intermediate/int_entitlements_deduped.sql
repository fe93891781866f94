-- One row per person, year and entitlement (indicator): however many medals, prizes or honours
-- qualify a person in a year, they hold each entitlement once. For a promotion the highest promoted
-- level of the year is the entitlement. The basis reported is the qualifying record of the highest
-- promoted level, then of the rule with the lowest precedence, then the first record in text order;
-- every qualifying record is listed in qualifying_record_list, basis first.

with

matched as (
    select * from {{ ref('int_entitlement_records_matched') }}
),

ordered as (
    select
        *,
        row_number() over (
            partition by person_key, year, indicator_id
            order by promoted_level_rank desc nulls last, precedence, record_text, region_code
        ) as record_order
    from matched
),

basis as (
    select * from ordered
    where record_order = 1
),

record_lists as (
    select
        person_key,
        year,
        indicator_id,
        count(*) as qualifying_records,
        string_agg(record_text, '；' order by record_order) as qualifying_record_list
    from ordered
    group by person_key, year, indicator_id
),

first_years as (
    select
        person_key,
        indicator_id,
        min(year) as first_entitled_year
    from matched
    group by person_key, indicator_id
),

final as (
    select
        basis.person_key,
        basis.year,
        basis.indicator_id,
        basis.entitlement_type,
        basis.entitlement,
        basis.promoted_skill_level,
        basis.promoted_level_rank,
        basis.title_grade,
        basis.rule_id,
        basis.rule_text,
        basis.region_code,
        basis.record_type as basis_record_type,
        basis.record_text as basis_record,
        basis.source_file as basis_source_file,
        basis.source_row_number as basis_source_row_number,
        record_lists.qualifying_records,
        record_lists.qualifying_record_list,
        first_years.first_entitled_year,
        basis.year = first_years.first_entitled_year as is_newly_entitled
    from basis
    inner join record_lists
        on basis.person_key = record_lists.person_key
        and basis.year = record_lists.year
        and basis.indicator_id = record_lists.indicator_id
    inner join first_years
        on basis.person_key = first_years.person_key
        and basis.indicator_id = first_years.indicator_id
)

select * from final
