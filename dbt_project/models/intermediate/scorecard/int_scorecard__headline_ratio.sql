-- HS-RATIO-2027 / HS-RATIO-2035: one row per indicator and reporting unit, from
-- mart_target_progress, measured on its latest as-of date (the run's as_of_date); its statuses are
-- the mart's (met / on_track / off_track / no_data).

with

progress as (
    select * from {{ ref('mart_target_progress') }}
),

region as (
    select * from {{ ref('int_reporting_units') }}
    where is_region_wide
),

final as (
    select
        progress.indicator_id,
        cast(year(progress.latest_as_of_date) as integer) as year,
        {{ scorecard_reporting_unit('progress') }},
        progress.high_skilled_persons as numerator,
        progress.skilled_persons as denominator,
        progress.latest_ratio as actual_value,
        month(progress.latest_as_of_date) = 12 and day(progress.latest_as_of_date) = 31 as is_year_complete,
        progress.status,
        'mart_target_progress' as source_model,
        'as of ' || strftime(progress.latest_as_of_date, '%Y-%m-%d')
            || ', target due by ' || progress.target_year
            || case
                when progress.status <> 'met'
                    then coalesce(', projected ' || round(progress.projected_ratio * 100, 1) || ' %', ', no trend')
                else ''
            end as note
    from progress
    left join region
        on true
)

select * from final
