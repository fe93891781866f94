-- One row per training enrolment (latest version) that started on or before the run's as-of date,
-- with the counting flags of the source contract and its provider matched to the carrier registry.
-- A training counts (is_counted) unless its latest status is 退出 (withdrawn); it counts in the
-- year it starts; every enrolment is one person-time, repetitions included. Providers whose code
-- is blank or not in the registry stay here (is_provider_registered = false) and keep counting
-- toward programme and region totals.

with

trainings as (
    select * from {{ ref('int_trainings_latest') }}
    where start_date <= {{ as_of_date_literal() }}
),

carriers as (
    select
        carrier_code,
        carrier_type,
        carrier_tier
    from {{ ref('int_carriers_latest') }}
),

programs as (
    select
        program,
        indicator_id as program_indicator_id,
        is_apprenticeship
    from {{ ref('ref_training_programs') }}
),

levels as (
    select
        level_rank,
        is_high_skilled
    from {{ ref('ref_skill_levels') }}
),

final as (
    select
        trainings.training_id,
        trainings.program,
        programs.program_indicator_id,
        coalesce(programs.is_apprenticeship, false) as is_apprenticeship,
        trainings.skill_level,
        trainings.level_rank,
        coalesce(levels.is_high_skilled, false) as is_advanced,
        trainings.start_date,
        cast(year(trainings.start_date) as integer) as start_year,
        trainings.end_date,
        trainings.status,
        trainings.status <> '退出' as is_counted,
        trainings.region_code,
        trainings.provider_code,
        trainings.provider_name,
        carriers.carrier_code is not null as is_provider_registered,
        case
            when trainings.provider_code is null then 'no_provider_code'
            when carriers.carrier_code is null then 'code_not_in_registry'
        end as unmatched_reason,
        carriers.carrier_type,
        carriers.carrier_tier,
        trainings.subsidy_yuan,
        trainings.landed_versions
    from trainings
    left join carriers
        on trainings.provider_code = carriers.carrier_code
    left join programs
        on trainings.program = programs.program
    left join levels
        on trainings.level_rank = levels.level_rank
)

select * from final
