-- One row per loaded row of a landed competitions file (every version of every result).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'competitions') }}
),

-- the columns, their order and types are those of stg_raw__competitions.yml
renamed as (
    {{ cast_to_contract('source', {'source_row_number': 'row_number'}) }}
),

final as (
    select * from renamed
)

select * from final
