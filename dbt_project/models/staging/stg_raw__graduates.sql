-- One row per loaded row of a landed graduates file (every version of every institution-year).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'graduates') }}
),

renamed as (
    select
        {{ lineage_columns() }},

        -- institution and graduation year
        cast(institution as varchar) as institution,
        cast(institution_type as varchar) as institution_type,
        cast(year as integer) as graduation_year,
        cast(graduates as bigint) as graduates,
        cast(graduates_certified as bigint) as graduates_certified,
        cast(region_code as varchar) as region_code
    from source
),

final as (
    select * from renamed
)

select * from final
