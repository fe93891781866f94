{#
    Custom schemas are used verbatim (staging, intermediate, marts, reference) rather than
    prefixed with the target schema, so every environment has the same layout in its own file.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
