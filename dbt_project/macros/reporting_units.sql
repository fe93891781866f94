{#
    Marts that report per prefecture-level unit and region-wide count once with grouping sets: per
    unit (with region_code) and region-wide (without it; grouping(region_code) = 1 marks those rows
    as is_region_wide, region_code null). The region-wide row is counted over the rows, not summed
    over the units: a person in two units counts once region-wide.
#}

{# The grouping sets of such a count: `group by {{ per_unit_and_region_wide(['year', 'tier']) }}`. #}
{% macro per_unit_and_region_wide(columns) -%}
    grouping sets (({{ columns | join(', ') }}, region_code), ({{ columns | join(', ') }}))
{%- endmacro %}

{#
    A select of the rows of such a count (a CTE with is_region_wide and region_code) with the
    reporting unit's code and name from int_reporting_units: the region (650000) on the region-wide
    rows. Unit rows whose code is no reporting unit are left out.
#}
{% macro with_reporting_unit(rows) -%}
    select
        {{ rows }}.* exclude (region_code),
        reporting_units.region_code,
        reporting_units.region_name
    from {{ rows }}
    inner join {{ ref('int_reporting_units') }} as reporting_units
        on case
            when {{ rows }}.is_region_wide then reporting_units.is_region_wide
            else reporting_units.region_code = {{ rows }}.region_code
        end
{%- endmacro %}
