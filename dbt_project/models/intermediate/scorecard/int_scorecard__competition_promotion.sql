-- COMPETITION-PROMOTION (措施14): one row per year of the entitling results and reporting unit
-- (region and prefectures), from mart_promotion_followup: award winners entitled to a promotion
-- (denominator), those already holding the level on the as-of date (numerator). The mart has no
-- status: it is assessed here, a share compared in exact decimals (yearly_target_status).

with

followup as (
    select * from {{ ref('mart_promotion_followup') }}
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

region as (
    select * from {{ ref('int_reporting_units') }}
    where is_region_wide
),

target as (
    select target_value, comparator from {{ ref('ref_policy_targets') }}
    where indicator_id = 'COMPETITION-PROMOTION'
),

{%- set promotion_reached = target_reached(
    'followup.done_persons',
    'cast(target.target_value as decimal(18, 6)) * followup.entitled_persons',
    'target.comparator'
) %}

final as (
    select
        'COMPETITION-PROMOTION' as indicator_id,
        followup.year,
        {{ scorecard_reporting_unit('followup') }},
        followup.done_persons as numerator,
        followup.entitled_persons as denominator,
        followup.share_done as actual_value,
        years.is_year_complete,
        {{ yearly_target_status(
            'followup.entitled_persons > 0', promotion_reached, promotion_reached, 'years.is_year_complete', 'false'
        ) }} as status,
        'mart_promotion_followup' as source_model,
        'follow-up as of ' || strftime(followup.as_of_date, '%Y-%m-%d') || ': '
            || followup.backlog_persons || ' still to promote' as note
    from followup
    inner join years
        on followup.year = years.year
    cross join region
    cross join target
)

select * from final
