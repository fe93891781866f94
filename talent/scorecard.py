"""`talent scorecard`: the policy scorecard of the published warehouse, as a terminal table.

Reads only the published file (``marts.mart_policy_scorecard``), opened read-only, never the build.
One row per indicator and region-wide unit; indicators measured per prefecture, carrier, carrier type
or institution are summarised in one row (how many met, missed, ... and which missed) unless a
region is chosen or ``detail`` is asked for, when every unit gets its own row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

SCORECARD_TABLE = "marts.mart_policy_scorecard"
REGION_CODE = "650000"
# status -> (Chinese label, rich style)
STATUSES = {
    "met": ("达标", "bold green"),
    "missed": ("未达标", "bold red"),
    "on_track": ("进度正常", "green"),
    "off_track": ("进度滞后", "yellow"),
    "no_data": ("无数据", "dim"),
}
# unit_type -> Chinese noun used when units are summarised
UNIT_NOUNS = {
    "prefecture": "地州市",
    "carrier": "载体",
    "carrier_type": "载体类型",
    "institution": "院校",
}
SHARE_UNITS = ("share", "ratio")
COUNT_SUFFIX = {"person-times": " 人次", "carriers": " 个", "persons": " 人"}
MAX_NAMED = 3  # units named in a summary row's note


class ScorecardError(RuntimeError):
    """The published warehouse cannot answer: missing file or table, unknown year or region."""


@dataclass(frozen=True)
class Row:
    indicator_id: str
    indicator_name_zh: str
    section_number: int
    year: int
    unit_type: str
    unit_code: str
    unit_name: str | None
    region_code: str
    numerator: int | None
    denominator: int | None
    actual_value: float | None
    target_value: float | None
    target_unit: str | None
    comparator: str | None
    is_year_complete: bool | None
    status: str
    note: str | None


COLUMNS = [name for name in Row.__dataclass_fields__]


def load_rows(warehouse: Path) -> tuple[list[Row], date]:
    """Every scorecard row of the published file, and the as-of date it describes."""
    if not warehouse.exists():
        raise ScorecardError(f"{warehouse} does not exist; run `talent refresh` first")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise ScorecardError(f"cannot open {warehouse}: {exc}") from exc
    try:
        records = con.execute(
            f"select {', '.join(COLUMNS)}, as_of_date from {SCORECARD_TABLE}"
            " order by section_number, indicator_id, year, unit_type, unit_code"
        ).fetchall()
    except duckdb.CatalogException as exc:
        raise ScorecardError(
            f"{warehouse} has no {SCORECARD_TABLE}; it was published before the scorecard existed "
            "(run `talent refresh`)"
        ) from exc
    finally:
        con.close()
    if not records:
        raise ScorecardError(f"{SCORECARD_TABLE} in {warehouse} is empty")
    return [Row(*record[:-1]) for record in records], records[0][-1]


def resolve_region(rows: list[Row], region: str) -> tuple[str, str]:
    """(code, name) of a region given as a code (650000, 654000) or a unit's name or its start (伊犁)."""
    names = {r.unit_code: r.unit_name or r.unit_code for r in rows if r.unit_type in ("region", "prefecture")}
    names.setdefault(REGION_CODE, "新疆维吾尔自治区")
    wanted = region.strip()
    if wanted in names:
        return wanted, names[wanted]
    matches = sorted({code for code, name in names.items() if name == wanted or name.startswith(wanted)})
    if len(matches) == 1:
        return matches[0], names[matches[0]]
    known = ", ".join(f"{code} {name}" for code, name in sorted(names.items()))
    problem = "is ambiguous" if matches else "is not a prefecture-level unit of the scorecard"
    raise ScorecardError(f"region {region!r} {problem}; one of: {known}")


