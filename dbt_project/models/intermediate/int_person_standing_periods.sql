-- One row per person and standing period: a person's highest valid level and prefecture as step
-- functions of the date. A period opens on an issue day of one of the person's valid certificates
-- and holds until the person's next such issue day (exclusive; 9999-12-31 while open). It carries
-- the highest rank among the person's valid certificates issued up to and including that day, and
-- the region of that day's certificate (several the same day: the higher level, then the lower
-- region_code -- an arbitrary but stable rule, so reruns give the same answer). Independent of the
-- run's as-of date: int_persons_levelled_as_of joins the as-of dates to these periods. Each row
-- also says which issue day is the person's best of its calendar year, for mart_certificate_rewards.
--
-- Incremental: a run recomputes the periods of every person touched by a certificate that
-- int_certificates_latest recomputed since this table was last built, and replaces them
-- (delete+insert on person_key). Touched means named by any landed version of such a certificate,
-- so a correction that moves a certificate to another person recomputes both persons; a
-- revocation or a change of region or level recomputes its person. A touched person left with no
-- valid certificate gets a placeholder row without a period, so that the delete removes their old
-- periods; the post-hook then deletes the placeholder. `--full-refresh` recomputes every person.

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='person_key',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where valid_from is null",
    )
}}

-- depends_on: {{ ref('stg_raw__certifications') }}

with

{% if is_incremental() -%}
recomputed_certificates as (
    select certificate_no
    from {{ ref('int_certificates_latest') }}
    where loaded_through > {{ high_water_mark_of(this) }}
),

-- every person any landed version of those certificates named (the current one and former ones)
touched_persons as (
    select distinct person_key
    from {{ ref('stg_raw__certifications') }}
    where certificate_no in (select certificate_no from recomputed_certificates)
),

{% endif -%}

valid_certificates as (
    select
        person_key,
        birth_date,
        issue_date,
        level_rank,
        region_code
    from {{ ref('int_certificates_latest') }}
    where is_valid
    {%- if is_incremental() %}
        and person_key in (select person_key from touched_persons)
    {%- endif %}
),

-- One row per person and issue day, all from one window (one sort). In the order (issue day, lower
-- level, higher region_code) a day's last row is its winning certificate (the higher level, then
-- the lower region_code; certificates tied on all three are the same standing), and from that row:
-- - the running maximum of levels up to it is the highest rank issued up to and including the day;
-- - the next row is the person's next issue day, where the standing changes (exclusive);
-- - the day is its year's best (the highest level issued in the year, then the latest day: the
--   person's certificate of the year in mart_certificate_rewards) when no earlier row of the year
--   has a higher level and no later row of the year as high a level. With the year folded into
--   one number (year * 100 +/- level; ranks are 0..7), earlier years rank below and later years
--   above any row of the day's own year, so the running maximum before and the minimum after tell.
-- (At 8 M certificates 4 s against 7-10 s for the three sorts of a window per day, one per person
-- for the next day and one per person-year for the best: the same periods, hash of every column.)
periods as (
    select
        person_key,
        issue_date as valid_from,
        lead(issue_date, 1, date '9999-12-31') over by_day as valid_until,
        birth_date,
        max(level_rank) over (by_day rows between unbounded preceding and current row) as highest_level_rank,
        region_code,
        level_rank as issued_level_rank,
        max(year(issue_date) * 100 + level_rank) over (
            by_day rows between unbounded preceding and current row
        ) = year(issue_date) * 100 + level_rank
        and coalesce(min(year(issue_date) * 100 - level_rank) over (
            by_day rows between 1 following and unbounded following
        ) > year(issue_date) * 100 - level_rank, true) as is_best_of_year
    from valid_certificates
    window by_day as (
        partition by person_key
        order by issue_date, level_rank asc nulls first, region_code desc nulls first
    )
    qualify valid_until <> issue_date
),

{% if is_incremental() -%}
placeholders as (
    select
        person_key,
        cast(null as date) as valid_from,
        cast(null as date) as valid_until,
        cast(null as date) as birth_date,
        cast(null as integer) as highest_level_rank,
        cast(null as varchar) as region_code,
        cast(null as integer) as issued_level_rank,
        cast(null as boolean) as is_best_of_year
    from touched_persons
    where person_key not in (select person_key from periods)
),

{% endif -%}

final as (
    select
        person_key,
        valid_from,
        valid_until,
        birth_date,
        highest_level_rank,
        region_code,
        issued_level_rank,
        is_best_of_year,
        (select max(loaded_through) from {{ ref('int_certificates_latest') }}) as loaded_through
    from (
        select * from periods
        {%- if is_incremental() %}
        union all
        select * from placeholders
        {%- endif %}
    )
)

select * from final
