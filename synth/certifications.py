"""The certifications source: a clean model of certificates, and the files that land it.

Model (one row per certificate, the values that are finally true):

- 88 % of persons are certified at least once. The first certificate falls between 2015-01-01 and
  2026-06-30, no earlier than the 16th birthday and no later than the 60th; 40 % of the vocational students
  (15 % of those aged under 22 in 2020) are first certified while still 15 (so some holders are under 16 on an as-of date). The
  yearly volume grows from 2015 to 2025; certificates are issued on working days.
- After each certificate a person continues with probability 0.5, the next one 120 days to a few years
  later (at most 6 certificates). On a later certificate the person climbs one level with probability
  (0.34 + 0.02 per year since 2015) times the square root of the unit's skill factor; 15 % are in
  another occupation one or two levels lower; from 2022, 5 % of later certificates at 高级技师 career
  level are 特级技师 or (30 %) 首席技师, and at least one of each exists.
- The first level is high-skilled (高级工+) with probability (0.12 + 0.0025 per year since 2015) times
  the unit's skill factor (Karamay 1.6, Urumqi 1.3 ... Kashgar 0.75, Hotan 0.7); 3 % of the others
  are 学徒工. Region-wide the ratio comes out near 0.13 at 2015-12-31, 0.21 at 2024-12-31 and 0.22
  at 2026-06-30.
- Region: the person's unit on the issue day (8 % of persons move once). 0.6 % of persons with two or
  more certificates receive two on the same day at different levels, half of those in two different
  units (so "on the same day the higher level wins" decides their prefecture). No other two
  certificates of one person share a day, and corrections never touch those pairs, so no further
  tie-break is ever needed.
- 1.2 % of certificates first land with a wrong level (60 %) or region (40 %) and are corrected by a
  row with the same 证书编号 in a later export; 1.5 % are later revoked (撤销 or 注销), and 8 % of
  those reinstated (有效) later still. A certificate's truth is its last landed row.

Exports (landing files):

- 2015-2020: one region-wide file per quarter end; 2021-2024: one file per prefecture per quarter end
  (the 12 region-administered cities share one file); 2025-01 to 2026-06: one region-wide file per
  month end. Files above 100,000 rows are split into parts. 93.5 % of certificates land in the first
  export on or after their issue date, 5 % one export later and 1.5 % two exports later.
- Small files (up to 20,000 rows) are XLSX with probability 0.6 for five small prefectures
  (Hami, Turpan, Kizilsu, Bortala, Altay) and 0.04 otherwise; everything else is CSV.
- Byte-for-byte copies of 3 % of the files (at least two; files without bad rows): half in the same
  folder under `<stem>_重发<ext>` (which sorts after the original), half in a later date folder; at
  least one copy lands after a correction or revocation of one of its rows.
- One file `补报_<prefecture>_<yyyy>Q<q>.csv` lacks the required column 评价机构 (rejected whole); its
  rows are brand-new certificates that land nowhere else. One `说明.txt` note lies in a date folder.
- 2 % of the rows of loaded files are bad rows: brand-new certificate numbers, each with exactly one
  defect (see `DEFECTS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import mess
from . import reference as ref
from .landing import DUPLICATE, LOADED, REJECTED, SKIPPED, LandedFile, SourceLanding, finalise, iso
from .people import People, add_years, day, from_ymd, ymd

SOURCE = "certifications"

COLUMNS: tuple[mess.Column, ...] = (
    mess.Column("certificate_no", ("证书编号",), True, "code"),
    mess.Column("name", ("姓名",), True, "text"),
    mess.Column("id_number", ("公民身份号码", "身份证号", "身份证号码"), True, "id"),
    mess.Column("gender", ("性别",), False, "gender", 0.05),
    mess.Column("occupation_code", ("职业编码",), False, "code", 0.20),
    mess.Column("occupation_name", ("职业(工种)名称", "职业名称", "工种"), True, "text"),
    mess.Column("skill_level", ("技能等级", "职业技能等级", "等级"), True, "level"),
    mess.Column("issue_date", ("发证日期", "颁证日期"), True, "date"),
    mess.Column("assessor_name", ("评价机构", "评价机构名称", "认定机构"), True, "text"),
    mess.Column("assessor_type", ("评价机构类型",), False, "text", 0.10),
    mess.Column("region", ("所在地区", "地州市", "行政区划代码"), True, "region"),
    mess.Column("employer", ("工作单位",), False, "text", 0.10),
    mess.Column("employer_type", ("单位性质",), False, "text", 0.10),
    mess.Column("status", ("证书状态",), False, "status", 0.10),
)

START, END = day("2015-01-01"), day("2026-06-30")
HIGH_BASE, HIGH_SLOPE = (
    0.12,
    0.0025,
)  # first certificate high-skilled: (base + slope * years since 2015) * factor
CLIMB_BASE, CLIMB_SLOPE = (
    0.34,
    0.02,
)  # a later certificate one level up: (base + slope * years) * sqrt(factor)
MAX_CERTS = 6
CSV_MAX_ROWS = 100_000
XLSX_MAX_ROWS = 20_000
XLSX_UNITS = ("650500", "650400", "653000", "652700", "654300")
BAD_SHARE = 0.02
REJECTED_COLUMN = "assessor_name"
CURRENT_FORMAT_FROM = day("2020-01-01")

# Bad-row defects: (kind, share). A blank defect blanks one of BLANKABLE.
DEFECTS = (("check_digit", 0.30), ("blank", 0.30), ("level", 0.15), ("date", 0.15), ("region", 0.10))
BLANKABLE = (
    "name",
    "id_number",
    "certificate_no",
    "occupation_name",
    "skill_level",
    "issue_date",
    "assessor_name",
    "region",
)

_YEAR_WEIGHT = {
    2015: 0.60,
    2016: 0.65,
    2017: 0.70,
    2018: 0.80,
    2019: 0.95,
    2020: 1.05,
    2021: 1.25,
    2022: 1.35,
    2023: 1.45,
    2024: 1.55,
    2025: 1.60,
    2026: 1.60,
}
_MONTH_WEIGHT = (0.6, 0.7, 1.0, 1.0, 1.1, 1.3, 1.0, 0.8, 1.0, 1.1, 1.2, 1.4)

CHANGE_ORIGINAL, CHANGE_CORRECTION, CHANGE_REVOCATION, CHANGE_REINSTATEMENT, BAD, ORPHAN = range(6)
STATUSES = pl.Series([ref.STATUS_VALID, ref.STATUS_REVOKED, ref.STATUS_CANCELLED])
VALID, REVOKED, CANCELLED = range(3)
GROUP_REGION, GROUP_CITIES = -1, -2


# --------------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisations:
    assessor_name: pl.Series
    assessor_type: pl.Series
    employer_name: pl.Series
    employer_type: pl.Series

    N_REGION_ASSESSORS = len(ref.REGION_ASSESSORS)
    ASSESSOR_SLOTS = (
        "其他",
        "技工院校",
        "职业院校",
        "社会培训评价组织",
        "社会培训评价组织",
        "企业自主评价",
        "企业自主评价",
        "企业自主评价",
    )
    ASSESSOR_SLOT_WEIGHTS = (0.10, 0.15, 0.10, 0.15, 0.15, 0.12, 0.12, 0.11)
    EMPLOYER_SLOTS = (
        ("国有企业",) * 6
        + ("民营企业",) * 12
        + ("外资企业",)
        + ("机关事业单位",) * 3
        + ("其他",) * 2
        + ("民营企业", "民营企业")
    )
    EMPLOYER_SLOT_WEIGHTS = (1.0,) * 24 + (0.12, 0.12)  # the last two have a comma / quotes in the name

    def assessor(self, rng: np.random.Generator, unit: np.ndarray) -> np.ndarray:
        n = len(unit)
        w = np.array(self.ASSESSOR_SLOT_WEIGHTS)
        slot = rng.choice(len(w), n, p=w / w.sum())
        local = self.N_REGION_ASSESSORS + unit.astype(np.int64) * len(w) + slot
        regional = rng.integers(0, self.N_REGION_ASSESSORS, n)
        return np.where(rng.random(n) < 0.15, regional, local).astype(np.int32)

    def employer(self, rng: np.random.Generator, unit: np.ndarray) -> np.ndarray:
        n = len(unit)
        w = np.array(self.EMPLOYER_SLOT_WEIGHTS)
        slot = rng.choice(len(w), n, p=w / w.sum())
        return np.where(rng.random(n) < 0.10, -1, unit.astype(np.int64) * len(w) + slot).astype(np.int32)


def make_organisations(rng: np.random.Generator) -> Organisations:
    u = ref.units()
    a_name = [name for name, _ in ref.REGION_ASSESSORS]
    a_type = [kind for _, kind in ref.REGION_ASSESSORS]
    e_name: list[str] = []
    e_type: list[str] = []
    for name, short in zip(u.name, u.short):
        brands = [ref.BRAND_WORDS[i] for i in rng.permutation(len(ref.BRAND_WORDS))]
        a_name += [
            f"{name}职业技能鉴定中心",
            f"{short}技师学院",
            f"{short}职业技术学院",
            f"{short}{brands[0]}职业技能培训学校",
            f"{short}{brands[1]}职业培训评价中心",
        ]
        a_name += [
            f"{short}{brands[2 + i]}{ref.PRIVATE_SUFFIXES[j]}"
            for i, j in enumerate(rng.choice(len(ref.PRIVATE_SUFFIXES), 3, replace=False))
        ]
        a_type += list(Organisations.ASSESSOR_SLOTS)
        for slot, kind in enumerate(Organisations.EMPLOYER_SLOTS):
            brand = ref.BRAND_WORDS[rng.integers(len(ref.BRAND_WORDS))]
            if slot == 24:
                e_name.append(f"新疆{brand}建设集团有限公司,{short}分公司")
            elif slot == 25:
                e_name.append(f'{short}"{brand}"餐饮有限公司')
            elif kind == "国有企业":
                e_name.append(f"{short}{brand}{ref.STATE_SUFFIXES[rng.integers(len(ref.STATE_SUFFIXES))]}")
            elif kind == "民营企业":
                place = short if rng.random() < 0.7 else "新疆"
                e_name.append(
                    f"{place}{brand}{ref.PRIVATE_SUFFIXES[rng.integers(len(ref.PRIVATE_SUFFIXES))]}"
                )
            elif kind == "外资企业":
                e_name.append(f"{short}{brand}（中外合资）食品有限公司")
            elif kind == "机关事业单位":
                e_name.append(f"{short}{ref.PUBLIC_SUFFIXES[(slot - 19) % len(ref.PUBLIC_SUFFIXES)]}")
            else:
                e_name.append(f"{short}{brand}农民专业合作社")
            e_type.append(kind)
    return Organisations(pl.Series(a_name), pl.Series(a_type), pl.Series(e_name), pl.Series(e_type))


# --------------------------------------------------------------------------------------------------
# The clean model
# --------------------------------------------------------------------------------------------------


def _entry_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day in [lo, hi] for each person, with the yearly volume and the season as intensity."""
    grid = np.arange(START, END + 1)
    y, m, _ = ymd(grid)
    w = np.array([_YEAR_WEIGHT[int(v)] for v in range(2015, 2027)])[y - 2015] * np.array(_MONTH_WEIGHT)[m - 1]
    cum = np.concatenate([[0.0], np.cumsum(w)])
    a, b = cum[lo - START], cum[hi - START + 1]
    u = a + rng.random(len(lo)) * (b - a)
    return (START + np.searchsorted(cum, u, side="right") - 1).astype(np.int32)


