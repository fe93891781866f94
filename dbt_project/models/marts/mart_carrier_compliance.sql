-- One row per carrier held to a per-carrier indicator (seed ref_carrier_types: training bases ->
-- BASE-ADVANCED, craftsman colleges -> COLLEGE-ADVANCED, 地州级 public training bases ->
-- PUBLIC-BASE-ADVANCED) and scorecard year from its establishment year on: its counted training
-- (trainings whose provider_code is the carrier's code), the advanced+ part, and met / missed /
-- no training recorded (on_track / off_track in the running year).
-- BASE-ADVANCED is also assessed against the base's planned capacity (年培训规模) as the
-- alternative reading; the scorecard uses the share of recorded training (see the YAML).

with

carriers as (
    select
        carriers.carrier_code,
        carriers.carrier_name,
        carriers.carrier_type,
        carriers.carrier_tier,
        carriers.region_code,
        carriers.established_year,
        carriers.planned_capacity,
        carrier_types.compliance_indicator_id as indicator_id
    from {{ ref('int_carriers_latest') }} as carriers
    inner join {{ ref('ref_carrier_types') }} as carrier_types
        on carriers.carrier_type = carrier_types.carrier_type
    where carrier_types.compliance_indicator_id is not null
        and (carrier_types.compliance_tier is null or carrier_types.compliance_tier = carriers.carrier_tier)
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

prefectures as (
    select region_code, region_name from {{ ref('int_reporting_units') }}
    where not is_region_wide
),

targets as (
    select
        indicator_id,
        target_value,
        target_unit,
        comparator
    from {{ ref('ref_policy_targets') }}
),

training_counts as (
    select
        provider_code as carrier_code,
        start_year as year,
        count(*) as person_times,
        count(*) filter (where is_advanced) as advanced_plus_person_times
    from {{ ref('int_trainings_matched_to_carriers') }}
    where is_counted
        and is_provider_registered
    group by all
),

carrier_years as (
    select
        carriers.*,
        years.year,
        years.is_year_complete,
        years.year_elapsed_fraction,
        coalesce(training_counts.person_times, 0) as person_times,
        coalesce(training_counts.advanced_plus_person_times, 0) as advanced_plus_person_times,
        targets.target_value,
        targets.comparator,
        targets.target_unit = 'share' as is_share_target
    from carriers
    inner join years
        on years.year >= carriers.established_year
    left join training_counts
        on carriers.carrier_code = training_counts.carrier_code
        and years.year = training_counts.year
    left join targets
        on carriers.indicator_id = targets.indicator_id
),

{%- set share_reached = target_reached(
    'advanced_plus_person_times',
    'cast(target_value as decimal(18, 6)) * person_times',
    'comparator'
) %}
{%- set count_reached = target_reached('advanced_plus_person_times', 'target_value', 'comparator') %}
{%- set count_pace_reached = target_reached(
    'advanced_plus_person_times', 'target_value * year_elapsed_fraction', 'comparator'
) %}
{%- set capacity_reached = target_reached(
    'advanced_plus_person_times',
    'cast(target_value as decimal(18, 6)) * planned_capacity',
    'comparator'
) %}
{%- set capacity_pace_reached = target_reached(
    'advanced_plus_person_times',
    'target_value * planned_capacity * year_elapsed_fraction',
    'comparator'
) %}

assessed as (
    select
        *,
        case
            when person_times = 0 then null
            when is_share_target then advanced_plus_person_times / person_times
            else advanced_plus_person_times
        end as actual_value,
        case
            when person_times = 0 then 'no_training'
            when is_share_target then
                {{ yearly_target_status('true', share_reached, share_reached, 'is_year_complete', 'false') }}
            else
                {{ yearly_target_status('true', count_reached, count_pace_reached, 'is_year_complete', 'true') }}
        end as status,
        case when indicator_id = 'BASE-ADVANCED' then
            {{ yearly_target_status(
                'planned_capacity > 0', capacity_reached, capacity_pace_reached, 'is_year_complete', 'true'
            ) }}
        end as status_by_capacity
    from carrier_years
),

with_shares as (
    select
        assessed.*,
        prefectures.region_name,
        assessed.advanced_plus_person_times / nullif(assessed.person_times, 0) as advanced_plus_share,
        case
            when assessed.indicator_id = 'BASE-ADVANCED'
                then assessed.advanced_plus_person_times / nullif(assessed.planned_capacity, 0)
        end as advanced_plus_share_of_capacity
    from assessed
    left join prefectures
        on assessed.region_code = prefectures.region_code
),

-- the columns of mart_carrier_compliance.yml, in its order and types
final as (
    {{ cast_to_contract('with_shares') }}
)

select * from final
order by indicator_id, carrier_code, year
