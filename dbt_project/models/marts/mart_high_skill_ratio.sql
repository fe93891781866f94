-- One row per as-of date and reporting unit: every prefecture-level unit of ref_prefectures (zero
-- counts included) and the region as a whole (ref_region, 650000), with skilled and high-skilled
-- persons and their ratio.

with

persons as (
    select
        as_of_date,
        region_code,
        is_high_skilled
    from {{ ref('int_persons_levelled_as_of') }}
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

reporting_units as (
    select * from {{ ref('int_reporting_units') }}
),

-- per unit, and (the grouping set without region_code) region-wide
counts as (
    select
        as_of_date,
        grouping(region_code) = 1 as is_region_wide,
        region_code,
        count(*) as skilled_persons,
        count(*) filter (where is_high_skilled) as high_skilled_persons
    from persons
    group by {{ per_unit_and_region_wide(['as_of_date']) }}
),

unit_dates as (
    select
        as_of_dates.as_of_date,
        as_of_dates.is_year_end,
        reporting_units.region_code,
        reporting_units.region_name,
        reporting_units.is_region_wide
    from as_of_dates
    cross join reporting_units
),

joined as (
    select
        unit_dates.as_of_date,
        unit_dates.region_code,
        unit_dates.region_name,
        coalesce(counts.skilled_persons, 0) as skilled_persons,
        coalesce(counts.high_skilled_persons, 0) as high_skilled_persons,
        unit_dates.is_year_end
    from unit_dates
    left join counts
        on unit_dates.as_of_date = counts.as_of_date
        and unit_dates.is_region_wide = counts.is_region_wide
        and (unit_dates.is_region_wide or unit_dates.region_code = counts.region_code)
),

final as (
    select
        cast(as_of_date as date) as as_of_date,
        cast(region_code as varchar) as region_code,
        cast(region_name as varchar) as region_name,
        cast(skilled_persons as bigint) as skilled_persons,
        cast(high_skilled_persons as bigint) as high_skilled_persons,
        cast(high_skilled_persons / nullif(skilled_persons, 0) as double) as high_skill_ratio,
        cast(is_year_end as boolean) as is_year_end
    from joined
)

select * from final
order by as_of_date, region_code
