-- One row per promotion entitlement (person and year, COMPETITION-PROMOTION): is it done on the
-- run's as-of date? Done when the person holds a valid certificate (issued on or before the as-of
-- date, latest landed status 有效) at the promoted level or above, in any occupation and whenever
-- issued, before the competition too; otherwise it is the department's follow-up backlog.

with

promotions as (
    select
        person_key,
        year,
        region_code,
        promoted_skill_level,
        promoted_level_rank,
        rule_id
    from {{ ref('int_entitlements_deduped') }}
    where indicator_id = 'COMPETITION-PROMOTION'
),

-- only the entitled persons' certificates: a few thousand, not the whole register
valid_certificates as (
    select
        person_key,
        level_rank,
        issue_date
    from {{ ref('int_certificates_latest') }}
    where is_valid
        and issue_date <= {{ as_of_date_literal() }}
        and person_key in (select person_key from promotions)
),

holdings as (
    select
        person_key,
        max(level_rank) as held_level_rank
    from valid_certificates
    group by person_key
),

qualifying_certificates as (
    select
        promotions.person_key,
        promotions.year,
        min(valid_certificates.issue_date) as first_qualifying_issue_date
    from promotions
    inner join valid_certificates
        on promotions.person_key = valid_certificates.person_key
        and valid_certificates.level_rank >= promotions.promoted_level_rank
    group by promotions.person_key, promotions.year
),

skill_levels as (
    select skill_level, level_rank from {{ ref('ref_skill_levels') }}
),

final as (
    select
        promotions.person_key,
        promotions.year,
        promotions.region_code,
        promotions.promoted_skill_level,
        promotions.promoted_level_rank,
        promotions.rule_id,
        {{ as_of_date_literal() }} as as_of_date,
        holdings.held_level_rank,
        skill_levels.skill_level as held_skill_level,
        qualifying_certificates.first_qualifying_issue_date,
        qualifying_certificates.first_qualifying_issue_date is not null as is_done
    from promotions
    left join holdings
        on promotions.person_key = holdings.person_key
    left join qualifying_certificates
        on promotions.person_key = qualifying_certificates.person_key
        and promotions.year = qualifying_certificates.year
    left join skill_levels
        on holdings.held_level_rank = skill_levels.level_rank
)

select * from final
