-- One row per loaded row of a landed graduates file (every version of every institution-year).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'graduates') }}
),

-- the columns, their order and types are those of stg_raw__graduates.yml
renamed as (
    {{ cast_to_contract('source', {'source_row_number': 'row_number', 'graduation_year': 'year'}) }}
),

final as (
    select * from renamed
)

select * from final
