-- One row per as-of date and skilled person on that date: the person's highest valid level,
-- whether that makes them high-skilled, their prefecture, and their age.
--
-- How it stays set-wise and linear: a person's standing only changes on the days they were
-- issued a certificate, so int_person_standing_periods holds it as one period per person and
-- issue day (highest rank so far; region of that day's winning certificate) up to the person's
-- next issue day. Each as-of date joins to the one period that contains it: a range join of
-- periods x as-of dates whose output is exactly one row per person and date.
--
-- A view: the periods are maintained incrementally and do not depend on the run's as-of date;
-- nothing of this join is written. It lists who counts, person by person (drill-down in the build
-- warehouse); mart_high_skill_ratio counts the same persons from the periods as ranges of dates,
-- without this view's row per person and date, and the end-to-end tests hold the two together.

{{ config(materialized='view') }}

with

periods as (
    select * from {{ ref('int_person_standing_periods') }}
),

as_of_dates as (
    select as_of_date from {{ ref('int_as_of_dates') }}
),

skill_levels as (
    select * from {{ ref('ref_skill_levels') }}
),

levelled as (
    select
        as_of_dates.as_of_date,
        periods.person_key,
        periods.highest_level_rank,
        periods.region_code,
        periods.valid_from as latest_issue_date,
        {{ age_in_years('periods.birth_date', 'as_of_dates.as_of_date') }} as age_years
    from periods
    inner join as_of_dates
        on periods.valid_from <= as_of_dates.as_of_date
        and as_of_dates.as_of_date < periods.valid_until
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
