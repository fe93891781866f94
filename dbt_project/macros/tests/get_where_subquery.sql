{#
    The relation a generic test reads, filtered by the test's `where` config (dbt's own behaviour),
    with one placeholder of this project for incremental models: `__last_run__` stands for the rows
    whose key (the model's unique_key) the most recent run that changed the table recomputed, i.e.
    the keys of the rows with the greatest loaded_through (every row after a full refresh). A key
    test then costs what the run changed, not the whole table, and still sees an older row left
    behind beside a recomputed one. Rows of untouched keys passed the same tests when written.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__last_run__' in where -%}
            {%- set where = where | replace('__last_run__', keys_of_last_run(relation)) -%}
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
    {%- set key_columns = [unique_key] if unique_key is string else unique_key -%}
    ({{ key_columns | join(', ') }}) in (
        select {{ key_columns | join(', ') }}
        from {{ relation }}
        where loaded_through is not distinct from (select max(loaded_through) from {{ relation }})
    )
{%- endmacro %}