def _weekday_shift(days: np.ndarray) -> np.ndarray:
    """Certificates are issued on working days: Saturday and Sunday move back to Friday."""
    wd = (days + 3) % 7  # Monday = 0
    return (days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))).astype(np.int32)


def _random_county(rng: np.random.Generator, unit: np.ndarray) -> np.ndarray:
    u = ref.units()
    sizes = np.array([len(c) for c in u.counties])
    flat = np.array([int(c) for cs in u.counties for c in cs], dtype=np.int32)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return flat[start[unit] + (rng.random(len(unit)) * sizes[unit]).astype(np.int64)]


def _unit_weights() -> np.ndarray:
    w = np.array(ref.units().weight, dtype=float)
    return w / w.sum()


def build_model(people: People, rng: np.random.Generator, orgs: Organisations) -> pl.DataFrame:
    """One row per certificate with its final (true) values, chronological."""
    u = ref.units()
    birth = people.birth
    lo = np.maximum(START, add_years(birth, np.where(people.student, 15, 16)))
    hi = np.minimum(END, add_years(birth, 60))
    # Most students are first certified while still 15 (so the lower age bound matters).
    at15 = people.student & (rng.random(people.n) < 0.4)
    hi = np.where(at15 & (add_years(birth, 16) - 1 >= lo), np.minimum(hi, add_years(birth, 16) - 1), hi)
    certified = (rng.random(people.n) < 0.88) & (lo <= hi)
    person = np.flatnonzero(certified)
    m = len(person)
    t0 = _entry_days(rng, lo[person], hi[person])

    gaps = np.rint(120 + rng.gamma(2.0, 330.0, (m, MAX_CERTS - 1))).astype(np.int32)
    cont = rng.random((m, MAX_CERTS - 1)) < 0.5
    same_day = rng.random(m) < 0.006
    gaps[same_day, 0] = 0
    cont[same_day, 0] = True
    offsets = np.concatenate([np.zeros((m, 1), np.int32), np.cumsum(gaps, axis=1)], axis=1)
    days = t0[:, None] + offsets
    ok = np.concatenate([np.ones((m, 1), bool), cont], axis=1) & (days <= hi[person][:, None])
    alive = np.cumprod(ok, axis=1).astype(bool)
    same_day &= alive[:, 1]
    days = _weekday_shift(days)
    j = np.broadcast_to(np.arange(MAX_CERTS), (m, MAX_CERTS))

    # Units: where the person lives on the day; half the same-day pairs are in two units.
    pm = np.broadcast_to(person[:, None], (m, MAX_CERTS))
    unit = people.unit_on(pm.ravel(), days.ravel()).reshape(m, MAX_CERTS)
    cross = same_day & (rng.random(m) < 0.5)
    other = rng.choice(len(u), m, p=_unit_weights()).astype(np.int16)
    cross &= other != unit[:, 0]
    unit[cross, 1] = other[cross]

    # Levels.
    entry_year = ymd(days[:, 0])[0]
    factor = np.array(u.skill_factor)[unit[:, 0]]
    p_high = np.clip((HIGH_BASE + HIGH_SLOPE * (entry_year - 2015)) * factor, 0.02, 0.6)
    r0 = np.where(
        rng.random(m) < p_high,
        rng.choice([3, 4, 5], m, p=[0.74, 0.20, 0.06]),
        rng.choice([0, 1, 2], m, p=[0.04, 0.55, 0.41]),
    )
    cert_year = ymd(days.ravel())[0].reshape(m, MAX_CERTS)
    p_climb = (CLIMB_BASE + CLIMB_SLOPE * (cert_year - 2015)) * np.sqrt(np.array(u.skill_factor)[unit])
    climb = rng.random((m, MAX_CERTS)) < np.clip(p_climb, 0, 0.7)
    climb[:, 0] = False
    career = np.minimum(5, r0[:, None] + np.cumsum(climb, axis=1))
    drop = rng.choice([0, 1, 2], (m, MAX_CERTS), p=[0.85, 0.10, 0.05])
    drop[:, 0] = 0
    rank = np.where(career >= 1, np.maximum(1, career - drop), 0)
    # 特级技师 / 首席技师 (the levels above 高级技师, appointed from 2022): rare, but each at least once.
    open_top = (career >= 4) & (drop == 0) & (j >= 1) & (cert_year >= 2022) & alive
    special = open_top & (career == 5) & (rng.random((m, MAX_CERTS)) < 0.05)
    top = np.where(rng.random((m, MAX_CERTS)) < 0.3, 7, 6)
    if open_top.sum() >= 2 and not {6, 7} <= set(np.unique(top[special])):
        forced = rng.choice(np.flatnonzero(open_top.ravel()), 2, replace=False)
        special.ravel()[forced] = True
        top.ravel()[forced] = (6, 7)
    rank = np.where(special, top, rank)
    tie = same_day & (rank[:, 1] == rank[:, 0])
    rank[tie, 1] = np.where(rank[tie, 0] < 5, rank[tie, 0] + 1, rank[tie, 0] - 1)

    # Occupations: climbs stay in the occupation; other certificates often change it.
    codes, _ = ref.occupations()
    occ_draw = rng.integers(0, len(codes), (m, MAX_CERTS))
    change = (j == 0) | (~climb & (rng.random((m, MAX_CERTS)) < 0.5)) | (drop > 0)
    change[:, 1] |= same_day
    last = np.maximum.accumulate(np.where(change, j, 0), axis=1)
    occ = np.take_along_axis(occ_draw, last, axis=1)
    clash = same_day & (occ[:, 1] == occ[:, 0])
    occ[clash, 1] = (occ[clash, 0] + 1) % len(codes)

    keep = alive.ravel()
    flat_person = pm.ravel()[keep]
    flat_unit = unit.ravel()[keep]
    frame = pl.DataFrame(
        {
            "person": flat_person.astype(np.int32),
            "issue": days.ravel()[keep].astype(np.int32),
            "unit": flat_unit.astype(np.int16),
            "rank": rank.ravel()[keep].astype(np.int8),
            "occupation": occ.ravel()[keep].astype(np.int16),
            "same_day": np.broadcast_to(same_day[:, None], (m, MAX_CERTS)).ravel()[keep],
        }
    )
    home = people.home_unit[flat_person] == flat_unit
    county = np.where(home, people.county[flat_person], _random_county(rng, flat_unit))
    frame = frame.with_columns(
        county=pl.Series(county.astype(np.int32)),
        assessor=pl.Series(orgs.assessor(rng, flat_unit)),
        employer=pl.Series(orgs.employer(rng, flat_unit)),
    )
    return frame.sort("issue", "person", "rank")


