{#
    The as-of date of the run as a SQL date literal: var as_of_date when given (--vars), else the
    environment variable TALENT_DBT_AS_OF_DATE, else today. Fails at compile time, naming where the value
    came from, when it is not a YYYY-MM-DD date.

    The environment variable lets the orchestrator change the date every night without changing
    --vars: dbt re-parses the whole project whenever --vars differ from the previous parse, but
    only the few files that read a changed environment variable.
#}
{% macro as_of_date_literal() -%}
    {%- set from_env = env_var('TALENT_DBT_AS_OF_DATE', '') | string | trim -%}
    {%- set fallback = from_env or modules.datetime.date.today().isoformat() -%}
    {%- set raw_value = var('as_of_date', fallback) | string | trim -%}
    {%- set parsed = modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', raw_value) -%}
    {%- if not parsed -%}
        {{ exceptions.raise_compiler_error("var as_of_date (or env TALENT_DBT_AS_OF_DATE) must be a YYYY-MM-DD date, got '" ~ raw_value ~ "'") }}
    {%- endif -%}
    {#- a real calendar date, too: strptime raises on 2025-02-30 -#}
    {%- do modules.datetime.datetime.strptime(raw_value, '%Y-%m-%d') -%}
    date '{{ raw_value }}'
{%- endmacro %}
