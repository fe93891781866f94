{#
    Generic test: no two rows share the same values in the given columns (a composite key).
    Failing rows are the duplicated key values with their count.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

keys as (
    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as n_rows
    from {{ model }}
    group by all
),

final as (
    select * from keys
    where n_rows > 1
)

select * from final

{% endtest %}
