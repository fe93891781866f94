"""The graduates source (院校毕业生取证): graduates and certified graduates per institution and year.

Model: 100 institutions (职业本科 3, 应用型本科 12, 高职院校 40, 技工院校 20, 中职学校 25) in units drawn
by population weight, each reporting every graduation year from its first (2019 for most; some from
2020..2023) to 2025; graduates 150..6,000 a year, growing; the share certified is the institution's
own level (mostly 0.55..0.9) plus a year effect (`YEAR_EFFECT`), so some institutions and years reach
the 70 % of 措施11 and some do not. The figures do not depend on the persons.

Exports: a year's figures land at its year end (one file per prefecture, the region-administered
cities together); 12 % of institution-years are corrected at the next 30 June (more graduates certified
late, or a recount), landing as a row with the same 院校名称 and 毕业年度 that wins.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import exports, mess
from . import reference as ref
from .certifications import GROUP_CITIES, _random_county, _unit_weights
from .landing import SourceLanding
from .people import from_ymd

SOURCE = "graduates"

COLUMNS: tuple[mess.Column, ...] = (
    mess.Column("institution", ("院校名称",), True, "text"),
    mess.Column("institution_type", ("院校类型",), True, "text"),
    mess.Column("year", ("毕业年度",), True, "year"),
    mess.Column("graduates", ("毕业生人数",), True, "integer"),
    mess.Column("graduates_certified", ("取得职业技能等级证书人数",), True, "integer"),
    mess.Column("region", ("所在地区",), True, "region"),
)

TYPE_COUNTS = (3, 12, 40, 20, 25)
YEARS = tuple(range(2019, 2026))
YEAR_EFFECT = {2019: -0.07, 2020: -0.09, 2021: -0.03, 2022: 0.0, 2023: 0.03, 2024: 0.0, 2025: 0.04}
NAME_PARTS = {
    "职业本科": ("新疆{b}职业技术大学",),
    "应用型本科": ("新疆{b}学院", "{s}{b}学院"),
    "高职院校": ("新疆{b}职业技术学院", "{s}职业技术学院", "{s}{b}职业学院"),
    "技工院校": ("{s}技师学院", "{s}{b}技工学校"),
    "中职学校": ("{s}{b}中等职业技术学校", "{s}第{k}职业高级中学"),
}


def _certified_exceeds(rows: pl.DataFrame, rng: np.random.Generator) -> list[str]:
    """A certified count above the graduates (the contract's row rule)."""
    g = rows["graduates"].to_numpy()
    return [str(int(v)) for v in g + rng.integers(1, 60, len(g))]


INVALID = {
    "exceeds": ("graduates_certified", _certified_exceeds),
    "type": ("institution_type", ("本科院校", "高职", "职业高中")),
    "year": ("year", ("二〇二二", "22届", "2O23")),
    "number": ("graduates", ("约300", "三百二十", "1200人左右")),
    "region": ("region", ref.UNRECOGNISED_REGIONS),
}


def build(rng: np.random.Generator) -> tuple[SourceLanding, pl.DataFrame]:
    """The graduates landing, and the truth: one row per institution and graduation year (final values:
    institution, institution_type, year, unit, graduates, certified)."""
    u = ref.units()
    types = np.repeat(np.arange(5), TYPE_COUNTS)
    m = len(types)
    unit = rng.choice(len(u), m, p=_unit_weights()).astype(np.int16)
    unit[types == 0] = u.code.index("650100")  # the vocational universities are in Urumqi
    names, seen = [], set()
    for i in range(m):
        t = ref.INSTITUTION_TYPES[types[i]]
        for attempt in range(50):
            pattern = NAME_PARTS[t][int(rng.integers(len(NAME_PARTS[t])))]
            name = pattern.format(
                b=ref.BRAND_WORDS[int(rng.integers(len(ref.BRAND_WORDS)))], s=u.short[unit[i]], k="一二三四五"[attempt % 5]
            )
            if name not in seen:
                break
        seen.add(name)
        names.append(name)
    first_year = np.where(rng.random(m) < 0.8, 2019, rng.integers(2020, 2024, m))
    first_year[types == 0] = np.array([2019, 2021, 2022])[: (types == 0).sum()]
    size = rng.uniform(150, 6000, m) * np.where(types <= 1, 0.6, 1.0)
    level = np.clip(rng.normal(0.72, 0.10, m), 0.35, 0.95) - np.where(types >= 3, 0.05, 0.0)

    inst, year = np.meshgrid(np.arange(m), np.array(YEARS), indexing="ij")
    inst, year = inst.ravel(), year.ravel()
    keep = year >= first_year[inst]
    inst, year = inst[keep], year[keep]
    n = len(inst)
    grads = np.round(size[inst] * (1 + 0.04 * (year - 2019)) * rng.uniform(0.9, 1.1, n)).astype(np.int64)
    rate = np.clip(level[inst] + np.array([YEAR_EFFECT[y] for y in year]) + rng.normal(0, 0.04, n), 0.1, 0.99)
    certified = np.round(grads * rate).astype(np.int64)

    # Corrections: the first figures are lower (or a recount), the row at the next 30 June wins.
    corrected = rng.random(n) < 0.12
    shown_certified = np.where(corrected, np.round(certified * rng.uniform(0.8, 0.97, n)).astype(np.int64), certified)
    shown_grads = np.where(corrected & (rng.random(n) < 0.3), grads + rng.integers(1, 40, n), grads)
    shown_certified = np.minimum(shown_certified, shown_grads)

    is_city = np.array(u.is_city)
    group = np.where(is_city[unit[inst]], GROUP_CITIES, unit[inst]).astype(np.int32)
    first_day = from_ymd(year, np.full(n, 12), np.full(n, 31))
    fix_day = from_ymd(year + 1, np.full(n, 6), np.full(n, 30))
    county = _random_county(rng, unit[inst])

    def frame(idx, export_day, g, c, is_change) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "institution": pl.Series(names).gather(inst[idx]),
                "institution_type": pl.Series(ref.INSTITUTION_TYPES).gather(types[inst[idx]]),
                "year": pl.Series(year[idx].astype(np.int64)),
                "graduates": pl.Series(g[idx]),
                "graduates_certified": pl.Series(c[idx]),
                "region": pl.Series(unit[inst[idx]]),
                "region_county": pl.Series(county[idx].astype(np.int32)).cast(pl.Utf8),
                "export_day": pl.Series(export_day[idx].astype(np.int32)),
                "group": pl.Series(group[idx]),
                "is_change": pl.Series(np.full(len(idx), is_change)),
                "order": pl.Series(inst[idx].astype(np.int64)),
            }
        )

    fixed = np.flatnonzero(corrected)
    records = pl.concat(
        [
            frame(np.arange(n), first_day, shown_grads, shown_certified, False),
            frame(fixed, fix_day, grads, certified, True),
        ]
    )

    def fresh(rng_: np.random.Generator, export_day: np.ndarray, grp: np.ndarray) -> pl.DataFrame:
        k = len(export_day)
        fu = np.where(grp >= 0, grp, rng_.choice(np.flatnonzero(is_city), k)).astype(np.int16)
        g = rng_.integers(100, 3000, k)
        return pl.DataFrame(
            {
                "institution": [f"{u.short[x]}新办职业培训学院{i + 1}" for i, x in enumerate(fu)],
                "institution_type": pl.Series(ref.INSTITUTION_TYPES).gather(rng_.integers(0, 5, k)),
                "year": pl.Series(np.clip(1970 + export_day // 366, 2019, 2025).astype(np.int64)),
                "graduates": pl.Series(g.astype(np.int64)),
                "graduates_certified": pl.Series((g * 0.7).astype(np.int64)),
                "region": pl.Series(fu),
                "region_county": pl.Series(_random_county(rng_, fu).astype(np.int32)).cast(pl.Utf8),
            }
        )

    def where(g: int) -> str:
        return "自治区直辖县级市" if g == GROUP_CITIES else u.name[g]

    def file_name(d: int, g: int, ext: str) -> str:
        stamp = exports.label(d)
        if stamp.endswith("0630"):
            return f"{where(g)}_毕业生取证情况_更正_{stamp}.{ext}"
        return f"{where(g)}{stamp[:4]}届毕业生取证情况.{ext}" if g % 2 else f"graduates_{stamp[:4]}_{u.code[g] if g >= 0 else '659000'}.{ext}"

    spec = exports.Spec(
        source=SOURCE,
        columns=COLUMNS,
        defects=(("exceeds", 0.3), ("blank", 0.3), ("type", 0.1), ("year", 0.1), ("number", 0.1), ("region", 0.1)),
        blankable=("institution", "institution_type", "year", "graduates", "graduates_certified", "region"),
        invalid=INVALID,
        rejected_column="graduates_certified",
        file_name=file_name,
        titles=lambda d, g: (
            f"{where(g)}{exports.label(d)[:4]}届院校毕业生职业技能等级证书取证情况",
            f"导出日期：{exports.iso(d)}    单位：{where(g)}教育局、人力资源和社会保障局",
        ),
        rejected_name=lambda d, g: f"补报_{where(g)}_毕业生取证_{exports.label(d)}.csv",
        note="各院校毕业生取得职业技能等级证书情况，每年年底报送，次年6月底更正。\n",
        xlsx_share=0.35,
    )
    truth = pl.DataFrame(
        {
            "institution": pl.Series(names).gather(inst),
            "institution_type": pl.Series(ref.INSTITUTION_TYPES).gather(types[inst]),
            "year": pl.Series(year.astype(np.int32)),
            "unit": pl.Series(unit[inst]),
            "graduates": pl.Series(grads),
            "certified": pl.Series(certified),
        }
    )
    return exports.assemble(spec, records, fresh, rng), truth
