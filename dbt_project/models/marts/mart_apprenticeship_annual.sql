-- One row per scorecard year and reporting unit (the region, 650000, and every unit of
-- ref_prefectures): enterprise new apprenticeship and modern apprenticeship person-times, their
-- advanced+ (高级工 or above) person-times and shares, each programme alone and both together.
-- Region rows carry the statuses of APPR-ENTERPRISE, APPR-MODERN and APPR-ADVANCED; prefecture rows
-- are for drilling down (the targets are region-wide) and have null statuses.

with

trainings as (
    select
        start_year as year,
        region_code,
        program_indicator_id,
        is_advanced
    from {{ ref('int_trainings_matched_to_carriers') }}
    where is_counted
        and is_apprenticeship
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

targets as (
    select
        max(target_value) filter (where indicator_id = 'APPR-ENTERPRISE') as enterprise_target,
        max(comparator) filter (where indicator_id = 'APPR-ENTERPRISE') as enterprise_comparator,
        max(target_value) filter (where indicator_id = 'APPR-MODERN') as modern_target,
        max(comparator) filter (where indicator_id = 'APPR-MODERN') as modern_comparator,
        max(target_value) filter (where indicator_id = 'APPR-ADVANCED') as advanced_target,
        max(comparator) filter (where indicator_id = 'APPR-ADVANCED') as advanced_comparator
    from {{ ref('ref_policy_targets') }}
),

reporting_units as (
    select * from {{ ref('int_reporting_units') }}
),

-- per unit, and (the grouping set without region_code) region-wide
counts as (
    select
        year,
        grouping(region_code) = 1 as is_region_wide,
        region_code,
        count(*) filter (where program_indicator_id = 'APPR-ENTERPRISE') as enterprise_person_times,
        count(*) filter (where program_indicator_id = 'APPR-ENTERPRISE' and is_advanced)
            as enterprise_advanced_person_times,
        count(*) filter (where program_indicator_id = 'APPR-MODERN') as modern_person_times,
        count(*) filter (where program_indicator_id = 'APPR-MODERN' and is_advanced)
            as modern_advanced_person_times,
        count(*) as apprenticeship_person_times,
        count(*) filter (where is_advanced) as apprenticeship_advanced_person_times
    from trainings
    group by {{ per_unit_and_region_wide(['year']) }}
),

joined as (
    select
        years.year,
        years.is_year_complete,
        years.year_elapsed_fraction,
        years.training_records,
        reporting_units.region_code,
        reporting_units.region_name,
        reporting_units.is_region_wide,
        coalesce(counts.enterprise_person_times, 0) as enterprise_person_times,
        coalesce(counts.enterprise_advanced_person_times, 0) as enterprise_advanced_person_times,
        coalesce(counts.modern_person_times, 0) as modern_person_times,
        coalesce(counts.modern_advanced_person_times, 0) as modern_advanced_person_times,
        coalesce(counts.apprenticeship_person_times, 0) as apprenticeship_person_times,
        coalesce(counts.apprenticeship_advanced_person_times, 0) as apprenticeship_advanced_person_times
    from years
    cross join reporting_units
    left join counts
        on years.year = counts.year
        and reporting_units.is_region_wide = counts.is_region_wide
        and (reporting_units.is_region_wide or reporting_units.region_code = counts.region_code)
),

assessed as (
    select
        joined.*,
        case when joined.is_region_wide then
            {{ yearly_target_status(
                has_data='joined.training_records > 0',
                reached=target_reached('joined.enterprise_person_times', 'targets.enterprise_target', 'targets.enterprise_comparator'),
                pace_reached=target_reached('joined.enterprise_person_times', 'targets.enterprise_target * joined.year_elapsed_fraction', 'targets.enterprise_comparator'),
                is_year_complete='joined.is_year_complete',
                is_cumulative='true'
            ) }}
        end as appr_enterprise_status,
        case when joined.is_region_wide then
            {{ yearly_target_status(
                has_data='joined.training_records > 0',
                reached=target_reached('joined.modern_person_times', 'targets.modern_target', 'targets.modern_comparator'),
                pace_reached=target_reached('joined.modern_person_times', 'targets.modern_target * joined.year_elapsed_fraction', 'targets.modern_comparator'),
                is_year_complete='joined.is_year_complete',
                is_cumulative='true'
            ) }}
        end as appr_modern_status,
        {%- for prefix in ['apprenticeship', 'enterprise', 'modern'] %}
        {%- set share_reached = target_reached(
            'joined.' ~ prefix ~ '_advanced_person_times',
            'cast(targets.advanced_target as decimal(18, 6)) * joined.' ~ prefix ~ '_person_times',
            'targets.advanced_comparator'
        ) %}
        case when joined.is_region_wide then
            {{ yearly_target_status(
                has_data='joined.' ~ prefix ~ '_person_times > 0',
                reached=share_reached,
                pace_reached=share_reached,
                is_year_complete='joined.is_year_complete',
                is_cumulative='false'
            ) }}
        end as {{ 'appr_advanced' if prefix == 'apprenticeship' else prefix ~ '_advanced' }}_status
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from joined
    cross join targets
),

final as (
    select
        cast(year as integer) as year,
        cast(region_code as varchar) as region_code,
        cast(region_name as varchar) as region_name,
        cast(is_region_wide as boolean) as is_region_wide,
        cast(enterprise_person_times as bigint) as enterprise_person_times,
        cast(enterprise_advanced_person_times as bigint) as enterprise_advanced_person_times,
        cast(enterprise_advanced_person_times / nullif(enterprise_person_times, 0) as double)
            as enterprise_advanced_share,
        cast(modern_person_times as bigint) as modern_person_times,
        cast(modern_advanced_person_times as bigint) as modern_advanced_person_times,
        cast(modern_advanced_person_times / nullif(modern_person_times, 0) as double) as modern_advanced_share,
        cast(apprenticeship_person_times as bigint) as apprenticeship_person_times,
        cast(apprenticeship_advanced_person_times as bigint) as apprenticeship_advanced_person_times,
        cast(apprenticeship_advanced_person_times / nullif(apprenticeship_person_times, 0) as double)
            as apprenticeship_advanced_share,
        cast(is_year_complete as boolean) as is_year_complete,
        cast(appr_enterprise_status as varchar) as appr_enterprise_status,
        cast(appr_modern_status as varchar) as appr_modern_status,
        cast(appr_advanced_status as varchar) as appr_advanced_status,
        cast(enterprise_advanced_status as varchar) as enterprise_advanced_status,
        cast(modern_advanced_status as varchar) as modern_advanced_status
    from assessed
)

select * from final
order by year, region_code
