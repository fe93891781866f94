-- One row per qualifying record and entitlement: every competition result and honour (latest
-- version, of a year up to the as-of date's year) that matches a rule of ref_entitlement_rules,
-- with the rule. A competition result matches on (tier, award), an honour on (honour); a record may
-- match one rule per indicator (a national gold: a promotion and a full senior title).

with

bounds as (
    select year({{ as_of_date_literal() }}) as as_of_year
),

-- a blank cell of the seed means "not applicable", whether it loads as null or as ''
rules as (
    select
        rule_id,
        indicator_id,
        record_type,
        nullif(trim(tier), '') as tier,
        nullif(trim(award), '') as award,
        nullif(trim(honour), '') as honour,
        nullif(trim(promoted_skill_level), '') as promoted_skill_level,
        nullif(trim(title_grade), '') as title_grade,
        precedence,
        rule_text
    from {{ ref('ref_entitlement_rules') }}
),

skill_levels as (
    select skill_level, level_rank from {{ ref('ref_skill_levels') }}
),

competition_results as (
    select results.*
    from {{ ref('int_competition_results_latest') }} as results
    cross join bounds
    where results.year <= bounds.as_of_year
),

honours as (
    select honours.*
    from {{ ref('int_honours_latest') }} as honours
    cross join bounds
    where honours.year <= bounds.as_of_year
),

competition_matches as (
    select
        'competition' as record_type,
        competition_results.person_key,
        competition_results.year,
        competition_results.region_code,
        competition_results.competition_name,
        competition_results.event,
        competition_results.tier,
        competition_results.award,
        cast(null as varchar) as honour,
        competition_results.year || '年 ' || competition_results.competition_name
            || '（' || competition_results.tier || '） ' || competition_results.event
            || ' ' || competition_results.award as record_text,
        competition_results.source_file,
        competition_results.source_row_number,
        rules.rule_id
    from competition_results
    inner join rules
        on rules.record_type = 'competition'
        and rules.tier = competition_results.tier
        and rules.award = competition_results.award
),

honour_matches as (
    select
        'honour' as record_type,
        honours.person_key,
        honours.year,
        honours.region_code,
        cast(null as varchar) as competition_name,
        cast(null as varchar) as event,
        cast(null as varchar) as tier,
        cast(null as varchar) as award,
        honours.honour,
        honours.year || '年 ' || honours.honour as record_text,
        honours.source_file,
        honours.source_row_number,
        rules.rule_id
    from honours
    inner join rules
        on rules.record_type = 'honour'
        and rules.honour = honours.honour
),

matches as (
    select * from competition_matches
    union all
    select * from honour_matches
),

final as (
    select
        matches.person_key,
        matches.year,
        rules.indicator_id,
        case when rules.promoted_skill_level is not null then 'promotion' else 'title' end
            as entitlement_type,
        coalesce(rules.promoted_skill_level, rules.title_grade) as entitlement,
        rules.promoted_skill_level,
        skill_levels.level_rank as promoted_level_rank,
        rules.title_grade,
        rules.rule_id,
        rules.precedence,
        rules.rule_text,
        matches.record_type,
        matches.record_text,
        matches.competition_name,
        matches.event,
        matches.tier,
        matches.award,
        matches.honour,
        matches.region_code,
        matches.source_file,
        matches.source_row_number
    from matches
    inner join rules
        on matches.rule_id = rules.rule_id
    left join skill_levels
        on rules.promoted_skill_level = skill_levels.skill_level
)

select * from final
