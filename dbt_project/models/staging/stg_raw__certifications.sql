-- One row per loaded row of a landed certifications file (every version of every certificate).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'certifications') }}
),

renamed as (
    select
        {{ lineage_columns() }},

        -- certificate
        cast(certificate_no as varchar) as certificate_no,
        cast(person_key as varchar) as person_key,
        cast(gender as varchar) as gender,
        cast(birth_date as date) as birth_date,
        cast(occupation_code as varchar) as occupation_code,
        cast(occupation_name as varchar) as occupation_name,
        cast(skill_level as varchar) as skill_level,
        cast(level_rank as integer) as level_rank,
        cast(issue_date as date) as issue_date,
        cast(assessor_name as varchar) as assessor_name,
        cast(assessor_type as varchar) as assessor_type,
        cast(region_code as varchar) as region_code,
        cast(employer as varchar) as employer,
        cast(employer_type as varchar) as employer_type,
        cast(status as varchar) as status
    from source
),

final as (
    select * from renamed
)

select * from final
