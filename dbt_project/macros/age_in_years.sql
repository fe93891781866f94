{#
    Age in completed years on a date. A birthday counts from the day itself; someone born on
    29 February has a birthday on 1 March in common years.
#}
{% macro age_in_years(birth_date, on_date) -%}
    ({{ date_number(on_date) }} - {{ date_number(birth_date) }}) // 10000
{%- endmacro %}

{#
    A date as the integer yyyymmdd: it orders dates as they fall, and age_in_years is the
    difference of two of them, // 10000.
#}
{% macro date_number(on_date) -%}
    (year({{ on_date }}) * 10000 + month({{ on_date }}) * 100 + day({{ on_date }}))
{%- endmacro %}

{#
    The dates on which someone born on birth_date is aged min_age..max_age (completed years,
    inclusive), as a half-open range of date numbers [of_age_from, of_age_until). Because
    age_in_years(b, d) is (date_number(d) - date_number(b)) // 10000 (floored):
    min_age <= age_in_years(b, d) <= max_age
    <=> date_number(b) + min_age * 10000 <= date_number(d) < date_number(b) + (max_age + 1) * 10000.
#}
{% macro of_age_from(birth_date, min_age) -%}
    ({{ date_number(birth_date) }} + {{ min_age }} * 10000)
{%- endmacro %}

{% macro of_age_until(birth_date, max_age) -%}
    ({{ date_number(birth_date) }} + ({{ max_age }} + 1) * 10000)
{%- endmacro %}
