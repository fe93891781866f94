-- One row per competition year, tier and reporting unit (units with at least one result that year
-- and tier, plus the region-wide row 650000): entries, entrants and persons by award. Results are
-- the latest landed version of each; years after the as-of date's year are left out.

with

bounds as (
    select year({{ as_of_date_literal() }}) as as_of_year
),

results as (
    select results.*
    from {{ ref('int_competition_results_latest') }} as results
    cross join bounds
    where results.year <= bounds.as_of_year
),

-- per unit, and (the grouping set without region_code) region-wide: a person counts once there
counts as (
    select
        year,
        tier,
        grouping(region_code) = 1 as is_region_wide,
        region_code,
        count(*) as entries,
        count(distinct person_key) as entrants,
        count(distinct person_key) filter (where is_award_winner) as award_winners,
        count(distinct person_key) filter (where award = '金牌') as gold_medallists,
        count(distinct person_key) filter (where award = '银牌') as silver_medallists,
        count(distinct person_key) filter (where award = '铜牌') as bronze_medallists,
        count(distinct person_key) filter (where award = '优胜奖') as merit_award_winners,
        count(distinct person_key) filter (where award = '一等奖') as first_prize_winners,
        count(distinct person_key) filter (where award = '二等奖') as second_prize_winners,
        count(distinct person_key) filter (where award = '三等奖') as third_prize_winners
    from results
    group by {{ per_unit_and_region_wide(['year', 'tier']) }}
),

labelled as (
    {{ with_reporting_unit('counts') }}
),

-- the columns of mart_competition_results.yml, in its order and types
final as (
    {{ cast_to_contract('labelled') }}
)

select * from final
order by year, tier, region_code
