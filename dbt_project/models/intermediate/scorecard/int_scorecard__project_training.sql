-- PROJECT-ADVANCED: one region-wide row per scorecard year, from the 项目制培训 rows of
-- mart_training_level_mix and their status.

with

levels as (
    select * from {{ ref('mart_training_level_mix') }}
    where project_advanced_status is not null
),

region as (
    select * from {{ ref('int_reporting_units') }}
    where is_region_wide
),

final as (
    select
        levels.program_indicator_id as indicator_id,
        levels.year,
        {{ scorecard_region_unit() }},
        levels.advanced_plus_person_times as numerator,
        levels.person_times as denominator,
        levels.advanced_plus_share as actual_value,
        levels.is_year_complete,
        levels.project_advanced_status as status,
        'mart_training_level_mix' as source_model,
        case
            when levels.project_advanced_status = 'no_data' then 'no counted enrolment in the programme'
            when not levels.is_year_complete then 'year to date'
        end as note
    from levels
    cross join region
)

select * from final
