-- CERT-REWARD (措施18): one row per scorecard year and reporting unit (region and prefectures) with
-- certificates, from mart_certificate_rewards: persons who obtained a (still valid) certificate in
-- the year, the pool of the yearly reward. A list: met when it has names; years without
-- certificates have no row here and stay no_data in the scorecard.

with

rewards as (
    select
        year,
        region_code,
        region_name,
        cast(sum(certified_persons) as bigint) as certified_persons,
        coalesce(sum(certified_persons) filter (where is_high_skilled), 0) as high_skilled_persons
    from {{ ref('mart_certificate_rewards') }}
    group by year, region_code, region_name
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

region as (
    select * from {{ ref('int_reporting_units') }}
    where is_region_wide
),

final as (
    select
        'CERT-REWARD' as indicator_id,
        rewards.year,
        {{ scorecard_reporting_unit('rewards') }},
        rewards.certified_persons as numerator,
        cast(null as bigint) as denominator,
        cast(rewards.certified_persons as double) as actual_value,
        years.is_year_complete,
        'met' as status,
        'mart_certificate_rewards' as source_model,
        'certified in the year: ' || rewards.certified_persons || ' persons, of them '
            || rewards.high_skilled_persons || ' at 高级工 or above'
            || case when not years.is_year_complete then ' (year to date)' else '' end as note
    from rewards
    inner join years
        on rewards.year = years.year
    cross join region
)

select * from final
