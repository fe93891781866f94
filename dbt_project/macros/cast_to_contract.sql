{#
    The select that gives a model exactly the columns of its YAML: one `cast(<expression> as
    <data_type>) as <name>` per column, in the YAML's order, from `relation` (a CTE name or a
    relation). The YAML states each column's name and type once; the SQL says where the values
    come from. A column is read by its own name unless `expressions` maps it to another column
    or expression: `cast_to_contract('source', {'source_row_number': 'row_number'})`.

    Every column of the YAML needs a data_type (a compile error names the first without one).
    In a unit test the columns are those of the model under test. At parse time, before the YAML
    is attached, the macro writes a placeholder select: only refs and sources matter then.
#}
{% macro cast_to_contract(relation, expressions={}) -%}
    {%- if not execute -%}
        select * from {{ relation }}
    {%- else -%}
        {#- in a unit test `model` is the test; its columns are the tested model's -#}
        {%- set node = graph.nodes[model.tested_node_unique_id] if model.resource_type == 'unit_test' else model -%}
        {%- set columns = node.columns.values() | list -%}
        {%- if not columns -%}
            {{ exceptions.raise_compiler_error(node.name ~ ": cast_to_contract needs the model's columns in its YAML") }}
        {%- endif -%}
        {%- for column in columns if not column.data_type -%}
            {%- if loop.first -%}
                {{ exceptions.raise_compiler_error(node.name ~ ": column " ~ column.name ~ " has no data_type in the YAML") }}
            {%- endif -%}
        {%- endfor -%}
        {%- for name in expressions if name not in node.columns -%}
            {%- if loop.first -%}
                {{ exceptions.raise_compiler_error(node.name ~ ": cast_to_contract was given an expression for " ~ name ~ ", which is no column of the YAML") }}
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
