-- Graduates holding a vocational skill certificate, per graduation year: one row per institution
-- (unit_type 'institution'), per institution type ('institution_type', every scorecard year) and
-- overall for the three types held to GRAD-CERT-RATE together ('region', 650000, every scorecard
-- year). Status (GRAD-CERT-RATE, certificate rate >= 70 %) on rows of those types and the overall
-- row; a graduation year's figures are a complete cohort, so met / missed (no_data without graduates).

with

graduates as (
    select * from {{ ref('int_graduates_latest') }}
    where graduation_year <= year({{ as_of_date_literal() }})
),

years as (
    select year from {{ ref('int_scorecard_years') }}
),

institution_types as (
    select * from {{ ref('ref_institution_types') }}
),

prefectures as (
    select region_code, region_name from {{ ref('int_reporting_units') }}
    where not is_region_wide
),

region as (
    select region_code, region_name from {{ ref('int_reporting_units') }}
    where is_region_wide
),

target as (
    select
        target_value,
        comparator
    from {{ ref('ref_policy_targets') }}
    where indicator_id = 'GRAD-CERT-RATE'
),

institution_rows as (
    select
        graduates.graduation_year as year,
        'institution' as unit_type,
        graduates.institution as unit_code,
        graduates.institution as unit_name,
        graduates.institution_type,
        graduates.region_code,
        prefectures.region_name,
        coalesce(institution_types.counts_for_grad_cert_rate, false) as counts_for_grad_cert_rate,
        1 as institutions,
        graduates.graduates,
        graduates.graduates_certified
    from graduates
    left join institution_types
        on graduates.institution_type = institution_types.institution_type
    left join prefectures
        on graduates.region_code = prefectures.region_code
),

type_totals as (
    select
        graduation_year as year,
        institution_type,
        count(*) as institutions,
        sum(graduates) as graduates,
        sum(graduates_certified) as graduates_certified
    from graduates
    group by all
),

type_rows as (
    select
        years.year,
        'institution_type' as unit_type,
        institution_types.institution_type as unit_code,
        institution_types.institution_type as unit_name,
        institution_types.institution_type,
        region.region_code,
        region.region_name,
        institution_types.counts_for_grad_cert_rate,
        coalesce(type_totals.institutions, 0) as institutions,
        coalesce(type_totals.graduates, 0) as graduates,
        coalesce(type_totals.graduates_certified, 0) as graduates_certified
    from years
    cross join institution_types
    cross join region
    left join type_totals
        on years.year = type_totals.year
        and institution_types.institution_type = type_totals.institution_type
),

overall_rows as (
    select
        years.year,
        'region' as unit_type,
        region.region_code as unit_code,
        region.region_name as unit_name,
        null as institution_type,
        region.region_code,
        region.region_name,
        true as counts_for_grad_cert_rate,
        coalesce(sum(type_rows.institutions), 0) as institutions,
        coalesce(sum(type_rows.graduates), 0) as graduates,
        coalesce(sum(type_rows.graduates_certified), 0) as graduates_certified
    from years
    cross join region
    left join type_rows
        on years.year = type_rows.year
        and type_rows.counts_for_grad_cert_rate
    group by all
),

unioned as (
    select * from institution_rows
    union all
    select * from type_rows
    union all
    select * from overall_rows
),

{%- set rate_reached = target_reached(
    'unioned.graduates_certified',
    'cast(target.target_value as decimal(18, 6)) * unioned.graduates',
    'target.comparator'
) %}

assessed as (
    select
        unioned.*,
        target.target_value,
        target.comparator,
        case when unioned.counts_for_grad_cert_rate then
            {{ yearly_target_status('unioned.graduates > 0', rate_reached, rate_reached, 'true', 'false') }}
        end as status,
        unioned.graduates_certified / nullif(unioned.graduates, 0) as certificate_rate
    from unioned
    cross join target
),

-- the columns of mart_graduate_certificates.yml, in its order and types
final as (
    {{ cast_to_contract('assessed') }}
)

select * from final
order by year, unit_type, unit_code
