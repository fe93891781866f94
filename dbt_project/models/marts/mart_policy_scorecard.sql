-- The policy scorecard: one row per indicator of ref_policy_targets, year and unit (the region, a
-- prefecture-level unit, a carrier, a carrier type or an institution, as the indicator is defined),
-- with the measured value, the target and a status. Every indicator has a row for the year of the
-- run's as-of date, and every yearly indicator (no target_year) for every scorecard year: where no
-- mart measures it, a region-wide 'no_data' row says so. Each block below reads one mart; the
-- marts hold the detail.

with

targets as (
    select * from {{ ref('ref_policy_targets') }}
),

years as (
    select * from {{ ref('int_scorecard_years') }}
),

region as (
    select region_code, region_name from {{ ref('int_reporting_units') }}
    where is_region_wide
),

-- HS-RATIO-2027 / HS-RATIO-2035: the certification slice's progress mart, measured on its latest
-- as-of date (the run's as_of_date); its statuses are met / on_track / off_track / no_data.
headline_ratio as (
    select
        progress.indicator_id,
        cast(year(progress.latest_as_of_date) as integer) as year,
        case when progress.region_code = region.region_code then 'region' else 'prefecture' end as unit_type,
        progress.region_code as unit_code,
        progress.region_name as unit_name,
        progress.region_code,
        progress.high_skilled_persons as numerator,
        progress.skilled_persons as denominator,
        progress.latest_ratio as actual_value,
        month(progress.latest_as_of_date) = 12 and day(progress.latest_as_of_date) = 31 as is_year_complete,
        progress.status,
        'mart_target_progress' as source_model,
        'as of ' || strftime(progress.latest_as_of_date, '%Y-%m-%d')
            || ', target due by ' || progress.target_year
            || case
                when progress.status <> 'met'
                    then coalesce(', projected ' || round(progress.projected_ratio * 100, 1) || ' %', ', no trend')
                else ''
            end as note
    from {{ ref('mart_target_progress') }} as progress
    left join region
        on true
),

-- APPR-ENTERPRISE, APPR-MODERN, APPR-ADVANCED: region rows of mart_apprenticeship_annual.
-- APPR-ADVANCED is the share of both programmes together (the mart also has each programme's).
apprenticeship as (
    select * from {{ ref('mart_apprenticeship_annual') }}
    where is_region_wide
),

apprenticeship_rows as (
    select
        'APPR-ENTERPRISE' as indicator_id,
        year,
        'region' as unit_type,
        region_code as unit_code,
        region_name as unit_name,
        region_code,
        case when appr_enterprise_status <> 'no_data' then enterprise_person_times end as numerator,
        cast(null as bigint) as denominator,
        case when appr_enterprise_status <> 'no_data' then cast(enterprise_person_times as double) end
            as actual_value,
        is_year_complete,
        appr_enterprise_status as status,
        'mart_apprenticeship_annual' as source_model,
        case
            when appr_enterprise_status = 'no_data' then 'no training records in the year'
            when not is_year_complete then 'year to date'
        end as note
    from apprenticeship

    union all

    select
        'APPR-MODERN' as indicator_id,
        year,
        'region' as unit_type,
        region_code as unit_code,
        region_name as unit_name,
        region_code,
        case when appr_modern_status <> 'no_data' then modern_person_times end as numerator,
        cast(null as bigint) as denominator,
        case when appr_modern_status <> 'no_data' then cast(modern_person_times as double) end as actual_value,
        is_year_complete,
        appr_modern_status as status,
        'mart_apprenticeship_annual' as source_model,
        case
            when appr_modern_status = 'no_data' then 'no training records in the year'
            when not is_year_complete then 'year to date'
        end as note
    from apprenticeship

    union all

    select
        'APPR-ADVANCED' as indicator_id,
        year,
        'region' as unit_type,
        region_code as unit_code,
        region_name as unit_name,
        region_code,
        apprenticeship_advanced_person_times as numerator,
        apprenticeship_person_times as denominator,
        apprenticeship_advanced_share as actual_value,
        is_year_complete,
        appr_advanced_status as status,
        'mart_apprenticeship_annual' as source_model,
        'both programmes together; 企业新型学徒制 '
            || coalesce(round(enterprise_advanced_share * 100, 1) || ' %', '-')
            || ', 现代学徒制 '
            || coalesce(round(modern_advanced_share * 100, 1) || ' %', '-') as note
    from apprenticeship
),

-- PROJECT-ADVANCED: the 项目制培训 rows of mart_training_level_mix.
project_rows as (
    select
        levels.program_indicator_id as indicator_id,
        levels.year,
        'region' as unit_type,
        region.region_code as unit_code,
        region.region_name as unit_name,
        region.region_code,
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
    from {{ ref('mart_training_level_mix') }} as levels
    cross join region
    where levels.project_advanced_status is not null
),

-- BASE-ADVANCED, COLLEGE-ADVANCED, PUBLIC-BASE-ADVANCED: one row per carrier and year of
-- mart_carrier_compliance. BASE-ADVANCED is the share of the base's recorded training.
carrier_rows as (
    select
        indicator_id,
        year,
        'carrier' as unit_type,
        carrier_code as unit_code,
        carrier_name as unit_name,
        region_code,
        advanced_plus_person_times as numerator,
        case when indicator_id <> 'COLLEGE-ADVANCED' then person_times end as denominator,
        actual_value,
        is_year_complete,
        case when status = 'no_training' then 'no_data' else status end as status,
        'mart_carrier_compliance' as source_model,
        case
            when status = 'no_training' then 'no training recorded'
            when indicator_id = 'BASE-ADVANCED' then
                'share of recorded training (of planned capacity: '
                || coalesce(round(advanced_plus_share_of_capacity * 100, 1) || ' %', 'none registered') || ')'
        end as note
    from {{ ref('mart_carrier_compliance') }}
),

-- CARRIERS-NEW: one row per year and carrier type 措施4 asks a new batch of (mart_new_carriers).
new_carrier_rows as (
    select
        'CARRIERS-NEW' as indicator_id,
        new_carriers.year,
        'carrier_type' as unit_type,
        new_carriers.carrier_type as unit_code,
        new_carriers.carrier_type as unit_name,
        region.region_code,
        case when new_carriers.status <> 'no_data' then new_carriers.new_carriers end as numerator,
        cast(null as bigint) as denominator,
        case when new_carriers.status <> 'no_data' then cast(new_carriers.new_carriers as double) end
            as actual_value,
        new_carriers.is_year_complete,
        new_carriers.status,
        'mart_new_carriers' as source_model,
        case
            when new_carriers.status = 'no_data' then 'the carrier register is empty'
            when not new_carriers.is_year_complete then 'year to date'
        end as note
    from {{ ref('mart_new_carriers') }} as new_carriers
    cross join region
    where new_carriers.is_new_batch_type
        and new_carriers.year in (select year from years)
),

-- GRAD-CERT-RATE: each institution of the three types held to it, and the three types together.
graduate_rows as (
    select
        'GRAD-CERT-RATE' as indicator_id,
        year,
        unit_type,
        unit_code,
        unit_name,
        region_code,
        graduates_certified as numerator,
        graduates as denominator,
        certificate_rate as actual_value,
        true as is_year_complete,
        status,
        'mart_graduate_certificates' as source_model,
        case when unit_type = 'region' then '职业本科、应用型本科、高职院校合计' else institution_type end as note
    from {{ ref('mart_graduate_certificates') }}
    where counts_for_grad_cert_rate
        and unit_type in ('institution', 'region')
),

-- Indicators other slices will measure. Each CTE below is where that slice's rows are unioned in,
-- in the shape of `no_rows_yet`; until then it is empty and the indicator gets a 'no_data' row per
-- year from `unmeasured_rows`.
no_rows_yet as (
    select
        cast(null as varchar) as indicator_id,
        cast(null as integer) as year,
        cast(null as varchar) as unit_type,
        cast(null as varchar) as unit_code,
        cast(null as varchar) as unit_name,
        cast(null as varchar) as region_code,
        cast(null as bigint) as numerator,
        cast(null as bigint) as denominator,
        cast(null as double) as actual_value,
        cast(null as boolean) as is_year_complete,
        cast(null as varchar) as status,
        cast(null as varchar) as source_model,
        cast(null as varchar) as note
    where false
),

-- SOE-PAY-GROWTH (措施8): no source exports SOE pay yet.
soe_pay_rows as (
    select * from no_rows_yet
),

-- COMPETITION-PROMOTION (措施14): from marts.mart_promotion_followup (competitions slice), per year of
-- the entitling results, region and prefecture rows: winners entitled to a promotion (denominator),
-- those already holding the level on the as-of date (numerator); a share, compared in exact decimals.
promotion_target as (
    select target_value, comparator from targets
    where indicator_id = 'COMPETITION-PROMOTION'
),

competition_promotion_rows as (
    {%- set promotion_reached = target_reached(
        'followup.done_persons',
        'cast(promotion_target.target_value as decimal(18, 6)) * followup.entitled_persons',
        'promotion_target.comparator'
    ) %}
    select
        'COMPETITION-PROMOTION' as indicator_id,
        followup.year,
        case when followup.region_code = region.region_code then 'region' else 'prefecture' end as unit_type,
        followup.region_code as unit_code,
        followup.region_name as unit_name,
        followup.region_code,
        followup.done_persons as numerator,
        followup.entitled_persons as denominator,
        followup.share_done as actual_value,
        years.is_year_complete,
        {{ yearly_target_status(
            'followup.entitled_persons > 0', promotion_reached, promotion_reached, 'years.is_year_complete', 'false'
        ) }} as status,
        'mart_promotion_followup' as source_model,
        'follow-up as of ' || strftime(followup.as_of_date, '%Y-%m-%d') || ': '
            || followup.backlog_persons || ' still to promote' as note
    from {{ ref('mart_promotion_followup') }} as followup
    inner join years
        on followup.year = years.year
    cross join region
    cross join promotion_target
),

-- TITLE-DIRECT-FULL / TITLE-DIRECT-DEPUTY (措施15): from marts.mart_title_eligibility (competitions
-- and honours slice), per year, region and prefecture rows: persons on the eligibility list (summed
-- over the rules; a person counts once per grade and year). A list has no target: met when it has
-- names (they come from `talent export eligibility`); years without anyone eligible stay no_data.
title_direct_rows as (
    select
        titles.indicator_id,
        titles.year,
        case when titles.region_code = region.region_code then 'region' else 'prefecture' end as unit_type,
        titles.region_code as unit_code,
        titles.region_name as unit_name,
        titles.region_code,
        sum(titles.eligible_persons) as numerator,
        cast(null as bigint) as denominator,
        cast(sum(titles.eligible_persons) as double) as actual_value,
        years.is_year_complete,
        'met' as status,
        'mart_title_eligibility' as source_model,
        'eligibility list: ' || sum(titles.eligible_persons) || ' persons, '
            || sum(titles.newly_eligible_persons) || ' newly eligible' as note
    from {{ ref('mart_title_eligibility') }} as titles
    inner join years
        on titles.year = years.year
    cross join region
    group by titles.indicator_id, titles.year, titles.region_code, titles.region_name, region.region_code,
        years.is_year_complete
),

-- CERT-REWARD (措施18): from marts.mart_certificate_rewards (competitions and honours slice), per
-- year, region and prefecture rows: persons who obtained a (still valid) certificate in the year, the
-- pool of the yearly reward. A list: met when it has names; years without certificates stay no_data.
certificate_reward_rows as (
    select
        'CERT-REWARD' as indicator_id,
        rewards.year,
        case when rewards.region_code = region.region_code then 'region' else 'prefecture' end as unit_type,
        rewards.region_code as unit_code,
        rewards.region_name as unit_name,
        rewards.region_code,
        sum(rewards.certified_persons) as numerator,
        cast(null as bigint) as denominator,
        cast(sum(rewards.certified_persons) as double) as actual_value,
        years.is_year_complete,
        'met' as status,
        'mart_certificate_rewards' as source_model,
        'certified in the year: ' || sum(rewards.certified_persons) || ' persons, of them '
            || coalesce(sum(rewards.certified_persons) filter (where rewards.is_high_skilled), 0) || ' at 高级工 or above'
            || case when not years.is_year_complete then ' (year to date)' else '' end as note
    from {{ ref('mart_certificate_rewards') }} as rewards
    inner join years
        on rewards.year = years.year
    cross join region
    group by rewards.year, rewards.region_code, rewards.region_name, region.region_code, years.is_year_complete
),

measured as (
    select * from headline_ratio
    union all
    select * from apprenticeship_rows
    union all
    select * from project_rows
    union all
    select * from carrier_rows
    union all
    select * from new_carrier_rows
    union all
    select * from graduate_rows
    union all
    select * from soe_pay_rows
    union all
    select * from competition_promotion_rows
    union all
    select * from title_direct_rows
    union all
    select * from certificate_reward_rows
),

-- Every indicator in the latest year, and yearly indicators (no target_year) in every year.
expected as (
    select
        targets.indicator_id,
        targets.measured_from,
        years.year,
        years.is_year_complete
    from targets
    cross join years
    where years.is_latest_year
        or targets.target_year is null
),

unmeasured_rows as (
    select
        expected.indicator_id,
        expected.year,
        'region' as unit_type,
        region.region_code as unit_code,
        region.region_name as unit_name,
        region.region_code,
        cast(null as bigint) as numerator,
        cast(null as bigint) as denominator,
        cast(null as double) as actual_value,
        expected.is_year_complete,
        'no_data' as status,
        cast(null as varchar) as source_model,
        case
            when expected.measured_from = 'none yet' then 'no source yet'
            else 'nothing measured yet (from ' || expected.measured_from || ')'
        end as note
    from expected
    cross join region
    where not exists (
        select 1
        from measured
        where measured.indicator_id = expected.indicator_id
            and measured.year = expected.year
    )
),

scored as (
    select * from measured
    union all
    select * from unmeasured_rows
),

final as (
    select
        cast({{ as_of_date_literal() }} as date) as as_of_date,
        cast(scored.indicator_id as varchar) as indicator_id,
        cast(targets.indicator_name_zh as varchar) as indicator_name_zh,
        cast(targets.indicator_name_en as varchar) as indicator_name_en,
        cast(targets.seed_section as varchar) as seed_section,
        cast(coalesce(try_cast(regexp_extract(targets.seed_section, '措施([0-9]+)', 1) as integer), 0) as integer)
            as section_number,
        cast(scored.year as integer) as year,
        cast(scored.unit_type as varchar) as unit_type,
        cast(scored.unit_code as varchar) as unit_code,
        cast(scored.unit_name as varchar) as unit_name,
        cast(scored.region_code as varchar) as region_code,
        cast(scored.numerator as bigint) as numerator,
        cast(scored.denominator as bigint) as denominator,
        cast(scored.actual_value as double) as actual_value,
        cast(targets.target_value as double) as target_value,
        cast(targets.target_unit as varchar) as target_unit,
        cast(targets.comparator as varchar) as comparator,
        cast(scored.is_year_complete as boolean) as is_year_complete,
        cast(scored.status as varchar) as status,
        cast(scored.source_model as varchar) as source_model,
        cast(scored.note as varchar) as note
    from scored
    inner join targets
        on scored.indicator_id = targets.indicator_id
)

select * from final
order by section_number, indicator_id, year, unit_type, unit_code
