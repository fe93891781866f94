-- One row per as-of date: every year end from the year of the first certificate issue date up
-- to the run's as_of_date var, plus that date itself (once, if it is itself a year end).

with

certificates as (
    select issue_date from {{ ref('int_certificates_latest') }}
),

bounds as (
    select
        year(min(issue_date)) as first_year,
        {{ as_of_date_literal() }} as run_as_of_date
    from certificates
),

years as (
    select
        unnest(range(first_year, year(run_as_of_date) + 1)) as calendar_year,
        run_as_of_date
    from bounds
),

year_ends as (
    select make_date(cast(calendar_year as integer), 12, 31) as as_of_date
    from years
    where make_date(cast(calendar_year as integer), 12, 31) <= run_as_of_date
),

as_of_dates as (
    select as_of_date from year_ends
    union
    select run_as_of_date as as_of_date from bounds
),

final as (
    select
        as_of_date,
        month(as_of_date) = 12 and day(as_of_date) = 31 as is_year_end
    from as_of_dates
)

select * from final
