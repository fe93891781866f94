{#
    The five lineage columns every staging model of a landed source carries, renamed and cast:
    which load and file a row came from, the file's export date and the row's number in it.
#}
{% macro lineage_columns() -%}
        cast(load_id as varchar) as load_id,
        cast(source_file as varchar) as source_file,
        cast(file_name as varchar) as file_name,
        cast(export_date as date) as export_date,
        cast(row_number as integer) as source_row_number
{%- endmacro %}
