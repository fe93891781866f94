-- APPR-ENTERPRISE, APPR-MODERN, APPR-ADVANCED: one row per indicator and scorecard year, from the
-- region rows of mart_apprenticeship_annual and their statuses. APPR-ADVANCED is the share of both
-- programmes together (the mart also has each programme's).

{%- set counts = [
    ('APPR-ENTERPRISE', 'enterprise_person_times', 'appr_enterprise_status'),
    ('APPR-MODERN', 'modern_person_times', 'appr_modern_status'),
] %}

with

apprenticeship as (
    select * from {{ ref('mart_apprenticeship_annual') }}
    where is_region_wide
),

final as (
    {%- for indicator_id, person_times, status in counts %}
    select
        '{{ indicator_id }}' as indicator_id,
        year,
        {{ scorecard_region_unit('apprenticeship') }},
        case when {{ status }} <> 'no_data' then {{ person_times }} end as numerator,
        cast(null as bigint) as denominator,
        case when {{ status }} <> 'no_data' then cast({{ person_times }} as double) end as actual_value,
        is_year_complete,
        {{ status }} as status,
        'mart_apprenticeship_annual' as source_model,
        case
            when {{ status }} = 'no_data' then 'no training records in the year'
            when not is_year_complete then 'year to date'
        end as note
    from apprenticeship

    union all
    {% endfor %}
    select
        'APPR-ADVANCED' as indicator_id,
        year,
        {{ scorecard_region_unit('apprenticeship') }},
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
)

select * from final
