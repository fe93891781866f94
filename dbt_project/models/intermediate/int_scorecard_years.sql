-- One row per year of the scorecard: from the first year with training or graduate data (a
-- training's start year, a graduation year; on or before the run's as-of date) to the year of the
-- as-of date — only that year when there is no such data. Carries whether the year is over and how
-- much of it has elapsed, for the yearly targets' statuses.

with

run as (
    select {{ as_of_date_literal() }} as as_of_date
),

training_years as (
    select
        cast(year(start_date) as integer) as year,
        count(*) as training_records
    from {{ ref('int_trainings_latest') }}
    where start_date <= (select as_of_date from run)
    group by all
),

graduate_years as (
    select
        graduation_year as year,
        count(*) as graduate_records
    from {{ ref('int_graduates_latest') }}
    where graduation_year <= (select year(as_of_date) from run)
    group by all
),

bounds as (
    select
        run.as_of_date,
        cast(year(run.as_of_date) as integer) as last_year,
        cast(
            least(
                coalesce((select min(year) from training_years), year(run.as_of_date)),
                coalesce((select min(year) from graduate_years), year(run.as_of_date))
            )
            as integer
        ) as first_year
    from run
),

years as (
    select
        cast(unnest(range(first_year, last_year + 1)) as integer) as year,
        as_of_date,
        last_year
    from bounds
),

final as (
    select
        years.year,
        years.as_of_date,
        years.year = years.last_year as is_latest_year,
        {{ year_is_complete('years.year') }} as is_year_complete,
        cast({{ year_elapsed_fraction('years.year') }} as double) as year_elapsed_fraction,
        coalesce(training_years.training_records, 0) as training_records,
        coalesce(graduate_years.graduate_records, 0) as graduate_records
    from years
    left join training_years
        on years.year = training_years.year
    left join graduate_years
        on years.year = graduate_years.year
)

select * from final
