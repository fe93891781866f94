{#
    The scorecard's slice models (models/intermediate/scorecard) each map one mart to rows of
    mart_policy_scorecard: indicator_id, year, the unit (unit_type, unit_code, unit_name,
    region_code), numerator, denominator, actual_value, is_year_complete, status, source_model and
    note. These macros write the unit columns the slices share.
#}

{# The unit columns of a region-wide row (650000): `region` is a relation or CTE of the region's row of int_reporting_units. #}
{% macro scorecard_region_unit(region='region') -%}
        'region' as unit_type,
        {{ region }}.region_code as unit_code,
        {{ region }}.region_name as unit_name,
        {{ region }}.region_code as region_code
{%- endmacro %}

{#
    The unit columns of a row of a mart with one row per reporting unit (region_code, region_name):
    'region' for the region-wide row (`region`, as above), 'prefecture' for a unit's.
#}
{% macro scorecard_reporting_unit(rows, region='region') -%}
        case when {{ rows }}.region_code = {{ region }}.region_code then 'region' else 'prefecture' end as unit_type,
        {{ rows }}.region_code as unit_code,
        {{ rows }}.region_name as unit_name,
        {{ rows }}.region_code as region_code
{%- endmacro %}
