"""The trainings source (培训记录): a clean model of training enrolments, and the files that land them.

Model (one row per enrolment, the values that are finally true):

- About 0.8 enrolments per person start between 2019-01-01 and 2026-07-31 (so about 1.2 landed rows per
  person with the status updates below), a person drawn uniformly (repetitions are person-times), aged
  16..60 on the start day; yearly volume dips in 2020 and 2022 and grows after; seasonal.
- Programme: 企业新型学徒制 about 1.9 % and 现代学徒制 about 1.8 % (given to the young only), times a factor per year
  (`ENTERPRISE_FACTOR`, `MODERN_FACTOR`: at region scale, 5.7 million persons, some years reach the
  10,000 person-times of 措施2 and some do not); 现代学徒制 only for persons aged up to 24; otherwise
  项目制培训 45 %, 技能回炉 8 %, 乡村工匠 10 %, 新疆工匠 5 %, 其他 32 %.
- Provider: 68 % a registered carrier of the trainee's unit established by the start year (chosen by
  planned capacity), 27 % a provider outside the register (blank 培训机构编码), 5 % a code that is in
  no register (``ZT<unit>99....``): these count for programmes and regions, never for a carrier.
- Level: advanced+ (高级工 or above) with probability `ADVANCED[program][year]` times the carrier's
  advanced factor; shares straddle 30 % from year to year (PROJECT-ADVANCED, APPR-ADVANCED).
- Duration by programme (apprenticeships 6-24 months, project training 1-8 weeks ...); 5 % withdraw
  (10 % of apprenticeships), 3 % of completions are never reported (they stay 在训).
- Region: the trainee's unit on the start day.

Exports (quarter ends 2019Q1..2026Q2; 2019-2020 region-wide files, then one per prefecture, the
region-administered cities together): an enrolment lands in the first export on or after its
registration (0..30 days before the start: enrolments starting in July 2026 land on 2026-06-30 and must
not count with an as-of date of 2026-06-30), 5 % one export later and 1.5 % two later, with its status
then (在训, or already 结业 / 退出); a status change (结业 with its end date, or 退出) lands in the first
export after it. 1.2 % first land with a wrong level, programme or region, corrected by their next row.
Subsidies (补贴金额) on completions, written ``1,200.00`` / ``1200.00`` / ``1200`` per file.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import exports, mess
from . import reference as ref
from .carriers import Carriers
from .certifications import GROUP_CITIES, GROUP_REGION, _random_county
from .landing import SourceLanding
from .people import People, age_on, day, from_ymd, ymd

SOURCE = "trainings"

COLUMNS: tuple[mess.Column, ...] = (
    mess.Column("training_id", ("培训编号",), True, "code"),
    mess.Column("name", ("姓名",), True, "text"),
    mess.Column("id_number", ("公民身份号码", "身份证号"), True, "id"),
    mess.Column("program", ("培训类型",), True, "text"),
    mess.Column("level", ("培训等级",), True, "level"),
    mess.Column("occupation_name", ("职业(工种)名称",), False, "text", 0.10),
    mess.Column("provider_code", ("培训机构编码",), False, "code"),
    mess.Column("provider_name", ("培训机构名称",), True, "text"),
    mess.Column("start_date", ("开班日期",), True, "date"),
    mess.Column("end_date", ("结业日期",), False, "date", 0.05),
    mess.Column("status", ("培训状态",), True, "text"),
    mess.Column("subsidy_yuan", ("补贴金额(元)", "补贴金额"), False, "money", 0.10),
    mess.Column("region", ("所在地区",), True, "region"),
)

START, END = day("2019-01-01"), day("2026-07-31")
ENROLMENTS_PER_PERSON = 0.80
YEAR_WEIGHT = {2019: 0.95, 2020: 0.70, 2021: 1.0, 2022: 0.85, 2023: 1.1, 2024: 1.15, 2025: 1.2, 2026: 1.2}
MONTH_WEIGHT = (0.5, 0.4, 1.2, 1.3, 1.3, 1.1, 0.9, 0.8, 1.2, 1.3, 1.2, 0.6)
# calibrated so that a factor of 1 in a year of average volume is about 10,000 person-times at region
# scale (5.7 million persons)
ENTERPRISE_SHARE, MODERN_SHARE = 0.0189, 0.0184
ENTERPRISE_FACTOR = {2019: 0.85, 2020: 1.0, 2021: 0.95, 2022: 1.25, 2023: 1.10, 2024: 0.80, 2025: 1.10, 2026: 1.0}
MODERN_FACTOR = {2019: 0.90, 2020: 1.50, 2021: 1.05, 2022: 1.10, 2023: 0.95, 2024: 0.80, 2025: 0.90, 2026: 0.90}
OTHER_PROGRAMS = (("项目制培训", 0.45), ("技能回炉", 0.08), ("乡村工匠", 0.10), ("新疆工匠", 0.05), ("其他", 0.32))
_YEARS = tuple(range(2019, 2027))
ADVANCED = {
    "企业新型学徒制": (0.27, 0.35, 0.30, 0.36, 0.33, 0.37, 0.29, 0.35),
    "现代学徒制": (0.22, 0.26, 0.27, 0.29, 0.30, 0.31, 0.30, 0.33),
    "项目制培训": (0.25, 0.27, 0.31, 0.27, 0.32, 0.29, 0.33, 0.31),
    "技能回炉": (0.20,) * 8,
    "乡村工匠": (0.10,) * 8,
    "新疆工匠": (0.45,) * 8,
    "其他": (0.12,) * 8,
}
DURATION = {
    "企业新型学徒制": (180, 720),
    "现代学徒制": (240, 720),
    "项目制培训": (7, 56),
    "技能回炉": (30, 120),
    "乡村工匠": (10, 45),
    "新疆工匠": (30, 180),
    "其他": (3, 30),
}
SUBSIDY = {
    "企业新型学徒制": (4000.0, 5000.0, 6000.0),
    "现代学徒制": (4000.0, 5000.0),
    "项目制培训": (800.0, 1000.0, 1200.0, 1500.0, 1800.0, 2400.0, 1234.5),
    "技能回炉": (1500.0, 2000.0),
    "乡村工匠": (600.0, 900.0),
    "新疆工匠": (3000.0, 5000.0, 12000.0),
    "其他": (),
}
REGISTERED, BLANK_CODE, UNKNOWN_CODE = 0, 1, 2
IN_TRAINING, COMPLETED, WITHDRAWN = range(3)

INVALID = {
    "level": ("level", ref.UNRECOGNISED_LEVELS),
    "date": ("start_date", ref.INVALID_DATES),
    "region": ("region", ref.UNRECOGNISED_REGIONS),
    "program": ("program", ("学徒制培训", "岗前培训", "创业培训")),
    "status": ("status", ("已结业", "培训中", "退学")),
}
DEFECTS = (
    ("check_digit", 0.25),
    ("blank", 0.30),
    ("level", 0.10),
    ("date", 0.10),
    ("region", 0.10),
    ("program", 0.08),
    ("status", 0.07),
)
BLANKABLE = (
    "training_id", "name", "id_number", "program", "level", "provider_name", "start_date", "status", "region",
)


def export_days() -> np.ndarray:
    """Quarter ends 2019Q1 .. 2026Q2."""
    y = np.repeat(np.arange(2019, 2027), 4)
    q = np.tile(np.arange(1, 5), 8)
    keep = (y < 2026) | (q <= 2)
    y, q = y[keep], q[keep]
    first_next = from_ymd(y + (q == 4), np.where(q == 4, 1, 3 * q + 1), np.ones(len(y), np.int64))
    return (first_next - 1).astype(np.int32)


def _start_days(rng: np.random.Generator, n: int) -> np.ndarray:
    grid = np.arange(START, END + 1)
    y, m, _ = ymd(grid)
    w = np.array([YEAR_WEIGHT[int(v)] for v in y]) * np.array(MONTH_WEIGHT)[m - 1]
    w = w * (((grid + 3) % 7) < 5)  # classes start on working days
    return rng.choice(grid, n, p=w / w.sum()).astype(np.int32)


def build_model(people: People, carriers: Carriers, rng: np.random.Generator) -> pl.DataFrame:
    """One row per enrolment with its final values (not yet decided whether and where it lands)."""
    n = round(ENROLMENTS_PER_PERSON * people.n)
    start = _start_days(rng, n)
    person = rng.integers(0, people.n, n)
    for _ in range(4):  # trainees are 16..60 on the start day: redraw the others a few times
        age = age_on(people.birth[person], start)
        bad = (age < 16) | (age > 60)
        if not bad.any():
            break
        person[bad] = rng.integers(0, people.n, bad.sum())
    age = age_on(people.birth[person], start)
    keep = (age >= 16) & (age <= 60)
    start, person, age = start[keep], person[keep], age[keep]
    n = len(start)
    year = ymd(start)[0]
    yi = (year - 2019).astype(np.int64)
    unit = people.unit_on(person, start)

    # Programme.
    young = age <= 24
    p_ent = ENTERPRISE_SHARE * np.array([ENTERPRISE_FACTOR[y] for y in _YEARS])[yi]
    # 现代学徒制 is for the young only: scaled by the share of the young among the year's trainees
    young_share = np.array([max(young[year == y].mean() if (year == y).any() else 0.0, 0.05) for y in _YEARS])
    p_mod = MODERN_SHARE * np.array([MODERN_FACTOR[y] for y in _YEARS])[yi] / young_share[yi]
    draw = rng.random(n)
    other_w = np.array([w for _, w in OTHER_PROGRAMS])
    other = rng.choice(len(OTHER_PROGRAMS), n, p=other_w / other_w.sum()) + 2
    program = np.where(draw < p_ent, 0, np.where(young & (draw < p_ent + p_mod), 1, other)).astype(np.int8)

    # Provider.
    mode = rng.choice(3, n, p=[0.68, 0.27, 0.05]).astype(np.int8)
    provider = np.full(n, -1, np.int32)
    pick = rng.random(n)
    for u in range(len(ref.units())):
        in_unit = unit == u
        for y in _YEARS:
            ok = np.flatnonzero((carriers.unit == u) & (carriers.established <= y))
            rows = np.flatnonzero(in_unit & (year == y) & (mode == REGISTERED))
            if not len(rows):
                continue
            if not len(ok):
                mode[rows] = BLANK_CODE
                continue
            cum = np.cumsum(carriers.capacity[ok].astype(float))
            provider[rows] = ok[np.searchsorted(cum, pick[rows] * cum[-1], side="right").clip(0, len(ok) - 1)]
    factor = np.where(provider >= 0, carriers.adv_factor[np.maximum(provider, 0)], 1.0)

    # Level.
    p_adv = np.array([ADVANCED[p] for p in ref.PROGRAMS])[program, yi] * factor
    advanced = rng.random(n) < np.clip(p_adv, 0.01, 0.95)
    high = rng.choice([3, 4, 5, 6, 7], n, p=[0.72, 0.21, 0.06, 0.007, 0.003])
    high = np.where((high >= 6) & (year < 2022), 5, high)
    appr = program <= 1
    low = np.where(appr, rng.choice([0, 1, 2], n, p=[0.15, 0.35, 0.5]), rng.choice([0, 1, 2], n, p=[0.02, 0.55, 0.43]))
    rank = np.where(advanced, high, low).astype(np.int8)

    # Course of the enrolment.
    lo = np.array([DURATION[p][0] for p in ref.PROGRAMS])[program]
    hi = np.array([DURATION[p][1] for p in ref.PROGRAMS])[program]
    end = (start + rng.integers(lo, hi + 1)).astype(np.int32)
    withdrawn = rng.random(n) < np.where(appr, 0.10, 0.05)
    quit_day = (start + np.floor(rng.uniform(0.1, 0.9, n) * (end - start))).astype(np.int32)
    unreported = ~withdrawn & (rng.random(n) < 0.03)
    registered = (start - rng.integers(0, 31, n)).astype(np.int32)

    _, names = ref.occupations()
    return pl.DataFrame(
        {
            "person": person.astype(np.int32),
            "start": start,
            "end": end,
            "year": year.astype(np.int16),
            "unit": unit,
            "program": program,
            "rank": rank,
            "mode": mode,
            "provider": provider,
            "withdrawn": withdrawn,
            "quit_day": quit_day,
            "unreported": unreported,
            "registered": registered,
            "occupation": rng.integers(0, len(names), n).astype(np.int16),
        }
    ).sort("start", "person")


def _status_at(model: pl.DataFrame, days: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Status the exporting system knows on each day for enrolments idx."""
    w = model["withdrawn"].to_numpy()[idx]
    q = model["quit_day"].to_numpy()[idx]
    e = model["end"].to_numpy()[idx]
    unrep = model["unreported"].to_numpy()[idx]
    return np.where(w & (q <= days), WITHDRAWN, np.where(~w & ~unrep & (e <= days), COMPLETED, IN_TRAINING)).astype(
        np.int8
    )


