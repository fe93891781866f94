"""The carriers source (培养载体名录): the register of training carriers, and the files that land it.

Model (one row per carrier, its final values):

- 150 + 0.0004 per person carriers (at most 3,000): bases 8 %, craftsman colleges 3 %, public training
  bases 6 %, the four kinds of studio 46 %, technical schools 7 %, enterprise training centres 15 %,
  private training institutions 15 %; in a unit drawn by population weight; a tier by type (public
  training bases mostly 地州级, studios mostly 自治区级 or 地州级 ...).
- Established 2008..2026: about 55 % before 2019. Each type has years without any new carrier
  (`GAP_YEARS`: e.g. no craftsman college before 2019 nor in 2021, no 青创先锋工作室 before 2022 nor in
  2024), so CARRIERS-NEW is missed in some years whatever the scale; 2026 is the running year.
- Planned capacity (年培训规模, person-times a year) by type; it is the weight with which trainings
  choose their provider, so craftsman colleges (large) can reach 200 advanced person-times a year at
  region scale. Each carrier has an advanced factor (`adv_factor`) multiplying the chance that a
  training it gives is at 高级工 or above: bases 0.7..1.7 (about half reach 30 %), 地州级 public
  bases 0.15..0.8 (some reach 10 %), colleges 1.6..3.
- Codes ``ZT<unit code><type 2 digits><serial 4 digits>``, unique.

Exports: the register as of 2018 lands on 2019-01-15, then each year's new carriers at the year's end
(2019..2025) and on 2026-06-30, one file per prefecture (the region-administered cities together).
4 % of the carriers first land with a wrong tier, type or establishment year and are corrected (same
机构编码) in a later export; 3 % are re-listed later with a higher tier (an upgrade; final = the upgrade).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import exports, mess
from . import reference as ref
from .certifications import GROUP_CITIES, _random_county, _unit_weights
from .landing import SourceLanding
from .people import People, day

SOURCE = "carriers"

COLUMNS: tuple[mess.Column, ...] = (
    mess.Column("carrier_code", ("机构编码",), True, "code"),
    mess.Column("carrier_name", ("机构名称",), True, "text"),
    mess.Column("carrier_type", ("载体类型",), True, "text"),
    mess.Column("carrier_tier", ("级别",), True, "text"),
    mess.Column("region", ("所在地区",), True, "region"),
    mess.Column("established_year", ("设立年份",), True, "year"),
    mess.Column("planned_capacity", ("年培训规模(人次)",), False, "integer", 0.10),
)

TYPE_SHARE = (0.08, 0.03, 0.06, 0.20, 0.10, 0.12, 0.04, 0.07, 0.15, 0.15)
# type -> (tier shares 国家级/自治区级/地州级/县级, capacity range)
TYPE_FACTS = {
    "高技能人才培训基地": ((0.15, 0.60, 0.25, 0.0), (800, 5000)),
    "工匠学院": ((0.0, 0.5, 0.5, 0.0), (2500, 12000)),
    "公共实训基地": ((0.0, 0.2, 0.6, 0.2), (1000, 8000)),
    "技能大师工作室": ((0.10, 0.40, 0.50, 0.0), (30, 300)),
    "劳模和工匠人才创新工作室": ((0.05, 0.45, 0.50, 0.0), (30, 200)),
    "职工创新工作室": ((0.0, 0.30, 0.50, 0.20), (30, 200)),
    "青创先锋工作室": ((0.0, 0.40, 0.60, 0.0), (20, 150)),
    "技工院校": ((0.05, 0.35, 0.60, 0.0), (2000, 10000)),
    "企业培训中心": ((0.0, 0.20, 0.50, 0.30), (200, 2000)),
    "民办职业培训机构": ((0.0, 0.10, 0.50, 0.40), (300, 3000)),
}
GAP_YEARS = {
    "高技能人才培训基地": {2023},
    "工匠学院": set(range(2008, 2019)) | {2021},
    "技能大师工作室": {2020},
    "劳模和工匠人才创新工作室": {2020, 2025},
    "职工创新工作室": {2022},
    "青创先锋工作室": set(range(2008, 2022)) | {2024},
}
YEARS = np.arange(2008, 2027)
TYPE_SUFFIX = {
    "高技能人才培训基地": "高技能人才培训基地",
    "工匠学院": "工匠学院",
    "公共实训基地": "公共实训基地",
    "技能大师工作室": "技能大师工作室",
    "劳模和工匠人才创新工作室": "劳模和工匠人才创新工作室",
    "职工创新工作室": "职工创新工作室",
    "青创先锋工作室": "青创先锋工作室",
    "技工院校": "技工学校",
    "企业培训中心": "企业培训中心",
    "民办职业培训机构": "职业技能培训学校",
}
FIRST_EXPORT = day("2019-01-15")

INVALID = {
    "type": ("carrier_type", ("培训基地", "技能大师室", "实训中心")),
    "tier": ("carrier_tier", ("省级", "市级", "国家")),
    "year": ("established_year", ("二〇二一", "21年", "2O20", "20191")),
    "region": ("region", ref.UNRECOGNISED_REGIONS),
}


@dataclass(frozen=True)
class Carriers:
    """The register's final values, index-aligned (index = carrier number)."""

    code: pl.Series
    name: pl.Series
    type: np.ndarray  # int8 index into ref.CARRIER_TYPES
    tier: np.ndarray  # int8 index into ref.CARRIER_TIERS
    unit: np.ndarray  # int16
    established: np.ndarray  # int16 year
    capacity: np.ndarray  # int32
    adv_factor: np.ndarray  # float

    def __len__(self) -> int:
        return len(self.unit)


