-- One row per landed file version ingest has seen (path and content).

with

source as (
    select * from {{ source('raw', 'load_ledger') }}
),

renamed as (
    select
        cast(load_id as varchar) as load_id,
        cast(source as varchar) as source,
        cast(source_file as varchar) as source_file,
        cast(file_name as varchar) as file_name,
        cast(export_date as date) as export_date,
        cast(file_bytes as bigint) as file_bytes,
        cast(rows_landed as bigint) as rows_landed,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_quarantined as bigint) as rows_quarantined,
        cast(status as varchar) as status,
        cast(message as varchar) as message,
        cast(duplicate_of as varchar) as duplicate_of,
        cast(run_id as varchar) as run_id,
        cast(loaded_at as timestamp) as loaded_at,
        cast(display_file as varchar) as display_file
    from source
),

final as (
    select * from renamed
)

select * from final
