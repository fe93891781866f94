"""The honours source (荣誉与称号): honours and titles granted to persons, and the files that land them.

Model (one row per honour, year and person; final values):

- About 0.0003 honours per person (60..600) over 2019..2026: 天山技术能手 and 自治区级技能大师工作室领办人
  every year, 国家级技能大师工作室领办人 every year, 全国技术能手, 中华技能大奖 and 国务院政府特殊津贴 in
  odd years; in 2026 only the two region honours (granted in April).
- Recipients are persons aged 25..60 in the year, drawn with a weight steeply growing with the highest
  level they hold; 40 % of the 全国技术能手 and 天山技术能手 of a year are that year's national or region
  competition medallists (so one person may qualify twice in a year: one entitlement).
- Region: the recipient's unit on 1 July of the year (as for competitions).

Exports: one file per honour and year (November 30th; 2026: April 30th); 4 % of the rows first land with
a wrong region and are corrected (same honour, year and ID number) in a later file of the honour.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import exports, mess
from . import reference as ref
from .certifications import _random_county
from .landing import SourceLanding
from .people import People, age_on, from_ymd

SOURCE = "honours"

COLUMNS: tuple[mess.Column, ...] = (
    mess.Column("honour", ("荣誉类型",), True, "text"),
    mess.Column("year", ("授予年度",), True, "year"),
    mess.Column("name", ("姓名",), True, "text"),
    mess.Column("id_number", ("公民身份号码", "身份证号"), True, "id"),
    mess.Column("region", ("所在地区",), True, "region"),
)

# honour -> (share of the honours, years granted)
ODD = (2019, 2021, 2023, 2025)
GRANTS = {
    "中华技能大奖": (0.03, ODD),
    "全国技术能手": (0.15, ODD),
    "国务院政府特殊津贴": (0.07, ODD),
    "国家级技能大师工作室领办人": (0.10, tuple(range(2019, 2026))),
    "自治区级技能大师工作室领办人": (0.25, tuple(range(2019, 2027))),
    "天山技术能手": (0.40, tuple(range(2019, 2027))),
}
RANK_WEIGHT = np.array([0.05, 0.1, 0.3, 1.0, 4.0, 8.0, 10.0, 10.0])
FROM_MEDALLISTS = {"全国技术能手": ("国家级一类", "国家级二类", "世界技能大赛"), "天山技术能手": ("自治区级一类",)}

INVALID = {
    "honour": ("honour", ("全国技术能手提名", "天山英才", "技术能手")),
    "year": ("year", ("二〇二一", "21年", "2O22")),
    "region": ("region", ref.UNRECOGNISED_REGIONS),
}


def build(
    people: People, certificates: pl.DataFrame, results: pl.DataFrame, rng: np.random.Generator
) -> tuple[SourceLanding, pl.DataFrame]:
    """The honours landing and the truth (person, honour, year, unit). `results`: the competition truth."""
    u = ref.units()
    total = int(np.clip(round(0.0003 * people.n), 60, 600))
    valid = certificates.filter(pl.col("status") == ref.STATUS_VALID)
    top = valid.group_by("person").agg(pl.col("rank").max())
    best = np.full(people.n, -1)
    best[top["person"].to_numpy()] = top["rank"].to_numpy()
    w = np.where(best >= 0, RANK_WEIGHT[np.maximum(best, 0)], 0.01)
    w = w / w.sum()
    podium = results.filter(pl.col("award").is_in(list(ref.PODIUM)))

    parts = []
    for h, (share, years) in GRANTS.items():
        for y in years:
            k = max(1, rng.poisson(share * total / len(years)))
            person = rng.choice(people.n, k, p=w)
            if h in FROM_MEDALLISTS:
                pool = podium.filter(pl.col("tier").is_in(FROM_MEDALLISTS[h]) & (pl.col("year") == y))["person"]
                take = rng.random(k) < 0.4
                if len(pool) and take.any():
                    person[take] = pool.to_numpy()[rng.integers(0, len(pool), take.sum())]
            parts.append(pl.DataFrame({"honour": [h] * k, "year": [y] * k, "person": person.astype(np.int32)}))
    frame = pl.concat(parts).with_columns(pl.col("year").cast(pl.Int32)).unique(["honour", "year", "person"], keep="first", maintain_order=True)
    year = frame["year"].to_numpy()
    person = frame["person"].to_numpy()
    july = from_ymd(year, np.full(len(year), 7), np.ones(len(year), np.int64))
    age = age_on(people.birth[person], july)
    frame = frame.filter(pl.Series((age >= 25) & (age <= 60)))
    n = frame.height
    year = frame["year"].to_numpy()
    person = frame["person"].to_numpy()
    july = from_ymd(year, np.full(n, 7), np.ones(n, np.int64))
    unit = people.unit_on(person, july)
    frame = frame.with_columns(unit=pl.Series(unit))
    honour_idx = np.array([ref.HONOURS.index(h) for h in frame["honour"]])
    group = (honour_idx * 100 + (year - 2019)).astype(np.int32)
    export_day = from_ymd(year, np.where(year == 2026, 4, 11), np.where(year == 2026, 30, 30))

    eligible = np.flatnonzero(year <= 2025)
    corrected = np.sort(rng.choice(eligible, round(0.04 * n), replace=False)) if len(eligible) else eligible
    shown_unit = unit.copy()
    shown_unit[corrected] = (unit[corrected] + 1 + rng.integers(0, len(u) - 1, len(corrected))) % len(u)
    fix_day = np.minimum(export_day[corrected] + 61, exports.LAST_EXPORT)
    fix_day = exports.month_end(fix_day)
    county = np.where(people.home_unit[person] == unit, people.county[person], _random_county(rng, unit))

    def rows(idx, day_, un, is_change) -> pl.DataFrame:
        cnty = np.where(un == unit[idx], county[idx], _random_county(rng, un))
        return pl.DataFrame(
            {
                "honour": frame["honour"].gather(idx),
                "year": pl.Series(year[idx].astype(np.int64)),
                "name": people.name.gather(person[idx]),
                "id_number": people.id_number.gather(person[idx]),
                "region": pl.Series(un.astype(np.int16)),
                "region_county": pl.Series(cnty.astype(np.int32)).cast(pl.Utf8),
                "export_day": pl.Series(day_.astype(np.int32)),
                "group": pl.Series(group[idx]),
                "is_change": pl.Series(np.full(len(idx), is_change)),
                "order": pl.Series(idx.astype(np.int64)),
            }
        )

    records = pl.concat(
        [rows(np.arange(n), export_day, shown_unit, False), rows(corrected, fix_day, unit[corrected], True)]
    )

    def fresh(rng_: np.random.Generator, day_: np.ndarray, grp: np.ndarray) -> pl.DataFrame:
        k = len(day_)
        p = rng_.integers(0, people.n, k)
        return pl.DataFrame(
            {
                "honour": pl.Series(ref.HONOURS).gather(grp // 100),
                "year": pl.Series((grp % 100 + 2019).astype(np.int64)),
                "name": people.name.gather(p),
                "id_number": people.id_number.gather(p),
                "region": pl.Series(people.home_unit[p].astype(np.int16)),
                "region_county": pl.Series(people.county[p].astype(np.int32)).cast(pl.Utf8),
            }
        )

    def file_name(d: int, g: int, ext: str) -> str:
        h, y = ref.HONOURS[g // 100], 2019 + g % 100
        if exports.label(d)[:4] != str(y) or (y == 2026 and exports.label(d) != "20260430"):
            return f"{y}年{h}名单_更正_{exports.label(d)}.{ext}"
        return f"{y}年{h}名单.{ext}" if g % 2 else f"honours_{y}_{g // 100 + 1}.{ext}"

    spec = exports.Spec(
        source=SOURCE,
        columns=COLUMNS,
        defects=(("check_digit", 0.3), ("blank", 0.35), ("honour", 0.15), ("year", 0.1), ("region", 0.1)),
        blankable=("honour", "year", "name", "id_number", "region"),
        invalid=INVALID,
        rejected_column="honour",
        file_name=file_name,
        titles=lambda d, g: (
            f"{2019 + g % 100}年{ref.HONOURS[g // 100]}名单",
            f"导出日期：{exports.iso(d)}    单位：新疆维吾尔自治区人力资源和社会保障厅",
        ),
        rejected_name=lambda d, g: f"补报_{ref.HONOURS[g // 100]}_{exports.label(d)}.csv",
        note="技能人才荣誉与称号名单（中华技能大奖、全国技术能手、技能大师工作室领办人等）。\n",
        xlsx_share=0.3,
    )
    truth = frame.select("person", "honour", "year", "unit")
    return exports.assemble(spec, records, fresh, rng), truth
