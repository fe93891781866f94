-- One row per loaded row of a landed honours file (every version of every honour).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'honours') }}
),

renamed as (
    select
        -- lineage
        cast(load_id as varchar) as load_id,
        cast(source_file as varchar) as source_file,
        cast(file_name as varchar) as file_name,
        cast(export_date as date) as export_date,
        cast(row_number as integer) as source_row_number,

        -- honour
        cast(honour as varchar) as honour,
        cast(year as integer) as year,
        cast(person_key as varchar) as person_key,
        cast(birth_date as date) as birth_date,
        cast(region_code as varchar) as region_code
    from source
),

final as (
    select * from renamed
)

select * from final
