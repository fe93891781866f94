-- CARRIERS-NEW: one row per scorecard year and carrier type 措施4 asks a new batch of, from
-- mart_new_carriers and its status.

with

new_carriers as (
    select * from {{ ref('mart_new_carriers') }}
    where is_new_batch_type
        and year in (select year from {{ ref('int_scorecard_years') }})
),

region as (
    select * from {{ ref('int_reporting_units') }}
    where is_region_wide
),

final as (
    select
        'CARRIERS-NEW' as indicator_id,
        new_carriers.year,
        'carrier_type' as unit_type,
        new_carriers.carrier_type as unit_code,
        new_carriers.carrier_type as unit_name,
        region.region_code,
        case when new_carriers.status <> 'no_data' then new_carriers.new_carriers end as numerator,
        cast(null as bigint) as denominator,
        case when new_carriers.status <> 'no_data' then cast(new_carriers.new_carriers as double) end
            as actual_value,
        new_carriers.is_year_complete,
        new_carriers.status,
        'mart_new_carriers' as source_model,
        case
            when new_carriers.status = 'no_data' then 'the carrier register is empty'
            when not new_carriers.is_year_complete then 'year to date'
        end as note
    from new_carriers
    cross join region
)

select * from final
