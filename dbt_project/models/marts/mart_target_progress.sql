-- One row per high-skill-ratio target (ref_policy_targets where measure = 'high_skill_ratio') and
-- reporting unit: where the unit stands on the latest as-of date, its trend, where the trend
-- takes it by the target year, and how many more high-skilled persons the target needs.
--
-- Time scale: a date d sits at year(d) - 1 + dayofyear(d) / days in that year, so the year end of
-- year Y is exactly Y. Trend: least-squares slope of high_skill_ratio against that scale over the
-- trend_years most recent year-end as-of dates (all on or before the latest as-of date), skipping
-- year ends where the unit had no skilled person; null with fewer than two such points.
-- Projection: latest ratio + slope x years from the latest as-of date to the target year's year
-- end (none after that year end has passed), clamped to [0, 1].

with

ratios as (
    select * from {{ ref('mart_high_skill_ratio') }}
),

targets as (
    select
        indicator_id,
        target_year,
        target_value as target_ratio
    from {{ ref('ref_policy_targets') }}
    where measure = 'high_skill_ratio'
),

latest as (
    select
        region_code,
        region_name,
        as_of_date as latest_as_of_date,
        high_skill_ratio as latest_ratio,
        skilled_persons,
        high_skilled_persons,
        year(as_of_date) - 1 + dayofyear(as_of_date) / dayofyear(make_date(year(as_of_date), 12, 31))
            as latest_position_years
    from ratios
    qualify as_of_date = max(as_of_date) over ()
),

trend_points as (
    select
        region_code,
        year(as_of_date) as calendar_year,
        high_skill_ratio
    from ratios
    where is_year_end
    qualify dense_rank() over (order by as_of_date desc) <= {{ var('trend_years') }}
),

trends as (
    select
        region_code,
        case
            when count(high_skill_ratio) >= 2 then regr_slope(high_skill_ratio, calendar_year)
        end as trend_per_year
    from trend_points
    group by region_code
),

progress as (
    select
        targets.indicator_id,
        latest.region_code,
        latest.region_name,
        targets.target_year,
        targets.target_ratio,
        latest.latest_as_of_date,
        latest.latest_ratio,
        latest.skilled_persons,
        latest.high_skilled_persons,
        trends.trend_per_year,
        latest.latest_ratio
        + trends.trend_per_year * greatest(targets.target_year - latest.latest_position_years, 0)
            as projected_unclamped,
        -- exact decimal arithmetic: 0.30 x 10 is 3, not 3.0000000000000004
        cast(targets.target_ratio as decimal(18, 6)) * latest.skilled_persons - latest.high_skilled_persons
            as shortfall_persons
    from targets
    cross join latest
    left join trends
        on latest.region_code = trends.region_code
),

assessed as (
    select
        *,
        skilled_persons > 0 and shortfall_persons <= 0 as is_met,
        -- greatest/least skip nulls, so a missing projection is kept null explicitly
        case
            when projected_unclamped is not null then least(greatest(projected_unclamped, 0), 1)
        end as projected_ratio
    from progress
),

final as (
    select
        cast(indicator_id as varchar) as indicator_id,
        cast(region_code as varchar) as region_code,
        cast(region_name as varchar) as region_name,
        cast(target_year as integer) as target_year,
        cast(target_ratio as double) as target_ratio,
        cast(latest_as_of_date as date) as latest_as_of_date,
        cast(latest_ratio as double) as latest_ratio,
        cast(skilled_persons as bigint) as skilled_persons,
        cast(high_skilled_persons as bigint) as high_skilled_persons,
        cast((target_ratio - latest_ratio) * 100 as double) as gap_pp,
        cast(trend_per_year * 100 as double) as trend_pp_per_year,
        cast(projected_ratio as double) as projected_ratio,
        cast(
            case
                when latest_ratio is null then null
                when is_met then true
                else coalesce(projected_ratio >= target_ratio, false)
            end
            as boolean
        ) as on_track,
        cast(greatest(ceil(shortfall_persons), 0) as bigint) as additional_high_skilled_needed,
        cast(
            case
                when latest_ratio is null then 'no_data'
                when is_met then 'met'
                when projected_ratio >= target_ratio then 'on_track'
                else 'off_track'
            end
            as varchar
        ) as status
    from assessed
)

select * from final
order by indicator_id, region_code
