-- One row per as-of date and skilled person on that date: the person's highest valid level,
-- whether that makes them high-skilled, their prefecture, and their age.
--
-- How it stays set-wise and linear: a person's standing only changes on the days they were
-- issued a certificate. So the valid certificates are collapsed to one row per person and issue
-- day, each carrying the standing from that day on (highest rank so far; region of that day's
-- winning certificate) and the day it is superseded (the person's next issue day). Each as-of
-- date then joins to the one period that contains it: a range join of person-days x as-of dates
-- whose output is exactly one row per person and date, with no certificates x dates blow-up.
--
-- Prefecture on a date: that of the most recent valid certificate issued on or before the date.
-- Several issued on that same day: the higher level wins; same level too: the lower region_code
-- (an arbitrary but stable rule, so reruns give the same answer).

with

valid_certificates as (
    select
        person_key,
        birth_date,
        issue_date,
        level_rank,
        region_code
    from {{ ref('int_certificates_latest') }}
    where is_valid
),

as_of_dates as (
    select as_of_date from {{ ref('int_as_of_dates') }}
),

skill_levels as (
    select * from {{ ref('ref_skill_levels') }}
),

-- one row per person and issue day: that day's winning certificate, and the highest rank
-- among all the person's certificates issued up to and including that day
person_issue_days as (
    select
        person_key,
        issue_date,
        birth_date,
        region_code,
        max(level_rank) over (
            partition by person_key
            order by issue_date
            range between unbounded preceding and current row
        ) as highest_level_rank
    from valid_certificates
    qualify row_number() over (
        partition by person_key, issue_date
        order by level_rank desc, region_code asc
    ) = 1
),

-- the standing of an issue day holds until the person's next issue day (exclusive)
person_periods as (
    select
        *,
        lead(issue_date, 1, date '9999-12-31') over (
            partition by person_key
            order by issue_date
        ) as superseded_on
    from person_issue_days
),

levelled as (
    select
        as_of_dates.as_of_date,
        person_periods.person_key,
        person_periods.highest_level_rank,
        person_periods.region_code,
        person_periods.issue_date as latest_issue_date,
        {{ age_in_years('person_periods.birth_date', 'as_of_dates.as_of_date') }} as age_years
    from person_periods
    inner join as_of_dates
        on person_periods.issue_date <= as_of_dates.as_of_date
        and as_of_dates.as_of_date < person_periods.superseded_on
),

final as (
    select
        levelled.as_of_date,
        levelled.person_key,
        cast(levelled.age_years as integer) as age_years,
        levelled.highest_level_rank,
        skill_levels.skill_level as highest_skill_level,
        skill_levels.is_high_skilled,
        levelled.region_code,
        levelled.latest_issue_date
    from levelled
    inner join skill_levels
        on levelled.highest_level_rank = skill_levels.level_rank
    where levelled.age_years between {{ var('min_age') }} and {{ var('max_age') }}
)

select * from final
