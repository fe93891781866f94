{#
    The relation a generic test reads, filtered by the test's `where` config (dbt's own behaviour),
    with one placeholder of this project for incremental models: `__last_run__` stands for the rows
    whose key (the model's unique_key) the most recent run that changed the table recomputed, i.e.
    the keys of the rows with the greatest loaded_through (every row after a full refresh). A key
    test then costs what the run changed, not the whole table, and still sees an older row left
    behind beside a recomputed one. Rows of untouched keys passed the same tests when written.

    A second placeholder, `__new_rows__`, is the `where` of every test on the staging views (set
    in dbt_project.yml): the rows of files loaded after the published warehouse's last load, i.e.
    the rows no published build has tested yet (raw tables are append-only, and a staging view
    row is its raw row). The orchestrator passes that load time in TALENT_DBT_TESTED_THROUGH;
    unset or blank (a full refresh, a first build, `make test`, a plain `dbt build`), every row is
    tested. The variable is read only while tests execute, never while dbt parses, so its change
    from night to night leaves dbt's partial parse valid.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__last_run__' in where -%}
            {%- set where = where | replace('__last_run__', keys_of_last_run(relation)) -%}
        {%- endif -%}
        {%- if '__new_rows__' in where -%}
            {%- set where = where | replace('__new_rows__', rows_not_yet_tested()) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# SQL condition: the row's unique_key is one the latest changing run of the incremental model wrote. #}
{% macro keys_of_last_run(relation) -%}
    {%- if not execute -%}{{ return('true') }}{%- endif -%}
    {%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('alias', 'equalto', relation.identifier) | list -%}
    {%- set unique_key = models[0].config.unique_key if models else none -%}
    {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error("__last_run__ needs an incremental model with a unique_key, not " ~ relation) }}
    {%- endif -%}
    {%- if all_rows_of_last_run(relation) -%}{{ return('true') }}{%- endif -%}
    {%- set key_columns = [unique_key] if unique_key is string else unique_key -%}
    ({{ key_columns | join(', ') }}) in (
        select {{ key_columns | join(', ') }}
        from {{ relation }}
        where loaded_through is not distinct from (select max(loaded_through) from {{ relation }})
    )
{%- endmacro %}

{#
    Whether every row of the relation has the same loaded_through (a full refresh, a first build, a
    table only one run wrote): the keys of the last run are then every key, and the semi join that
    would find them costs more than the test itself (2 M certificates: the unique test 0.1 s alone,
    0.3-0.4 s behind the semi join). One scan of one column, run when the test compiles, after the
    model is built.
#}
{% macro all_rows_of_last_run(relation) -%}
    {%- set sql -%}
        select coalesce(min(loaded_through) = max(loaded_through), true)
            and count(loaded_through) in (0, count(*))
        from {{ relation }}
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{%- endmacro %}

{# SQL condition on a row with a source_file: its file was loaded after TALENT_DBT_TESTED_THROUGH. #}
{% macro rows_not_yet_tested() -%}
    {%- set since = (env_var('TALENT_DBT_TESTED_THROUGH', '') | string | trim) if execute else '' -%}
    {%- if not since -%}
        true
    {%- else -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?)?', since) -%}
            {{ exceptions.raise_compiler_error("TALENT_DBT_TESTED_THROUGH must be a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff]), got '" ~ since ~ "'") }}
        {%- endif -%}
        source_file in (
            select source_file from {{ source('raw', 'load_ledger') }} where loaded_at > timestamp '{{ since }}'
        )
    {%- endif -%}
{%- endmacro %}
