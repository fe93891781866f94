-- One row per loaded row of a landed honours file (every version of every honour).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'honours') }}
),

-- the columns, their order and types are those of stg_raw__honours.yml
renamed as (
    {{ cast_to_contract('source', {'source_row_number': 'row_number'}) }}
),

final as (
    select * from renamed
)

select * from final
