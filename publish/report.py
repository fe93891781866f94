"""The nightly progress report: one static HTML file beside the published warehouse.

``<published folder>/report/index.html``, written after every publish from the published file only:
the three views of the dashboards (the headline ratio and the targets, the policy scorecard, data
quality) as plotly charts and tables with Chinese labels, the as-of date, what changed since the
previous report (ratio per prefecture, certificate rows loaded, rows quarantined), and footnotes
with the contract's definitions. plotly.js is inlined once, so the file opens offline and loads
nothing from elsewhere. The figures of each report are kept in ``report/figures.json``; the next
report compares with them.
"""

from __future__ import annotations

import contextlib
import html
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from publish.files import read_published, replace_text

REGION_CODE = "650000"
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
TARGETS = ((0.25, "2027年目标 25%", "#e04355", "dash"), (0.30, "2035年目标 30%", "#8b0000", "solid"))
STATUS_ZH = {"met": "已达成", "missed": "未达成", "on_track": "按期可达", "off_track": "进度落后", "no_data": "无数据"}
DEFINITIONS = (
    ("技能人才", ("截至日期 D，至少持有一本在 D 当日或之前发证且有效的职业技能等级证书、且在 D 当日年龄为 16–60 周岁"
     "（按身份证号出生日期计算）的人，按公民身份号码计一人。")),
    ("高技能人才", "技能人才中，D 当日所持有效证书最高等级序号 ≥ 3（高级工、技师、高级技师、特级技师、首席技师）的人。"),
    ("所属地州市", "D 当日最近一本有效证书的发证地区（同日取等级较高者）；县级代码归并到地州市，6590xx 师市单列。"),
    ("高技能人才占比", "高技能人才数 ÷ 技能人才数，按全区和各地州市计算；技能人才数为 0 时不计算。"),
    ("有效证书", "在 D 当日或之前发证，且最近一次落地的状态为“有效”（撤销、注销的不计）。"),
    ("截至日期", "每年 12 月 31 日，以及本次运行日期。"),
    ("尚需新增高技能人才", "技能人才数不变时，占比达到目标还需增加的高技能人才数（向上取整）。"),
    ("趋势推算", "用最近 3 个年末占比做最小二乘直线，从最新占比推算到目标年份。"),
    ("隔离行", ("违反数据约定的行（身份证校验位错误、必填值为空、等级/日期/地区等无法识别等）不装载也不丢弃，"
     "记入隔离表；每个文件的装载行数与隔离行数之和等于其行数。")),
)


@dataclass
class ReportResult:
    path: Path
    as_of_date: str
    changes: dict


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _num(value: float | None, fmt: str = ",") -> str:
    return "—" if value is None else format(value, fmt)


