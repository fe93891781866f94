-- One row per loaded row of a landed competitions file (every version of every result).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'competitions') }}
),

renamed as (
    select
        {{ lineage_columns() }},

        -- result
        cast(competition_name as varchar) as competition_name,
        cast(tier as varchar) as tier,
        cast(year as integer) as year,
        cast(event as varchar) as event,
        cast(person_key as varchar) as person_key,
        cast(birth_date as date) as birth_date,
        cast(award as varchar) as award,
        cast(region_code as varchar) as region_code
    from source
),

final as (
    select * from renamed
)

select * from final
