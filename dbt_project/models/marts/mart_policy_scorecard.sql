-- The policy scorecard: one row per indicator of ref_policy_targets, year and unit (the region, a
-- prefecture-level unit, a carrier, a carrier type or an institution, as the indicator is defined),
-- with the measured value, the target and a status. Every indicator has a row for the year of the
-- run's as-of date, and every yearly indicator (no target_year) for every scorecard year: where no
-- mart measures it, a region-wide 'no_data' row says so. Each slice model reads one mart; the
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

-- One model per slice (models/intermediate/scorecard) maps a mart to scorecard rows and decides
-- their status: the mart's own where it has one, else with the rules of yearly_target_status.
-- SOE-PAY-GROWTH (措施8) has no source yet: its rows are the no_data rows below.
measured as (
    {%- for slice in [
        'headline_ratio',
        'apprenticeship',
        'project_training',
        'carrier_compliance',
        'new_carriers',
        'graduate_certificates',
        'competition_promotion',
        'title_direct',
        'certificate_rewards',
    ] %}
    select * from {{ ref('int_scorecard__' ~ slice) }}
    {%- if not loop.last %}
    union all by name
    {%- endif %}
    {%- endfor %}
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

-- each row with its indicator's names, section number and target
with_targets as (
    select
        scored.*,
        targets.indicator_name_zh,
        targets.indicator_name_en,
        targets.seed_section,
        coalesce(try_cast(regexp_extract(targets.seed_section, '措施([0-9]+)', 1) as integer), 0) as section_number,
        targets.target_value,
        targets.target_unit,
        targets.comparator
    from scored
    inner join targets
        on scored.indicator_id = targets.indicator_id
),

-- the columns of mart_policy_scorecard.yml, in its order and types
final as (
    {{ cast_to_contract('with_targets', {'as_of_date': as_of_date_literal()}) }}
)

select * from final
order by section_number, indicator_id, year, unit_type, unit_code
