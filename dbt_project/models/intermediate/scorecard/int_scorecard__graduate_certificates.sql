-- GRAD-CERT-RATE: one row per graduation year for each institution of the three types held to it,
-- and one for the three types together (region), from mart_graduate_certificates and its status.

with

graduates as (
    select * from {{ ref('mart_graduate_certificates') }}
    where counts_for_grad_cert_rate
        and unit_type in ('institution', 'region')
),

final as (
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
    from graduates
)

select * from final
