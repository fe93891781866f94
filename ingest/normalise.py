"""Normalisers: one per vocabulary of the contract, each a vectorised polars expression.

Every normaliser takes the raw text column (``pl.Utf8``) and returns a pair of expressions:
the typed value (null when blank or invalid) and the reason it is invalid (null when fine or
blank). Blank-but-required is decided by the caller (:func:`normalise_frame`), which knows the
contract. Nothing here loops over rows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl

from ingest import contract as c

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
REGION_WIDE_CODE = "650000"


@dataclass(frozen=True)
class Vocabulary:
    """Reference vocabularies, read from the dbt seeds (the single source of them)."""

    level_of_spelling: dict[str, str]
    rank_of_level: dict[str, int]
    unit_codes: frozenset[str]  # prefecture-level units: 14 prefectures + 6590xx cities
    prefecture_codes: frozenset[str]  # the 14 whose county codes roll up to them
    code_of_name: dict[str, str]  # full and short names -> unit code


@cache
def vocabulary(seeds: Path = SEEDS) -> Vocabulary:
    spellings = pl.read_csv(seeds / "ref_skill_level_spellings.csv", infer_schema=False)
    levels = pl.read_csv(seeds / "ref_skill_levels.csv", infer_schema=False)
    units = pl.read_csv(seeds / "ref_prefectures.csv", infer_schema=False)
    code_of_name = {}
    for row in units.iter_rows(named=True):  # 26 reference rows, not data rows
        code_of_name[row["name"]] = row["code"]
        code_of_name[row["short_name"]] = row["code"]
    return Vocabulary(
        level_of_spelling=dict(zip(spellings["spelling"], spellings["skill_level"], strict=True)),
        rank_of_level={lv: int(r) for lv, r in zip(levels["skill_level"], levels["level_rank"], strict=True)},
        unit_codes=frozenset(units["code"]),
        prefecture_codes=frozenset(units.filter(pl.col("kind") == "prefecture")["code"]),
        code_of_name=code_of_name,
    )


# ---------------------------------------------------------------- headers (a handful per file)


def normalise_header(header: object) -> str:
    """`' 职业（工种）名称* '` -> `'职业(工种)名称'`; English aliases lower-cased."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header))
    text = "".join(text.split()).rstrip("*").strip().lower()
    return text


@cache
def header_lookup(source: c.Source) -> dict[str, str]:
    return {normalise_header(h): col.name for col in source.columns for h in col.headers}


# ---------------------------------------------------------------- values


def clean_text(expr: pl.Expr) -> pl.Expr:
    """NFKC (full-width digits, letters, parentheses to half-width), trimmed; blank -> null."""
    text = expr.str.normalize("NFKC").str.strip_chars(" \t\r\n\u200b\ufeff\u00a0")
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def _invalid(value: pl.Expr, present: pl.Expr, reason: str) -> pl.Expr:
    return pl.when(present & value.is_null()).then(pl.lit(reason)).otherwise(pl.lit(None, pl.Utf8))


def parse_date(text: pl.Expr) -> pl.Expr:
    """Every date spelling of the contract, Excel date cells (as text or serial) -> Date."""
    s = clean_text(text).str.replace_all(r"\s+", " ")
    s = s.str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "$1")
    sep = s.str.extract_groups(r"^(?<y>\d{4})\s*[-/.年]\s*(?<m>\d{1,2})\s*[-/.月]\s*(?<d>\d{1,2})\s*日?$")
    compact = s.str.extract_groups(r"^(?<y>\d{4})(?<m>\d{2})(?<d>\d{2})$")
    y = pl.coalesce(sep.struct.field("y"), compact.struct.field("y"))
    m = pl.coalesce(sep.struct.field("m"), compact.struct.field("m")).str.zfill(2)
    d = pl.coalesce(sep.struct.field("d"), compact.struct.field("d")).str.zfill(2)
    spelled = pl.concat_str([y, m, d], separator="-").str.to_date("%Y-%m-%d", strict=False)
    serial = s.str.extract(r"^(\d{5})(\.0+)?$", 1).cast(pl.Int32, strict=False)
    from_serial = pl.when(serial.is_between(20000, 80000)).then(
        pl.lit(date(1899, 12, 30)) + pl.duration(days=serial)
    )
    parsed = pl.coalesce(spelled, from_serial.cast(pl.Date))
    return pl.when(parsed.is_between(date(1900, 1, 1), date(2100, 12, 31))).then(parsed)


