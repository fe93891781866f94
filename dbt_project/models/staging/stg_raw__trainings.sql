-- One row per loaded row of a landed trainings file (every version of every enrolment).
-- Rename and cast only: raw is already typed and normalised by ingest.

with

source as (
    select * from {{ source('raw', 'trainings') }}
),

renamed as (
    select
        {{ lineage_columns() }},

        -- enrolment
        cast(training_id as varchar) as training_id,
        cast(person_key as varchar) as person_key,
        cast(birth_date as date) as birth_date,
        cast(program as varchar) as program,
        cast(level as varchar) as skill_level,
        cast(level_rank as integer) as level_rank,
        cast(occupation_name as varchar) as occupation_name,
        cast(provider_code as varchar) as provider_code,
        cast(provider_name as varchar) as provider_name,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(status as varchar) as status,
        cast(subsidy_yuan as decimal(14, 2)) as subsidy_yuan,
        cast(region_code as varchar) as region_code
    from source
),

final as (
    select * from renamed
)

select * from final
