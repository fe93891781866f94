-- CARRIERS-NEW in mart_policy_scorecard: every year with carrier-type rows has one region-wide row,
-- and its numerator is the sum of the types' (both null when the carrier register is empty).
-- Returns the years where it is not.

with

carriers_new as (
    select * from {{ ref('mart_policy_scorecard') }}
    where indicator_id = 'CARRIERS-NEW'
),

region_rows as (
    select
        year,
        count(*) as region_rows,
        max(numerator) as numerator
    from carriers_new
    where unit_type = 'region'
    group by year
),

type_sums as (
    select
        year,
        sum(numerator) as numerator
    from carriers_new
    where unit_type = 'carrier_type'
    group by year
),

final as (
    select
        type_sums.year,
        region_rows.region_rows,
        region_rows.numerator as region_numerator,
        type_sums.numerator as types_numerator
    from type_sums
    left join region_rows
        on type_sums.year = region_rows.year
    where region_rows.region_rows is distinct from 1
        or region_rows.numerator is distinct from type_sums.numerator
)

select * from final
