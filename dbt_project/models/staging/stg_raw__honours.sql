-- One row per loaded row of a landed honours file (every version of every honour).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'honours') }}
),

renamed as (
    select
        {{ lineage_columns() }},

        -- honour
        cast(honour as varchar) as honour,
        cast(year as integer) as year,
        cast(person_key as varchar) as person_key,
        cast(birth_date as date) as birth_date,
        cast(region_code as varchar) as region_code
    from source
),

final as (
    select * from renamed
)

select * from final
