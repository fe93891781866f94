{#
    Generic test: the values a row holds in `columns` are, together, a row of the reference relation
    `to` in `to_columns` (same order), among the reference rows that `to_where` keeps. With one
    column it is dbt's relationships test with a filter on the reference side; with two or more it
    checks a pair (or tuple) against a seed, e.g. (skill_level, level_rank) against ref_skill_levels.
    A row whose listed columns are all null is not tested (as relationships skips a null); otherwise
    a null matches only a null of the reference. Failing rows are the distinct unmatched tuples with
    their count.
#}
{% test values_in_reference(model, columns, to, to_columns, to_where=none) %}

{%- if columns | length != to_columns | length -%}
    {{ exceptions.raise_compiler_error("values_in_reference: columns and to_columns differ in length") }}
{%- endif %}

with

reference as (
    select distinct
        {%- for column in to_columns %}
        {{ column }} as reference_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ to }}
    {%- if to_where %}
    where {{ to_where }}
    {%- endif %}
),

rows as (
    select {{ columns | join(', ') }}
    from {{ model }}
    where not ({% for column in columns %}{{ column }} is null{{ ' and ' if not loop.last }}{% endfor %})
),

final as (
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from rows
    where not exists (
        select 1
        from reference
        where
            {%- for column in columns %}
            rows.{{ column }} is not distinct from reference.reference_{{ loop.index }}{{ ' and' if not loop.last }}
            {%- endfor %}
    )
    group by all
)

select * from final

{% endtest %}
