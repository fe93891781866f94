-- Each person's standing periods tile time from their first issue day on: a period ends on the
-- day the person's next period begins, and only the last one is open (9999-12-31). With
-- (person_key, valid_from) unique and valid_from < valid_until, every date then falls in at most
-- one period of a person, so int_persons_levelled_as_of has at most one row per as-of date and
-- person. Checks the persons the most recent changing run recomputed (every person after a full
-- refresh), all their rows: an incremental run replaces all the periods of each person it touches.

with

periods as (
    select person_key, valid_from, valid_until
    from {{ ref('int_person_standing_periods') }}
    where {{ keys_of_last_run(ref('int_person_standing_periods')) }}
),

chained as (
    select
        person_key,
        valid_from,
        valid_until,
        lead(valid_from, 1, date '9999-12-31') over (
            partition by person_key
            order by valid_from
        ) as next_valid_from
    from periods
),

final as (
    select * from chained
    where valid_until <> next_valid_from
)

select * from final
