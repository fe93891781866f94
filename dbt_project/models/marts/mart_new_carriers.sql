-- One row per year and carrier type (seed ref_carrier_types): carriers of the registry newly
-- established that year, by tier, and for the six types 措施4 asks a new batch of every year, the
-- status of CARRIERS-NEW. Years run from the first establishment year in the registry (or the
-- scorecard's first year, if earlier) to the year of the run's as-of date.

{%- set tiers = [
    ('国家级', 'national'),
    ('自治区级', 'region'),
    ('地州级', 'prefecture'),
    ('县级', 'county'),
] %}

with

carriers as (
    select
        carrier_type,
        carrier_tier,
        established_year
    from {{ ref('int_carriers_latest') }}
    where established_year <= year({{ as_of_date_literal() }})
),

scorecard_years as (
    select
        min(year) as first_year,
        max(year) as last_year
    from {{ ref('int_scorecard_years') }}
),

bounds as (
    select
        least(coalesce((select min(established_year) from carriers), first_year), first_year) as first_year,
        last_year
    from scorecard_years
),

years as (
    select cast(unnest(range(first_year, last_year + 1)) as integer) as year
    from bounds
),

carrier_types as (
    select * from {{ ref('ref_carrier_types') }}
),

target as (
    select
        target_value,
        comparator
    from {{ ref('ref_policy_targets') }}
    where indicator_id = 'CARRIERS-NEW'
),

registry as (
    select count(*) > 0 as has_carriers
    from carriers
),

counts as (
    select
        established_year as year,
        carrier_type,
        {%- for tier, name in tiers %}
        count(*) filter (where carrier_tier = '{{ tier }}') as new_{{ name }}_carriers,
        {%- endfor %}
        count(*) as new_carriers
    from carriers
    group by all
),

joined as (
    select
        years.year,
        carrier_types.carrier_type,
        carrier_types.carrier_type_en,
        carrier_types.is_new_batch_type,
        {%- for tier, name in tiers %}
        coalesce(counts.new_{{ name }}_carriers, 0) as new_{{ name }}_carriers,
        {%- endfor %}
        coalesce(counts.new_carriers, 0) as new_carriers,
        {{ year_is_complete('years.year') }} as is_year_complete,
        {{ year_elapsed_fraction('years.year') }} as year_elapsed_fraction
    from years
    cross join carrier_types
    left join counts
        on years.year = counts.year
        and carrier_types.carrier_type = counts.carrier_type
),

assessed as (
    select
        joined.*,
        sum(joined.new_carriers) over (
            partition by joined.carrier_type order by joined.year
        ) as carriers_established_to_date,
        case when joined.is_new_batch_type then
            {{ yearly_target_status(
                'registry.has_carriers',
                target_reached('joined.new_carriers', 'target.target_value', 'target.comparator'),
                target_reached(
                    'joined.new_carriers', 'target.target_value * joined.year_elapsed_fraction', 'target.comparator'
                ),
                'joined.is_year_complete',
                'true'
            ) }}
        end as status
    from joined
    cross join target
    cross join registry
),

final as (
    select
        cast(year as integer) as year,
        cast(carrier_type as varchar) as carrier_type,
        cast(carrier_type_en as varchar) as carrier_type_en,
        cast(is_new_batch_type as boolean) as is_new_batch_type,
        {%- for tier, name in tiers %}
        cast(new_{{ name }}_carriers as bigint) as new_{{ name }}_carriers,
        {%- endfor %}
        cast(new_carriers as bigint) as new_carriers,
        cast(carriers_established_to_date as bigint) as carriers_established_to_date,
        cast(is_year_complete as boolean) as is_year_complete,
        cast(status as varchar) as status
    from assessed
)

select * from final
order by year, carrier_type
