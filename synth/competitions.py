"""The competitions source (职业技能竞赛获奖): competition results of persons, and the files that land them.

Model (one row per result: competition, year, event, person; final values):

- Competitions 2019..2026 (`catalogue`): WorldSkills (2019, 2022, 2024; a handful of Xinjiang
  entrants), the national skills competition (国家级一类: 2020, 2023, 2025), three national trade
  competitions a year (国家级二类), the region's competition (自治区级一类) and two region trade
  competitions (自治区级二类) a year, and one competition per prefecture a year (地州级); in 2026 only
  those held by April (their results are exported by 2026-06-30).
- About 0.004 entries per person (400..6,000); entrants are persons aged 16..60 in the year, drawn with
  a weight growing with the highest level they hold (so that some winners already hold the level a
  promotion would give them, and some do not); 8 % of entries are by persons with another entry in
  the same year (one entitlement a year, however many awards). Awards by tier; a competition writes
  podium places as medals (金牌/银牌/铜牌, 优胜奖) or as prizes (一等奖/二等奖/三等奖).
- Region: the entrant's unit on 1 July of the year (honours use the same, so every record of a person
  in a year has one region).

Exports: a competition's results land at the end of the month after it, one file per competition; 3 %
of the results first land with a wrong award or region and are corrected (same competition, year,
event and ID number) in a ``更正`` file one to four months later.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import exports, mess
from . import reference as ref
from .certifications import _random_county
from .landing import SourceLanding
from .people import People, age_on, from_ymd

SOURCE = "competitions"

COLUMNS: tuple[mess.Column, ...] = (
    mess.Column("competition_name", ("竞赛名称",), True, "text"),
    mess.Column("tier", ("竞赛级别",), True, "text"),
    mess.Column("year", ("竞赛年度",), True, "year"),
    mess.Column("event", ("竞赛项目",), True, "text"),
    mess.Column("name", ("姓名",), True, "text"),
    mess.Column("id_number", ("公民身份号码", "身份证号"), True, "id"),
    mess.Column("award", ("获奖等次",), True, "text"),
    mess.Column("region", ("所在地区",), True, "region"),
)

WSC, N1, N2, R1, R2, PREF = range(6)
TIER_SHARE = {WSC: 0.0, N1: 0.04, N2: 0.10, R1: 0.20, R2: 0.21, PREF: 0.45}
# awards: (medal naming shares 金 银 铜 优胜 参赛), (prize naming shares 一 二 三 参赛)
AWARD_SHARES = {
    WSC: ((0.15, 0.15, 0.15, 0.35, 0.20), None),
    N1: ((0.05, 0.08, 0.12, 0.25, 0.50), (0.05, 0.08, 0.12, 0.75)),
    N2: ((0.06, 0.09, 0.13, 0.20, 0.52), (0.06, 0.09, 0.13, 0.72)),
    R1: ((0.07, 0.10, 0.14, 0.10, 0.59), (0.07, 0.10, 0.14, 0.69)),
    R2: ((0.08, 0.12, 0.15, 0.0, 0.65), (0.08, 0.12, 0.15, 0.65)),
    PREF: ((0.10, 0.15, 0.20, 0.0, 0.55), (0.10, 0.15, 0.20, 0.55)),
}
MEDALS = ("金牌", "银牌", "铜牌", "优胜奖", "参赛")
PRIZES = ("一等奖", "二等奖", "三等奖", "参赛")
TRADES_N = ("建设", "交通运输", "农业", "纺织", "电力", "机械", "商务", "民政")
TRADES_R = ("建筑", "餐饮", "电子商务", "农牧", "家政", "能源化工")
RANK_WEIGHT = np.array([1.0, 1.0, 2.0, 4.0, 6.0, 6.0, 6.0, 6.0])

INVALID = {
    "tier": ("tier", ("省级一类", "国家级", "市级")),
    "award": ("award", ("特等奖", "优秀奖", "第一名")),
    "year": ("year", ("二〇二三", "23年", "2O24", "20241")),
    "region": ("region", ref.UNRECOGNISED_REGIONS),
}


def catalogue(rng: np.random.Generator) -> pl.DataFrame:
    """One row per competition: name, tier, year, day held, medal naming, events."""
    u = ref.units()
    rows = []
    for year, name, month in ((2019, "第45届世界技能大赛", 8), (2022, "世界技能大赛特别赛", 10), (2024, "第47届世界技能大赛", 9)):
        rows.append((name, WSC, year, month, True))
    for year, name in ((2020, "第一届全国技能大赛"), (2023, "第二届全国技能大赛"), (2025, "第三届全国技能大赛")):
        rows.append((name, N1, year, 9 if year != 2020 else 12, rng.random() < 0.5))
    for year in range(2019, 2027):
        for k in rng.choice(len(TRADES_N), 1 if year == 2026 else 3, replace=False):
            rows.append((f"{year}年全国{TRADES_N[k]}行业职业技能竞赛", N2, year, 3 if year == 2026 else int(rng.integers(4, 12)), rng.random() < 0.5))
        rows.append((f"新疆维吾尔自治区第{year - 2016}届职业技能大赛", R1, year, 4 if year == 2026 else 7, rng.random() < 0.5))
        for k in rng.choice(len(TRADES_R), 1 if year == 2026 else 2, replace=False):
            rows.append((f"{year}年自治区{TRADES_R[k]}行业职业技能竞赛", R2, year, 3 if year == 2026 else int(rng.integers(5, 11)), rng.random() < 0.5))
        for i in range(len(u)):
            if u.is_city[i] or (year == 2026 and i % 2):
                continue
            rows.append((f"{u.name[i]}第{year - 2012}届职业技能竞赛", PREF, year, 4 if year == 2026 else 6 + i % 4, rng.random() < 0.2))
    frame = pl.DataFrame(rows, schema=["name", "tier", "year", "month", "medals"], orient="row")
    held = from_ymd(frame["year"].to_numpy(), frame["month"].to_numpy(), np.full(frame.height, 15))
    return frame.with_columns(held=pl.Series(held), home=pl.Series([
        u.name.index(n.split("第")[0]) if t == PREF else -1 for n, t in zip(frame["name"], frame["tier"])
    ]))


def build(
    people: People, certificates: pl.DataFrame, rng: np.random.Generator
) -> tuple[SourceLanding, pl.DataFrame]:
    """The competitions landing, and the truth: one row per result (person, year, competition_name,
    tier, event, award, unit) with its final values. `certificates`: the certification truth."""
    u = ref.units()
    comps = catalogue(rng)
    n_total = int(np.clip(round(0.004 * people.n), 400, 6000))
    tier = comps["tier"].to_numpy()
    per_tier = {t: (tier == t).sum() for t in range(6)}
    size = np.array([
        rng.integers(1, 4) if t == WSC else max(1, rng.poisson(TIER_SHARE[t] * n_total / per_tier[t])) for t in tier
    ])
    comp = np.repeat(np.arange(comps.height), size)
    n = len(comp)
    year = comps["year"].to_numpy()[comp]
    july = from_ymd(year, np.full(n, 7), np.ones(n, np.int64))

    # Entrants: weighted by the highest level they hold (valid certificates), aged 16..60 in the year.
    valid = certificates.filter(pl.col("status") == ref.STATUS_VALID)
    top = valid.group_by("person").agg(pl.col("rank").max())
    best = np.full(people.n, -1)
    best[top["person"].to_numpy()] = top["rank"].to_numpy()
    w = np.where(best >= 0, RANK_WEIGHT[np.maximum(best, 0)], 0.5)
    person = rng.choice(people.n, n, p=w / w.sum())
    for _ in range(6):
        age = age_on(people.birth[person], july)
        bad = (age < 16) | (age > 60)
        if not bad.any():
            break
        person[bad] = rng.choice(people.n, bad.sum(), p=w / w.sum())
    # a prefecture's competition takes its entrants from the prefecture: entrants are replaced by
    # persons of that unit where the first draw lives elsewhere (a few tries)
    home = comps["home"].to_numpy()[comp]
    for _ in range(6):
        unit = people.unit_on(person, july)
        wrong = (home >= 0) & (unit != home)
        age = age_on(people.birth[person], july)
        wrong |= (age < 16) | (age > 60)
        if not wrong.any():
            break
        person[wrong] = rng.choice(people.n, wrong.sum(), p=w / w.sum())
    age = age_on(people.birth[person], july)
    unit = people.unit_on(person, july)
    ok = (age >= 16) & (age <= 60) & ((home < 0) | (unit == home))
    # 8 % of entries: a person with another entry that year
    again = np.flatnonzero(ok & (rng.random(n) < 0.08))
    for i in again:
        same = np.flatnonzero(ok & (year == year[i]) & (comp != comp[i]) & (home < 0))
        if len(same):
            person[i] = person[same[rng.integers(len(same))]]
    age = age_on(people.birth[person], july)
    unit = people.unit_on(person, july)
    ok = (age >= 16) & (age <= 60) & ((home < 0) | (unit == home))

    _, occ_names = ref.occupations()
    event = rng.integers(0, 8, n) * 3 + comps["year"].to_numpy()[comp] % 3
    event = np.array(occ_names)[(event + comp * 5) % len(occ_names)]
    frame = pl.DataFrame(
        {
            "comp": comp.astype(np.int32),
            "person": person.astype(np.int32),
            "year": year.astype(np.int32),
            "event": event,
            "unit": unit,
            "ok": ok,
        }
    ).filter("ok").unique(["comp", "event", "person"], keep="first", maintain_order=True)
    n = frame.height
    comp = frame["comp"].to_numpy()
    tier = comps["tier"].to_numpy()[comp]
    medals = comps["medals"].to_numpy()[comp]
    award = np.empty(n, dtype=object)
    for t in range(6):
        medal_p, prize_p = AWARD_SHARES[t]
        for use_medals, shares, names in ((True, medal_p, MEDALS), (False, prize_p, PRIZES)):
            mask = (tier == t) & ((medals | (prize_p is None)) == use_medals)
            if mask.any() and shares is not None:
                award[mask] = np.array(names)[rng.choice(len(names), mask.sum(), p=np.array(shares) / sum(shares))]
    frame = frame.with_columns(
        competition_name=comps["name"].gather(comp),
        tier=pl.Series(ref.COMPETITION_TIERS).gather(tier),
        award=pl.Series(award.astype(str)),
    )

    # Exports and corrections.
    held = comps["held"].to_numpy()[comp]
    export_day = exports.month_end(held + 31)
    person = frame["person"].to_numpy()
    unit = frame["unit"].to_numpy()
    eligible = np.flatnonzero(export_day < exports.LAST_EXPORT - 31)
    corrected = np.sort(rng.choice(eligible, round(0.03 * n), replace=False)) if len(eligible) else eligible
    shown_award = frame["award"].to_numpy().astype(object)
    shown_unit = unit.copy()
    by_award = rng.random(len(corrected)) < 0.6
    c = corrected[by_award]
    swap = {"金牌": "银牌", "银牌": "铜牌", "铜牌": "优胜奖", "优胜奖": "参赛", "参赛": "铜牌",
            "一等奖": "二等奖", "二等奖": "三等奖", "三等奖": "参赛"}
    shown_award[c] = [swap[a] if not (a == "参赛" and t == PREF) else "三等奖" for a, t in zip(shown_award[c], tier[c])]
    c = corrected[~by_award]
    shown_unit[c] = (unit[c] + 1 + rng.integers(0, len(u) - 1, len(c))) % len(u)
    fix_day = np.minimum(exports.month_end(export_day[corrected] + 1 + 30 * rng.integers(0, 4, len(corrected))), exports.LAST_EXPORT)
    county = np.where(people.home_unit[person] == unit, people.county[person], _random_county(rng, unit))

    def rows(idx, day_, aw, un, is_change) -> pl.DataFrame:
        cnty = np.where(un == unit[idx], county[idx], _random_county(rng, un))
        return pl.DataFrame(
            {
                "competition_name": frame["competition_name"].gather(idx),
                "tier": frame["tier"].gather(idx),
                "year": pl.Series(frame["year"].to_numpy()[idx].astype(np.int64)),
                "event": frame["event"].gather(idx),
                "name": people.name.gather(person[idx]),
                "id_number": people.id_number.gather(person[idx]),
                "award": pl.Series(list(aw), dtype=pl.Utf8),
                "region": pl.Series(un.astype(np.int16)),
                "region_county": pl.Series(cnty.astype(np.int32)).cast(pl.Utf8),
                "export_day": pl.Series(day_.astype(np.int32)),
                "group": pl.Series(comp[idx].astype(np.int32)),
                "is_change": pl.Series(np.full(len(idx), is_change)),
                "order": pl.Series(idx.astype(np.int64)),
            }
        )

    records = pl.concat(
        [
            rows(np.arange(n), export_day, shown_award, shown_unit, False),
            rows(corrected, fix_day, frame["award"].to_numpy()[corrected], unit[corrected], True),
        ]
    )

    def fresh(rng_: np.random.Generator, day_: np.ndarray, group: np.ndarray) -> pl.DataFrame:
        k = len(day_)
        p = rng_.integers(0, people.n, k)
        fu = people.home_unit[p]
        return pl.DataFrame(
            {
                "competition_name": comps["name"].gather(group),
                "tier": pl.Series(ref.COMPETITION_TIERS).gather(comps["tier"].to_numpy()[group]),
                "year": pl.Series(comps["year"].to_numpy()[group].astype(np.int64)),
                "event": pl.Series([f"{occ_names[i % len(occ_names)]}补充项目" for i in range(k)]),
                "name": people.name.gather(p),
                "id_number": people.id_number.gather(p),
                "award": pl.Series(["参赛"] * k),
                "region": pl.Series(fu.astype(np.int16)),
                "region_county": pl.Series(people.county[p].astype(np.int32)).cast(pl.Utf8),
            }
        )

    def file_name(d: int, g: int, ext: str) -> str:
        name, y = comps["name"][g], comps["year"][g]
        if d > exports.month_end(np.array([comps["held"][g] + 31]))[0]:
            return f"{name}_获奖名单更正_{exports.label(d)}.{ext}"
        return f"{name}获奖名单.{ext}" if str(name).startswith(str(y)) or g % 2 else f"{y}年{name}获奖选手名单.{ext}"

    spec = exports.Spec(
        source=SOURCE,
        columns=COLUMNS,
        defects=(("check_digit", 0.25), ("blank", 0.3), ("tier", 0.1), ("award", 0.15), ("year", 0.1), ("region", 0.1)),
        blankable=("competition_name", "tier", "year", "event", "name", "id_number", "award", "region"),
        invalid=INVALID,
        rejected_column="award",
        file_name=file_name,
        titles=lambda d, g: (
            f"{comps['name'][g]}获奖选手名单",
            f"导出日期：{exports.iso(d)}    单位：新疆维吾尔自治区人力资源和社会保障厅",
        ),
        rejected_name=lambda d, g: f"补报_{comps['name'][g]}_参赛选手_{exports.label(d)}.csv",
        note="各级职业技能竞赛获奖选手名单（世界技能大赛、国家级、自治区级、地州级）。\n",
        xlsx_share=0.3,
    )
    truth = frame.select("person", "year", "competition_name", "tier", "event", "award", "unit")
    return exports.assemble(spec, records, fresh, rng), truth
