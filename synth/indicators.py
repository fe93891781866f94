"""Ground truth of the policy indicators measured from trainings, carriers, graduates, competitions,
honours (and certifications, for the rewards list and the promotion follow-up), computed from the
generator's clean models with the contract's counting rules and the indicators' documented
definitions -- never from the files, never with ingest or dbt code.

Rules implemented here (shared/contracts/source-exports.md, shared/policy/indicators.md and the
documented definitions of the marts):

- a training counts in the year it starts, if it started on or before the as-of date and its final
  status (its last landed row) is not 退出; every enrolment is one person-time; advanced+ = rank >= 3;
  it counts for a carrier when its 培训机构编码 is the carrier's 机构编码 (blank and unknown codes count
  everywhere else);
- scorecard years run from the first year with a counted-or-not training (started by the as-of date)
  or a graduation year, to the as-of year; a year is complete when it ends before the as-of date;
- statuses: ``no_data`` without anything to measure; a complete year ``met`` / ``missed``; in the
  running year a count already reaching its target is ``met``, otherwise ``on_track`` when it reaches
  target x (day of year / days in the year) and ``off_track`` if not; a share in the running year is
  ``on_track`` / ``off_track`` as it stands; shares compare exactly (numerator >= target x denominator);
- a competition result or honour qualifies under the entitlement rules (reference.ENTITLEMENT_RULES);
  a person holds an entitlement once a year per indicator: a promotion at the highest level of the
  year, the basis being the rule of lowest precedence among the records at that level (a title: of
  lowest precedence); newly = the first year the person holds the indicator; a promotion is done when
  the person holds a valid certificate (issued by the as-of date, final status 有效) at that level or
  above; all records of a person in a year have one region by construction;
- the reward list: persons with a valid certificate issued in the year, once a year at the highest
  level of the year (then the latest issue date, then the lower unit code), in that certificate's unit.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import polars as pl

from . import reference as ref
from .carriers import Carriers
from .people import People, day, ymd

AS_OF = "2026-06-30"


def _frac(as_of: str) -> tuple[int, Fraction]:
    d = day(as_of)
    y = int(ymd(np.array([d]))[0][0])
    start = day(f"{y}-01-01")
    days_in_year = day(f"{y}-12-31") - start + 1
    return y, Fraction(d - start + 1, days_in_year)


def _status(has_data: bool, reached: bool, pace: bool, complete: bool, cumulative: bool) -> str:
    if not has_data:
        return "no_data"
    if complete:
        return "met" if reached else "missed"
    if cumulative and reached:
        return "met"
    return "on_track" if pace else "off_track"


def _share_reached(num: int, den: int, target: float) -> bool:
    return Fraction(num) >= Fraction(str(target)) * den


class Context:
    def __init__(self, as_of: str = AS_OF):
        self.as_of = as_of
        self.as_of_day = day(as_of)
        self.year, self.fraction = _frac(as_of)
        self.complete_run_year = as_of.endswith("-12-31")

    def complete(self, year: int) -> bool:
        return year < self.year or self.complete_run_year

    def elapsed(self, year: int) -> Fraction:
        return Fraction(1) if self.complete(year) else self.fraction

    def count_status(self, has_data: bool, value: int, target: int, year: int, strict: bool = False) -> str:
        reached = value > target if strict else value >= target
        pace_target = target * self.elapsed(year)
        pace = value > pace_target if strict else value >= pace_target
        return _status(has_data, reached, pace, self.complete(year), True)

    def share_status(self, num: int, den: int, target: float, year: int) -> str:
        reached = den > 0 and _share_reached(num, den, target)
        return _status(den > 0, reached, reached, self.complete(year), False)


def scorecard_years(trainings: pl.DataFrame, graduates: pl.DataFrame, ctx: Context) -> list[int]:
    started = trainings.filter(pl.col("start") <= ctx.as_of_day)["year"]
    grad = graduates.filter(pl.col("year") <= ctx.year)["year"]
    first = min([int(v) for v in (started.min(), grad.min()) if v is not None] + [ctx.year])
    return list(range(first, ctx.year + 1))


def _counted(trainings: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    withdrawn = ref.TRAINING_STATUSES.index(ref.TRAINING_WITHDRAWN)
    return trainings.filter(pl.col("start") <= ctx.as_of_day).with_columns(
        counted=pl.col("status") != withdrawn, advanced=pl.col("rank") >= ref.HIGH_SKILL_RANK
    )


def apprenticeship_annual(trainings: pl.DataFrame, years: list[int], ctx: Context) -> list[dict]:
    t = _counted(trainings, ctx)
    records = dict(t.group_by("year").len().iter_rows())
    appr = t.filter(pl.col("counted") & (pl.col("program") <= 1))
    codes = ref.units().code
    per = {
        (y, u, p, a): n
        for y, u, p, a, n in appr.group_by("year", "unit", "program", "advanced").len().iter_rows()
    }
    out = []
    for y in years:
        for code in (*codes, ref.REGION_CODE):
            units = range(len(codes)) if code == ref.REGION_CODE else (codes.index(code),)

            def n(p: int, adv: bool | None = None, y: int = y, units: range | tuple = units) -> int:
                return sum(per.get((y, u, p, a), 0) for u in units for a in ((True, False) if adv is None else (adv,)))

            row = {
                "year": y,
                "region_code": code,
                "enterprise_person_times": n(0),
                "enterprise_advanced_person_times": n(0, True),
                "modern_person_times": n(1),
                "modern_advanced_person_times": n(1, True),
            }
            row["apprenticeship_person_times"] = row["enterprise_person_times"] + row["modern_person_times"]
            row["apprenticeship_advanced_person_times"] = (
                row["enterprise_advanced_person_times"] + row["modern_advanced_person_times"]
            )
            if code == ref.REGION_CODE:
                has = records.get(y, 0) > 0
                target = ref.APPRENTICESHIP_TARGET
                row["appr_enterprise_status"] = ctx.count_status(has, row["enterprise_person_times"], target, y)
                row["appr_modern_status"] = ctx.count_status(has, row["modern_person_times"], target, y)
                for prefix, key in (("apprenticeship", "appr_advanced"), ("enterprise", "enterprise_advanced"),
                                    ("modern", "modern_advanced")):
                    row[f"{key}_status"] = ctx.share_status(
                        row[f"{prefix}_advanced_person_times"], row[f"{prefix}_person_times"],
                        ref.ADVANCED_SHARE_TARGET, y,
                    )
            out.append(row)
    return out


def training_level_mix(trainings: pl.DataFrame, years: list[int], ctx: Context) -> list[dict]:
    t = _counted(trainings, ctx)
    per = {
        (y, p, r, c, reg): n
        for y, p, r, c, reg, n in t.with_columns(registered=pl.col("provider") >= 0)
        .group_by("year", "program", "rank", "counted", "registered")
        .len()
        .iter_rows()
    }
    out = []
    for y in years:
        for p, program in enumerate(ref.PROGRAMS):
            by_rank = [sum(per.get((y, p, r, True, g), 0) for g in (True, False)) for r in range(8)]
            total = sum(by_rank)
            adv = sum(by_rank[ref.HIGH_SKILL_RANK :])
            row = {
                "year": y,
                "program": program,
                "person_times_by_rank": by_rank,
                "person_times": total,
                "advanced_plus_person_times": adv,
                "withdrawn_person_times": sum(per.get((y, p, r, False, g), 0) for r in range(8) for g in (True, False)),
                "unregistered_provider_person_times": sum(per.get((y, p, r, True, False), 0) for r in range(8)),
                "project_advanced_status": (
                    ctx.share_status(adv, total, ref.ADVANCED_SHARE_TARGET, y)
                    if program == ref.PROJECT_TRAINING
                    else None
                ),
            }
            out.append(row)
    return out


def carrier_compliance(
    trainings: pl.DataFrame, carriers: Carriers, years: list[int], ctx: Context
) -> list[dict]:
    t = _counted(trainings, ctx).filter(pl.col("counted") & (pl.col("provider") >= 0))
    per = {
        (c, y, a): n for c, y, a, n in t.group_by("provider", "year", "advanced").len().iter_rows()
    }
    targets = {
        "BASE-ADVANCED": ref.ADVANCED_SHARE_TARGET,
        "PUBLIC-BASE-ADVANCED": ref.PUBLIC_BASE_SHARE_TARGET,
        "COLLEGE-ADVANCED": ref.COLLEGE_ADVANCED_TARGET,
    }
    out = []
    for c in range(len(carriers)):
        ctype = ref.CARRIER_TYPES[carriers.type[c]]
        if ctype not in ref.CARRIER_INDICATORS:
            continue
        indicator, tier = ref.CARRIER_INDICATORS[ctype]
        if tier is not None and ref.CARRIER_TIERS[carriers.tier[c]] != tier:
            continue
        for y in years:
            if y < carriers.established[c]:
                continue
            adv, other = per.get((c, y, True), 0), per.get((c, y, False), 0)
            pt = adv + other
            if pt == 0:
                status = "no_training"
            elif indicator == "COLLEGE-ADVANCED":
                status = ctx.count_status(True, adv, targets[indicator], y)
            else:
                status = ctx.share_status(adv, pt, targets[indicator], y)
            out.append({
                "carrier_code": carriers.code[c],
                "indicator_id": indicator,
                "year": y,
                "person_times": pt,
                "advanced_plus_person_times": adv,
                "status": status,
            })
    return sorted(out, key=lambda r: (r["indicator_id"], r["carrier_code"], r["year"]))


def new_carriers(carriers: Carriers, years: list[int], ctx: Context) -> list[dict]:
    est = carriers.established
    known = est <= ctx.year
    first = min(int(est[known].min()) if known.any() else years[0], years[0])
    out = []
    for y in range(first, ctx.year + 1):
        for k, ctype in enumerate(ref.CARRIER_TYPES):
            mask = known & (est == y) & (carriers.type == k)
            by_tier = {tier: int((mask & (carriers.tier == i)).sum()) for i, tier in enumerate(ref.CARRIER_TIERS)}
            count = int(mask.sum())
            out.append({
                "year": y,
                "carrier_type": ctype,
                "new_carriers": count,
                "new_by_tier": by_tier,
                "carriers_established_to_date": int((known & (est <= y) & (carriers.type == k)).sum()),
                "status": (
                    ctx.count_status(bool(known.any()), count, 0, y, strict=True)
                    if ctype in ref.NEW_BATCH_TYPES
                    else None
                ),
            })
    return out


def graduate_certificates(graduates: pl.DataFrame, years: list[int], ctx: Context) -> list[dict]:
    g = graduates.filter(pl.col("year") <= ctx.year)
    codes = ref.units().code
    target = ref.GRAD_CERT_RATE_TARGET

    def status(counts: bool, grads: int, cert: int) -> str | None:
        if not counts:
            return None
        return _status(grads > 0, grads > 0 and _share_reached(cert, grads, target), False, True, False)

    out = []
    for inst, itype, y, unit, grads, cert in g.select(
        "institution", "institution_type", "year", "unit", "graduates", "certified"
    ).iter_rows():
        counts = itype in ref.GRAD_RATE_TYPES
        out.append({
            "year": y, "unit_type": "institution", "unit_code": inst, "institution_type": itype,
            "region_code": codes[unit], "institutions": 1, "graduates": grads, "graduates_certified": cert,
            "status": status(counts, grads, cert),
        })
    sums = {
        (y, t): (n, gr, ce)
        for y, t, n, gr, ce in g.group_by("year", "institution_type")
        .agg(pl.len(), pl.col("graduates").sum(), pl.col("certified").sum())
        .iter_rows()
    }
    for y in years:
        total = [0, 0, 0]
        for itype in ref.INSTITUTION_TYPES:
            n, gr, ce = sums.get((y, itype), (0, 0, 0))
            counts = itype in ref.GRAD_RATE_TYPES
            out.append({
                "year": y, "unit_type": "institution_type", "unit_code": itype, "institution_type": itype,
                "region_code": ref.REGION_CODE, "institutions": n, "graduates": gr, "graduates_certified": ce,
                "status": status(counts, gr, ce),
            })
            if counts:
                total = [total[0] + n, total[1] + gr, total[2] + ce]
        out.append({
            "year": y, "unit_type": "region", "unit_code": ref.REGION_CODE, "institution_type": None,
            "region_code": ref.REGION_CODE, "institutions": total[0], "graduates": total[1],
            "graduates_certified": total[2], "status": status(True, total[1], total[2]),
        })
    return sorted(out, key=lambda r: (r["year"], r["unit_type"], r["unit_code"]))


AWARD_COLUMNS = {
    "金牌": "gold_medallists", "银牌": "silver_medallists", "铜牌": "bronze_medallists",
    "优胜奖": "merit_award_winners", "一等奖": "first_prize_winners", "二等奖": "second_prize_winners",
    "三等奖": "third_prize_winners",
}


def competition_results(results: pl.DataFrame, ctx: Context) -> list[dict]:
    r = results.filter(pl.col("year") <= ctx.year)
    codes = ref.units().code
    out = []
    for keys, part in (("unit", r.with_columns(code=pl.col("unit").replace_strict(list(range(len(codes))), list(codes), return_dtype=pl.Utf8))),
                       ("region", r.with_columns(code=pl.lit(ref.REGION_CODE)))):
        agg = part.group_by("year", "tier", "code").agg(
            entries=pl.len(),
            entrants=pl.col("person").n_unique(),
            award_winners=pl.col("person").filter(pl.col("award") != "参赛").n_unique(),
            **{col: pl.col("person").filter(pl.col("award") == a).n_unique() for a, col in AWARD_COLUMNS.items()},
        )
        for row in agg.sort("year", "tier", "code").iter_rows(named=True):
            row["region_code"] = row.pop("code")
            out.append(row)
    return sorted(out, key=lambda x: (x["year"], x["tier"], x["region_code"]))


def entitlements(
    results: pl.DataFrame,
    honours: pl.DataFrame,
    certificates: pl.DataFrame,
    people: People,
    ctx: Context,
) -> list[dict]:
    """One row per person, year and indicator entitled (COMPETITION-PROMOTION, TITLE-DIRECT-*)."""
    rules = pl.DataFrame(
        [(r.rule_id, r.indicator_id, r.record_type, r.tier, r.award, r.honour, r.promoted_rank, r.title_grade,
          r.precedence) for r in ref.ENTITLEMENT_RULES],
        schema=["rule_id", "indicator_id", "record_type", "tier", "award", "honour", "promoted_rank",
                "title_grade", "precedence"],
        orient="row",
    )
    comp = results.filter(pl.col("year") <= ctx.year).join(
        rules.filter(pl.col("record_type") == "competition"), on=["tier", "award"], how="inner"
    ).select("person", "year", "unit", "rule_id", "indicator_id", "promoted_rank", "title_grade", "precedence")
    hon = honours.filter(pl.col("year") <= ctx.year).join(
        rules.filter(pl.col("record_type") == "honour"), on="honour", how="inner"
    ).select("person", "year", "unit", "rule_id", "indicator_id", "promoted_rank", "title_grade", "precedence")
    matched = pl.concat([comp, hon], how="vertical_relaxed")
    regions = matched.group_by("person", "year").agg(pl.col("unit").n_unique().alias("units"))
    if regions["units"].max() not in (None, 1):
        raise AssertionError("a person's records of one year are in two regions: the truth would be ambiguous")
    basis = (
        matched.sort("person", "year", "indicator_id", pl.col("promoted_rank").fill_null(-1), "precedence",
                     descending=[False, False, False, True, False])
        .group_by("person", "year", "indicator_id", maintain_order=True)
        .agg(pl.all().first(), records=pl.len())
    )
    first = matched.group_by("person", "indicator_id").agg(first_year=pl.col("year").min())
    basis = basis.join(first, on=["person", "indicator_id"]).with_columns(newly=pl.col("year") == pl.col("first_year"))
    valid = certificates.filter((pl.col("status") == ref.STATUS_VALID) & (pl.col("issue") <= ctx.as_of_day))
    held = valid.group_by("person").agg(held=pl.col("rank").max())
    basis = basis.join(held, on="person", how="left").with_columns(
        done=pl.when(pl.col("indicator_id") == "COMPETITION-PROMOTION").then(
            pl.col("held").fill_null(-1) >= pl.col("promoted_rank")
        )
    )
    codes = ref.units().code
    out = []
    for row in basis.sort("year", "indicator_id", "person").iter_rows(named=True):
        p = row["person"]
        out.append({
            "year": row["year"],
            "indicator_id": row["indicator_id"],
            "id_number": people.id_number[p],
            "name": people.name[p],
            "region_code": codes[row["unit"]],
            "entitlement": ref.LEVELS[row["promoted_rank"]] if row["promoted_rank"] is not None else row["title_grade"],
            "rule_id": row["rule_id"],
            "qualifying_records": row["records"],
            "is_newly_entitled": row["newly"],
            "is_done": row["done"],
        })
    return out


def promotion_followup(ents: list[dict], results: pl.DataFrame, ctx: Context) -> list[dict]:
    years = sorted(set(results.filter(pl.col("year") <= ctx.year)["year"].to_list()))
    per: dict[tuple[int, str], list[int]] = {}
    for e in ents:
        if e["indicator_id"] != "COMPETITION-PROMOTION":
            continue
        for code in (e["region_code"], ref.REGION_CODE):
            c = per.setdefault((e["year"], code), [0, 0])
            c[0] += 1
            c[1] += bool(e["is_done"])
    for y in years:
        per.setdefault((y, ref.REGION_CODE), [0, 0])
    return [
        {"year": y, "region_code": code, "entitled_persons": n, "done_persons": d, "backlog_persons": n - d}
        for (y, code), (n, d) in sorted(per.items())
    ]


def title_eligibility(ents: list[dict]) -> list[dict]:
    per: dict[tuple, list[int]] = {}
    for e in ents:
        if not e["indicator_id"].startswith("TITLE-"):
            continue
        for code in (e["region_code"], ref.REGION_CODE):
            c = per.setdefault((e["year"], code, e["indicator_id"], e["rule_id"]), [0, 0])
            c[0] += 1
            c[1] += bool(e["is_newly_entitled"])
    return [
        {"year": y, "region_code": code, "indicator_id": ind, "rule_id": rule, "eligible_persons": n,
         "newly_eligible_persons": k}
        for (y, code, ind, rule), (n, k) in sorted(per.items())
    ]


def certificate_rewards(certificates: pl.DataFrame, ctx: Context) -> list[dict]:
    """certificates: the certification truth (person, issue, unit, rank, status: final values)."""
    valid = certificates.filter((pl.col("status") == ref.STATUS_VALID) & (pl.col("issue") <= ctx.as_of_day))
    valid = valid.with_columns(year=pl.Series(ymd(valid["issue"].to_numpy())[0].astype(np.int32)))
    person_year = (
        valid.sort("person", "year", "rank", "issue", pl.col("unit"), descending=[False, False, True, True, False])
        .group_by("person", "year", maintain_order=True)
        .first()
    )
    codes = ref.units().code
    out = []
    for unit_wide in (True, False):
        key = ["year", "rank"] + ([] if unit_wide else ["unit"])
        certs = valid.group_by(key).agg(certificates=pl.len())
        persons = person_year.group_by(key).agg(certified_persons=pl.len())
        joined = certs.join(persons, on=key, how="left").with_columns(pl.col("certified_persons").fill_null(0))
        for row in joined.iter_rows(named=True):
            out.append({
                "year": row["year"],
                "region_code": ref.REGION_CODE if unit_wide else codes[row["unit"]],
                "level_rank": row["rank"],
                "certified_persons": row["certified_persons"],
                "certificates": row["certificates"],
            })
    return sorted(out, key=lambda r: (r["year"], r["region_code"], r["level_rank"]))


def unmatched_providers(trainings: pl.DataFrame, ctx: Context) -> list[dict]:
    """Trainings (started by the as-of date) whose provider code is blank or in no register, per start
    year and code (null = blank): they count for programmes and regions, and are audited."""
    t = _counted(trainings, ctx).filter(pl.col("provider") < 0)
    agg = t.group_by("year", "provider_code").agg(
        person_times=pl.col("counted").sum(),
        advanced_plus_person_times=(pl.col("counted") & pl.col("advanced")).sum(),
        withdrawn_person_times=(~pl.col("counted")).sum(),
    )
    rows = [
        {k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in r.items()}
        for r in agg.iter_rows(named=True)
    ]
    return sorted(rows, key=lambda r: (r["year"], r["provider_code"] or ""))
