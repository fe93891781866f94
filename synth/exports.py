"""The export plan shared by the sources added after certifications (trainings, carriers, graduates,
competitions, honours): from the rows a source's model lands to a `SourceLanding`.

A source module hands over `records` -- clean typed rows, one column per contract alias, each with the
day of the export it lands in (``export_day``), a file group (``group``: an int the source's
`Spec.file_name` turns into a file name, e.g. a prefecture, a competition), ``is_change`` (a row that
updates an earlier one: it sorts after the originals of its file) and ``order`` (an int, the order of
rows in a file) -- plus a `fresh` function that makes brand-new rows for bad rows and the rejected file.
This module then does what every export does, the way ``certifications`` does it for its own files:

- one file per (export day, group), split above 100,000 rows; small files (<= 20,000 rows) are XLSX
  with probability `Spec.xlsx_share`, at least 6 of them (when there are 30 small files) so that every
  XLSX style occurs;
- byte-for-byte copies of 3 % of the data files (at least 2 when there are 5 or more): half in the same
  folder as ``<stem>_重发``, half in a later date folder;
- bad rows: `BAD_SHARE` of the rows of loaded files (but at least one per defect kind), each a brand-new
  row (from `fresh`) with exactly one defect drawn from `Spec.defects`, each kind at least once;
- one file ``补报_...csv`` without the required column `Spec.rejected_column` (rejected whole; its rows
  are brand-new and land nowhere else), and one ``说明.txt`` note;
- per-file styles (`mess.draw_styles`), apply order, and each row's spreadsheet row number.

Nothing here decides what is true: the truth of a source is its model's final values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from . import mess
from .landing import DUPLICATE, LOADED, REJECTED, SKIPPED, LandedFile, SourceLanding, finalise, iso
from .people import day

CSV_MAX_ROWS = 100_000
XLSX_MAX_ROWS = 20_000
BAD_SHARE = 0.02
DUPLICATE_SHARE = 0.03
LAST_EXPORT = day("2026-06-30")


@dataclass(frozen=True)
class Spec:
    source: str
    columns: tuple[mess.Column, ...]
    # defect kind -> share; kinds: "check_digit" (id_number), "blank" (one of `blankable`), or a key
    # of `invalid`
    defects: tuple[tuple[str, float], ...]
    blankable: tuple[str, ...]
    # defect kind -> (alias, written values) or (alias, function(rows, rng) -> written values)
    invalid: dict[str, tuple[str, object]]
    rejected_column: str
    file_name: Callable[[int, int, str], str]  # (export day, group, ext) -> file name without part suffix
    titles: Callable[[int, int], tuple[str, str]]  # (export day, group) -> (xlsx title, info row)
    rejected_name: Callable[[int, int], str]  # (export day, group) -> name of the rejected file
    note: str
    xlsx_share: float = 0.25
    keep: frozenset[str] = field(default_factory=frozenset)  # optional columns every file keeps


@dataclass
class _File:
    export_day: int
    group: int
    rows: np.ndarray  # positions in records
    part: int
    parts: int
    xlsx: bool = False


def assemble(
    spec: Spec,
    records: pl.DataFrame,
    fresh: Callable[[np.random.Generator, np.ndarray, np.ndarray], pl.DataFrame],
    rng: np.random.Generator,
) -> SourceLanding:
    """The landing of one source. `records` must hold export_day, group, is_change, order and the
    clean columns; `fresh(rng, export_days, groups)` returns that many brand-new clean rows."""
    files = _split(records)
    _choose_xlsx(files, spec.xlsx_share, rng)
    export_days = np.unique(records["export_day"].to_numpy())
    dup_at = _choose_duplicates(files, export_days, rng)

    # Bad rows: brand-new rows in loaded data files (not in files that are copied).
    n_regular = records.height
    # every defect kind at least once, also in small sources (honours: ~60 rows at small scale)
    n_bad = max(round(BAD_SHARE / (1 - BAD_SHARE) * n_regular), len(spec.defects))
    eligible = np.array([i for i in range(len(files)) if i not in dup_at])
    sizes = np.array([len(files[i].rows) for i in eligible], dtype=float)
    bad_file = np.sort(rng.choice(eligible, n_bad, p=sizes / sizes.sum())) if n_bad else np.array([], int)
    kinds = tuple(k for k, _ in spec.defects)
    kind = np.array(mess.cover(rng, n_bad, kinds, tuple(s for _, s in spec.defects)), dtype=object)
    blank = np.full(n_bad, None, dtype=object)
    blank[kind == "blank"] = mess.cover(rng, int((kind == "blank").sum()), spec.blankable)

    # The rejected file: a prefecture's late report in the middle of the source's exports.
    rej_day = int(export_days[len(export_days) // 2])
    groups = records["group"].to_numpy()
    rej_group = int(groups[rng.integers(len(groups))])
    n_rej = int(np.clip(round(0.002 * n_regular), 3, 400))

    extra_day = np.r_[[files[i].export_day for i in bad_file], np.full(n_rej, rej_day)].astype(np.int32)
    extra_group = np.r_[[files[i].group for i in bad_file], np.full(n_rej, rej_group)].astype(np.int32)
    extra = fresh(rng, extra_day, extra_group)

    # Landed files: data files, the rejected file, copies, the note.
    landed: list[LandedFile] = []
    for f in files:
        ext = "xlsx" if f.xlsx else "csv"
        stem = spec.file_name(f.export_day, f.group, ext).rsplit(".", 1)[0]
        name = f"{stem}_{f.part + 1}.{ext}" if f.parts > 1 else f"{stem}.{ext}"
        lf = LandedFile(spec.source, f.export_day, name, ext, LOADED)
        lf.title, lf.info = spec.titles(f.export_day, f.group)
        landed.append(lf)
    landed.append(
        LandedFile(
            spec.source,
            rej_day,
            spec.rejected_name(rej_day, rej_group),
            "csv",
            REJECTED,
            missing_column=spec.rejected_column,
        )
    )
    rejected_index = len(landed) - 1
    for i, at in sorted(dup_at.items()):
        orig = landed[i]
        stem, ext = orig.name.rsplit(".", 1)
        if at == files[i].export_day:
            name = f"{stem}_重发.{ext}"  # sorts after the original
        else:
            name = orig.name if rng.random() < 0.5 else f"重发_{orig.name}"
        landed.append(LandedFile(spec.source, at, name, ext, DUPLICATE, copy_of=orig.source_file))
    landed.append(
        LandedFile(
            spec.source, int(export_days[len(export_days) // 3]), "说明.txt", "txt", SKIPPED, text=spec.note
        )
    )

    # Styles of the files that are written from rows.
    styled = [i for i, f in enumerate(landed) if f.status in (LOADED, REJECTED)]
    keep = [spec.keep for _ in styled]
    for i, style in zip(styled, mess.draw_styles(rng, [landed[i].fmt for i in styled], spec.columns, keep)):
        landed[i].style = style

    # Rows: regular rows, then bad rows, then the rejected file's rows; each with its landed file.
    where = np.empty(n_regular + len(extra_day), np.int64)
    for i, f in enumerate(files):
        where[f.rows] = i
    where[n_regular : n_regular + n_bad] = bad_file
    where[n_regular + n_bad :] = rejected_index
    position = {id(f): i for i, f in enumerate(landed)}
    ordered = finalise(landed)
    file_id = np.empty(len(ordered), np.int64)
    for f in ordered:
        file_id[position[id(f)]] = f.file_id
    header_row = np.array([f.style.header_row if f.style else 0 for f in ordered], dtype=np.int64)

    clean = [c.alias for c in spec.columns] + [
        f"{c.alias}_county" for c in spec.columns if c.kind == "region"
    ]
    regular = records.select(*clean, "is_change", "order")
    extra = extra.select(*clean).with_columns(
        is_change=pl.lit(False), order=pl.int_range(pl.len(), dtype=pl.Int64) + 10**15
    )
    rows = pl.concat([regular.with_columns(pl.col("order").cast(pl.Int64)), extra], how="vertical_relaxed")
    n_all = rows.height
    rows = rows.with_columns(file_id=pl.Series(file_id[where]), _pos=pl.int_range(n_all, dtype=pl.Int64))
    rows = rows.sort("file_id", "is_change", "order", "_pos")
    pos = rows.select(pl.int_range(pl.len()).over("file_id")).to_series().to_numpy()
    rows = rows.with_columns(row_number=pl.Series(header_row[rows["file_id"].to_numpy()] + 1 + pos))

    # Defects of the bad rows.
    is_bad = rows["_pos"].to_numpy()
    bad_pos = np.flatnonzero((is_bad >= n_regular) & (is_bad < n_regular + n_bad))
    k = is_bad[bad_pos] - n_regular
    alias, value = _defects(spec, kind[k], blank[k], rows[bad_pos], rng)
    out = {}
    for name, values in (("defect_alias", alias), ("defect_value", value), ("defect_kind", kind[k])):
        column = pl.repeat(None, n_all, dtype=pl.Utf8, eager=True).alias(name)
        out[name] = column.scatter(bad_pos, pl.Series(list(values), dtype=pl.Utf8)) if len(bad_pos) else column
    rows = rows.with_columns(**out).drop("_pos", "is_change", "order")
    return SourceLanding(spec.source, spec.columns, ordered, rows)


def _split(records: pl.DataFrame) -> list[_File]:
    day_, group = records["export_day"].to_numpy(), records["group"].to_numpy()
    order = np.lexsort((records["order"].to_numpy(), records["is_change"].to_numpy(), group, day_))
    key = day_[order].astype(np.int64) * 100_000 + group[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(order)]
    files = []
    for s, e in zip(starts, ends):
        chunks = np.array_split(order[s:e], -(-(e - s) // CSV_MAX_ROWS))
        for part, chunk in enumerate(chunks):
            files.append(_File(int(day_[order[s]]), int(group[order[s]]), chunk, part, len(chunks)))
    return files


def _choose_xlsx(files: list[_File], share: float, rng: np.random.Generator) -> None:
    small = np.array([len(f.rows) <= XLSX_MAX_ROWS for f in files])
    is_xlsx = small & (rng.random(len(files)) < share)
    want = min(6, int(small.sum()) // 5)
    if is_xlsx.sum() < want:
        is_xlsx[rng.choice(np.flatnonzero(small & ~is_xlsx), want - is_xlsx.sum(), replace=False)] = True
    for f, x in zip(files, is_xlsx):
        f.xlsx = bool(x)


def _choose_duplicates(files: list[_File], export_days: np.ndarray, rng: np.random.Generator) -> dict[int, int]:
    """{data file: export day of its byte-for-byte copy}: the same day (same folder) or a later one."""
    n_dup = max(2, round(DUPLICATE_SHARE * len(files))) if len(files) >= 5 else 0
    dup_at = {}
    for n, i in enumerate(int(i) for i in rng.choice(len(files), n_dup, replace=False)):
        d = files[i].export_day
        later = export_days[export_days > d]
        if n % 2 == 1 and len(later):
            dup_at[i] = int(later[min(len(later) - 1, int(rng.integers(0, 3)))])
        else:
            dup_at[i] = d
    return dup_at


def _defects(
    spec: Spec, kinds: np.ndarray, blank_of: np.ndarray, rows: pl.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(alias, written value) of each bad row's one defect."""
    n = len(kinds)
    alias = np.empty(n, dtype=object)
    value = np.full(n, None, dtype=object)
    ck = kinds == "check_digit"
    if ck.any():
        ids = rows["id_number"].filter(pl.Series(ck))
        chars = "0123456789X"
        good = ids.str.slice(17).replace_strict(list(chars), list(range(11))).to_numpy()
        wrong = (good + rng.integers(1, 11, len(good))) % 11  # any check character but the right one
        alias[ck] = "id_number"
        value[ck] = (ids.str.slice(0, 17) + pl.Series(list(chars)).gather(wrong)).to_list()
    bl = kinds == "blank"
    alias[bl] = blank_of[bl]
    value[bl] = np.where(rng.random(bl.sum()) < 0.2, "  ", None)
    for kind, (column, pool) in spec.invalid.items():
        mask = kinds == kind
        if not mask.any():
            continue
        alias[mask] = column
        if callable(pool):
            value[mask] = pool(rows.filter(pl.Series(mask)), rng)
        else:
            value[mask] = np.array(pool, dtype=object)[rng.integers(0, len(pool), mask.sum())]
    return alias, value


def month_end(days: np.ndarray) -> np.ndarray:
    """The last day of the month of each day."""
    d = np.datetime64("1970-01-01", "D") + np.asarray(days).astype("timedelta64[D]")
    nxt = (d.astype("datetime64[M]") + 1).astype("datetime64[D]")
    return ((nxt - np.datetime64("1970-01-01", "D")).astype(np.int64) - 1).astype(np.int32)


def quarter_end(days: np.ndarray) -> np.ndarray:
    """The last day of the quarter of each day."""
    d = np.datetime64("1970-01-01", "D") + np.asarray(days).astype("timedelta64[D]")
    m = d.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    nxt = ((m // 3 + 1) * 3).astype("datetime64[M]").astype("datetime64[D]")
    return ((nxt - np.datetime64("1970-01-01", "D")).astype(np.int64) - 1).astype(np.int32)


def label(export_day: int) -> str:
    return iso(export_day).replace("-", "")