def make_carriers(people: People, rng: np.random.Generator) -> Carriers:
    u = ref.units()
    n = int(np.clip(round(150 + 0.0004 * people.n), 150, 3000))
    kind = rng.choice(len(ref.CARRIER_TYPES), n, p=np.array(TYPE_SHARE) / sum(TYPE_SHARE)).astype(np.int8)
    unit = rng.choice(len(u), n, p=_unit_weights()).astype(np.int16)
    tier = np.empty(n, np.int8)
    capacity = np.empty(n, np.int32)
    established = np.empty(n, np.int16)
    adv = np.ones(n)
    # year weights: the old register (before 2019) and a few new ones every year
    base_w = np.where(YEARS < 2019, 0.55 / 11, 0.45 / 7.5) * np.where(YEARS == 2026, 0.5, 1.0)
    for k, t in enumerate(ref.CARRIER_TYPES):
        idx = np.flatnonzero(kind == k)
        shares, (lo, hi) = TYPE_FACTS[t]
        tier[idx] = rng.choice(4, len(idx), p=shares)
        capacity[idx] = np.round(rng.uniform(lo, hi, len(idx)), -1).astype(np.int32)
        w = np.where(np.isin(YEARS, sorted(GAP_YEARS.get(t, ()))), 0.0, base_w)
        established[idx] = rng.choice(YEARS, len(idx), p=w / w.sum())
        adv[idx] = {
            "高技能人才培训基地": lambda m: rng.uniform(0.7, 1.7, m),
            "工匠学院": lambda m: rng.uniform(1.6, 3.0, m),
            "公共实训基地": lambda m: rng.uniform(0.15, 0.8, m),
        }.get(t, lambda m: rng.uniform(0.6, 1.4, m))(len(idx))
    # every compliance type exists (small landings): one base, college and 地州级 public base at least
    for k, t in enumerate(ref.CARRIER_TYPES[:3]):
        if not (kind == k).any():
            i = int(rng.integers(n))
            kind[i], capacity[i], adv[i] = k, TYPE_FACTS[t][1][1], 1.0
            established[i] = 2019
    public = kind == 2
    if not (tier[public] == 2).any():
        tier[np.flatnonzero(public)[0]] = 2
    unit_code = np.array([int(c) for c in u.code], dtype=np.int64)[unit]
    order = np.lexsort((np.arange(n), established, kind, unit))
    serial = np.empty(n, np.int64)
    serial[order] = np.arange(n)
    code = pl.Series(
        [f"ZT{c}{k:02d}{s:04d}" for c, k, s in zip(unit_code, kind + 1, serial % 10000)]
    )
    if code.n_unique() != n:
        raise ValueError("carrier codes are not unique")
    brands = np.array(ref.BRAND_WORDS)[rng.integers(0, len(ref.BRAND_WORDS), n)]
    short = np.array(u.short)[unit]
    suffix = np.array([TYPE_SUFFIX[t] for t in ref.CARRIER_TYPES])[kind]
    name = pl.Series([f"{s}{b}{x}" for s, b, x in zip(short, brands, suffix)])
    return Carriers(code, name, kind, tier, unit, established, capacity, adv)


def _group(unit: np.ndarray) -> np.ndarray:
    is_city = np.array(ref.units().is_city)
    return np.where(is_city[unit], GROUP_CITIES, unit).astype(np.int32)


def _export_day(year: np.ndarray) -> np.ndarray:
    from .people import from_ymd

    y = np.asarray(year, dtype=np.int64)
    year_end = from_ymd(y, np.full(len(y), 12), np.full(len(y), 31))
    return np.where(y <= 2018, FIRST_EXPORT, np.minimum(year_end, exports.LAST_EXPORT)).astype(np.int32)


