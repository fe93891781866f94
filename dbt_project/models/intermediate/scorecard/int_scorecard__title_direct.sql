-- TITLE-DIRECT-FULL / TITLE-DIRECT-DEPUTY (措施15): one row per indicator, scorecard year and
-- reporting unit (region and prefectures) with anyone eligible, from mart_title_eligibility: persons
-- on the eligibility list (summed over the rules; a person counts once per grade and year). A list
-- has no target: met when it has names (they come from `talent export eligibility`); years without
-- anyone eligible have no row here and stay no_data in the scorecard.

with

titles as (
    select
        indicator_id,
        year,
        region_code,
        region_name,
        cast(sum(eligible_persons) as bigint) as eligible_persons,
        sum(newly_eligible_persons) as newly_eligible_persons
    from {{ ref('mart_title_eligibility') }}
    group by indicator_id, year, region_code, region_name
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

region as (
    select * from {{ ref('int_reporting_units') }}
    where is_region_wide
),

final as (
    select
        titles.indicator_id,
        titles.year,
        {{ scorecard_reporting_unit('titles') }},
        titles.eligible_persons as numerator,
        cast(null as bigint) as denominator,
        cast(titles.eligible_persons as double) as actual_value,
        years.is_year_complete,
        'met' as status,
        'mart_title_eligibility' as source_model,
        'eligibility list: ' || titles.eligible_persons || ' persons, '
            || titles.newly_eligible_persons || ' newly eligible' as note
    from titles
    inner join years
        on titles.year = years.year
    cross join region
)

select * from final
