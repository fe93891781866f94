-- One row per landed file version ingest has seen (path and content).

with

source as (
    select * from {{ source('raw', 'load_ledger') }}
),

-- the columns, their order and types are those of stg_raw__load_ledger.yml
renamed as (
    {{ cast_to_contract('source') }}
),

final as (
    select * from renamed
)

select * from final
