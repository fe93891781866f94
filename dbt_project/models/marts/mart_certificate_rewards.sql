-- CERT-REWARD (measure 18): one row per issue year, reporting unit and skill level. Persons who
-- obtained a certificate in the year that is valid on the as-of date (the pool for the yearly
-- reward), each once a year at the highest level they obtained that year, in the unit of that
-- certificate; and the valid certificates issued that year at that level in that unit. Unit rows
-- where something was issued, plus region-wide rows (650000) per year and level.

with

valid_certificates as (
    select
        person_key,
        year(issue_date) as year,
        issue_date,
        level_rank,
        region_code
    from {{ ref('int_certificates_latest') }}
    where is_valid
        and issue_date <= {{ as_of_date_literal() }}
),

-- a person's certificate of the year: highest level, then latest issue date, then lower unit code.
-- int_person_standing_periods has one row per person and issue day with that day's certificate
-- (higher level, then lower unit code) and marks the person's best day of each calendar year; it
-- is maintained incrementally, so only the as-of date's own year, where the days after the as-of
-- date do not count yet, is ranked here (a few hundred thousand rows, not the whole register)
issue_days as (
    select
        person_key,
        year(valid_from) as year,
        valid_from as issue_date,
        issued_level_rank as level_rank,
        region_code,
        is_best_of_year
    from {{ ref('int_person_standing_periods') }}
    where valid_from <= {{ as_of_date_literal() }}
),

person_years as (
    select year, level_rank, region_code
    from issue_days
    where is_best_of_year
        and year < year({{ as_of_date_literal() }})

    union all

    select year, level_rank, region_code
    from issue_days
    where year = year({{ as_of_date_literal() }})
    qualify row_number() over (
        partition by person_key
        order by level_rank desc, issue_date desc
    ) = 1
),

person_counts as (
    select
        year,
        level_rank,
        grouping(region_code) = 1 as is_region_wide,
        region_code,
        count(*) as certified_persons
    from person_years
    group by {{ per_unit_and_region_wide(['year', 'level_rank']) }}
),

certificate_counts as (
    select
        year,
        level_rank,
        grouping(region_code) = 1 as is_region_wide,
        region_code,
        count(*) as certificates
    from valid_certificates
    group by {{ per_unit_and_region_wide(['year', 'level_rank']) }}
),

joined as (
    select
        certificate_counts.year,
        certificate_counts.level_rank,
        certificate_counts.is_region_wide,
        certificate_counts.region_code,
        coalesce(person_counts.certified_persons, 0) as certified_persons,
        certificate_counts.certificates
    from certificate_counts
    left join person_counts
        on certificate_counts.year = person_counts.year
        and certificate_counts.level_rank = person_counts.level_rank
        and certificate_counts.is_region_wide = person_counts.is_region_wide
        and certificate_counts.region_code is not distinct from person_counts.region_code
),

skill_levels as (
    select * from {{ ref('ref_skill_levels') }}
),

labelled as (
    {{ with_reporting_unit('joined') }}
),

final as (
    select
        cast(labelled.year as integer) as year,
        cast(labelled.region_code as varchar) as region_code,
        cast(labelled.region_name as varchar) as region_name,
        cast(skill_levels.skill_level as varchar) as skill_level,
        cast(labelled.level_rank as integer) as level_rank,
        cast(skill_levels.is_high_skilled as boolean) as is_high_skilled,
        {{ as_of_date_literal() }} as as_of_date,
        cast(labelled.certified_persons as bigint) as certified_persons,
        cast(labelled.certificates as bigint) as certificates
    from labelled
    inner join skill_levels
        on labelled.level_rank = skill_levels.level_rank
)

select * from final
order by year, region_code, level_rank
