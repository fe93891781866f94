-- Every indicator of ref_policy_targets has at least one row in mart_policy_scorecard for the year of
-- the run's as_of_date, and every yearly indicator (no target_year) one for every scorecard year.
-- Returns the missing (indicator_id, year) pairs.

with

targets as (
    select indicator_id, target_year from {{ ref('ref_policy_targets') }}
),

years as (
    select year, is_latest_year from {{ ref('int_scorecard_years') }}
),

expected as (
    select
        targets.indicator_id,
        years.year
    from targets
    cross join years
    where years.is_latest_year
        or targets.target_year is null
),

actual as (
    select distinct indicator_id, year from {{ ref('mart_policy_scorecard') }}
),

final as (
    select * from expected
    except
    select * from actual
)

select * from final
