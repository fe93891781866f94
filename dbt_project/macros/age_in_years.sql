{#
    Age in completed years on a date. A birthday counts from the day itself; someone born on
    29 February has a birthday on 1 March in common years.
#}
{% macro age_in_years(birth_date, on_date) -%}
    (
        (year({{ on_date }}) * 10000 + month({{ on_date }}) * 100 + day({{ on_date }}))
        - (year({{ birth_date }}) * 10000 + month({{ birth_date }}) * 100 + day({{ birth_date }}))
    ) // 10000
{%- endmacro %}
