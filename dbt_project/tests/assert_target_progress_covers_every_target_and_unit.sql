-- mart_target_progress has a row for each high-skill-ratio target of ref_policy_targets (measure
-- 'high_skill_ratio') and each reporting unit (every unit of ref_prefectures and the region,
-- 650000). Returns the (indicator_id, region_code) pairs that are missing.

with

targets as (
    select indicator_id from {{ ref('ref_policy_targets') }}
    where measure = 'high_skill_ratio'
),

reporting_units as (
    select region_code from {{ ref('int_reporting_units') }}
),

expected as (
    select
        targets.indicator_id,
        reporting_units.region_code
    from targets
    cross join reporting_units
),

actual as (
    select indicator_id, region_code from {{ ref('mart_target_progress') }}
),

final as (
    select * from expected
    except
    select * from actual
)

select * from final
