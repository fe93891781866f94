-- One row per institution and graduation year: the latest landed version (apply order as for
-- certificates: export_date, file_name, source_file, row number; later wins).

with

graduates as (
    select * from {{ ref('stg_raw__graduates') }}
),

latest as (
    select
        *,
        count(*) over by_institution_year as landed_versions
    from graduates
    window by_institution_year as (partition by institution, graduation_year)
    qualify row_number() over (
        partition by institution, graduation_year
        order by export_date desc, file_name desc, source_file desc, source_row_number desc
    ) = 1
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
