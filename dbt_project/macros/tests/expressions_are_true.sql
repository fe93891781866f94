{#
    Generic test: each of a model's boolean SQL expressions (its row rules) holds on every row;
    a row fails an expression where it is false or null. It checks what an `expression_is_true`
    test per expression would, as one dbt node for the model instead of one per rule (each node
    costs dbt ~0.04 s of Python whatever its query reads). Failing rows: one per row and broken
    expression, with that expression's text in `failed_expression`, so the failure names its rule.
#}
{% test expressions_are_true(model, expressions) %}

with

{% for expression in expressions %}
broken_{{ loop.index }} as (
    select
        '{{ expression | trim | replace("'", "''") }}' as failed_expression,
        *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
),

{% endfor %}
final as (
    {%- for expression in expressions %}
    select * from broken_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final

{% endtest %}
