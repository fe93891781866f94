-- TITLE-DIRECT-FULL and TITLE-DIRECT-DEPUTY (measure 15): one row per year, reporting unit, title
-- grade and rule. Persons eligible that year to apply directly for a senior title (once per person
-- and grade, under the rule reported as their basis) and, of them, those eligible for that grade for
-- the first time. Unit rows where someone is eligible, plus region-wide rows (650000) that total them.

with

titles as (
    select * from {{ ref('int_entitlements_deduped') }}
    where entitlement_type = 'title'
),

counts as (
    select
        year,
        indicator_id,
        title_grade,
        rule_id,
        rule_text,
        grouping(region_code) = 1 as is_region_wide,
        region_code,
        count(*) as eligible_persons,
        count(*) filter (where is_newly_entitled) as newly_eligible_persons
    from titles
    group by {{ per_unit_and_region_wide(['year', 'indicator_id', 'title_grade', 'rule_id', 'rule_text']) }}
),

labelled as (
    {{ with_reporting_unit('counts') }}
),

-- the columns of mart_title_eligibility.yml, in its order and types
final as (
    {{ cast_to_contract('labelled') }}
)

select * from final
order by year, region_code, indicator_id, rule_id
