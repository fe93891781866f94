{#
    Incremental models: what files landed since a model last ran, and which keys they touch.

    Ingest appends rows to raw.<source> and records every landed file in raw.load_ledger with the
    time it was loaded (loaded_at). Each incremental model carries a column `loaded_through`: the
    ledger's high-water mark (max loaded_at) when the run that wrote the row read the raw tables.
    The greatest loaded_through of a model's table is therefore the point up to which every loaded
    file has been applied to it, whatever the files' export dates (a late file with an older export
    date is new by loaded_at all the same). A run re-applies the files loaded after that point;
    a run with nothing new writes nothing and leaves the mark where it was.

    This relies on ingest and dbt never running at the same time (both write the build database,
    which DuckDB opens for one writer at a time) and on loaded_at growing from one ingest run to
    the next; `--full-refresh` rebuilds everything from all raw rows in any case.
#}

{# The ledger's high-water mark now: the value of loaded_through for the rows a run writes. #}
{% macro ledger_high_water_mark() -%}
    (select max(loaded_at) from {{ ref('stg_raw__load_ledger') }})
{%- endmacro %}

{#
    The point up to which a model's table has applied the loaded files (-infinity when empty).
    A table built before the model became incremental has no loaded_through: say what to do.
    (In a unit test `this` is the name of the given rows, a string: nothing to check.)
#}
{% macro high_water_mark_of(relation) -%}
    {%- if execute and relation is not string -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- if 'loaded_through' not in columns -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " has no column loaded_through: it was built before the model became"
                ~ " incremental. Rebuild it once with `dbt build --full-refresh`"
                ~ " (`talent refresh --full-refresh`)."
            ) }}
        {%- endif -%}
    {%- endif -%}
    (select coalesce(max(loaded_through), timestamp '-infinity') from {{ relation }})
{%- endmacro %}

{#
    A boolean SQL condition on a staging model's rows: the row's natural key occurs in a file of
    the source loaded after the current model's high-water mark. Filtering the staging model with
    it keeps every version (old ones included) of every key such a file touched, which is what
    recomputing the latest version of those keys needs.
#}
{% macro key_in_files_loaded_since_last_run(staging_relation, source_name, key_columns) -%}
    {%- set key = '(' ~ key_columns | join(', ') ~ ')' -%}
    {{ key }} in (
        select {{ key_columns | join(', ') }}
        from {{ staging_relation }}
        where source_file in (
            select source_file
            from {{ ref('stg_raw__load_ledger') }}
            where source = '{{ source_name }}'
                and status = 'loaded'
                and loaded_at > {{ high_water_mark_of(this) }}
        )
    )
{%- endmacro %}

{#
    The body shared by the int_*_latest models: every column of a staging model, for the latest
    landed version of each natural key, plus landed_versions (how many versions of the key landed).
    Versions apply in the order of the source contract (export_date, file_name, source_file, row
    number); later wins, which is how corrections, revocations and completions arrive.

    In an incremental run of an incremental model only the keys occurring in files of
    `source_name` loaded since the model's high-water mark are recomputed, from all their
    versions, through one window. Otherwise (a table, the first run, --full-refresh) every key:
    most keys landed once, and such a row is its key's latest version as it stands; only the keys
    landed more than once go through the window. Sorting every landed row with all its columns
    took most of a full build's time at scale (15 s of the certificates' at 8 M rows, against 8 s
    this way). Keys compare with `is not distinct from`, as the window's partitions do.
#}
{% macro latest_version_per_key(staging_relation, source_name, key_columns) -%}
    {%- set key = key_columns | join(', ') -%}
    {%- set latest_only -%}
    window by_key as (partition by {{ key }})
    qualify row_number() over (
        partition by {{ key }}
        order by export_date desc, file_name desc, source_file desc, source_row_number desc
    ) = 1
    {%- endset -%}
    {%- if is_incremental() %}
    select
        *,
        count(*) over by_key as landed_versions
    from {{ staging_relation }}
    where {{ key_in_files_loaded_since_last_run(staging_relation, source_name, key_columns) }}
    {{ latest_only }}
    {%- else %}
    {%- set repeated -%}
        (select {{ key }} from {{ staging_relation }} group by {{ key }} having count(*) > 1) as repeated
        on {% for k in key_columns %}landed.{{ k }} is not distinct from repeated.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endset %}
    select
        landed.*,
        cast(1 as bigint) as landed_versions
    from {{ staging_relation }} as landed
    anti join {{ repeated }}

    union all

    select
        landed.*,
        count(*) over by_key as landed_versions
    from {{ staging_relation }} as landed
    semi join {{ repeated }}
    {{ latest_only }}
    {%- endif %}
{%- endmacro %}
