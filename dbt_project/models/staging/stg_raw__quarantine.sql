-- One row per problem found in a row of a landed file.

with

source as (
    select * from {{ source('raw', 'quarantine') }}
),

renamed as (
    select
        cast(load_id as varchar) as load_id,
        cast(source as varchar) as source,
        cast(source_file as varchar) as source_file,
        cast(export_date as date) as export_date,
        cast(row_number as integer) as source_row_number,
        cast(column_name as varchar) as column_name,
        cast(reason as varchar) as reason,
        cast(value as varchar) as value,
        cast(run_id as varchar) as run_id,
        cast(quarantined_at as timestamp) as quarantined_at
    from source
),

final as (
    select * from renamed
)

select * from final
