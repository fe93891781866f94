-- One row per honour granted (honour + year + person): its latest landed version, in the apply
-- order of the source contract (export_date, file_name, source_file, row number); later wins.

with

honours as (
    select * from {{ ref('stg_raw__honours') }}
),

latest as (
    select
        *,
        count(*) over by_honour as landed_versions
    from honours
    window by_honour as (partition by honour, year, person_key)
    qualify row_number() over (
        partition by honour, year, person_key
        order by export_date desc, file_name desc, source_file desc, source_row_number desc
    ) = 1
),

final as (
    select
        honour,
        year,
        person_key,
        region_code,
        birth_date,
        landed_versions,
        load_id,
        source_file,
        export_date,
        source_row_number
    from latest
)

select * from final
