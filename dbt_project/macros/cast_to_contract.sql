{#
    The select that gives a model exactly the columns of its YAML: one `cast(<expression> as
    <data_type>) as <name>` per column, in the YAML's order, from `relation` (a CTE name or a
    relation). The YAML states each column's name and type once; the SQL says where the values
    come from. A column is read by its own name unless `expressions` maps it to another column
    or expression: `cast_to_contract('source', {'source_row_number': 'row_number'})`.

    Every column of the YAML needs a data_type (a compile error names the first without one).

    At parse time, before the YAML is attached, the macro writes a placeholder select: only refs
    and sources matter then. In a dbt unit test it cannot see the YAML (dbt compiles a unit test
    against a manifest of its own: `model` is the test and `graph` is empty), so it selects the
    columns as they are, plus those of `expressions`: unit tests assert the values of the columns
    they name, and a model's enforced contract asserts the types when it builds.
#}
{% macro cast_to_contract(relation, expressions={}) -%}
    {%- if not execute -%}
        select * from {{ relation }}
    {%- elif model.resource_type == 'unit_test' -%}
    select
        {{ relation }}.*
        {%- for name, expression in expressions.items() %},
        {{ expression }} as {{ name }}
        {%- endfor %}
    from {{ relation }}
    {%- else -%}
        {%- set columns = model.columns.values() | list -%}
        {%- if not columns -%}
            {{ exceptions.raise_compiler_error(model.name ~ ": cast_to_contract needs the model's columns in its YAML") }}
        {%- endif -%}
        {%- for column in columns if not column.data_type -%}
            {%- if loop.first -%}
                {{ exceptions.raise_compiler_error(model.name ~ ": column " ~ column.name ~ " has no data_type in the YAML") }}
            {%- endif -%}
        {%- endfor -%}
        {%- for name in expressions if name not in model.columns -%}
            {%- if loop.first -%}
                {{ exceptions.raise_compiler_error(model.name ~ ": cast_to_contract was given an expression for " ~ name ~ ", which is no column of the YAML") }}
            {%- endif -%}
        {%- endfor -%}
    select
        {%- for column in columns %}
        cast({{ expressions.get(column.name, column.name) }} as {{ column.data_type }}) as {{ column.name }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {%- endif -%}
{%- endmacro %}
