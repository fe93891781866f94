-- One row per training enrolment: its latest landed version. Files apply in order of
-- (export_date, file_name, source_file, row number); for the same training_id the later row wins,
-- which is how completions, withdrawals and corrections arrive.
--
-- Incremental: a run recomputes only the natural keys that occur in files loaded since the table
-- was last built (raw.load_ledger.loaded_at after its loaded_through), from all their raw rows,
-- and replaces them (delete+insert on the key). `--full-refresh` recomputes every key.

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='training_id',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('stg_raw__load_ledger') }}

with

latest as (
    {{ latest_version_per_key(ref('stg_raw__trainings'), 'trainings', ['training_id']) }}
),

final as (
    select
        training_id,
        person_key,
        birth_date,
        program,
        skill_level,
        level_rank,
        occupation_name,
        provider_code,
        provider_name,
        start_date,
        end_date,
        status,
        subsidy_yuan,
        region_code,
        landed_versions,
        load_id,
        source_file,
        export_date,
        source_row_number,
        {{ ledger_high_water_mark() }} as loaded_through
    from latest
)

select * from final