def render_scorecard(
    warehouse: Path, year: int | None = None, region: str | None = None, detail: bool = False
) -> RenderableType:
    """The scorecard of one year (default: the latest) as a rich renderable.

    ``region``: a prefecture-level unit (code or name) shows every row that belongs to it (its own
    rows, and its carriers and institutions); 650000 shows the region-wide rows. ``detail`` lists
    every unit instead of summarising per-unit indicators.
    """
    rows, as_of = load_rows(Path(warehouse))
    years = sorted({r.year for r in rows})
    shown_year = years[-1] if year is None else year
    if shown_year not in years:
        raise ScorecardError(f"no scorecard rows for {shown_year}; years: {', '.join(map(str, years))}")
    selected = [r for r in rows if r.year == shown_year]
    title = f"政策指标记分卡 Policy scorecard {shown_year}"
    if region is not None:
        code, name = resolve_region(rows, region)
        selected = [r for r in selected if r.region_code == code]
        title += f" · {name} ({code})"
        detail = True

    table = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    table.add_column("编号 ID", no_wrap=True)
    table.add_column("指标 Indicator")
    table.add_column("单位 Unit")
    table.add_column("实际 Actual", justify="right", no_wrap=True)
    table.add_column("目标 Target", justify="right", no_wrap=True)
    table.add_column("状态 Status", no_wrap=True)
    table.add_column("说明 Note")

    previous = None
    for indicator_rows in _by_indicator(selected):
        first = indicator_rows[0]
        if previous is not None and previous != first.section_number:
            table.add_section()
        previous = first.section_number
        single = [r for r in indicator_rows if detail or r.unit_type == "region"]
        grouped = [r for r in indicator_rows if not (detail or r.unit_type == "region")]
        for row in single:
            table.add_row(
                first.indicator_id,
                first.indicator_name_zh,
                row.unit_name or row.unit_code,
                format_actual(row),
                format_target(row),
                status_text(row.status),
                row.note or "",
            )
        for unit_type, units in _by_unit_type(grouped):
            table.add_row(
                first.indicator_id,
                first.indicator_name_zh,
                f"{len(units)} 个{UNIT_NOUNS.get(unit_type, unit_type)}",
                "",
                format_target(units[0]),
                summary_text(units),
                _summary_note(units),
            )

    if not selected:
        table.add_row("", "(no rows for this region and year)", "", "", "", "", "")
    counts = Counter(r.status for r in selected)
    totals = Text(f"as of {as_of.isoformat()}", style="dim")
    if shown_year == as_of.year and not (as_of.month == 12 and as_of.day == 31):
        totals.append(" · the year is not over: figures are year to date", style="dim")
    totals.append("   ")
    totals.append_text(_counts_text(counts))
    return Group(table, totals)


def format_value(value: float | None, unit: str | None) -> str:
    if value is None:
        return "–"
    if unit in SHARE_UNITS:
        return f"{value * 100:.1f}%"
    if unit == "percentage points":
        return f"{value:+.1f} pp"
    return f"{value:,.0f}{COUNT_SUFFIX.get(unit or '', '')}"


def format_actual(row: Row) -> str:
    text = format_value(row.actual_value, row.target_unit)
    if row.actual_value is not None and row.target_unit in SHARE_UNITS and row.denominator:
        text += f" ({row.numerator:,}/{row.denominator:,})"
    return text


def format_target(row: Row) -> str:
    if row.comparator == "list" or row.target_value is None:
        return "名单 list"
    comparator = {">=": "≥", ">": ">"}.get(row.comparator or "", row.comparator or "")
    return f"{comparator} {format_value(row.target_value, row.target_unit)}"


def status_text(status: str) -> Text:
    label, style = STATUSES.get(status, (status, ""))
    return Text(f"{label} {status}", style=style)


def summary_text(units: list[Row]) -> Text:
    return _counts_text(Counter(r.status for r in units), short=True)


def _counts_text(counts: Counter, short: bool = False) -> Text:
    text = Text()
    for status, (label, style) in STATUSES.items():
        if counts.get(status):
            if text:
                text.append(" · ")
            text.append(
                f"{counts[status]} {label}" if short else f"{counts[status]} {label} {status}", style=style
            )
    return text


def _summary_note(units: list[Row]) -> str:
    """Names the units that missed or are off track (the ones a reader acts on)."""
    behind = [r for r in units if r.status in ("missed", "off_track")]
    if not behind:
        return ""
    names = [r.unit_name or r.unit_code for r in behind[:MAX_NAMED]]
    more = f" 等 {len(behind)} 个" if len(behind) > MAX_NAMED else ""
    return "未达标/滞后: " + "、".join(names) + more


def _by_indicator(rows: list[Row]) -> list[list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.indicator_id, []).append(row)
    return sorted(groups.values(), key=lambda g: (g[0].section_number, g[0].indicator_id))


def _by_unit_type(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.unit_type, []).append(row)
    return list(groups.items())
