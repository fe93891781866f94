-- One row per start year and training provider whose provider_code is blank or not a carrier_code
-- of the registry. Their trainings still count toward programme and region totals
-- (mart_apprenticeship_annual, mart_training_level_mix); they only cannot count for a carrier in
-- mart_carrier_compliance. This table says how much training that is, so it is seen, not lost.

with

unmatched as (
    select * from {{ ref('int_trainings_matched_to_carriers') }}
    where not is_provider_registered
),

final as (
    select
        cast(start_year as integer) as year,
        cast(provider_code as varchar) as provider_code,
        cast(provider_name as varchar) as provider_name,
        cast(any_value(unmatched_reason) as varchar) as unmatched_reason,
        cast(count(*) filter (where is_counted) as bigint) as person_times,
        cast(count(*) filter (where is_counted and is_advanced) as bigint) as advanced_plus_person_times,
        cast(count(*) filter (where not is_counted) as bigint) as withdrawn_person_times,
        cast(string_agg(distinct program, ', ' order by program) as varchar) as programs,
        cast(string_agg(distinct region_code, ', ' order by region_code) as varchar) as region_codes,
        cast(min(start_date) as date) as first_start_date,
        cast(max(start_date) as date) as last_start_date
    from unmatched
    group by start_year, provider_code, provider_name
)

select * from final
order by year, provider_code nulls first, provider_name
