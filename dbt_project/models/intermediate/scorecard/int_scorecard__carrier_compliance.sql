-- BASE-ADVANCED, COLLEGE-ADVANCED, PUBLIC-BASE-ADVANCED: one row per carrier and year of
-- mart_carrier_compliance, with its status (no training recorded -> no_data). BASE-ADVANCED is the
-- share of the base's recorded training; the note gives its share of planned capacity.

with

compliance as (
    select * from {{ ref('mart_carrier_compliance') }}
),

final as (
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
    from compliance
)

select * from final
