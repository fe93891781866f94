-- One row per scorecard year and training programme (seed ref_training_programs): counted
-- person-times by training level, the advanced+ (高级工 or above) share, and — on the 项目制培训 row —
-- the status of PROJECT-ADVANCED. Withdrawn enrolments are shown apart and never counted; trainings
-- by providers outside the carrier registry count like any other (shown apart as well).

{%- set level_columns = [
    (0, 'apprentice'),
    (1, 'elementary'),
    (2, 'intermediate'),
    (3, 'advanced_worker'),
    (4, 'technician'),
    (5, 'senior_technician'),
    (6, 'principal_technician'),
    (7, 'chief_technician'),
] %}

with

trainings as (
    select * from {{ ref('int_trainings_matched_to_carriers') }}
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

programs as (
    select
        program,
        program_en,
        indicator_id as program_indicator_id
    from {{ ref('ref_training_programs') }}
),

targets as (
    select
        indicator_id,
        target_value,
        comparator
    from {{ ref('ref_policy_targets') }}
),

counts as (
    select
        start_year as year,
        program,
        {%- for rank, name in level_columns %}
        count(*) filter (where is_counted and level_rank = {{ rank }}) as {{ name }}_person_times,
        {%- endfor %}
        count(*) filter (where is_counted) as person_times,
        count(*) filter (where is_counted and is_advanced) as advanced_plus_person_times,
        count(*) filter (where not is_counted) as withdrawn_person_times,
        count(*) filter (where is_counted and not is_provider_registered) as unregistered_provider_person_times
    from trainings
    group by all
),

joined as (
    select
        years.year,
        years.is_year_complete,
        programs.program,
        programs.program_en,
        programs.program_indicator_id,
        {%- for rank, name in level_columns %}
        coalesce(counts.{{ name }}_person_times, 0) as {{ name }}_person_times,
        {%- endfor %}
        coalesce(counts.person_times, 0) as person_times,
        coalesce(counts.advanced_plus_person_times, 0) as advanced_plus_person_times,
        coalesce(counts.withdrawn_person_times, 0) as withdrawn_person_times,
        coalesce(counts.unregistered_provider_person_times, 0) as unregistered_provider_person_times
    from years
    cross join programs
    left join counts
        on years.year = counts.year
        and programs.program = counts.program
),

assessed as (
    select
        joined.*,
        case when targets.indicator_id = 'PROJECT-ADVANCED' then
            {%- set share_reached = target_reached(
                'joined.advanced_plus_person_times',
                'cast(targets.target_value as decimal(18, 6)) * joined.person_times',
                'targets.comparator'
            ) %}
            {{ yearly_target_status(
                has_data='joined.person_times > 0',
                reached=share_reached,
                pace_reached=share_reached,
                is_year_complete='joined.is_year_complete',
                is_cumulative='false'
            ) }}
        end as project_advanced_status
    from joined
    left join targets
        on joined.program_indicator_id = targets.indicator_id
),

final as (
    select
        cast(year as integer) as year,
        cast(program as varchar) as program,
        cast(program_en as varchar) as program_en,
        cast(program_indicator_id as varchar) as program_indicator_id,
        {%- for rank, name in level_columns %}
        cast({{ name }}_person_times as bigint) as {{ name }}_person_times,
        {%- endfor %}
        cast(person_times as bigint) as person_times,
        cast(advanced_plus_person_times as bigint) as advanced_plus_person_times,
        cast(advanced_plus_person_times / nullif(person_times, 0) as double) as advanced_plus_share,
        cast(withdrawn_person_times as bigint) as withdrawn_person_times,
        cast(unregistered_provider_person_times as bigint) as unregistered_provider_person_times,
        cast(is_year_complete as boolean) as is_year_complete,
        cast(project_advanced_status as varchar) as project_advanced_status
    from assessed
)

select * from final
order by year, program
