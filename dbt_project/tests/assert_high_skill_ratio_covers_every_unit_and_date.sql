-- mart_high_skill_ratio has a row for every as-of date and every reporting unit (each unit of
-- ref_prefectures and the region of ref_region), and no other rows. Returns the mismatches.

with

as_of_dates as (
    select as_of_date from {{ ref('int_as_of_dates') }}
),

reporting_units as (
    select code as region_code from {{ ref('ref_prefectures') }}
    union all
    select code as region_code from {{ ref('ref_region') }}
),

expected as (
    select
        as_of_dates.as_of_date,
        reporting_units.region_code
    from as_of_dates
    cross join reporting_units
),

actual as (
    select as_of_date, region_code from {{ ref('mart_high_skill_ratio') }}
),

final as (
    select *, 'missing' as problem from (select * from expected except select * from actual)
    union all
    select *, 'unexpected' as problem from (select * from actual except select * from expected)
)

select * from final