# --------------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    days: np.ndarray  # int32 export days, ascending
    era: np.ndarray  # 'A' region-wide quarterly, 'B' per prefecture quarterly, 'C' region-wide monthly

    @property
    def last(self) -> int:
        return len(self.days) - 1


def export_calendar() -> Calendar:
    quarters = [(y, q) for y in range(2015, 2025) for q in range(1, 5)]
    q_end = [
        from_ymd(np.array([y + (q == 4)]), np.array([1 if q == 4 else 3 * q + 1]), np.array([1]))[0] - 1
        for y, q in quarters
    ]
    months = [(y, mo) for y in (2025, 2026) for mo in range(1, 13) if (y, mo) <= (2026, 6)]
    m_end = [
        from_ymd(np.array([y + (mo == 12)]), np.array([1 if mo == 12 else mo + 1]), np.array([1]))[0] - 1
        for y, mo in months
    ]
    era = ["A" if y <= 2020 else "B" for y, _ in quarters] + ["C"] * len(months)
    return Calendar(np.array(q_end + m_end, dtype=np.int32), np.array(era))


def _group(cal: Calendar, export_idx: np.ndarray, unit: np.ndarray) -> np.ndarray:
    is_city = np.array(ref.units().is_city)
    per_unit = np.where(is_city[unit], GROUP_CITIES, unit)
    return np.where(cal.era[export_idx] == "B", per_unit, GROUP_REGION).astype(np.int16)


