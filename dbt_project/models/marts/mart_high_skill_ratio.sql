-- One row per as-of date and reporting unit: every prefecture-level unit of ref_prefectures (zero
-- counts included) and the region as a whole (ref_region, 650000), with skilled and high-skilled
-- persons and their ratio.
--
-- Who counts is int_persons_levelled_as_of's rule: on an as-of date, a person counts when one of
-- their standing periods contains the date and they are aged var min_age..max_age on it. This mart
-- applies that rule without a row per person and date (43 million at 8 million certificates). Both
-- conditions are ranges of dates, so each period counts on one range of date numbers,
-- [counted_from, counted_until); the persons counted on a date d are the ranges begun on or before
-- d less those ended on or before d. The ranges' ends are counted per region and level class (a few
-- hundred thousand rows), then summed per as-of date. At 8 million certificates: ~0.9 s, against
-- ~2.7 s for aggregating the view. tests/e2e/test_refresh_generated.py holds the two to the same
-- counts; the unit tests in mart_high_skill_ratio.yml hold it to the age and period bounds.

with

periods as (
    select
        region_code,
        highest_level_rank,
        valid_from,
        valid_until,
        birth_date
    from {{ ref('int_person_standing_periods') }}
    -- greatest() and least() skip nulls: a period without a birth date or start counts nowhere,
    -- as in the view (its age and its join to the dates are null there)
    where valid_from is not null
        and valid_until is not null
        and birth_date is not null
),

skill_levels as (
    select level_rank, is_high_skilled from {{ ref('ref_skill_levels') }}
),

spans as (
    select
        periods.region_code,
        skill_levels.is_high_skilled,
        greatest(
            {{ date_number('periods.valid_from') }},
            {{ of_age_from('periods.birth_date', var('min_age')) }}
        ) as counted_from,
        least(
            {{ date_number('periods.valid_until') }},
            {{ of_age_until('periods.birth_date', var('max_age')) }}
        ) as counted_until
    from periods
    inner join skill_levels
        on periods.highest_level_rank = skill_levels.level_rank
),

-- +1 where a range begins, -1 where it ends (exclusive)
span_ends as (
    select region_code, is_high_skilled, counted_from as date_number, count(*) as persons
    from spans
    where counted_from < counted_until
    group by region_code, is_high_skilled, counted_from

    union all

    select region_code, is_high_skilled, counted_until as date_number, -count(*) as persons
    from spans
    where counted_from < counted_until
    group by region_code, is_high_skilled, counted_until
),

as_of_dates as (
    select * from {{ ref('int_as_of_dates') }}
),

reporting_units as (
    select * from {{ ref('int_reporting_units') }}
),

per_region as (
    select
        as_of_dates.as_of_date,
        span_ends.region_code,
        sum(span_ends.persons) as skilled_persons,
        coalesce(sum(span_ends.persons) filter (where span_ends.is_high_skilled), 0) as high_skilled_persons
    from as_of_dates
    inner join span_ends
        on span_ends.date_number <= {{ date_number('as_of_dates.as_of_date') }}
    group by as_of_dates.as_of_date, span_ends.region_code
),

-- per unit, and (the grouping set without region_code) region-wide
counts as (
    select
        as_of_date,
        grouping(region_code) = 1 as is_region_wide,
        region_code,
        sum(skilled_persons) as skilled_persons,
        sum(high_skilled_persons) as high_skilled_persons
    from per_region
    group by {{ per_unit_and_region_wide(['as_of_date']) }}
),

unit_dates as (
    select
        as_of_dates.as_of_date,
        as_of_dates.is_year_end,
        reporting_units.region_code,
        reporting_units.region_name,
        reporting_units.is_region_wide
    from as_of_dates
    cross join reporting_units
),

joined as (
    select
        unit_dates.as_of_date,
        unit_dates.region_code,
        unit_dates.region_name,
        coalesce(counts.skilled_persons, 0) as skilled_persons,
        coalesce(counts.high_skilled_persons, 0) as high_skilled_persons,
        unit_dates.is_year_end
    from unit_dates
    left join counts
        on unit_dates.as_of_date = counts.as_of_date
        and unit_dates.is_region_wide = counts.is_region_wide
        and (unit_dates.is_region_wide or unit_dates.region_code = counts.region_code)
),

final as (
    select
        cast(as_of_date as date) as as_of_date,
        cast(region_code as varchar) as region_code,
        cast(region_name as varchar) as region_name,
        cast(skilled_persons as bigint) as skilled_persons,
        cast(high_skilled_persons as bigint) as high_skilled_persons,
        cast(high_skilled_persons / nullif(skilled_persons, 0) as double) as high_skill_ratio,
        cast(is_year_end as boolean) as is_year_end
    from joined
)

select * from final
order by as_of_date, region_code
