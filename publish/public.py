"""The public edition: the marts the department publishes, with small cells suppressed.

Official statistics do not publish small counts of persons (the UK GSS and DfE convention, which the
symbols follow):

- ``c``: confidential, suppressed: a count of persons from 1 to below the threshold (a setting,
  ``TALENT_PUBLIC_THRESHOLD``, default 5; a zero is shown, as DfE does: it discloses nobody), every
  figure built on a suppressed count
  (a ratio, a gap, a projection), and the *secondary* suppressions below;
- ``x``: not available: the warehouse has no value (no trend from a single year end, no data yet);
- ``z``: not applicable: a ratio whose denominator is zero (nobody to divide by).

Secondary suppression: the region-wide row (``650000``) is the sum of the prefecture-level units
of the same date or year (and level, indicator, ...). Were a single unit suppressed, the region total
minus the published others would give it back; were two suppressed cells known to lie below the
threshold and to sum to the difference, they could be pinned down too. So, per group and per count,
while some suppressed cell can be recovered exactly from the published cells (interval reasoning:
a primary cell lies in [1, threshold - 1], a secondary one in [0, difference]), the smallest
published unit is suppressed as well (ties by code); when no unit is left, the total is suppressed.
A table publishes the same pattern for the same figures, so two tables cannot be played off each
other (``mart_target_progress`` repeats the latest date of ``mart_high_skill_ratio``).

Written from the published file only, into ``<published folder>/public/`` as CSV (UTF-8 with BOM,
for Excel) and Parquet (suppressed columns as text), with ``index.json`` saying the threshold, the
symbols and the as-of date.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from ingest.arrow import arrow_table
from publish.docs import TableDoc
from publish.files import read_published, replace_file, replace_text
from publish.parquet import write_table

DEFAULT_THRESHOLD = 5
REGION_CODE = "650000"
SUPPRESSED, UNAVAILABLE, NOT_APPLICABLE = "c", "x", "z"
SYMBOLS = {
    SUPPRESSED: "保密（1至阈值以下的人数及据其计算的数值，含为防止倒推而隐藏的数值）/ confidential",
    UNAVAILABLE: "无数据 / not available",
    NOT_APPLICABLE: "不适用（分母为零）/ not applicable",
}


def threshold_from_env() -> int:
    value = os.environ.get("TALENT_PUBLIC_THRESHOLD", "")
    threshold = int(value) if value else DEFAULT_THRESHOLD
    if threshold < 1:
        raise ValueError("TALENT_PUBLIC_THRESHOLD must be a positive whole number")
    return threshold


@dataclass(frozen=True)
class PublicSpec:
    """How one mart is published: which columns are counts of persons, what is built on them."""

    table: str
    keys: tuple[str, ...]  # with ``region_code``, identify a row; a group shares them all
    counts: tuple[str, ...]  # counts of persons: suppressed below the threshold
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)  # figure -> counts it is built on
    denominators: dict[str, str] = field(default_factory=dict)  # ratio -> count; zero makes it ``z``
    drop: tuple[str, ...] = ()  # not published
    order: tuple[str, ...] = ()


SPECS = (
    PublicSpec(
        "mart_high_skill_ratio",
        keys=("as_of_date",),
        counts=("skilled_persons", "high_skilled_persons"),
        derived={"high_skill_ratio": ("skilled_persons", "high_skilled_persons")},
        denominators={"high_skill_ratio": "skilled_persons"},
        order=("as_of_date", "region_code"),
    ),
    PublicSpec(
        "mart_target_progress",
        keys=("indicator_id",),
        counts=("skilled_persons", "high_skilled_persons"),
        derived={
            c: ("skilled_persons", "high_skilled_persons")
            for c in (
                "latest_ratio", "gap_pp", "trend_pp_per_year", "projected_ratio", "on_track",
                "additional_high_skilled_needed", "status",
            )
        },
        denominators={c: "skilled_persons" for c in ("latest_ratio", "gap_pp", "projected_ratio")},
        order=("indicator_id", "region_code"),
    ),
    PublicSpec(
        "mart_certificate_rewards",
        keys=("year", "skill_level"),
        counts=("certified_persons", "certificates"),
        order=("year", "level_rank", "region_code"),
    ),
    PublicSpec(
        "mart_promotion_followup",
        keys=("year",),
        counts=("entitled_persons", "done_persons", "backlog_persons"),
        derived={"share_done": ("entitled_persons", "done_persons")},
        denominators={"share_done": "entitled_persons"},
        order=("year", "region_code"),
    ),
)


@dataclass
class Cell:
    value: object
    shown: object  # the published value, or a symbol


def _bounds(cells: list[tuple[int, bool]], difference: int, threshold: int) -> list[tuple[int, int]]:
    """For suppressed cells (true value, primary?) summing to ``difference``: the interval each is
    known to lie in, given every other cell's interval (primary [1, t-1], secondary [0, difference])."""
    box = [(1, threshold - 1) if primary else (0, difference) for _, primary in cells]
    out = []
    for i, (lo, hi) in enumerate(box):
        others_lo = sum(b[0] for j, b in enumerate(box) if j != i)
        others_hi = sum(b[1] for j, b in enumerate(box) if j != i)
        out.append((max(lo, difference - others_hi), min(hi, difference - others_lo)))
    return out


