"""How exports spell things: per-file styles and the vectorised rendering of clean values to cells.

A source describes its columns once (`Column`: English alias, Chinese header variants, required or
not, and a *kind* that says how values of the column are spelled). `draw_styles` gives every file of
a source its `FileStyle`, guaranteeing that each option of each style dimension is used by at least
one file whenever there are at least as many files as options, and `render` turns the clean typed
rows of one file into the strings (and Excel date cells) the file will hold.

Clean frames hold one column per alias, typed by kind:

- ``text``, ``id``, ``code``, ``gender``, ``status``: str (null = blank)
- ``year``, ``integer``: int; ``money``: float yuan (per file ``1,200.00``, ``1200.00`` or ``1200``)
- ``date``: pl.Date
- ``level``: integer rank 0..7
- ``region``: integer unit index, plus a str column ``<alias>_county`` (county code of the row)

and two columns for bad rows: ``defect_alias`` (the alias of the one defective column, else null) and
``defect_value`` (the text written there instead, null for blank). Defect values bypass all mess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from . import reference as ref

DATE_STYLES = ("iso", "slash", "dot", "cn", "compact")
_DATE_FORMATS = {
    "iso": "%Y-%m-%d",
    "slash": "%Y/%-m/%-d",
    "dot": "%Y.%m.%d",
    "cn": "%Y年%-m月%-d日",
    "compact": "%Y%m%d",
}
REGION_STYLES = ("code", "county", "full", "short")
LEVEL_STYLE_NAMES = tuple(ref.LEVEL_STYLES)
EXCEL_DATE_FORMATS = ("yyyy-mm-dd", "yyyy/m/d", "yyyy年m月d日")

MONEY_STYLES = ("thousands", "decimals", "plain")
MONEY_STYLE_WEIGHTS = (0.45, 0.35, 0.20)
FULLWIDTH_KINDS = ("id", "code", "date", "level", "region", "year", "integer", "money")

_ASCII = (
    [chr(c) for c in range(ord("0"), ord("9") + 1)]
    + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + [chr(c) for c in range(ord("a"), ord("z") + 1)]
)
_FULL = [chr(ord(ch) + 0xFEE0) for ch in _ASCII]

# Row-level shares (of the rows or values a rule applies to).
PAD_SHARE = 0.05  # of values in a file whose style pads values
FULLWIDTH_SHARE = 0.04  # of ID, code, date, level, region values in a file whose style uses full-width
LOWER_X_SHARE = 0.30  # of ID numbers ending in X, in every file
BLANK_GENDER_SHARE = 0.06  # of rows of a file with a gender column
BLANK_STATUS_SHARE = 0.05  # of 有效 rows, in a file that otherwise writes 有效
MIXED_DATE_SHARE = 0.20  # of rows in a file whose dates are mixed: another spelling
MIXED_LEVEL_SHARE = 0.25  # of rows in a file whose levels are mixed
TEXT_DATE_IN_EXCEL_SHARE = 0.10  # of rows in an xlsx file with date cells: the date as text anyway


@dataclass(frozen=True)
class Column:
    alias: str
    headers: tuple[str, ...]  # Chinese header variants
    required: bool
    kind: str  # text | id | code | gender | status | date | level | region
    omit_share: float = 0.0  # share of files leaving this (optional) column out


@dataclass
class FileStyle:
    fmt: str = "csv"  # csv | xlsx
    # csv
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | gb18030
    crlf: bool = False
    quote_all: bool = False
    trailing_empty_column: bool = False
    blank_trailing_lines: int = 0
    # xlsx
    title_rows: int = 0
    title_pattern: str = ""  # per title row: T title (merged), I info, B blank
    excel_dates: bool = False
    excel_date_format: str = "yyyy-mm-dd"
    # headers
    header_lang: str = "zh"  # zh | en | mixed
    header_variant: dict[str, int] = field(default_factory=dict)
    header_spaces: bool = False
    header_fullwidth_parens: bool = False
    header_star: bool = False
    shuffle_columns: bool = False
    omit: frozenset[str] = frozenset()
    # values
    date_style: str = "iso"
    date_mixed: bool = False
    level_style: str = "canonical"
    level_mixed: bool = False
    region_style: str = "code"
    region_mixed: bool = False
    pad_values: bool = False
    fullwidth: bool = False
    status_blank_when_valid: bool = False

    @property
    def header_row(self) -> int:
        """1-based row of the header as a spreadsheet shows it."""
        return self.title_rows + 1 if self.fmt == "xlsx" else 1


def cover(rng: np.random.Generator, n: int, options: tuple, weights: tuple[float, ...] | None = None) -> list:
    """n draws from options by weight, each option at least once when n >= len(options)."""
    p = None if weights is None else np.array(weights, dtype=float) / sum(weights)
    idx = rng.choice(len(options), size=n, p=p)
    if n >= len(options):
        slots = rng.permutation(n)[: len(options)]
        idx[slots] = np.arange(len(options))
    return [options[i] for i in idx]


def flags(rng: np.random.Generator, n: int, share: float) -> list[bool]:
    """n booleans with P(True) = share, both values present when n >= 2."""
    return [bool(v) for v in cover(rng, n, (True, False), (share, 1 - share))]


def draw_styles(
    rng: np.random.Generator, fmts: list[str], columns: tuple[Column, ...], keep: list[frozenset[str]]
) -> list[FileStyle]:
    """One style per file. `keep[i]` names optional columns file i must keep (e.g. status when it
    carries revocations)."""
    n = len(fmts)
    styles = [FileStyle(fmt=f) for f in fmts]
    csv = [i for i, f in enumerate(fmts) if f == "csv"]
    xlsx = [i for i, f in enumerate(fmts) if f == "xlsx"]

    for i, enc in zip(csv, cover(rng, len(csv), ("utf-8", "utf-8-sig", "gb18030"), (0.6, 0.2, 0.2))):
        styles[i].encoding = enc
        styles[i].crlf = bool(rng.random() < (0.8 if enc == "gb18030" else 0.2))
    for name, share in (("quote_all", 0.2), ("trailing_empty_column", 0.1)):
        for i, v in zip(csv, flags(rng, len(csv), share)):
            setattr(styles[i], name, v)
    for i, v in zip(csv, cover(rng, len(csv), (0, 1, 2), (0.85, 0.1, 0.05))):
        styles[i].blank_trailing_lines = v

    patterns = {0: ("",), 1: ("T", "B"), 2: ("TB", "TI", "BT"), 3: ("TIB", "BTB", "TBB")}
    for i, t in zip(xlsx, cover(rng, len(xlsx), (0, 1, 2, 3), (0.3, 0.3, 0.2, 0.2))):
        styles[i].title_rows = t
        styles[i].title_pattern = patterns[t][rng.integers(len(patterns[t]))]
    for i, v in zip(xlsx, flags(rng, len(xlsx), 0.5)):
        styles[i].excel_dates = v
    for i, v in zip(xlsx, cover(rng, len(xlsx), EXCEL_DATE_FORMATS, (0.6, 0.3, 0.1))):
        styles[i].excel_date_format = v

    for i, v in enumerate(cover(rng, n, ("zh", "en", "mixed"), (0.8, 0.12, 0.08))):
        styles[i].header_lang = v
    for name, share in (
        ("header_spaces", 0.2),
        ("header_fullwidth_parens", 0.35),
        ("header_star", 0.3),
        ("shuffle_columns", 0.1),
        ("date_mixed", 0.15),
        ("level_mixed", 0.1),
        ("region_mixed", 0.1),
        ("pad_values", 0.35),
        ("fullwidth", 0.25),
        ("status_blank_when_valid", 0.4),
    ):
        for i, v in enumerate(flags(rng, n, share)):
            setattr(styles[i], name, v)
    for i, v in enumerate(cover(rng, n, DATE_STYLES, (0.35, 0.2, 0.1, 0.15, 0.2))):
        styles[i].date_style = v
    for i, v in enumerate(cover(rng, n, LEVEL_STYLE_NAMES, (0.3, 0.2, 0.15, 0.15, 0.2))):
        styles[i].level_style = v
    for i, v in enumerate(cover(rng, n, REGION_STYLES, (0.3, 0.2, 0.3, 0.2))):
        styles[i].region_style = v

    for col in columns:
        if len(col.headers) > 1:
            for i, v in enumerate(cover(rng, n, tuple(range(len(col.headers))))):
                styles[i].header_variant[col.alias] = v
        if col.omit_share > 0:
            for i, v in enumerate(flags(rng, n, col.omit_share)):
                if v and col.alias not in keep[i]:
                    styles[i].omit = styles[i].omit | {col.alias}
    return styles


def headers(columns: list[Column], style: FileStyle, rng: np.random.Generator) -> list[str]:
    out = []
    for col in columns:
        lang = style.header_lang if style.header_lang != "mixed" else ("en" if rng.random() < 0.4 else "zh")
        h = col.alias if lang == "en" else col.headers[style.header_variant.get(col.alias, 0)]
        if style.header_fullwidth_parens:
            h = h.replace("(", "（").replace(")", "）")
        if style.header_star and col.required:
            h += "*"
        if style.header_spaces and rng.random() < 0.5:
            h = " " * int(rng.integers(1, 3)) + h + " " * int(rng.integers(0, 2))
        out.append(h)
    return out


def column_order(
    columns: tuple[Column, ...], style: FileStyle, rng: np.random.Generator, drop: str | None = None
) -> list[Column]:
    cols = [c for c in columns if c.alias not in style.omit and c.alias != drop]
    if style.shuffle_columns:
        cols = [cols[i] for i in rng.permutation(len(cols))]
    return cols


@dataclass
class Rendered:
    headers: list[str]
    cells: list[pl.Series]  # str, null = blank cell
    date_cells: dict[int, pl.Series]  # column position -> pl.Date (non-null = write an Excel date)
    counts: dict[str, int]  # mess occurrences in this file


_COUNT = "__n__"  # prefix of the boolean columns that count mess occurrences


def render(
    frame: pl.DataFrame, columns: list[Column], style: FileStyle, rng: np.random.Generator
) -> Rendered:
    """The cells of one file. Random choices are drawn with numpy; the strings are built by a few
    polars passes over the whole file (base spelling, full-width, padding, defects)."""
    n = frame.height
    c = pl.col
    draws: dict[str, np.ndarray] = {}
    base: list[pl.Expr] = []
    dates: dict[int, pl.Expr] = {}
    counts: dict[str, int] = {}

    def draw(name: str, values: np.ndarray) -> pl.Expr:
        draws[name] = values
        return c(name)

    def count(key: str, condition: pl.Expr) -> pl.Expr:
        return condition.fill_null(False).alias(f"{_COUNT}{key}#{len(base)}")

    for i, col in enumerate(columns):
        a, t = col.alias, f"_t{i}"
        v = c(a)
        if col.kind == "date":
            chosen = draw(
                f"_ds{i}",
                _pick_styles(rng, n, style.date_style, style.date_mixed, DATE_STYLES, MIXED_DATE_SHARE),
            )
            text = _switch(chosen, [v.dt.strftime(_DATE_FORMATS[d]) for d in DATE_STYLES])
            base += [count(f"date_{d}", (chosen == k) & v.is_not_null()) for k, d in enumerate(DATE_STYLES)]
            if style.fmt == "xlsx" and style.excel_dates:
                as_cell = draw(f"_dc{i}", rng.random(n) >= TEXT_DATE_IN_EXCEL_SHARE)
                dates[i] = pl.when(as_cell).then(v)
                text = pl.when(as_cell).then(None).otherwise(text)
                base.append(count("date_excel_cell", as_cell & v.is_not_null()))
        elif col.kind == "level":
            chosen = _pick_styles(
                rng, n, style.level_style, style.level_mixed, LEVEL_STYLE_NAMES, MIXED_LEVEL_SHARE
            )
            text = _switch(
                draw(f"_ls{i}", chosen),
                [
                    v.replace_strict(list(range(len(sp))), list(sp), return_dtype=pl.Utf8)
                    for sp in ref.LEVEL_STYLES.values()
                ],
            )
            combo = chosen.astype(np.int64) * 8 + frame[a].fill_null(0).to_numpy()
            flat = [sp for spellings in ref.LEVEL_STYLES.values() for sp in spellings]
            for k, m in zip(*np.unique(combo, return_counts=True)):
                counts[f"level_{flat[k]}"] = counts.get(f"level_{flat[k]}", 0) + int(m)
        elif col.kind == "region":
            u = ref.units()
            chosen = draw(
                f"_rs{i}", _pick_styles(rng, n, style.region_style, style.region_mixed, REGION_STYLES, 0.5)
            )
            idx = list(range(len(u)))
            code = v.replace_strict(idx, list(u.code), return_dtype=pl.Utf8)
            county = c(a + "_county")
            text = _switch(
                chosen,
                [
                    code,
                    county,
                    v.replace_strict(idx, list(u.name), return_dtype=pl.Utf8),
                    v.replace_strict(idx, list(u.short), return_dtype=pl.Utf8),
                ],
            )
            base += [count(f"region_{r}", chosen == k) for k, r in enumerate(REGION_STYLES)]
            base.append(count("region_county_code", (chosen == 1) & (county != code)))
        elif col.kind in ("year", "integer"):
            text = v.cast(pl.Int64).cast(pl.Utf8)
        elif col.kind == "money":
            # per file: 1,200.00 (thousands separators), 1200.00, or 1200 when whole
            money = MONEY_STYLES[int(rng.choice(len(MONEY_STYLES), p=MONEY_STYLE_WEIGHTS))]
            amounts = frame[a].drop_nulls().unique().sort().to_list()
            spelled = [_money(x, money) for x in amounts]
            text = v.replace_strict(amounts, spelled, default=None, return_dtype=pl.Utf8)
            base.append(count("money_thousands_separator", text.str.contains(",", literal=True)))
        elif col.kind == "id":
            lower = draw(f"_lx{i}", rng.random(n) < LOWER_X_SHARE) & v.str.ends_with("X")
            text = pl.when(lower).then(v.str.to_lowercase()).otherwise(v)
            base.append(count("id_lower_x", lower))
        elif col.kind == "gender":
            blank = draw(f"_gb{i}", rng.random(n) < BLANK_GENDER_SHARE)
            text = pl.when(blank).then(None).otherwise(v)
            base.append(count("gender_blank", blank & v.is_not_null()))
        elif col.kind == "status":
            blank = (v == ref.STATUS_VALID) & (
                draw(f"_sb{i}", rng.random(n) < BLANK_STATUS_SHARE) | style.status_blank_when_valid
            )
            text = pl.when(blank).then(None).otherwise(v)
            base.append(count("status_blank", blank))
        else:
            text = v
        base.append(text.alias(t))

    work = frame.hstack([pl.Series(k, d) for k, d in draws.items()])
    work = work.with_columns(*base, *(e.alias(f"_d{i}") for i, e in dates.items()))

    # Full-width digits and letters, then surrounding spaces, then the bad rows' defective values.
    later: list[pl.Expr] = []
    for i, col in enumerate(columns):
        t = c(f"_t{i}")
        if style.fullwidth and col.kind in FULLWIDTH_KINDS:
            full = pl.lit(pl.Series(rng.random(n) < FULLWIDTH_SHARE)) & t.str.contains("[0-9A-Za-z]")
            later += [
                pl.when(full).then(t.str.replace_many(_ASCII, _FULL)).otherwise(t).alias(f"_t{i}"),
                full.fill_null(False).alias(f"{_COUNT}fullwidth_values#{i}"),
            ]
    if later:
        work = work.with_columns(later)
    if style.pad_values:
        pads = []
        for i in range(len(columns)):
            t = c(f"_t{i}")
            side = rng.integers(0, 3, n)
            pad = pl.lit(pl.Series(rng.random(n) < PAD_SHARE)) & t.is_not_null()
            left = pl.lit(
                pl.Series(np.where(side != 1, " ", "")) + pl.Series(np.where(rng.random(n) < 0.3, " ", ""))
            )
            right = pl.lit(pl.Series(np.where(side != 0, " ", "")))
            pads += [
                pl.when(pad).then(left + t + right).otherwise(t).alias(f"_t{i}"),
                pad.fill_null(False).alias(f"{_COUNT}padded_values#{i}"),
            ]
        work = work.with_columns(pads)
    bad = [(i, (c("defect_alias") == col.alias).fill_null(False)) for i, col in enumerate(columns)]
    work = work.with_columns(
        *(pl.when(b).then(c("defect_value")).otherwise(c(f"_t{i}")).alias(f"_t{i}") for i, b in bad),
        *(pl.when(b).then(None).otherwise(c(f"_d{i}")).alias(f"_d{i}") for i, b in bad if i in dates),
    )

    flags = [name for name in work.columns if name.startswith(_COUNT)]
    if flags:
        for name, k in zip(flags, work.select(pl.col(flags).sum()).row(0)):
            key = name[len(_COUNT) :].split("#")[0]
            counts[key] = counts.get(key, 0) + int(k)
    return Rendered(
        headers(columns, style, rng),
        [work[f"_t{i}"] for i in range(len(columns))],
        {i: work[f"_d{i}"] for i in dates},
        {k: v for k, v in counts.items() if v},
    )


def _money(amount: float, style: str) -> str:
    if style == "thousands":
        return f"{amount:,.2f}"
    if style == "plain" and float(amount).is_integer():
        return str(int(amount))
    return f"{amount:.2f}"


def _switch(chosen: pl.Expr, options: list[pl.Expr]) -> pl.Expr:
    """options[k] where chosen == k."""
    expr = pl.when(chosen == 0).then(options[0])
    for k, option in enumerate(options[1:], start=1):
        expr = expr.when(chosen == k).then(option)
    return expr


def _pick_styles(
    rng: np.random.Generator, n: int, main: str, mixed: bool, options: tuple[str, ...], share: float
) -> np.ndarray:
    """Per row, the index in options of the spelling to use: `main`, or with `mixed` sometimes another."""
    chosen = np.full(n, options.index(main), dtype=np.int8)
    if mixed:
        other = rng.random(n) < share
        chosen[other] = rng.integers(0, len(options), other.sum())
    return chosen
