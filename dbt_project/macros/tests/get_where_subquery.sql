{#
    The relation a generic test reads, filtered by the test's `where` config (dbt's own behaviour),
    with one placeholder of this project: `__last_run__` stands for the rows of an incremental
    model written by the most recent run that changed it (greatest loaded_through; every row after
    a full refresh). Tests of invariants that hold per recomputed key then cost what the run
    changed, not the whole table: an incremental run replaces every row of each key it touches,
    and the rows it did not touch passed the same tests when they were written.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__last_run__' in where -%}
            {%- set last_run -%}
                loaded_through is not distinct from (select max(loaded_through) from {{ relation }})
            {%- endset -%}
            {%- set where = where | replace('__last_run__', last_run) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