def build(
    people: People, carriers: Carriers, rng: np.random.Generator
) -> tuple[SourceLanding, pl.DataFrame]:
    """The trainings landing, and the truth input: one row per landed enrolment with its final values
    (start, year, unit, program, rank, provider (carrier index, -1 none), provider_code, status)."""
    u = ref.units()
    model = build_model(people, carriers, rng)
    days = export_days()
    last = len(days) - 1
    reg = model["registered"].to_numpy()
    lands = reg <= days[-1]
    model = model.filter(pl.Series(lands))
    n = model.height
    reg = reg[lands]
    k0 = np.searchsorted(days, reg, side="left")
    k0 = np.minimum(k0 + rng.choice([0, 1, 2], n, p=[0.935, 0.05, 0.015]), last)
    s0 = _status_at(model, days[k0], np.arange(n))

    w = model["withdrawn"].to_numpy()
    unrep = model["unreported"].to_numpy()
    change_day = np.where(w, model["quit_day"].to_numpy(), model["end"].to_numpy())
    has_change = (s0 == IN_TRAINING) & (w | ~unrep) & (change_day <= days[-1])
    k1 = np.searchsorted(days, change_day, side="left")
    k1 = np.minimum(np.maximum(k1 + rng.choice([0, 1], n, p=[0.9, 0.1]), k0 + 1), last)
    has_change &= k1 > k0
    s1 = _status_at(model, days[k1], np.arange(n))

    # Corrections: a wrong level, programme or region first; the next row of the enrolment is right.
    eligible = np.flatnonzero(k0 < last)
    corrected = np.sort(rng.choice(eligible, round(0.012 * n), replace=False)) if len(eligible) else eligible
    need_row = corrected[~has_change[corrected]]
    k2 = np.minimum(k0[need_row] + 1 + rng.geometric(0.5, len(need_row)) - 1, last)
    s2 = _status_at(model, days[k2], need_row)

    rank = model["rank"].to_numpy()
    program = model["program"].to_numpy()
    unit = model["unit"].to_numpy()
    shown_rank, shown_program, shown_unit = rank.copy(), program.copy(), unit.copy()
    what = rng.integers(0, 3, len(corrected))
    c = corrected[what == 0]
    shown_rank[c] = np.where(rank[c] >= 5, rank[c] - 1, rank[c] + 1)
    c = corrected[what == 1]
    swap = {0: 2, 1: 0, 2: 6, 3: 2, 4: 6, 5: 2, 6: 2}  # e.g. 项目制培训 first landed as 其他
    shown_program[c] = np.array([swap[int(p)] for p in range(7)])[program[c]]
    c = corrected[what == 2]
    other = (unit[c] + 1 + rng.integers(0, len(u) - 1, len(c))) % len(u)
    shown_unit[c] = other

    # Provider codes and names.
    mode = model["mode"].to_numpy()
    provider = model["provider"].to_numpy()
    n_pool = 16
    pool = []
    for i in range(len(u)):
        for j in range(n_pool):
            brand = ref.BRAND_WORDS[(i * 7 + j) % len(ref.BRAND_WORDS)]
            suffix = ("职业技能培训学校", "培训中心", "技能培训有限公司", "职业培训学校")[j % 4]
            pool.append(f"{u.short[i]}{brand}{suffix}")
    pool = pl.Series(pool)
    slot = (unit.astype(np.int64) * n_pool + rng.integers(0, n_pool, n)).astype(np.int64)
    unit_code = np.array([int(x) for x in u.code], dtype=np.int64)
    unknown_code = pl.Series(unit_code[unit]).cast(pl.Utf8)
    unknown_code = "ZT" + unknown_code + "99" + pl.Series(slot % n_pool * 37 + 1000).cast(pl.Utf8)
    reg_code = carriers.code.gather(np.maximum(provider, 0))
    reg_name = carriers.name.gather(np.maximum(provider, 0))
    m = pl.Series(mode)
    provider_code = (
        pl.select(pl.when(m == REGISTERED).then(reg_code).when(m == UNKNOWN_CODE).then(unknown_code))
        .to_series()
        .alias("provider_code")
    )
    provider_name = (
        pl.select(pl.when(m == REGISTERED).then(reg_name).otherwise(pool.gather(slot))).to_series().alias("provider_name")
    )

    # Training numbers: PX + year + unit code + serial within (year, unit) in start order.
    year = model["year"].to_numpy().astype(np.int64)
    key = year * 10**6 + unit_code[unit]
    order = np.lexsort((np.arange(n), key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    start_at = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    serial = np.empty(n, np.int64)
    serial[order] = np.arange(n) - start_at + 1
    training_id = pl.select(
        pl.concat_str(
            pl.lit("PX"),
            pl.Series(year).cast(pl.Utf8),
            pl.Series(unit_code[unit]).cast(pl.Utf8),
            pl.Series(serial).cast(pl.Utf8).str.zfill(7),
        )
    ).to_series()

    # Landed rows: originals, status changes, correction rows.
    start = model["start"].to_numpy()
    end = model["end"].to_numpy()
    quit_day = model["quit_day"].to_numpy()
    person = model["person"].to_numpy()
    _, occ_names = ref.occupations()
    subsidy_pool = [SUBSIDY[p] for p in ref.PROGRAMS]
    subsidy_choice = rng.integers(0, 1000, n)
    amount = np.full(n, np.nan)
    for p, values in enumerate(subsidy_pool):
        if values:
            mask = program == p
            amount[mask] = np.array(values)[subsidy_choice[mask] % len(values)]
    is_city = np.array(u.is_city)
    county = np.where(people.home_unit[person] == unit, people.county[person], _random_county(rng, unit))

    def rows(idx, k, status, rk, pg, un, is_change) -> pl.DataFrame:
        at = days[k]
        ended = status == COMPLETED
        quit_ = status == WITHDRAWN
        end_date = np.where(ended, end[idx], np.where(quit_ & (idx % 2 == 0), quit_day[idx], -1))
        sub = np.where(ended, amount[idx], np.nan)
        cnty = np.where(un == unit[idx], county[idx], _random_county(rng, un))
        return pl.DataFrame(
            {
                "training_id": training_id.gather(idx),
                "name": people.name.gather(person[idx]),
                "id_number": people.id_number.gather(person[idx]),
                "program": pl.Series(ref.PROGRAMS).gather(pg),
                "level": pl.Series(rk.astype(np.int8)),
                "occupation_name": pl.Series(occ_names).gather(model["occupation"].to_numpy()[idx]),
                "provider_code": provider_code.gather(idx),
                "provider_name": provider_name.gather(idx),
                "start_date": pl.Series(start[idx].astype(np.int32)).cast(pl.Date),
                "end_date": pl.select(
                    pl.when(pl.Series(end_date >= 0)).then(pl.Series(end_date.astype(np.int32)).cast(pl.Date))
                ).to_series(),
                "status": pl.Series(ref.TRAINING_STATUSES).gather(status),
                "subsidy_yuan": pl.Series(sub).fill_nan(None),
                "region": pl.Series(un.astype(np.int16)),
                "region_county": pl.Series(cnty.astype(np.int32)).cast(pl.Utf8),
                "export_day": pl.Series(at.astype(np.int32)),
                "group": pl.Series(
                    np.where(at <= day("2020-12-31"), GROUP_REGION, np.where(is_city[un], GROUP_CITIES, un))
                ).cast(pl.Int32),
                "is_change": pl.Series(np.full(len(idx), is_change)),
                "order": pl.Series((start[idx].astype(np.int64) << 24) + idx),
            }
        )

    everyone = np.arange(n)
    ch = np.flatnonzero(has_change)
    records = pl.concat(
        [
            rows(everyone, k0, s0, shown_rank, shown_program, shown_unit, False),
            rows(ch, k1[ch], s1[ch], rank[ch], program[ch], unit[ch], True),
            rows(need_row, k2, s2, rank[need_row], program[need_row], unit[need_row], True),
        ]
    )
    # The group of a row follows the unit it is shown in; a correction row of a region lands in the
    # file of the right region.
    final_status = s0.copy()
    final_status[need_row] = s2
    final_status[ch] = s1[ch]

    def fresh(rng_: np.random.Generator, export_day: np.ndarray, group: np.ndarray) -> pl.DataFrame:
        k = len(export_day)
        fresh_unit = np.where(
            group >= 0, group,
            np.where(group == GROUP_CITIES, rng_.choice(np.flatnonzero(is_city), k), rng_.integers(0, len(u), k)),
        ).astype(np.int16)
        st = np.maximum(export_day - rng_.integers(0, 80, k), START).astype(np.int32)
        p = rng_.integers(0, people.n, k)
        prog = rng_.integers(0, 7, k)
        return pl.DataFrame(
            {
                "training_id": [f"PX{1970 + int(d) // 366}B{i:08d}" for i, d in enumerate(export_day)],
                "name": people.name.gather(p),
                "id_number": people.id_number.gather(p),
                "program": pl.Series(ref.PROGRAMS).gather(prog),
                "level": pl.Series(rng_.integers(1, 4, k).astype(np.int8)),
                "occupation_name": pl.Series(occ_names).gather(rng_.integers(0, len(occ_names), k)),
                "provider_code": pl.Series([None] * k, dtype=pl.Utf8),
                "provider_name": pool.gather(fresh_unit.astype(np.int64) * n_pool),
                "start_date": pl.Series(st).cast(pl.Date),
                "end_date": pl.Series([None] * k, dtype=pl.Date),
                "status": pl.Series(["在训"] * k),
                "subsidy_yuan": pl.Series([None] * k, dtype=pl.Float64),
                "region": pl.Series(fresh_unit),
                "region_county": pl.Series(_random_county(rng_, fresh_unit).astype(np.int32)).cast(pl.Utf8),
            }
        )

    def where(group: int) -> str:
        return {GROUP_REGION: "新疆维吾尔自治区", GROUP_CITIES: "自治区直辖县级市"}.get(group) or u.name[group]

    def quarter(d: int) -> str:
        y, mo, _ = ymd(np.array([d]))
        return f"{int(y[0])}Q{(int(mo[0]) - 1) // 3 + 1}"

    def file_name(d: int, group: int, ext: str) -> str:
        if group == GROUP_REGION:
            return f"全区职业技能培训记录_{quarter(d)}.{ext}"
        if group == GROUP_CITIES:
            return f"自治区直辖县级市_培训台账_{quarter(d)}.{ext}"
        if group % 3 == 0:
            return f"{u.code[group]}_trainings_{quarter(d)}.{ext}"
        return f"{u.name[group]}{quarter(d)}培训台账.{ext}"

    spec = exports.Spec(
        source=SOURCE,
        columns=COLUMNS,
        defects=DEFECTS,
        blankable=BLANKABLE,
        invalid=INVALID,
        rejected_column="provider_name",
        file_name=file_name,
        titles=lambda d, g: (
            f"{where(g)}{quarter(d)[:4]}年职业技能培训记录",
            f"导出日期：{exports.iso(d)}    单位：{where(g)}人力资源和社会保障局",
        ),
        rejected_name=lambda d, g: f"补报_{where(g)}_培训记录_{quarter(d)}.csv",
        note="本目录为职业技能培训记录（企业新型学徒制、现代学徒制、项目制培训等），按季度导出。\n",
        xlsx_share=0.12,
        keep=frozenset({"provider_code"}),
    )
    landing = exports.assemble(spec, records, fresh, rng)
    truth = pl.DataFrame(
        {
            "start": model["start"],
            "year": model["year"],
            "unit": model["unit"],
            "program": model["program"],
            "rank": model["rank"],
            "provider": pl.Series(np.where(mode == REGISTERED, provider, -1).astype(np.int32)),
            "provider_code": provider_code,
            "status": pl.Series(final_status),
        }
    )
    return landing, truth
