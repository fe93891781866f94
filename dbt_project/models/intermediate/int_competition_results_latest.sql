-- One row per competition result (competition_name + year + event + person): its latest landed
-- version. Files apply in order of (export_date, file_name, source_file, row number); for the same
-- natural key the later row wins, which is how corrections arrive.

with

results as (
    select * from {{ ref('stg_raw__competitions') }}
),

latest as (
    select
        *,
        count(*) over by_result as landed_versions
    from results
    window by_result as (partition by competition_name, year, event, person_key)
    qualify row_number() over (
        partition by competition_name, year, event, person_key
        order by export_date desc, file_name desc, source_file desc, source_row_number desc
    ) = 1
),

final as (
    select
        competition_name,
        year,
        event,
        person_key,
        tier,
        award,
        award <> '参赛' as is_award_winner,
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
