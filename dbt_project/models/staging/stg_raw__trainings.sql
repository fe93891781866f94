-- One row per loaded row of a landed trainings file (every version of every enrolment).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'trainings') }}
),

-- the columns, their order and types are those of stg_raw__trainings.yml
renamed as (
    {{ cast_to_contract('source', {'source_row_number': 'row_number', 'skill_level': 'level'}) }}
),

final as (
    select * from renamed
)

select * from final
