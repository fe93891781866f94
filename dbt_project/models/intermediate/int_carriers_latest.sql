-- One row per registered carrier: its latest landed version (apply order as for certificates:
-- export_date, file_name, source_file, row number; later wins).

with

latest as (
    {{ latest_version_per_key(ref('stg_raw__carriers'), 'carriers', ['carrier_code']) }}
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
