-- COMPETITION-PROMOTION (measure 14): one row per competition year and reporting unit. Award
-- winners entitled to a promotion that year (once per person, at the highest level of the year),
-- how many already hold a valid certificate at that level or above on the as-of date (done) and how
-- many do not yet (the follow-up backlog). Unit rows where someone is entitled; a region-wide row
-- (650000) for every year with competition results, zero when nobody is entitled.

with

bounds as (
    select year({{ as_of_date_literal() }}) as as_of_year
),

followups as (
    select * from {{ ref('int_promotions_followed_up') }}
),

competition_years as (
    select distinct results.year
    from {{ ref('int_competition_results_latest') }} as results
    cross join bounds
    where results.year <= bounds.as_of_year
),

reporting_units as (
    select * from {{ ref('int_reporting_units') }}
),

region as (
    select region_code from reporting_units
    where is_region_wide
),

unit_counts as (
    select
        year,
        region_code,
        count(*) as entitled_persons,
        count(*) filter (where is_done) as done_persons
    from followups
    group by year, region_code
),

-- every entitlement has one unit, so the region-wide row is the sum of the units
region_counts as (
    select
        competition_years.year,
        region.region_code,
        coalesce(sum(unit_counts.entitled_persons), 0) as entitled_persons,
        coalesce(sum(unit_counts.done_persons), 0) as done_persons
    from competition_years
    cross join region
    left join unit_counts
        on competition_years.year = unit_counts.year
    group by competition_years.year, region.region_code
),

counts as (
    select * from unit_counts
    union all
    select * from region_counts
),

final as (
    select
        cast(counts.year as integer) as year,
        cast(counts.region_code as varchar) as region_code,
        cast(reporting_units.region_name as varchar) as region_name,
        {{ as_of_date_literal() }} as as_of_date,
        cast(counts.entitled_persons as bigint) as entitled_persons,
        cast(counts.done_persons as bigint) as done_persons,
        cast(counts.entitled_persons - counts.done_persons as bigint) as backlog_persons,
        cast(counts.done_persons / nullif(counts.entitled_persons, 0) as double) as share_done
    from counts
    inner join reporting_units
        on counts.region_code = reporting_units.region_code
)

select * from final
order by year, region_code