def _table(headers: list[str], rows: list[list[str]], attrs: list[str] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        f"<tr{(' ' + attrs[i]) if attrs else ''}>" + "".join(rows[i]) + "</tr>" for i in range(len(rows))
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(text: str, field: str | None = None, cls: str = "") -> str:
    f = f' data-field="{field}"' if field else ""
    c = f' class="{cls}"' if cls else ""
    return f"<td{f}{c}>{_e(text)}</td>"


def collect(warehouse: Path) -> dict:
    """Everything the report shows, read from the published file."""
    with read_published(warehouse) as con:
        def rows(sql: str, params: list | None = None) -> list[dict]:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

        refresh = rows("select run_id, as_of_date::varchar as as_of_date, published_at::varchar as published_at "
                       "from audit.refresh")[0]
        latest = rows(
            "select as_of_date::varchar as as_of_date, region_code, region_name, skilled_persons, "
            "high_skilled_persons, high_skill_ratio from marts.mart_high_skill_ratio "
            "where as_of_date = (select max(as_of_date) from marts.mart_high_skill_ratio) order by region_code"
        )
        trend = rows(
            "select as_of_date::varchar as as_of_date, region_code, region_name, high_skill_ratio "
            "from marts.mart_high_skill_ratio where is_year_end or as_of_date = "
            "(select max(as_of_date) from marts.mart_high_skill_ratio) order by region_code, as_of_date"
        )
        progress = rows("select * from marts.mart_target_progress order by indicator_id, region_code")
        scorecard_year = con.execute("select max(year) from marts.mart_policy_scorecard").fetchone()[0]
        scorecard = rows(
            "select indicator_id, indicator_name_zh, year, unit_type, unit_name, actual_value, target_value, "
            "target_unit, comparator, status, note from marts.mart_policy_scorecard "
            "where year = ? and unit_type = 'region' order by section_number, indicator_id",
            [scorecard_year],
        )
        status_counts = rows(
            "select year, status, count(*) as n from marts.mart_policy_scorecard group by all order by all"
        )
        ledger = rows(
            "select source, count(*) as files, sum(rows_landed) as landed, sum(rows_loaded) as loaded, "
            "sum(rows_quarantined) as quarantined, count(*) filter (where status = 'rejected') as rejected "
            "from audit.load_ledger group by source order by source"
        )
        reasons = rows(
            "select source, column_name, reason, count(*) as n from audit.quarantine "
            "group by all order by n desc, source, column_name, reason limit 20"
        )
        ledger_through = con.execute("select max(loaded_at)::varchar from audit.load_ledger").fetchone()[0]
        loaded_since = rows(
            "select source, loaded_at::varchar as loaded_at, rows_loaded, rows_quarantined "
            "from audit.load_ledger where status = 'loaded'"
        )
    return {
        "refresh": refresh, "latest": latest, "trend": trend, "progress": progress,
        "scorecard_year": scorecard_year, "scorecard": scorecard, "status_counts": status_counts,
        "ledger": ledger, "reasons": reasons, "ledger_through": ledger_through, "loads": loaded_since,
    }


def snapshot(data: dict) -> dict:
    """What the next report compares with."""
    return {
        "run_id": data["refresh"]["run_id"],
        "as_of_date": data["refresh"]["as_of_date"],
        "ledger_through": data["ledger_through"],
        "ratios": {
            r["region_code"]: {"region_name": r["region_name"], "skilled_persons": r["skilled_persons"],
                               "high_skilled_persons": r["high_skilled_persons"], "high_skill_ratio": r["high_skill_ratio"]}
            for r in data["latest"]
        },
    }


def changes(data: dict, previous: dict | None) -> dict:
    """Ratio per unit then and now, certificate rows loaded and rows quarantined since the last report."""
    if previous is None:
        return {"previous": None}
    since = previous.get("ledger_through") or ""
    new = [r for r in data["loads"] if (r["loaded_at"] or "") > since]
    units = []
    for r in data["latest"]:
        before = previous["ratios"].get(r["region_code"], {})
        b, a = before.get("high_skill_ratio"), r["high_skill_ratio"]
        units.append({
            "region_code": r["region_code"], "region_name": r["region_name"], "before": b, "after": a,
            "change_pp": None if a is None or b is None else round(100 * (a - b), 2),
            "high_before": before.get("high_skilled_persons"), "high_after": r["high_skilled_persons"],
        })
    return {
        "previous": {"run_id": previous["run_id"], "as_of_date": previous["as_of_date"]},
        "certificate_rows_loaded": sum(r["rows_loaded"] for r in new if r["source"] == "certifications"),
        "rows_loaded": sum(r["rows_loaded"] for r in new),
        "rows_quarantined": sum(r["rows_quarantined"] for r in new),
        "files_loaded": len(new),
        "units": units,
    }


def warm_up() -> None:
    """Load plotly and the report's template in a background thread, once per process: the first
    figure costs about 0.5 s of imports and template validation. The refresh calls it when its dbt
    step starts, where the process mostly waits for dbt's output; the report then finds it done."""
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=_warm, name="report-warm-up", daemon=True)
        _warming.start()


def _warm() -> None:
    # a failure here is met again, and reported, by the report's own import in its step
    with contextlib.suppress(Exception):
        import plotly.graph_objects as go

        go.Figure(go.Bar(x=[0], y=[0])).update_layout(template=TEMPLATE).to_dict()


def _warmed() -> None:
    """Wait for the warm-up thread, if any: two threads importing plotly's modules along different
    paths at once can leave one of them a half-initialised module (Python 3.11's import locks)."""
    if _warming is not None:
        _warming.join()


