"""The population every synthetic source draws its persons from.

One `People` per generation: home unit (prefecture or region-administered city), county, ethnicity,
gender, birth date, a valid 18-character resident ID number (GB 11643, MOD 11-2 check digit) whose
area code is a county of the home unit (a few old-style IDs carry the prefecture code itself), a name
in the naming tradition of the person's ethnicity, and a possible move to another unit at a given date.
Sources (certifications now; trainings, competitions, honours later) pick persons from it with their
own random streams, so adding a source never changes the persons of another.

Dates are int32 day numbers (days since 1970-01-01) throughout the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import reference as ref

EPOCH = np.datetime64("1970-01-01", "D")
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = pl.Series(list("10X98765432"))

HAN, UYGHUR, KAZAKH = 0, 1, 2


def day(iso: str) -> int:
    """Day number of an ISO date."""
    return int((np.datetime64(iso, "D") - EPOCH).astype(np.int64))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays of day numbers."""
    d = EPOCH + days.astype("timedelta64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    dom = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, dom


def from_ymd(year: np.ndarray, month: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """Day numbers of year/month/day arrays (the day must exist)."""
    months = (np.asarray(year) - 1970) * 12 + (np.asarray(month) - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    return ((first - EPOCH).astype(np.int64) + np.asarray(dom) - 1).astype(np.int32)


def age_on(birth: np.ndarray, on: int | np.ndarray) -> np.ndarray:
    """Completed years of age on the given day(s)."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(np.broadcast_to(np.asarray(on, dtype=np.int64), birth.shape))
    return oy - by - ((om * 100 + od) < (bm * 100 + bd))


def add_years(days: np.ndarray, years: int | np.ndarray) -> np.ndarray:
    """Same month and day `years` later (29 February becomes 28 February in common years)."""
    y, m, d = ymd(days)
    y = y + years
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    d = np.where((m == 2) & (d == 29) & ~leap, 28, d)
    return from_ymd(y, m, d)


def check_index(id17: np.ndarray) -> np.ndarray:
    """Index into "10X98765432" of the GB 11643 check character of 17-digit integers."""
    total = np.zeros(len(id17), dtype=np.int64)
    rest = id17.copy()
    for w in ID_WEIGHTS[::-1]:  # last digit first
        rest, digit = np.divmod(rest, 10)
        total += digit * w
    return total % 11


@dataclass(frozen=True)
class People:
    n: int
    home_unit: np.ndarray  # int16 unit index
    county: np.ndarray  # int32 six-digit county code of the home unit
    ethnicity: np.ndarray  # int8 HAN / UYGHUR / KAZAKH
    male: np.ndarray  # bool
    birth: np.ndarray  # int32 day number
    student: np.ndarray  # bool: may be certified from 15 (vocational students)
    move_day: np.ndarray  # int32 day the person moves (a large number if never)
    move_unit: np.ndarray  # int16 unit moved to (= home_unit if never)
    id17: np.ndarray  # int64 first 17 digits of the ID number
    id_number: pl.Series  # str, 18 characters, check digit upper case
    name: pl.Series  # str

    def unit_on(self, person: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Unit of each person on each day (after a move, the new unit)."""
        moved = days >= self.move_day[person]
        return np.where(moved, self.move_unit[person], self.home_unit[person]).astype(np.int16)


NEVER = day("2099-12-31")


def make_people(rng: np.random.Generator, n: int) -> People:
    u = ref.units()
    weight = np.array(u.weight) / sum(u.weight)
    home = rng.choice(len(u), size=n, p=weight).astype(np.int16)

    # Ethnicity from the unit's mix.
    mix = np.cumsum(np.array(u.ethnic_mix), axis=1)
    draw = rng.random(n)
    ethnicity = (draw[:, None] > mix[home][:, :2]).sum(axis=1).astype(np.int8)
    male = rng.random(n) < 0.56

    # Birth dates: the working-age population of 2020, ages 11..64 then, most 20..45.
    ref_day = day("2020-07-01")
    age20 = np.where(rng.random(n) < 0.8, rng.normal(32, 9, n), rng.uniform(11, 64, n))
    outside = (age20 < 11) | (age20 > 64)
    age20[outside] = rng.uniform(11, 64, outside.sum())  # redraw, not clip: no pile-up on one birth day
    birth = (ref_day - np.round(age20 * 365.2425)).astype(np.int32)
    # 0.5 % are born on an as-of month-day (31 December, 30 June): exact age bounds on as-of dates.
    on_boundary = rng.random(n) < 0.005
    year = ymd(birth)[0][on_boundary]
    june = rng.random(on_boundary.sum()) < 0.2
    birth[on_boundary] = from_ymd(year, np.where(june, 6, 12), np.where(june, 30, 31))
    student = (age20 < 22) & (rng.random(n) < 0.15)  # vocational students: may be certified from 15

    # County: one of the unit's counties; old IDs (5 % outside the cities) use the prefecture code.
    n_counties = np.array([len(c) for c in u.counties])
    flat = np.array([int(c) for cs in u.counties for c in cs], dtype=np.int32)
    start = np.concatenate([[0], np.cumsum(n_counties)[:-1]])
    county = flat[start[home] + (rng.random(n) * n_counties[home]).astype(np.int64)]
    unit_code = np.array([int(c) for c in u.code], dtype=np.int32)
    is_city = np.array(u.is_city)
    old_style = (rng.random(n) < 0.05) & ~is_city[home]
    area = np.where(old_style, unit_code[home], county).astype(np.int64)

    # Moves: 8 % of persons move once, mostly towards Urumqi and Changji.
    moves = rng.random(n) < 0.08
    pull = weight * np.where(np.isin(unit_code, [650100, 652300]), 3.0, 1.0)
    dest = rng.choice(len(u), size=n, p=pull / pull.sum()).astype(np.int16)
    moves &= dest != home
    move_day = np.where(moves, rng.integers(day("2016-01-01"), day("2026-03-31"), n), NEVER).astype(np.int32)
    move_unit = np.where(moves, dest, home).astype(np.int16)

    id17 = _unique_id17(rng, area, birth, male)
    id_number = pl.Series(id17).cast(pl.Utf8) + CHECK_CHARS.gather(check_index(id17))
    name = _names(rng, ethnicity, male)
    return People(
        n, home, county, ethnicity, male, birth, student, move_day, move_unit, id17, id_number, name
    )


def _unique_id17(
    rng: np.random.Generator, area: np.ndarray, birth: np.ndarray, male: np.ndarray
) -> np.ndarray:
    y, m, d = ymd(birth)
    stem = area * 10**11 + (y * 10000 + m * 100 + d) * 1000
    parity = male.astype(np.int64)  # the 17th digit is odd for men
    seq = rng.integers(0, 500, len(area)) * 2 + parity
    id17 = stem + seq
    for _ in range(100):
        clash = ~pl.Series(id17).is_first_distinct().to_numpy()  # the first holder of a number keeps it
        if not clash.any():
            return id17
        idx = np.flatnonzero(clash)
        id17[idx] = stem[idx] + rng.integers(0, 500, len(idx)) * 2 + parity[idx]
    raise RuntimeError("could not draw unique ID numbers; too many persons for the area codes")


def _pick(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> pl.Series:
    return pl.Series(pool).gather(rng.integers(0, len(pool), n))


def _names(rng: np.random.Generator, ethnicity: np.ndarray, male: np.ndarray) -> pl.Series:
    n = len(ethnicity)
    surname_weight = np.linspace(3.0, 0.5, len(ref.HAN_SURNAMES))
    surname = pl.Series(ref.HAN_SURNAMES).gather(
        rng.choice(len(ref.HAN_SURNAMES), n, p=surname_weight / surname_weight.sum())
    )
    g1m, g2m = _pick(rng, ref.HAN_GIVEN_MALE, n), _pick(rng, ref.HAN_GIVEN_MALE, n)
    g1f, g2f = _pick(rng, ref.HAN_GIVEN_FEMALE, n), _pick(rng, ref.HAN_GIVEN_FEMALE, n)
    two = pl.Series(rng.random(n) < 0.6)
    frame = pl.DataFrame(
        {
            "eth": ethnicity,
            "male": male,
            "surname": surname,
            "g1m": g1m,
            "g2m": g2m,
            "g1f": g1f,
            "g2f": g2f,
            "two": two,
            "uy_m": _pick(rng, ref.UYGHUR_MALE, n),
            "uy_f": _pick(rng, ref.UYGHUR_FEMALE, n),
            "uy_father": _pick(rng, ref.UYGHUR_MALE, n),
            "kz_m": _pick(rng, ref.KAZAKH_MALE, n),
            "kz_f": _pick(rng, ref.KAZAKH_FEMALE, n),
            "kz_father": _pick(rng, ref.KAZAKH_MALE, n),
        }
    )
    c = pl.col
    han_given = pl.when(c.male).then(c.g1m + pl.when(c.two).then(c.g2m).otherwise(pl.lit("")))
    han_given = han_given.otherwise(c.g1f + pl.when(c.two).then(c.g2f).otherwise(pl.lit("")))
    name = (
        pl.when(c.eth == HAN)
        .then(c.surname + han_given)
        .when(c.eth == UYGHUR)
        .then(pl.when(c.male).then(c.uy_m).otherwise(c.uy_f) + "·" + c.uy_father)
        .otherwise(pl.when(c.male).then(c.kz_m).otherwise(c.kz_f) + "·" + c.kz_father)
    )
    return frame.select(name.alias("name")).to_series()
