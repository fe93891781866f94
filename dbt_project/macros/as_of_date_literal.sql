{#
    The as-of date of the run (var as_of_date) as a SQL date literal. Fails at compile time,
    naming the var, when the value is not a YYYY-MM-DD date.
#}
{% macro as_of_date_literal() -%}
    {%- set raw_value = var('as_of_date') | string | trim -%}
    {%- set parsed = modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', raw_value) -%}
    {%- if not parsed -%}
        {{ exceptions.raise_compiler_error("var as_of_date must be a YYYY-MM-DD date, got '" ~ raw_value ~ "'") }}
    {%- endif -%}
    {#- a real calendar date, too: strptime raises on 2025-02-30 -#}
    {%- do modules.datetime.datetime.strptime(raw_value, '%Y-%m-%d') -%}
    date '{{ raw_value }}'
{%- endmacro %}