def _later(rng: np.random.Generator, idx: np.ndarray, last: int) -> np.ndarray:
    """An export strictly after idx (1 + geometric), at most the last one."""
    return np.minimum(idx + rng.geometric(0.45, len(idx)), last).astype(np.int16)


def _choose(rng: np.random.Generator, candidates: np.ndarray, share: float) -> np.ndarray:
    k = round(share * len(candidates))
    return np.sort(rng.choice(candidates, k, replace=False)) if k else candidates[:0]


def plan_rows(
    model: pl.DataFrame, cal: Calendar, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Landed rows of model certificates (originals and change rows), and the final state per certificate.

    Rows: cert, kind, export_idx, rank, unit, county, status (index into STATUSES).
    Final: rank, unit, status (str) per certificate, in model order.
    """
    n = model.height
    issue = model["issue"].to_numpy()
    first = np.searchsorted(cal.days, issue, side="left")
    lag = rng.choice([0, 1, 2], n, p=[0.935, 0.05, 0.015])
    export_idx = np.minimum(first + lag, cal.last).astype(np.int16)
    rank = model["rank"].to_numpy()
    unit = model["unit"].to_numpy()
    county = model["county"].to_numpy()

    eligible = np.flatnonzero((export_idx < cal.last) & ~model["same_day"].to_numpy())
    corrected = _choose(rng, eligible, 0.012)
    revoked = _choose(rng, np.setdiff1d(eligible, corrected), 0.015)

    # Originals of corrected certificates carry a wrong level or region.
    shown_rank, shown_unit, shown_county = rank.copy(), unit.copy(), county.copy()
    by_level = rng.random(len(corrected)) < 0.6
    c_lvl, c_reg = corrected[by_level], corrected[~by_level]
    step = np.where(rng.random(len(c_lvl)) < 0.5, -1, 1)
    r = rank[c_lvl]
    shown_rank[c_lvl] = np.where(r >= 5, r - 1, np.where(r <= 1, r + 1, r + step))
    w = _unit_weights()
    other = rng.choice(len(w), len(c_reg), p=w).astype(np.int16)
    other = np.where(other == unit[c_reg], (other + 1) % len(w), other).astype(np.int16)
    shown_unit[c_reg] = other
    shown_county[c_reg] = _random_county(rng, other)

    def frame(certs, kind, at, rk, un, co, st) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "cert": certs.astype(np.int32),
                "kind": np.full(len(certs), kind, np.int8),
                "export_idx": at.astype(np.int16),
                "rank": rk.astype(np.int8),
                "unit": un.astype(np.int16),
                "county": co.astype(np.int32),
                "status": np.broadcast_to(st, len(certs)).astype(np.int8),
            }
        )

    def change(certs, kind, at, st) -> pl.DataFrame:
        return frame(certs, kind, at, rank[certs], unit[certs], county[certs], st)

    corr_at = _later(rng, export_idx[corrected], cal.last)
    rev_at = _later(rng, export_idx[revoked], cal.last)
    rev_status = np.where(rng.random(len(revoked)) < 0.5, REVOKED, CANCELLED)
    back = np.flatnonzero((rev_at < cal.last) & (rng.random(len(revoked)) < 0.08))
    back_at = _later(rng, rev_at[back].astype(np.int64), cal.last)
    rows = pl.concat(
        [
            frame(np.arange(n), CHANGE_ORIGINAL, export_idx, shown_rank, shown_unit, shown_county, VALID),
            change(corrected, CHANGE_CORRECTION, corr_at, VALID),
            change(revoked, CHANGE_REVOCATION, rev_at, rev_status),
            change(revoked[back], CHANGE_REINSTATEMENT, back_at, VALID),
        ]
    )
    final_status = np.full(n, VALID, np.int8)
    final_status[revoked] = rev_status
    final_status[revoked[back]] = VALID
    final = pl.DataFrame(
        {"rank": rank.astype(np.int8), "unit": unit.astype(np.int16), "status": STATUSES.gather(final_status)}
    )
    return rows, final


def _quarter_label(export_day: int, era: str) -> str:
    y, m, _ = ymd(np.array([export_day]))
    y, m = int(y[0]), int(m[0])
    return f"{y}{m:02d}" if era == "C" else f"{y}Q{(m - 1) // 3 + 1}"


def _file_name(cal: Calendar, idx: int, group: int, part: int, parts: int, ext: str) -> str:
    u = ref.units()
    era = cal.era[idx]
    label = _quarter_label(int(cal.days[idx]), era)
    suffix = f"_{part + 1}" if parts > 1 else ""
    if era == "A":
        return f"全区职业技能等级证书发放名册_{label}{suffix}.{ext}"
    if era == "C":
        return f"certifications_650000_{label}{suffix}.{ext}"
    if group == GROUP_CITIES:
        return f"自治区直辖县级市_{label}{suffix}.{ext}"
    # Prefecture offices name their files differently: by name or by code.
    if group % 3 == 0:
        return f"{u.code[group]}_{label}{suffix}.{ext}"
    return f"{u.name[group]}_{label}年度证书发放{suffix}.{ext}"


@dataclass
class _DataFile:
    export_idx: int
    group: int
    rows: np.ndarray  # indices into the regular row frame
    part: int
    parts: int
    xlsx: bool = False


def _split_into_files(model: pl.DataFrame, rows: pl.DataFrame, cal: Calendar) -> list[_DataFile]:
    """Regular rows grouped by (export, group), ordered, and split into parts of at most CSV_MAX_ROWS."""
    issue = model["issue"].to_numpy()
    cert = rows["cert"].to_numpy()
    export_idx = rows["export_idx"].to_numpy()
    group = _group(cal, export_idx, model["unit"].to_numpy()[cert])
    is_change = rows["kind"].to_numpy() != CHANGE_ORIGINAL
    order = np.lexsort((cert, issue[cert], is_change, group, export_idx))
    key = export_idx[order].astype(np.int64) * 1000 + group[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(order)]
    files = []
    for s, e in zip(starts, ends):
        chunks = np.array_split(order[s:e], -(-(e - s) // CSV_MAX_ROWS))
        for part, chunk in enumerate(chunks):
            files.append(_DataFile(int(export_idx[order[s]]), int(group[order[s]]), chunk, part, len(chunks)))
    return files


def _choose_xlsx(files: list[_DataFile], rng: np.random.Generator) -> None:
    u = ref.units()
    xlsx_units = {u.code.index(c) for c in XLSX_UNITS}
    small = np.array([len(f.rows) <= XLSX_MAX_ROWS for f in files])
    p = np.array([0.6 if f.group in xlsx_units else 0.04 for f in files])
    is_xlsx = small & (rng.random(len(files)) < p)
    want = min(6, int(small.sum()) // 5)
    if is_xlsx.sum() < want:  # small landings: make sure every xlsx style can occur
        is_xlsx[rng.choice(np.flatnonzero(small & ~is_xlsx), want - is_xlsx.sum(), replace=False)] = True
    for f, x in zip(files, is_xlsx):
        f.xlsx = bool(x)


def _choose_duplicates(
    files: list[_DataFile], rows: pl.DataFrame, cal: Calendar, rng: np.random.Generator
) -> dict[int, int]:
    """{data file: export index of its byte-for-byte copy}. At least one copy lands after a later
    export changed (corrected or revoked) one of the original's certificates."""
    n_dup = max(2, round(0.03 * len(files))) if len(files) >= 5 else 0
    if not n_dup:
        return {}
    cert, kind, export_idx = (rows[c].to_numpy() for c in ("cert", "kind", "export_idx"))
    changed = kind != CHANGE_ORIGINAL
    latest_change = np.full(int(cert.max()) + 1, -1, np.int64)
    np.maximum.at(latest_change, cert[changed], export_idx[changed])
    change_at = {}
    for i, f in enumerate(files):
        lc = latest_change[cert[f.rows]].max(initial=-1)
        if f.export_idx < lc < cal.last:
            change_at[i] = int(lc)
    chosen = [int(i) for i in rng.choice(len(files), n_dup, replace=False)]
    dup_at = {}
    if change_at:
        pick = sorted(change_at)[int(rng.integers(len(change_at)))]
        chosen = [pick] + [i for i in chosen if i != pick][: n_dup - 1]
        dup_at[pick] = change_at[pick] + 1
    for i in chosen:
        if i not in dup_at:
            later = rng.random() < 0.5 and files[i].export_idx < cal.last
            dup_at[i] = (
                min(cal.last, files[i].export_idx + int(rng.integers(1, 4))) if later else files[i].export_idx
            )
    return dup_at


@dataclass
class _Extras:
    """Certificates that are not in the model: bad rows (in loaded data files) and the rejected file."""

    certs: pl.DataFrame  # model columns
    rows: pl.DataFrame  # row columns (cert numbered from the model's end)
    file: np.ndarray  # data file index of each bad row
    kind: np.ndarray  # defect kind of each bad row
    blank: np.ndarray  # the blanked column of each bad row with kind "blank" (else None)
    rejected_export: int
    rejected_unit: int


def _extras(
    people: People,
    files: list[_DataFile],
    dup_at: dict[int, int],
    n_regular: int,
    n_model: int,
    cal: Calendar,
    orgs: Organisations,
    rng: np.random.Generator,
) -> _Extras:
    u = ref.units()
    n_bad = round(BAD_SHARE / (1 - BAD_SHARE) * n_regular)
    eligible = np.array([i for i in range(len(files)) if i not in dup_at])
    sizes = np.array([len(files[i].rows) for i in eligible])
    bad_file = np.sort(rng.choice(eligible, n_bad, p=sizes / sizes.sum())) if n_bad else np.array([], int)
    kind = np.array(
        mess.cover(rng, n_bad, tuple(k for k, _ in DEFECTS), tuple(s for _, s in DEFECTS)), dtype=object
    )
    blank = np.full(n_bad, None, dtype=object)
    blank[kind == "blank"] = mess.cover(rng, int((kind == "blank").sum()), BLANKABLE)

    b_idx = np.flatnonzero(cal.era == "B")
    rej_export = int(b_idx[len(b_idx) // 2]) if len(b_idx) else cal.last
    prefectures = [i for i in range(len(u)) if not u.is_city[i]]
    rej_unit = int(prefectures[rng.integers(len(prefectures))])
    n_rej = int(np.clip(round(0.002 * n_regular), 5, 400))

    export_idx = np.r_[[files[i].export_idx for i in bad_file], np.full(n_rej, rej_export)].astype(np.int64)
    group = np.r_[[files[i].group for i in bad_file], np.full(n_rej, rej_unit)].astype(np.int64)
    n = len(export_idx)
    period = np.where(cal.era[export_idx] == "C", 30, 91)
    issue = _weekday_shift(np.maximum(START, cal.days[export_idx] - rng.integers(0, period)))
    city = np.flatnonzero(np.array(u.is_city))
    w = _unit_weights()
    unit = np.where(
        group >= 0, group, np.where(group == GROUP_CITIES, rng.choice(city, n), rng.choice(len(w), n, p=w))
    ).astype(np.int16)
    codes, _ = ref.occupations()
    certs = pl.DataFrame(
        {
            "person": rng.integers(0, people.n, n).astype(np.int32),
            "issue": issue.astype(np.int32),
            "unit": unit,
            "rank": rng.choice(6, n, p=[0.03, 0.45, 0.3, 0.15, 0.05, 0.02]).astype(np.int8),
            "occupation": rng.integers(0, len(codes), n).astype(np.int16),
            "same_day": np.zeros(n, bool),
            "county": _random_county(rng, unit).astype(np.int32),
            "assessor": orgs.assessor(rng, unit),
            "employer": orgs.employer(rng, unit),
        }
    )
    rows = pl.DataFrame(
        {
            "cert": np.arange(n_model, n_model + n, dtype=np.int32),
            "kind": np.r_[np.full(n_bad, BAD), np.full(n_rej, ORPHAN)].astype(np.int8),
            "export_idx": export_idx.astype(np.int16),
            "rank": certs["rank"],
            "unit": unit,
            "county": certs["county"],
            "status": np.full(n, VALID, np.int8),
        }
    )
    return _Extras(certs, rows, bad_file, kind, blank, rej_export, rej_unit)


def _landed_files(
    files: list[_DataFile], dup_at: dict[int, int], extras: _Extras, cal: Calendar, rng: np.random.Generator
) -> tuple[list[LandedFile], np.ndarray]:
    """LandedFile objects (data files first, in `files` order) and, per row (regular rows, then bad rows,
    then the rejected file's rows), the index of its LandedFile."""
    u = ref.units()
    n_regular = sum(len(f.rows) for f in files)
    landed: list[LandedFile] = []
    where = np.empty(n_regular + extras.rows.height, np.int64)
    for i, f in enumerate(files):
        ext = "xlsx" if f.xlsx else "csv"
        lf = LandedFile(
            SOURCE,
            int(cal.days[f.export_idx]),
            _file_name(cal, f.export_idx, f.group, f.part, f.parts, ext),
            ext,
            LOADED,
        )
        lf.title, lf.info = _titles(cal, f.export_idx, f.group)
        where[f.rows] = i
        landed.append(lf)
    n_bad = len(extras.file)
    where[n_regular : n_regular + n_bad] = extras.file
    day_, unit = int(cal.days[extras.rejected_export]), extras.rejected_unit
    landed.append(
        LandedFile(
            SOURCE,
            day_,
            f"补报_{u.name[unit]}_{_quarter_label(day_, 'B')}.csv",
            "csv",
            REJECTED,
            missing_column=REJECTED_COLUMN,
        )
    )
    where[n_regular + n_bad :] = len(landed) - 1
    for i, at in sorted(dup_at.items()):
        orig = landed[i]
        stem, ext = orig.name.rsplit(".", 1)
        if at == files[i].export_idx:
            name = f"{stem}_重发.{ext}"  # sorts after the original
        else:
            name = orig.name if rng.random() < 0.5 else f"重发_{orig.name}"
        landed.append(LandedFile(SOURCE, int(cal.days[at]), name, ext, DUPLICATE, copy_of=orig.source_file))
    b_idx = np.flatnonzero(cal.era == "B")
    note_day = int(cal.days[b_idx[len(b_idx) // 3]]) if len(b_idx) else int(cal.days[0])
    landed.append(
        LandedFile(
            SOURCE,
            note_day,
            "说明.txt",
            "txt",
            SKIPPED,
            text="本目录为各地州市报送的职业技能等级证书发放数据。如对数据有疑问，请联系自治区职业技能鉴定中心。\n",
        )
    )
    return landed, where


def build(people: People, rng: np.random.Generator) -> tuple[SourceLanding, pl.DataFrame]:
    """The certifications landing, and the truth input: one row per model certificate with its final
    values (person, issue, unit, rank, status)."""
    cal = export_calendar()
    orgs = make_organisations(rng)
    model = build_model(people, rng, orgs)
    rows, final = plan_rows(model, cal, rng)
    files = _split_into_files(model, rows, cal)
    _choose_xlsx(files, rng)
    dup_at = _choose_duplicates(files, rows, cal, rng)
    extras = _extras(people, files, dup_at, rows.height, model.height, cal, orgs, rng)
    certs = pl.concat([model, extras.certs])
    certs = certs.with_columns(certificate_no=number_certificates(certs, orgs, rng))
    landed, where = _landed_files(files, dup_at, extras, cal, rng)

    # Styles: a file carrying 撤销/注销 keeps its status column.
    all_rows = pl.concat([rows, extras.rows])
    status = all_rows["status"].to_numpy()
    with_change = set(np.unique(where[status != VALID]).tolist())
    styled = [i for i, f in enumerate(landed) if f.status in (LOADED, REJECTED)]
    keep = [frozenset({"status"}) if i in with_change else frozenset() for i in styled]
    for i, style in zip(styled, mess.draw_styles(rng, [landed[i].fmt for i in styled], COLUMNS, keep)):
        landed[i].style = style

    # Apply order, then each row's file and spreadsheet row number.
    position = {id(f): i for i, f in enumerate(landed)}
    ordered = finalise(landed)
    file_id = np.empty(len(ordered), np.int64)
    for f in ordered:
        file_id[position[id(f)]] = f.file_id
    header_row = np.array([f.style.header_row if f.style else 0 for f in ordered], dtype=np.int64)
    all_rows = _attach(all_rows.with_columns(file_id=pl.Series(file_id[where])), certs, people, orgs, rng)
    all_rows = all_rows.with_columns(
        is_change=pl.col("kind").is_in([CHANGE_CORRECTION, CHANGE_REVOCATION, CHANGE_REINSTATEMENT])
    )
    all_rows = all_rows.sort("file_id", "is_change", "issue_date", "certificate_no")
    pos = all_rows.select(pl.int_range(pl.len()).over("file_id")).to_series().to_numpy()
    all_rows = all_rows.with_columns(
        row_number=pl.Series(header_row[all_rows["file_id"].to_numpy()] + 1 + pos)
    )
    all_rows = _with_defects(all_rows, extras, model.height, rng)

    truth = pl.DataFrame(
        {
            "person": model["person"],
            "issue": model["issue"],
            "unit": final["unit"],
            "rank": final["rank"],
            "status": final["status"],
        }
    )
    return SourceLanding(SOURCE, COLUMNS, ordered, all_rows), truth


def _with_defects(
    rows: pl.DataFrame, extras: _Extras, n_model: int, rng: np.random.Generator
) -> pl.DataFrame:
    """defect_alias / defect_value / defect_kind columns: set on bad rows only."""
    bad_pos = np.flatnonzero(rows["kind"].to_numpy() == BAD)
    k = rows["cert"].to_numpy()[bad_pos] - n_model
    alias, value = _defects(extras.kind[k], extras.blank[k], rows["id_number"].gather(bad_pos), rng)
    out = {}
    for name, values in (("defect_alias", alias), ("defect_value", value), ("defect_kind", extras.kind[k])):
        column = pl.repeat(None, rows.height, dtype=pl.Utf8, eager=True).alias(name)
        out[name] = (
            column.scatter(bad_pos, pl.Series(list(values), dtype=pl.Utf8)) if len(bad_pos) else column
        )
    return rows.with_columns(**out)


def _titles(cal: Calendar, idx: int, group: int) -> tuple[str, str]:
    year = int(ymd(np.array([cal.days[idx]]))[0][0])
    where = {GROUP_REGION: "新疆维吾尔自治区", GROUP_CITIES: "自治区直辖县级市"}.get(group)
    where = where or ref.units().name[group]
    return (
        f"{where}{year}年职业技能等级证书发放名册",
        f"导出日期：{iso(int(cal.days[idx]))}    单位：{where}人力资源和社会保障局",
    )


def number_certificates(certs: pl.DataFrame, orgs: Organisations, rng: np.random.Generator) -> pl.Series:
    """证书编号: current format (Y/S + unit code + year + assessor + level digit + serial, 22 characters)
    for most certificates of levels 1-5, older formats otherwise. Unique by construction."""
    u = ref.units()
    n = certs.height
    issue = certs["issue"].to_numpy()
    rank = certs["rank"].to_numpy().astype(np.int64)
    unit = certs["unit"].to_numpy()
    assessor = certs["assessor"].to_numpy().astype(np.int64)
    year = ymd(issue)[0]
    current = np.where(issue >= CURRENT_FORMAT_FROM, rng.random(n) < 0.97, rng.random(n) < 0.35)
    current &= (rank >= 1) & (rank <= 5)
    level_digit = np.where((rank >= 1) & (rank <= 5), 6 - rank, np.where(rank == 0, 0, 9))
    # A few current numbers disagree with the level (a data-quality warning, not a rejection).
    odd = current & (rng.random(n) < 0.003)
    level_digit = np.where(odd, np.where(level_digit == 5, 4, level_digit + 1), level_digit)
    unit_code = np.array([int(c) for c in u.code], dtype=np.int64)[unit]

    # Serial within (unit, year, assessor, level digit), in certificate order.
    grp = ((unit_code * 10000 + year) * 100000 + assessor) * 10 + level_digit
    grp = np.where(current, grp, -1)
    order = np.lexsort((np.arange(n), grp))
    g = grp[order]
    first = np.r_[True, g[1:] != g[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    serial = np.empty(n, np.int64)
    serial[order] = np.arange(n) - start + 1
    if serial[current].max(initial=0) > 99999:
        raise ValueError("certificate serials overflow five digits")
    counter = np.cumsum(~current)  # old formats: a running counter
    enterprise = (orgs.assessor_type == "企业自主评价").to_numpy()
    letter = np.where(enterprise[assessor], "Y", "S")
    old_a = rng.random(n) < 0.5
    s = lambda a: pl.Series(a.astype(np.int64)).cast(pl.Utf8)
    frame = pl.DataFrame(
        {
            "current": current,
            "old_a": old_a,
            "letter": letter,
            "unit": s(unit_code),
            "year": s(year),
            "yy": s(year % 100).str.zfill(2),
            "u2": s(unit_code // 100 % 100).str.zfill(2),
            "assessor": s(assessor + 1).str.zfill(5),
            "level": s(level_digit),
            "serial": s(serial).str.zfill(5),
            "c9": s(counter).str.zfill(9),
            "c8": s(counter).str.zfill(8),
        }
    )
    c = pl.col
    number = (
        pl.when(c.current)
        .then(pl.concat_str(c.letter, c.unit, c.year, c.assessor, c.level, c.serial))
        .when(c.old_a)
        .then(pl.concat_str(c.yy, pl.lit("65"), c.u2, c.level, c.c9))
        .otherwise(pl.concat_str(pl.lit("XJ"), c.year, c.u2, c.c8))
    )
    out = frame.select(number.alias("certificate_no")).to_series()
    if out.n_unique() != n:
        raise ValueError("certificate numbers are not unique")
    return out


def _attach(
    rows: pl.DataFrame, certs: pl.DataFrame, people: People, orgs: Organisations, rng: np.random.Generator
) -> pl.DataFrame:
    """The clean typed columns of every landed row."""
    cert = rows["cert"].to_numpy()
    n = len(cert)
    person = certs["person"].to_numpy()[cert]
    codes, names = ref.occupations()
    occ = certs["occupation"].to_numpy()[cert]
    assessor = certs["assessor"].to_numpy()[cert]
    employer = certs["employer"].to_numpy()[cert]
    blank_code = rng.random(n) < 0.08
    bad_code = ~blank_code & (rng.random(n) < 0.005)  # present but not D-DD-DD-DD: a DQ warning only
    code = pl.Series(codes).gather(occ)
    c = pl.col
    return rows.with_columns(
        certificate_no=certs["certificate_no"].gather(cert),
        name=people.name.gather(person),
        id_number=people.id_number.gather(person),
        gender=pl.Series(np.where(people.male[person], "男", "女")),
        occupation_code=pl.when(pl.Series(blank_code))
        .then(None)
        .when(pl.Series(bad_code))
        .then(code.str.replace_all("-", "", literal=True))
        .otherwise(code),
        occupation_name=pl.Series(names).gather(occ),
        skill_level=c("rank"),
        issue_date=pl.Series(certs["issue"].to_numpy()[cert]).cast(pl.Date),
        assessor_name=orgs.assessor_name.gather(assessor),
        assessor_type=orgs.assessor_type.gather(assessor),
        region=c("unit"),
        region_county=c("county").cast(pl.Utf8),
        employer=pl.when(pl.Series(employer >= 0)).then(orgs.employer_name.gather(np.maximum(employer, 0))),
        employer_type=pl.when(pl.Series(employer >= 0)).then(
            orgs.employer_type.gather(np.maximum(employer, 0))
        ),
        status=STATUSES.gather(rows["status"].to_numpy()),
    )


def _defects(
    kinds: np.ndarray, blank_of: np.ndarray, ids: pl.Series, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(alias, written value) of each bad row's one defect."""
    n = len(kinds)
    alias = np.empty(n, dtype=object)
    value = np.full(n, None, dtype=object)

    def pick(pool: tuple[str, ...], k: int) -> np.ndarray:
        return np.array(pool, dtype=object)[rng.integers(0, len(pool), k)]

    ck = kinds == "check_digit"
    alias[ck] = "id_number"
    chars = "0123456789X"
    good = ids.filter(pl.Series(ck)).str.slice(17).replace_strict(list(chars), list(range(11))).to_numpy()
    wrong = (good + rng.integers(1, 11, len(good))) % 11  # any check character but the right one
    value[ck] = (ids.filter(pl.Series(ck)).str.slice(0, 17) + pl.Series(list(chars)).gather(wrong)).to_list()
    bl = kinds == "blank"
    alias[bl] = blank_of[bl]
    value[bl] = np.where(rng.random(bl.sum()) < 0.2, "  ", None)
    for kind, column, pool in (
        ("level", "skill_level", ref.UNRECOGNISED_LEVELS),
        ("date", "issue_date", ref.INVALID_DATES),
        ("region", "region", ref.UNRECOGNISED_REGIONS),
    ):
        mask = kinds == kind
        alias[mask] = column
        value[mask] = pick(pool, mask.sum())
    return alias, value
