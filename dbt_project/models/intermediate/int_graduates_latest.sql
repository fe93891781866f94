-- One row per institution and graduation year: the latest landed version (apply order as for
-- certificates: export_date, file_name, source_file, row number; later wins).

with

latest as (
    {{ latest_version_per_key(ref('stg_raw__graduates'), 'graduates', ['institution', 'graduation_year']) }}
),

final as (
    select
        institution,
        graduation_year,
        institution_type,
        graduates,
        graduates_certified,
        region_code,
        landed_versions,
        load_id,
        source_file,
        export_date,
        source_row_number
    from latest
)

select * from final
