-- One row per registered carrier: its latest landed version (apply order as for certificates:
-- export_date, file_name, source_file, row number; later wins).

with

carriers as (
    select * from {{ ref('stg_raw__carriers') }}
),

latest as (
    select
        *,
        count(*) over by_carrier as landed_versions
    from carriers
    window by_carrier as (partition by carrier_code)
    qualify row_number() over (
        partition by carrier_code
        order by export_date desc, file_name desc, source_file desc, source_row_number desc
    ) = 1
),

final as (
    select
        carrier_code,
        carrier_name,
        carrier_type,
        carrier_tier,
        region_code,
        established_year,
        planned_capacity,
        landed_versions,
        load_id,
        source_file,
        export_date,
        source_row_number
    from latest
)

select * from final