_warming: threading.Thread | None = None
TEMPLATE = "plotly_white"


def _figures(data: dict) -> list[tuple[str, object]]:
    _warmed()
    import plotly.graph_objects as go

    layout = {"font": {"family": FONT, "size": 13}, "margin": {"l": 50, "r": 20, "t": 50, "b": 40}, "template": TEMPLATE,
                  "height": 420}
    units = sorted((r for r in data["latest"] if r["region_code"] != REGION_CODE and r["high_skill_ratio"] is not None),
                   key=lambda r: -r["high_skill_ratio"])
    bar = go.Figure(go.Bar(
        x=[r["region_name"] for r in units], y=[r["high_skill_ratio"] for r in units],
        text=[_pct(r["high_skill_ratio"]) for r in units], textposition="outside", marker_color="#1f77b4",
        hovertemplate="%{x}<br>高技能人才占比 %{y:.2%}<extra></extra>",
    ))
    for value, label, color, dash in TARGETS:
        bar.add_hline(y=value, line={"color": color, "dash": dash, "width": 2}, annotation_text=label,
                      annotation_position="top right")
    bar.update_layout(title=f"各地州市高技能人才占比（截至 {data['refresh']['as_of_date']}）", yaxis_tickformat=".0%",
                      xaxis_tickangle=-45, height=480, **{k: v for k, v in layout.items() if k != "height"})

    line = go.Figure()
    by_unit: dict[str, list[dict]] = {}
    for r in data["trend"]:
        if not r["region_code"].startswith("6590"):
            by_unit.setdefault(r["region_code"], []).append(r)
    for code, points in sorted(by_unit.items()):
        line.add_trace(go.Scatter(
            x=[p["as_of_date"] for p in points], y=[p["high_skill_ratio"] for p in points], mode="lines+markers",
            name=points[0]["region_name"], line={"width": 4 if code == REGION_CODE else 1.5},
            hovertemplate="%{x}<br>%{y:.2%}<extra>" + _e(points[0]["region_name"]) + "</extra>",
        ))
    for value, label, color, dash in TARGETS:
        line.add_hline(y=value, line={"color": color, "dash": dash, "width": 2}, annotation_text=label)
    line.update_layout(title="高技能人才占比：年末趋势（全区加粗）", yaxis_tickformat=".0%", height=480,
                       **{k: v for k, v in layout.items() if k != "height"})

    region = {r["indicator_id"]: r for r in data["progress"] if r["region_code"] == REGION_CODE}
    progress = go.Figure()
    labels = [f"{r['target_year']}年（目标 {_pct(r['target_ratio'])}）" for r in region.values()]
    progress.add_trace(go.Bar(name="最新占比", x=labels, y=[r["latest_ratio"] for r in region.values()],
                              text=[_pct(r["latest_ratio"]) for r in region.values()], textposition="outside"))
    progress.add_trace(go.Bar(name="趋势推算", x=labels, y=[r["projected_ratio"] for r in region.values()],
                              text=[_pct(r["projected_ratio"]) for r in region.values()], textposition="outside"))
    progress.add_trace(go.Bar(name="目标", x=labels, y=[r["target_ratio"] for r in region.values()],
                              text=[_pct(r["target_ratio"]) for r in region.values()], textposition="outside"))
    progress.update_layout(title="全区距2027年、2035年目标", yaxis_tickformat=".0%", barmode="group", **layout)

    years = sorted({r["year"] for r in data["status_counts"]})
    status = go.Figure()
    for s, zh in STATUS_ZH.items():
        counts = {r["year"]: r["n"] for r in data["status_counts"] if r["status"] == s}
        status.add_trace(go.Bar(name=zh, x=years, y=[counts.get(y, 0) for y in years]))
    status.update_layout(title="各年度指标状态（指标×单位数）", barmode="stack", xaxis_dtick=1, **layout)

    quality = go.Figure()
    for key, zh in (("landed", "落地行数"), ("loaded", "装载行数"), ("quarantined", "隔离行数")):
        quality.add_trace(go.Bar(name=zh, x=[r["source"] for r in data["ledger"]], y=[r[key] for r in data["ledger"]]))
    quality.update_layout(title="各数据来源落地、装载与隔离行数", barmode="group", **layout)
    return [("ratio_bar", bar), ("progress", progress), ("trend", line), ("status", status), ("quality", quality)]


