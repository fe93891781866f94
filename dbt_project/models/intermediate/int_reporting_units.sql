-- One row per reporting unit of the marts: every prefecture-level unit of the seed ref_prefectures,
-- and the region as a whole (the seed ref_region, 650000), which is_region_wide marks.

with

prefectures as (
    select
        code as region_code,
        name as region_name,
        false as is_region_wide
    from {{ ref('ref_prefectures') }}
),

region as (
    select
        code as region_code,
        name as region_name,
        true as is_region_wide
    from {{ ref('ref_region') }}
),

final as (
    select * from prefectures
    union all
    select * from region
)

select * from final
