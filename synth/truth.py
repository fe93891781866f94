"""Ground truth, computed from the generator's clean model, never from the files it wrote.

- Files: every landed path with the ledger status ingest must give it and its row counts. A duplicate
  (same bytes as a file earlier in apply order) counts its rows as landed but loads and quarantines
  none; a skipped (non-data) file has no rows; a rejected file quarantines all of its rows.
- Quarantined rows: one entry per bad row (its one defective column), and one per row of the rejected
  file (the missing column).
- The headline ratio per as-of date, region-wide and per unit, with the contract's definition:
  a certificate counts on D when issued on or before D and its final status (its last landed row) is
  有效; a person counts when aged min_age..max_age (completed years from the birth date) on D; the
  person's unit is that of the most recent counted certificate (same day: the higher level; the model
  never produces a further tie); high-skilled when the highest counted level has rank >= 3.
"""

from __future__ import annotations

import polars as pl

from . import reference as ref
from .landing import DUPLICATE, LOADED, REJECTED, SKIPPED, SourceLanding, iso
from .people import People, age_on, day

AS_OF_DATES = tuple(f"{y}-12-31" for y in range(2015, 2026)) + ("2026-06-30",)
MIN_AGE, MAX_AGE = 16, 60


def files_truth(landing: SourceLanding) -> tuple[list[dict], dict, list[dict]]:
    rows = landing.rows
    per_file = rows.group_by("file_id").agg(landed=pl.len(), bad=pl.col("defect_alias").is_not_null().sum())
    landed = dict(zip(per_file["file_id"].to_list(), per_file["landed"].to_list()))
    bad = dict(zip(per_file["file_id"].to_list(), per_file["bad"].to_list()))
    by_path = {f.source_file: f for f in landing.files}

    files, quarantined = [], []
    for f in landing.files:
        entry = {
            "source": landing.source,
            "source_file": f.source_file,
            "export_date": iso(f.export_day),
            "status": f.status,
        }
        if f.status == LOADED:
            n = landed.get(f.file_id, 0)
            entry.update(
                rows_landed=n, rows_loaded=n - bad.get(f.file_id, 0), rows_quarantined=bad.get(f.file_id, 0)
            )
        elif f.status == REJECTED:
            n = landed.get(f.file_id, 0)
            entry.update(rows_landed=n, rows_loaded=0, rows_quarantined=n, missing_column=f.missing_column)
        elif f.status == DUPLICATE:
            entry.update(
                rows_landed=landed.get(by_path[f.copy_of].file_id, 0),
                rows_loaded=0,
                rows_quarantined=0,
                duplicate_of=f.copy_of,
            )
        else:
            assert f.status == SKIPPED
            entry.update(rows_landed=0, rows_loaded=0, rows_quarantined=0)
        files.append(entry)

    rejected = {f.file_id: f for f in landing.files if f.status == REJECTED}
    source_file = {f.file_id: f.source_file for f in landing.files}
    q = rows.filter(pl.col("defect_alias").is_not_null() | pl.col("file_id").is_in(list(rejected)))
    q = q.select("file_id", "row_number", "defect_alias", "defect_kind").sort("file_id", "row_number")
    for file_id, row_number, alias, kind in q.iter_rows():
        if file_id in rejected:
            alias, kind = rejected[file_id].missing_column, "missing_required_column"
        quarantined.append(
            {"source_file": source_file[file_id], "row_number": row_number, "column": alias, "reason": kind}
        )

    counted = [e for e in files if e["status"] in (LOADED, REJECTED)]
    totals = {
        "rows_landed": sum(e["rows_landed"] for e in counted),
        "rows_loaded": sum(e["rows_loaded"] for e in counted),
        "rows_quarantined": sum(e["rows_quarantined"] for e in counted),
        "rows_landed_in_duplicate_files": sum(e["rows_landed"] for e in files if e["status"] == DUPLICATE),
        "files": {s: sum(e["status"] == s for e in files) for s in (LOADED, REJECTED, DUPLICATE, SKIPPED)},
    }
    return files, totals, quarantined


def high_skill_ratio(
    certificates: pl.DataFrame,
    people: People,
    as_of: tuple[str, ...] = AS_OF_DATES,
    min_age: int = MIN_AGE,
    max_age: int = MAX_AGE,
) -> list[dict]:
    """certificates: person, issue (day number), unit (index), rank, status -- final values."""
    codes = ref.units().code
    valid = certificates.filter(pl.col("status") == ref.STATUS_VALID)
    out = []
    for d_iso in as_of:
        d = day(d_iso)
        held = valid.filter(pl.col("issue") <= d)
        per_person = held.group_by("person").agg(
            top=pl.col("rank").max(),
            # the most recent certificate; on the same day the higher level
            unit=pl.col("unit").sort_by("issue", "rank").last(),
        )
        person = per_person["person"].to_numpy()
        age = age_on(people.birth[person], d)
        per_person = per_person.filter(pl.Series((age >= min_age) & (age <= max_age)))
        per_person = per_person.with_columns(high=pl.col("top") >= ref.HIGH_SKILL_RANK)
        by_unit = per_person.group_by("unit").agg(skilled=pl.len(), high=pl.col("high").sum()).sort("unit")
        out.append(
            {
                "as_of_date": d_iso,
                "region_code": ref.REGION_CODE,
                "skilled_persons": per_person.height,
                "high_skilled_persons": int(per_person["high"].sum()),
            }
        )
        for unit, skilled, high in by_unit.iter_rows():
            out.append(
                {
                    "as_of_date": d_iso,
                    "region_code": codes[unit],
                    "skilled_persons": skilled,
                    "high_skilled_persons": int(high),
                }
            )
    for row in out:
        row["ratio"] = (
            round(row["high_skilled_persons"] / row["skilled_persons"], 6) if row["skilled_persons"] else None
        )
    return sorted(out, key=lambda r: (r["as_of_date"], r["region_code"]))