def render(data: dict, change: dict) -> str:
    figures = {}
    for i, (key, fig) in enumerate(_figures(data)):
        figures[key] = fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"fig-{key}",
                                   config={"displaylogo": False, "responsive": True})
    as_of = data["refresh"]["as_of_date"]
    region = {r["indicator_id"]: r for r in data["progress"] if r["region_code"] == REGION_CODE}

    latest_rows, latest_attrs = [], []
    for r in data["latest"]:
        latest_attrs.append(f'data-region="{r["region_code"]}"')
        latest_rows.append([
            _td(r["region_code"]), _td(r["region_name"]), _td(_num(r["skilled_persons"]), "skilled_persons", "n"),
            _td(_num(r["high_skilled_persons"]), "high_skilled_persons", "n"),
            _td(_pct(r["high_skill_ratio"]), "high_skill_ratio", "n"),
        ])
    progress_rows = [[
        _td(r["indicator_id"]), _td(r["target_year"]), _td(_pct(r["target_ratio"]), cls="n"),
        _td(_pct(r["latest_ratio"]), cls="n"), _td(_num(r["gap_pp"], ".2f"), cls="n"),
        _td(_pct(r["projected_ratio"]), cls="n"), _td(STATUS_ZH.get(r["status"], r["status"])),
        _td(_num(r["additional_high_skilled_needed"]), "additional_high_skilled_needed", "n"),
    ] for r in region.values()]
    behind = sorted((r for r in data["progress"] if r["indicator_id"] == "HS-RATIO-2027"
                     and r["region_code"] != REGION_CODE and r["status"] in ("off_track", "no_data")),
                    key=lambda r: -(r["gap_pp"] or 0))
    behind_rows = [[_td(r["region_name"]), _td(_pct(r["latest_ratio"]), cls="n"), _td(_num(r["gap_pp"], ".2f"), cls="n"),
                    _td(_pct(r["projected_ratio"]), cls="n"), _td(_num(r["additional_high_skilled_needed"]), cls="n")]
                   for r in behind]
    score_rows = [[
        _td(r["indicator_id"]), _td(r["indicator_name_zh"]),
        _td(_num(r["actual_value"], ",.4g"), cls="n"),
        _td(_num(r["target_value"], ",.4g"), cls="n"),
        _td(r["comparator"]), _td(STATUS_ZH.get(r["status"], r["status"]), cls=f"s-{r['status']}"), _td(r["note"]),
    ] for r in data["scorecard"]]
    ledger_rows = [[_td(r["source"]), _td(_num(r["files"]), cls="n"), _td(_num(r["landed"]), cls="n"),
                    _td(_num(r["loaded"]), cls="n"), _td(_num(r["quarantined"]), cls="n"),
                    _td(_num(r["rejected"]), cls="n")] for r in data["ledger"]]
    reason_rows = [[_td(r["source"]), _td(r["column_name"]), _td(r["reason"]), _td(_num(r["n"]), cls="n")]
                   for r in data["reasons"]]

    if change.get("previous") is None:
        change_html = "<p>首次生成报告：没有上一次运行可比较。</p>"
    else:
        prev = change["previous"]
        moved = [u for u in change["units"] if u["change_pp"] not in (None, 0) or u["before"] is None]
        unit_rows = [[_td(u["region_name"]), _td(_pct(u["before"]), cls="n"), _td(_pct(u["after"]), cls="n"),
                      _td("—" if u["change_pp"] is None else f"{u['change_pp']:+.2f}", "change_pp", "n"),
                      _td(_num(u["high_before"]), cls="n"), _td(_num(u["high_after"]), cls="n")] for u in moved]
        change_html = (
            f"<p>与上一次报告（截至 {_e(prev['as_of_date'])}，运行 {_e(prev['run_id'][:8])}）相比：</p>"
            f'<ul><li>新装载证书记录 <b data-field="certificate_rows_loaded">{change["certificate_rows_loaded"]:,}</b> 行'
            f'（全部来源 {change["rows_loaded"]:,} 行，{change["files_loaded"]:,} 个文件）；</li>'
            f'<li>新隔离 <b data-field="rows_quarantined">{change["rows_quarantined"]:,}</b> 行；</li>'
            f"<li>占比有变化的单位 {len(moved)} 个：</li></ul>"
            + (_table(["地区", "上次占比", "本次占比", "变化（百分点）", "上次高技能人才数", "本次高技能人才数"], unit_rows)
               if unit_rows else "<p>各单位占比均无变化。</p>")
        )
    footnotes = "".join(f"<li><b>{_e(k)}</b>：{_e(v)}</li>" for k, v in DEFINITIONS)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>高技能人才发展监测报告（截至 {_e(as_of)}）</title>
