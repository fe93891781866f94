{#
    Generic test: in a mart with region-wide rows (region_code of the seed ref_region) beside unit
    rows, each region-wide row's measures equal the sums over the unit rows of the same group.
    A group with unit rows but no region-wide row fails, as does a region-wide row whose units
    are missing (absent values count as 0). Failing rows are the groups that disagree.
#}
{% test region_row_is_sum_of_units(model, group_by, measures) %}

with

rows as (
    select * from {{ model }}
),

region as (
    select code as region_code from {{ ref('ref_region') }}
),

region_rows as (
    select
        {{ group_by | join(', ') }},
        {%- for measure in measures %}
        sum({{ measure }}) as region_{{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rows
    where region_code in (select region_code from region)
    group by {{ group_by | join(', ') }}
),

unit_sums as (
    select
        {{ group_by | join(', ') }},
        {%- for measure in measures %}
        sum({{ measure }}) as units_{{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rows
    where region_code not in (select region_code from region)
    group by {{ group_by | join(', ') }}
),

final as (
    select *
    from region_rows
    full outer join unit_sums using ({{ group_by | join(', ') }})
    where
        {%- for measure in measures %}
        coalesce(region_{{ measure }}, 0) <> coalesce(units_{{ measure }}, 0){{ ' or' if not loop.last }}
        {%- endfor %}
)

select * from final

{% endtest %}