def build(people: People, rng: np.random.Generator) -> tuple[SourceLanding, Carriers]:
    c = make_carriers(people, rng)
    n = len(c)
    first_day = _export_day(c.established)
    days = np.unique(_export_day(np.arange(2018, 2027)))

    eligible = np.flatnonzero(first_day < exports.LAST_EXPORT)
    changed = rng.choice(eligible, min(len(eligible), round(0.07 * n)), replace=False)
    corrected, upgraded = changed[: round(len(changed) * 4 / 7)], changed[round(len(changed) * 4 / 7) :]
    shown_type, shown_tier, shown_year = c.type.copy(), c.tier.copy(), c.established.copy()
    final_tier = c.tier.copy()
    what = rng.integers(0, 3, len(corrected))
    t = corrected[what == 0]
    shown_tier[t] = np.where(c.tier[t] == 2, 1, 2)
    t = corrected[what == 1]
    # a wrong type within the same family (a studio for another studio, a school for a centre ...)
    shown_type[t] = np.where(c.type[t] == 0, 8, np.where(c.type[t] == 1, 7, np.where(c.type[t] == 3, 4, 0)))
    t = corrected[what == 2]
    shown_year[t] = c.established[t] - 1
    # upgrades: the first listing carries the lower tier, the later one the higher (final)
    up = upgraded[c.tier[upgraded] <= 2]
    shown_tier[up] = np.minimum(c.tier[up] + 1, 3)
    final = {"type": c.type, "tier": final_tier, "established": c.established}

    def at_later(i: np.ndarray) -> np.ndarray:
        k = np.searchsorted(days, first_day[i], side="right")
        return days[np.minimum(k + rng.integers(0, 2, len(i)), len(days) - 1)]

    fixed = np.r_[corrected, up]

    def frame(idx, export_day, kind, tier, year, is_change):
        unit = c.unit[idx]
        return pl.DataFrame(
            {
                "carrier_code": c.code.gather(idx),
                "carrier_name": c.name.gather(idx),
                "carrier_type": pl.Series(ref.CARRIER_TYPES).gather(kind[idx]),
                "carrier_tier": pl.Series(ref.CARRIER_TIERS).gather(tier[idx]),
                "region": pl.Series(unit, dtype=pl.Int16),
                "region_county": pl.Series(_random_county(rng, unit).astype(np.int32)).cast(pl.Utf8),
                "established_year": pl.Series(year[idx].astype(np.int64)),
                "planned_capacity": pl.Series(c.capacity[idx].astype(np.int64)),
                "export_day": pl.Series(export_day.astype(np.int32)),
                "group": pl.Series(_group(unit)),
                "is_change": pl.Series(np.full(len(idx), is_change)),
                "order": pl.Series(idx.astype(np.int64)),
            }
        )

    everyone = np.arange(n)
    records = pl.concat(
        [
            frame(everyone, first_day, shown_type, shown_tier, shown_year, False),
            frame(fixed, at_later(fixed), final["type"], final["tier"], final["established"], True),
        ]
    )

    def fresh(rng_: np.random.Generator, export_day: np.ndarray, group: np.ndarray) -> pl.DataFrame:
        m = len(export_day)
        unit = np.where(group >= 0, group, rng_.choice(np.flatnonzero(ref.units().is_city), m)).astype(np.int16)
        kind = rng_.integers(0, len(ref.CARRIER_TYPES), m)
        return pl.DataFrame(
            {
                "carrier_code": [f"ZX{int(ref.units().code[u])}{i:06d}" for i, u in enumerate(unit)],
                "carrier_name": [f"{ref.units().short[u]}新设培训机构{i + 1}" for i, u in enumerate(unit)],
                "carrier_type": pl.Series(ref.CARRIER_TYPES).gather(kind),
                "carrier_tier": pl.Series(ref.CARRIER_TIERS).gather(rng_.integers(1, 4, m)),
                "region": pl.Series(unit, dtype=pl.Int16),
                "region_county": pl.Series(_random_county(rng_, unit).astype(np.int32)).cast(pl.Utf8),
                "established_year": pl.Series(np.minimum(2026, 1970 + export_day // 365).astype(np.int64)),
                "planned_capacity": pl.Series(rng_.integers(5, 300, m).astype(np.int64) * 10),
            }
        )

    u = ref.units()

    def where(group: int) -> str:
        return "自治区直辖县级市" if group == GROUP_CITIES else u.name[group]

    def file_name(export_day: int, group: int, ext: str) -> str:
        y = exports.label(export_day)[:4]
        if export_day == FIRST_EXPORT:
            return f"{where(group)}_培养载体名录_截至2018年底.{ext}"
        return f"{where(group)}_{y}年新增培养载体.{ext}" if group % 2 else f"carriers_{y}_{where(group)}.{ext}"

    spec = exports.Spec(
        source=SOURCE,
        columns=COLUMNS,
        defects=(("blank", 0.35), ("type", 0.2), ("tier", 0.15), ("year", 0.15), ("region", 0.15)),
        blankable=("carrier_code", "carrier_name", "carrier_type", "carrier_tier", "region", "established_year"),
        invalid=INVALID,
        rejected_column="carrier_type",
        file_name=file_name,
        titles=lambda d, g: (
            f"{where(g)}{exports.label(d)[:4]}年培养载体名录",
            f"导出日期：{exports.iso(d)}    单位：{where(g)}人力资源和社会保障局",
        ),
        rejected_name=lambda d, g: f"补报_{where(g)}_培养载体_{exports.label(d)}.csv",
        note="本目录为各地州市报送的高技能人才培养载体名录（培训基地、工匠学院、技能大师工作室等）。\n",
        xlsx_share=0.3,
    )
    return exports.assemble(spec, records, fresh, rng), c