def date_value(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    value = parse_date(text)
    return value, _invalid(value, clean_text(text).is_not_null(), "date not recognised")


def level_value(text: pl.Expr, vocab: Vocabulary) -> tuple[pl.Expr, pl.Expr]:
    key = clean_text(text).str.replace_all(r"\s+", "").str.replace(r"^(\d)\.0+$", "$1")
    value = key.replace_strict(vocab.level_of_spelling, default=None, return_dtype=pl.Utf8)
    return value, _invalid(value, key.is_not_null(), "skill level not recognised")


def level_rank(level: pl.Expr, vocab: Vocabulary) -> pl.Expr:
    return level.replace_strict(vocab.rank_of_level, default=None, return_dtype=pl.Int8)


def region_value(text: pl.Expr, vocab: Vocabulary) -> tuple[pl.Expr, pl.Expr]:
    """A division code (prefecture, county rolling up, or 6590xx city) or a full/short name."""
    s = clean_text(text).str.replace_all(r"\s+", "").str.replace(r"^(\d{6})\.0+$", "$1")
    is_code = s.str.contains(r"^\d{6}$")
    rolled = s.str.slice(0, 4) + pl.lit("00")
    units, prefectures = sorted(vocab.unit_codes), sorted(vocab.prefecture_codes)
    from_code = (
        pl.when(s.is_in(units))
        .then(s)
        .when(~s.str.starts_with("6590") & rolled.is_in(prefectures))
        .then(rolled)
    )
    from_name = s.replace_strict(vocab.code_of_name, default=None, return_dtype=pl.Utf8)
    value = pl.when(is_code).then(from_code).otherwise(from_name)
    return value, _invalid(value, s.is_not_null(), "region not recognised")


def id_number_value(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Resident ID (GB 11643): 18 chars, ISO 7064 MOD 11-2 check digit, valid birth date."""
    return _id_checked(_id_text(clean_text(text)))


def _id_text(clean: pl.Expr) -> pl.Expr:
    return clean.str.replace_all(r"\s+", "").str.to_uppercase()


def _first17(s: pl.Expr) -> pl.Expr:
    return s.str.slice(0, 17).str.to_integer(strict=False)


def _id_checked(s: pl.Expr, first17: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    """``s``: cleaned, upper-cased text. The check digit with integer arithmetic on the first 17
    digits (ISO 7064 MOD 11-2: weighted sum plus the check value, X = 10, is 1 modulo 11)."""
    shaped = s.str.contains(r"^\d{17}[\dX]$")
    first17 = _first17(s) if first17 is None else first17
    total = pl.sum_horizontal([(first17 // 10 ** (16 - i) % 10) * w for i, w in enumerate(ID_WEIGHTS)])
    last = s.str.slice(17, 1)
    check = pl.when(last == "X").then(pl.lit(10, pl.Int64)).otherwise(last.str.to_integer(strict=False))
    check_ok = (shaped & ((total + check) % 11 == 1)).fill_null(False)
    birth = s.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    birth_ok = birth.is_between(date(1900, 1, 1), date(2100, 1, 1)).fill_null(False)
    value = pl.when(check_ok & birth_ok).then(s)
    reason = (
        pl.when(s.is_null())
        .then(pl.lit(None, pl.Utf8))
        .when(~shaped)
        .then(pl.lit("ID number malformed (18 characters, last may be X)"))
        .when(~check_ok)
        .then(pl.lit("ID number check digit wrong"))
        .when(~birth_ok)
        .then(pl.lit("ID number birth date invalid"))
    )
    return value, reason


def id_birth_date(id_number: pl.Expr) -> pl.Expr:
    return id_number.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def id_gender(id_number: pl.Expr) -> pl.Expr:
    odd = id_number.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1
    return pl.when(id_number.is_null()).then(None).when(odd).then(pl.lit("男")).otherwise(pl.lit("女"))


def enum_value(text: pl.Expr, values: tuple[str, ...]) -> tuple[pl.Expr, pl.Expr]:
    s = clean_text(text).str.replace_all(r"\s+", "")
    value = pl.when(s.is_in(list(values))).then(s)
    return value, _invalid(value, s.is_not_null(), "value not in vocabulary")


GENDER_SPELLINGS = {"男": "男", "女": "女", "男性": "男", "女性": "女", "M": "男", "F": "女"}


def gender_value(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    s = clean_text(text).str.replace_all(r"\s+", "").str.to_uppercase()
    value = s.replace_strict(GENDER_SPELLINGS, default=None, return_dtype=pl.Utf8)
    return value, _invalid(value, s.is_not_null(), "gender not recognised")


def integer_value(text: pl.Expr, lo: int = 0, hi: int = 10**9) -> tuple[pl.Expr, pl.Expr]:
    s = clean_text(text).str.replace_all(r"[,\s]|人次|人", "").str.replace(r"^(\d+)\.0+$", "$1")
    n = pl.when(s.str.contains(r"^\d{1,18}$")).then(s.cast(pl.Int64, strict=False))
    value = pl.when(n.is_between(lo, hi)).then(n)
    return value, _invalid(value, s.is_not_null(), "number not recognised")


def year_value(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    s = clean_text(text).str.replace_all(r"\s+", "").str.replace(r"^(\d{4})(\.0+|年度?)$", "$1")
    n = s.cast(pl.Int32, strict=False)
    value = pl.when(n.is_between(1949, 2100)).then(n)
    return value, _invalid(value, s.is_not_null(), "year not recognised")


MONEY_LIMIT = 10**12  # decimal(14, 2) holds amounts below a trillion yuan


def money_value(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """An amount in yuan: digits with an optional decimal part, thousands separators allowed.
    Never ``nan``, ``inf`` or an exponent, which a float parser would accept."""
    s = clean_text(text).str.replace_all(r"[,\s¥￥元]", "")
    shaped = s.str.contains(r"^\d+(\.\d*)?$")
    n = pl.when(shaped).then(s.cast(pl.Float64, strict=False))
    value = pl.when(n.is_between(0, MONEY_LIMIT, closed="left")).then(n.round(2))
    return value, _invalid(value, s.is_not_null(), "amount not recognised")


def text_value(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return clean_text(text), pl.lit(None, pl.Utf8)


def column_value(col: c.Column, text: pl.Expr, vocab: Vocabulary) -> tuple[pl.Expr, pl.Expr]:
    """The normaliser of a contract column, by its kind."""
    if col.default is not None:
        text = pl.coalesce(clean_text(text), pl.lit(col.default))
    match col.kind:
        case c.DATE:
            return date_value(text)
        case c.LEVEL:
            return level_value(text, vocab)
        case c.REGION:
            return region_value(text, vocab)
        case c.ID_NUMBER:
            return id_number_value(text)
        case c.ENUM:
            return enum_value(text, col.values)
        case c.GENDER:
            return gender_value(text)
        case c.INTEGER:
            return integer_value(text)
        case c.YEAR:
            return year_value(text)
        case c.MONEY:
            return money_value(text)
        case _:  # text, person_name, occupation_code
            return text_value(text)


def typed_name(col: c.Column) -> str:
    """The raw-table name of a contract column: regions are stored as their unit code."""
    return "region_code" if col.kind == c.REGION else col.name


def _normalised(col: c.Column, text: pl.Expr, vocab: Vocabulary) -> tuple[pl.Expr, pl.Expr]:
    value, reason = column_value(col, text, vocab)
    if col.required:
        reason = pl.when(clean_text(text).is_null()).then(pl.lit("required value blank")).otherwise(reason)
    return value, reason


def lookup(col: c.Column, raw: pl.Series, vocab: Vocabulary | None = None) -> pl.DataFrame:
    """Distinct landed texts of one column -> ``raw, value, reason`` (and what derives from it:
    ``level_rank`` of a level, ``birth_date`` and ``id_gender`` of an ID number).

    The loader joins this back to every row in DuckDB: each distinct spelling is normalised once.
    """
    vocab = vocab or vocabulary()
    frame = pl.DataFrame({"raw": raw}, schema={"raw": pl.Utf8})
    if col.kind == c.ID_NUMBER:  # nearly one spelling per row: each step once, materialised
        plain = pl.col("raw").str.contains(r"^[0-9]{17}[0-9Xx]$").fill_null(False)
        frame = pl.concat([  # NFKC and trimming only where they can change something
            frame.filter(plain).with_columns(pl.col("raw").alias("__clean")),
            frame.filter(~plain).with_columns(clean_text(pl.col("raw")).alias("__clean")),
        ])
        frame = frame.with_columns(_id_text(pl.col("__clean")).alias("__id"))
        frame = frame.with_columns(_first17(pl.col("__id")).alias("__n17"))
        value, reason = _id_checked(pl.col("__id"), pl.col("__n17"))
        if col.required:
            reason = pl.when(pl.col("__clean").is_null()).then(pl.lit("required value blank")).otherwise(reason)
    else:
        value, reason = _normalised(col, pl.col("raw"), vocab)
    # lazily, so that polars computes sub-expressions shared by a value and its reason once
    out = (
        frame.lazy().with_columns(value.alias("value"), reason.alias("reason")).collect()
        .drop("__clean", "__id", "__n17", strict=False)
    )
    if col.kind == c.LEVEL:
        out = out.with_columns(level_rank(pl.col("value"), vocab).alias("level_rank"))
    elif col.kind == c.ID_NUMBER:
        out = out.with_columns(
            id_birth_date(pl.col("value")).alias("birth_date"), id_gender(pl.col("value")).alias("id_gender")
        )
    return out
