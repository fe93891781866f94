{#
    Generic test: a boolean SQL expression holds on every row. Rows where it is false or null fail.
#}
{% test expression_is_true(model, expression) %}

with

final as (
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
)

select * from final

{% endtest %}
