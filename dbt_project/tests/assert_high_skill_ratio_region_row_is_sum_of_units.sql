-- Every skilled person counts in exactly one unit: on each as-of date the region-wide row
-- (ref_region) equals the sum of the unit rows. Returns the dates where it does not.

with

ratios as (
    select * from {{ ref('mart_high_skill_ratio') }}
),

region as (
    select code as region_code from {{ ref('ref_region') }}
),

unit_sums as (
    select
        as_of_date,
        sum(skilled_persons) as skilled_persons,
        sum(high_skilled_persons) as high_skilled_persons
    from ratios
    where region_code not in (select region_code from region)
    group by as_of_date
),

region_rows as (
    select
        as_of_date,
        skilled_persons,
        high_skilled_persons
    from ratios
    where region_code in (select region_code from region)
),

final as (
    select
        region_rows.as_of_date,
        region_rows.skilled_persons as region_skilled,
        unit_sums.skilled_persons as units_skilled,
        region_rows.high_skilled_persons as region_high_skilled,
        unit_sums.high_skilled_persons as units_high_skilled
    from region_rows
    full outer join unit_sums
        on region_rows.as_of_date = unit_sums.as_of_date
    where region_rows.skilled_persons is distinct from unit_sums.skilled_persons
        or region_rows.high_skilled_persons is distinct from unit_sums.high_skilled_persons
)

select * from final
