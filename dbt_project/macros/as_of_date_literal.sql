{#
    The as-of date of the run as a SQL date literal: var as_of_date when given (--vars), else the
    environment variable TALENT_DBT_AS_OF_DATE, else today. Fails at compile time, naming where the value
    came from, when it is not a YYYY-MM-DD date.

    The environment variable lets the orchestrator change the date every night without changing
    --vars: dbt re-parses the whole project whenever --vars differ from the previous parse. And
    the value is read only when a node compiles (execute), never while dbt parses: at parse time
    the macro returns a placeholder date, so a new date in the environment leaves every file's
    parse valid (dbt records an environment variable read during parsing and re-parses the files
    that read it when its value changes; read at execution, it is not recorded).
#}
{% macro as_of_date_literal() -%}
    {%- if not execute -%}
        {#- parse time: only refs and configs matter here; the real date is read when the node compiles -#}
        date '1970-01-01'
    {%- else -%}
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
    {%- endif -%}
{%- endmacro %}
