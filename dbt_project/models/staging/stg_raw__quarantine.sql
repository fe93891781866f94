-- One row per problem found in a row of a landed file.

with

source as (
    select * from {{ source('raw', 'quarantine') }}
),

-- the columns, their order and types are those of stg_raw__quarantine.yml
renamed as (
    {{ cast_to_contract('source', {'source_row_number': 'row_number'}) }}
),

final as (
    select * from renamed
)

select * from final
