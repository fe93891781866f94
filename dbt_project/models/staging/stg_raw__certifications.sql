-- One row per loaded row of a landed certifications file (every version of every certificate).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'certifications') }}
),

-- the columns, their order and types are those of stg_raw__certifications.yml
renamed as (
    {{ cast_to_contract('source', {'source_row_number': 'row_number'}) }}
),

final as (
    select * from renamed
)

select * from final
