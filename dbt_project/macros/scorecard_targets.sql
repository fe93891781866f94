{#
    Yearly targets of the scorecard. The run's as-of date (var as_of_date) closes the year it falls
    in only on 31 December; earlier years are complete. The rules are the docs block
    yearly_target_status (models/_scorecard__docs.md).
#}

{# True when the calendar year is over on the run's as-of date. #}
{% macro year_is_complete(year_expr) -%}
    (
        {{ year_expr }} < year({{ as_of_date_literal() }})
        or (month({{ as_of_date_literal() }}) = 12 and day({{ as_of_date_literal() }}) = 31)
    )
{%- endmacro %}

{# Share of the calendar year elapsed on the as-of date: 1 for complete years, day of year / days in the year otherwise. #}
{% macro year_elapsed_fraction(year_expr) -%}
    (
        case
            when {{ year_is_complete(year_expr) }} then 1.0
            else dayofyear({{ as_of_date_literal() }})
                / dayofyear(make_date(year({{ as_of_date_literal() }}), 12, 31))
        end
    )
{%- endmacro %}

{# A value against a target under a comparator of ref_policy_targets ('>=' or '>'); null for other comparators. #}
{% macro target_reached(value_expr, target_expr, comparator_expr) -%}
    (
        case {{ comparator_expr }}
            when '>=' then {{ value_expr }} >= {{ target_expr }}
            when '>' then {{ value_expr }} > {{ target_expr }}
        end
    )
{%- endmacro %}

{#
    Status of a yearly target:
      no_data   - nothing to measure (has_data false)
      met       - a complete year reached the target, or a count (is_cumulative) already has this year
      missed    - a complete year did not reach it
      on_track  - the running year: a count on pace (pace_reached), or a share that reaches it so far
      off_track - the running year: otherwise
    For shares pass the same expression as reached and pace_reached.
#}
{% macro yearly_target_status(has_data, reached, pace_reached, is_year_complete, is_cumulative) -%}
    (
        case
            when not coalesce({{ has_data }}, false) then 'no_data'
            when {{ is_year_complete }} and coalesce({{ reached }}, false) then 'met'
            when {{ is_year_complete }} then 'missed'
            when {{ is_cumulative }} and coalesce({{ reached }}, false) then 'met'
            when coalesce({{ pace_reached }}, false) then 'on_track'
            else 'off_track'
        end
    )
{%- endmacro %}
