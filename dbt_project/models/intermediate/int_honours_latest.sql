-- One row per honour granted (honour + year + person): its latest landed version, in the apply
-- order of the source contract (export_date, file_name, source_file, row number); later wins.
--
-- Incremental: a run recomputes only the natural keys that occur in files loaded since the table
-- was last built (raw.load_ledger.loaded_at after its loaded_through), from all their raw rows,
-- and replaces them (delete+insert on the key). `--full-refresh` recomputes every key.

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['honour', 'year', 'person_key'],
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('stg_raw__load_ledger') }}

with

honours as (
    select * from {{ ref('stg_raw__honours') }}
    {% if is_incremental() -%}
    where {{ key_in_files_loaded_since_last_run(ref('stg_raw__honours'), 'honours', ['honour', 'year', 'person_key']) }}
    {%- endif %}
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
        source_row_number,
        {{ ledger_high_water_mark() }} as loaded_through
    from latest
)

select * from final
