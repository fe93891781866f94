-- CARRIERS-NEW (措施4, "region, per year, per type"): per scorecard year, one row per carrier type
-- of the yearly new batch, from mart_new_carriers and its status, and one region-wide row for the
-- batch types together, assessed here with the same target and rules (yearly_target_status) as the
-- mart's rows: a new carrier of any batch type in the year meets it.

with

new_carriers as (
    select * from {{ ref('mart_new_carriers') }}
    where is_new_batch_type
        and year in (select year from {{ ref('int_scorecard_years') }})
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

region as (
    select * from {{ ref('int_reporting_units') }}
    where is_region_wide
),

target as (
    select target_value, comparator from {{ ref('ref_policy_targets') }}
    where indicator_id = 'CARRIERS-NEW'
),

-- the mart's status is no_data on every row when the carrier register is empty
region_totals as (
    select
        year,
        sum(new_carriers) as new_carriers,
        bool_or(status <> 'no_data') as has_carriers
    from new_carriers
    group by year
),

region_assessed as (
    select
        region_totals.year,
        region_totals.new_carriers,
        years.is_year_complete,
        {{ yearly_target_status(
            'region_totals.has_carriers',
            target_reached('region_totals.new_carriers', 'target.target_value', 'target.comparator'),
            target_reached(
                'region_totals.new_carriers', 'target.target_value * years.year_elapsed_fraction', 'target.comparator'
            ),
            'years.is_year_complete',
            'true'
        ) }} as status
    from region_totals
    inner join years
        on region_totals.year = years.year
    cross join target
),

per_type as (
    select
        new_carriers.year,
        'carrier_type' as unit_type,
        new_carriers.carrier_type as unit_code,
        new_carriers.carrier_type as unit_name,
        region.region_code,
        new_carriers.new_carriers,
        new_carriers.is_year_complete,
        new_carriers.status,
        null as note
    from new_carriers
    cross join region
),

region_wide as (
    select
        region_assessed.year,
        {{ scorecard_region_unit() }},
        region_assessed.new_carriers,
        region_assessed.is_year_complete,
        region_assessed.status,
        'all batch types together' as note
    from region_assessed
    cross join region
),

unioned as (
    select * from per_type
    union all by name
    select * from region_wide
),

final as (
    select
        'CARRIERS-NEW' as indicator_id,
        cast(year as integer) as year,
        unit_type,
        unit_code,
        unit_name,
        region_code,
        cast(case when status <> 'no_data' then new_carriers end as bigint) as numerator,
        cast(null as bigint) as denominator,
        case when status <> 'no_data' then cast(new_carriers as double) end as actual_value,
        is_year_complete,
        status,
        'mart_new_carriers' as source_model,
        case
            when status = 'no_data' then 'the carrier register is empty'
            when not is_year_complete then concat_ws('; ', note, 'year to date')
            else note
        end as note
    from unioned
)

select * from final