<style>
body {{ font-family: {FONT}; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 2px solid #1f77b4; padding-bottom: .2em; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: .8em 0; font-size: .92em; }}
th, td {{ border: 1px solid #ccc; padding: .3em .6em; }} th {{ background: #f3f6fa; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.s-met {{ color: #1a7f37; }} .s-missed, .s-off_track {{ color: #c62828; }} .meta {{ color: #555; }}
.grid {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }} footer {{ font-size: .9em; color: #444; }}
</style></head><body>
<h1>新疆高技能人才发展监测报告</h1>
<p class="meta">截至日期 <b id="as-of-date">{_e(as_of)}</b> · 运行 {_e(data['refresh']['run_id'][:8])} ·
发布于 {_e(data['refresh']['published_at'])} UTC · 报告生成于 {generated} · 数据来自发布库 talent.duckdb</p>

<h2>本次变化</h2>
{change_html}

<h2>一、高技能人才占比</h2>
{figures['ratio_bar']}
<div class="grid"><div>
<h3>全区距目标（2027年25%、2035年30%）</h3>
{_table(["指标", "目标年份", "目标占比", "最新占比", "差距（百分点）", "趋势推算", "状态", "尚需新增高技能人才"], progress_rows)}
<h3>落后于2027年目标的地州市</h3>
{_table(["地区", "最新占比", "差距（百分点）", "趋势推算", "尚需新增"], behind_rows) if behind_rows else "<p>无。</p>"}
</div><div>{figures['progress']}</div></div>
<h3 id="latest-ratio">各地州市占比明细（截至 {_e(as_of)}）</h3>
{_table(["地区代码", "地区", "技能人才数", "高技能人才数", "高技能人才占比"], latest_rows, latest_attrs)}
{figures['trend']}

<h2>二、政策指标记分卡（{_e(data['scorecard_year'])}年，全区）</h2>
{figures['status']}
{_table(["指标编号", "指标", "实际值", "目标值", "比较", "状态", "说明"], score_rows)}

<h2>三、数据质量</h2>
{figures['quality']}
<div class="grid"><div><h3>各来源累计</h3>
{_table(["来源", "文件数", "落地行数", "装载行数", "隔离行数", "拒收文件数"], ledger_rows)}</div>
<div><h3>主要隔离原因（前20）</h3>
{_table(["来源", "列", "原因", "问题数"], reason_rows)}</div></div>

<footer><h2>注释：指标口径</h2><ol>{footnotes}</ol>
<p>口径依据数据约定（shared/contracts/source-exports.md，“The headline ratio, defined”与“Bad rows”）。
发布库不含姓名、身份证号；人员以身份证号的 HMAC-SHA256 假名键计数。</p></footer>
</body></html>
"""


def write_report(warehouse: Path, out_dir: Path) -> ReportResult:
    data = collect(warehouse)
    figures_path = out_dir / "figures.json"
    previous = json.loads(figures_path.read_text(encoding="utf-8")) if figures_path.exists() else None
    if previous and previous.get("run_id") == data["refresh"]["run_id"]:
        previous = previous.get("previous")  # the same run written again: compare with the one before
    change = changes(data, previous)
    path = replace_text(out_dir / "index.html", render(data, change))
    kept = {k: v for k, v in previous.items() if k != "previous"} if previous else None
    replace_text(figures_path, json.dumps({**snapshot(data), "previous": kept}, ensure_ascii=False, indent=1))
    return ReportResult(path, data["refresh"]["as_of_date"], change)
