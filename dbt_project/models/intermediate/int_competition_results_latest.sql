-- One row per competition result (competition_name + year + event + person): its latest landed
-- version. Files apply in order of (export_date, file_name, source_file, row number); for the same
-- natural key the later row wins, which is how corrections arrive.
--
-- Incremental: a run recomputes only the natural keys that occur in files loaded since the table
-- was last built (raw.load_ledger.loaded_at after its loaded_through), from all their raw rows,
-- and replaces them (delete+insert on the key). `--full-refresh` recomputes every key.

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['competition_name', 'year', 'event', 'person_key'],
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('stg_raw__load_ledger') }}

with

latest as (
    {{ latest_version_per_key(ref('stg_raw__competitions'), 'competitions', ['competition_name', 'year', 'event', 'person_key']) }}
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
        source_row_number,
        {{ ledger_high_water_mark() }} as loaded_through
    from latest
)

select * from final
