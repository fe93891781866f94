-- One row per loaded row of a landed carriers file (every version of every registered carrier).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'carriers') }}
),

renamed as (
    select
        {{ lineage_columns() }},

        -- carrier
        cast(carrier_code as varchar) as carrier_code,
        cast(carrier_name as varchar) as carrier_name,
        cast(carrier_type as varchar) as carrier_type,
        cast(carrier_tier as varchar) as carrier_tier,
        cast(region_code as varchar) as region_code,
        cast(established_year as integer) as established_year,
        cast(planned_capacity as bigint) as planned_capacity
    from source
),

final as (
    select * from renamed
)

select * from final