def recoverable(cells: list[tuple[int, bool]], difference: int, threshold: int) -> bool:
    return any(lo >= hi for lo, hi in _bounds(cells, difference, threshold))


def suppress(rows: list[dict], spec: PublicSpec, threshold: int) -> list[dict[str, Cell]]:
    """Rows of the mart -> rows of cells with the published value or symbol of each column."""
    suppressed: dict[tuple[int, str], bool] = {}  # (row index, count) -> primary?
    for i, row in enumerate(rows):
        for c in spec.counts:
            if row[c] is not None and 0 < row[c] < threshold:
                suppressed[(i, c)] = True
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(row[k] for k in spec.keys), []).append(i)
    for members in groups.values():
        totals = [i for i in members if rows[i]["region_code"] == REGION_CODE]
        units = sorted(
            (i for i in members if rows[i]["region_code"] != REGION_CODE), key=lambda i: rows[i]["region_code"]
        )
        for c in spec.counts:
            for total in totals:  # at most one
                while (total, c) not in suppressed:
                    hidden = [i for i in units if (i, c) in suppressed]
                    if not hidden:
                        break
                    difference = rows[total][c] - sum(rows[i][c] for i in units if (i, c) not in suppressed)
                    cells = [(rows[i][c], suppressed[(i, c)]) for i in hidden]
                    if not recoverable(cells, difference, threshold):
                        break
                    candidates = [i for i in units if (i, c) not in suppressed]
                    if candidates:
                        smallest = min(candidates, key=lambda i: (rows[i][c], rows[i]["region_code"]))
                        suppressed[(smallest, c)] = False
                    else:
                        suppressed[(total, c)] = False
    out = []
    for i, row in enumerate(rows):
        cells = {}
        for column, value in row.items():
            if column in spec.drop:
                continue
            hidden = (i, column) in suppressed or any((i, b) in suppressed for b in spec.derived.get(column, ()))
            denominator = spec.denominators.get(column)
            if hidden:
                shown = SUPPRESSED
            elif denominator and row[denominator] == 0:
                shown = NOT_APPLICABLE
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                shown = UNAVAILABLE
            else:
                shown = value
            cells[column] = Cell(value, shown)
        out.append(cells)
    return out


def _text(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def public_table(con, spec: PublicSpec, threshold: int) -> tuple[list[str], list[dict[str, Cell]]]:
    order = ", ".join(spec.order) or "all"
    cursor = con.execute(f"select * from marts.{spec.table} order by {order}")
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return [c for c in columns if c not in spec.drop], suppress(rows, spec, threshold)


def _arrow(columns: list[str], rows: list[dict[str, Cell]], spec: PublicSpec) -> pa.Table:
    """Keys keep their types; every other column is text, since it may hold a symbol."""
    data = {}
    for c in columns:
        values = [r[c].shown for r in rows]
        data[c] = values if c in (*spec.keys, "region_code", "region_name") else [
            None if v is None else _text(v) for v in values
        ]
    return arrow_table(data)


def write_public(warehouse: Path, out: Path, docs: dict[str, TableDoc], threshold: int) -> list[Path]:
    written = []
    with read_published(warehouse) as con:
        run_id, as_of = con.execute("select run_id, as_of_date::varchar from audit.refresh").fetchone()
        for spec in SPECS:
            columns, rows = public_table(con, spec, threshold)
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows([_text(r[c].shown) for c in columns] for r in rows)
            text = buffer.getvalue()
            written.append(replace_file(
                out / f"{spec.table}.csv", lambda tmp, text=text: tmp.write_text(text, encoding="utf-8-sig")
            ))
            extra = {"table": f"public.{spec.table}", "run_id": run_id, "as_of_date": as_of,
                     "suppression_threshold": str(threshold)}
            written.append(write_table(
                _arrow(columns, rows, spec), out / f"{spec.table}.parquet", docs.get(f"marts.{spec.table}"), extra
            ))
    index = {
        "as_of_date": as_of,
        "run_id": run_id,
        "threshold": threshold,
        "symbols": SYMBOLS,
        "tables": [s.table for s in SPECS],
        "rule": "counts of persons from 1 to below the threshold, figures built on them, and the cells that would let "
        "them be recovered from the region total are shown as c",
    }
    replace_text(out / "index.json", json.dumps(index, ensure_ascii=False, indent=1))
    return written
