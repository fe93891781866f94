"""Synthetic landing data with known ground truth: `generate(out, persons, seed)`.

Writes ``<out>/certifications/<YYYY-MM-DD>/<name>.csv|.xlsx`` exactly as the source contract
(``shared/contracts/source-exports.md``) describes real exports, messy in every way it lists, and
``<out>/_ground_truth/ground_truth.json`` computed from the generator's own clean model (``truth.py``),
never from the files. Same seed and size give byte-identical output.

Modules: ``people`` (the population shared by all sources: units, names, ID numbers, moves),
``certifications`` (the certificate model and its export plan), ``mess`` (column specs, per-file
styles, rendering clean values to messy cells), ``writers`` (CSV and XLSX bytes), ``landing`` (files
and rows of a source, writing them), ``truth`` (ledger, quarantine and ratio truth), ``reference``
(vocabularies). Adding trainings, carriers, graduates, competitions or honours means a module like
``certifications`` that draws persons from the same ``People`` and returns a ``SourceLanding``.

Mess, and how often it occurs (the JSON's ``mess`` section counts actual occurrences per run).
File-level shares are of the data files of a source; each option of each file-level dimension is
used by at least one file whenever there are at least as many files as options.

=====================================  ==================================================================
kind                                   share
=====================================  ==================================================================
CSV encoding                           UTF-8 60 %, UTF-8 with BOM 20 %, GB18030 20 % of CSV files
CRLF line ends                         80 % of GB18030 files, 20 % of the others
all fields quoted                      20 % of CSV files (otherwise quoted when needed: employer
                                       names with a comma or quotes, ~1 % of rows)
trailing empty column                  10 % of CSV files (empty header and empty field on every row)
blank trailing lines                   10 % of CSV files one, 5 % two (not rows)
XLSX files                             small files (<= 20,000 rows): 60 % for Hami, Turpan, Kizilsu,
                                       Bortala, Altay, 4 % otherwise; first sheet only
XLSX title/blank rows before header    0 / 1 / 2 / 3 rows: 30 / 30 / 20 / 20 % of XLSX files; patterns
                                       include a merged title (``2024年职业技能等级证书发放名册``),
                                       an info row, blank rows -- also as the first row, which the
                                       file does not store: calamine/fastexcel then start reading at
                                       sheet row 2, so row numbers must come from the sheet's row
                                       index (``<row r=..>``), not from the reader's position
XLSX real Excel date cells             50 % of XLSX files (there 10 % of dates stay text); formats
                                       yyyy-mm-dd 60 %, yyyy/m/d 30 %, yyyy年m月d日 10 %
header language                        Chinese 80 %, English aliases 12 %, mixed 8 % of files; each
                                       Chinese variant (身份证号, 颁证日期, 认定机构, 工种 ...) used
header decoration                      surrounding spaces 20 % of files (half the headers), full-width
                                       parentheses 35 %, trailing ``*`` on required columns 30 %
column order / optional columns        shuffled in 10 % of files; 性别 left out of 5 %, 职业编码 20 %,
                                       评价机构类型, 工作单位, 单位性质, 证书状态 10 % each (证书状态
                                       never of a file carrying 撤销/注销)
date spellings                         per file: 2024-03-05 35 %, 2024/3/5 20 %, 2024.03.05 10 %,
                                       2024年3月5日 15 %, 20240305 20 %; 15 % of files mix in other
                                       spellings on 20 % of rows
level spellings                        per file: canonical 30 %, short (初级/中级/高级 = 高级工/技师/高级技师)
                                       20 %, grade (五级 ... 一级) 15 %, combined (三级/高级工) 15 %,
                                       numeric (5 ... 1) 20 %; 10 % of files mix on 25 % of rows;
                                       学徒工/特级技师/首席技师 have one spelling
region spellings                       per file: prefecture code 30 %, county code 20 % (a 6590xx city
                                       is its own code), full name 30 %, short name 20 %; 10 % of
                                       files mix per row
padded values                          35 % of files: 5 % of values get 1-2 surrounding spaces
full-width digits/letters              25 % of files: 4 % of ID, date, code, level and region values
lower-case ``x`` check digit           30 % of IDs ending in X, all files
blank gender                           6 % of rows of files with a 性别 column (derive from the ID)
blank status                           40 % of files leave 有效 blank throughout; elsewhere 5 % of
                                       有效 rows are blank
occupation code                        blank on 8 % of rows; 0.5 % without dashes (a data-quality
                                       warning, still loaded)
certificate number formats             current (Y/S + 21 digits, 16th digit = level 1-5) for 97 % of
                                       level 1-5 certificates from 2020 and 35 % before; older 16-digit
                                       and ``XJ`` formats otherwise; 0.3 % of current numbers have a
                                       level digit that disagrees with the level (warning only)
re-sent files (byte-for-byte copies)   3 % of data files, at least 2: same folder ``<stem>_重发``
                                       or a later date folder; ledger status ``duplicate``
corrections                            1.2 % of certificates: first land with a wrong level or region,
                                       corrected (same 证书编号) in a later export
revocations                            1.5 % of certificates: 撤销 or 注销 in a later export; 8 % of
                                       them reinstated (有效) later still
non-data file                          one ``说明.txt`` note (ledger status ``skipped``)
file missing a required column         one ``补报_...csv`` without 评价机构 (``rejected``, all rows
                                       quarantined; ~0.2 % of rows, 5..400)
bad rows                               2 % of the rows of loaded files, each a brand-new certificate
                                       with exactly one defect: ID check digit wrong 30 %, required
                                       value blank 30 % (name, id_number, certificate_no,
                                       occupation_name, skill_level, issue_date, assessor_name, region;
                                       a fifth of them only spaces), level not recognised 15 % (六级,
                                       高级工程师 ...), date invalid 15 % (2024-13-45, 2023-02-30 ...),
                                       region not recognised 10 % (北京市, 110000 ...)
=====================================  ==================================================================
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Self

import numpy as np

from . import certifications, landing, truth
from .people import make_people

__all__ = ["generate"]
__version__ = "1.0"

SOURCES = ("certifications",)
_STREAM_PEOPLE, _STREAM_CERTIFICATIONS, _STREAM_RENDER = 1, 2, 3
GROUND_TRUTH = Path("_ground_truth") / "ground_truth.json"


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def generate(out: Path, persons: int = 20000, seed: int = 7, progress: bool = True) -> dict:
    """Write a synthetic landing folder and its ground truth under `out`; returns the ground truth
    (the dict written to ``<out>/_ground_truth/ground_truth.json``).

    A previous generated landing in `out` (recognised by its ground truth file) is replaced; a source
    folder that exists without one is left alone and FileExistsError raised.
    """
    out = Path(out)
    if persons < 1:
        raise ValueError("persons must be positive")
    _clear_previous(out)
    with _Progress(progress) as bar:
        bar.stage("people")
        people = make_people(_rng(seed, _STREAM_PEOPLE), persons)
        bar.stage("certifications: model and export plan")
        cert_landing, cert_truth = certifications.build(people, _rng(seed, _STREAM_CERTIFICATIONS))
        bar.stage("certifications: writing files", total=cert_landing.rows.height)
        mess_counts = landing.write(
            out, cert_landing, lambda i: _rng(seed, _STREAM_RENDER, 1, i), bar.advance
        )
        bar.stage("ground truth")
        files, totals, quarantined = truth.files_truth(cert_landing)
        ratio = truth.high_skill_ratio(cert_truth, people)
        ground_truth = {
            "seed": seed,
            "persons": persons,
            "generated_with": f"ingest.synth {__version__}",
            "settings": {"min_age": truth.MIN_AGE, "max_age": truth.MAX_AGE},
            "as_of_dates": list(truth.AS_OF_DATES),
            "notes": (
                "files are in apply order (export_date, file name, path). A duplicate file counts its rows in "
                "rows_landed but loads and quarantines none; source totals rows_landed/rows_loaded/rows_quarantined "
                "cover loaded and rejected files only (so landed = loaded + quarantined), and "
                "rows_landed_in_duplicate_files counts the copies' rows. row_number is the row as a spreadsheet "
                "shows it (CSV header = row 1; XLSX 1-based sheet row, title and blank rows included, also a blank "
                "first row that the file does not store). quarantined_rows: one per bad row (its one defective "
                "column) and one per row of a rejected file (the missing column); reason is informative. "
                "high_skill_ratio: region_code 650000 is region-wide, the others are unit codes (prefecture or "
                "6590xx city), listed for each as-of date where the unit has at least one skilled person."
            ),
            "files": files,
            "sources": {"certifications": totals},
            "quarantined_rows": quarantined,
            "high_skill_ratio": ratio,
            "mess": {"certifications": mess_counts},
        }
        path = out / GROUND_TRUTH
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(ground_truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return ground_truth


def _clear_previous(out: Path) -> None:
    generated = (out / GROUND_TRUTH).exists()
    for source in SOURCES:
        folder = out / source
        if folder.exists() and any(folder.iterdir()):
            if not generated:
                raise FileExistsError(
                    f"{folder} holds files that were not generated here; refusing to replace them"
                )
            shutil.rmtree(folder)
    if generated:
        (out / GROUND_TRUTH).unlink()


class _Progress:
    """A rich progress bar over stages and written rows; silent when disabled."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._bar = None
        self._task = None

    def __enter__(self) -> Self:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            )
            self._bar.__enter__()
        return self

    def stage(self, description: str, total: int | None = None) -> None:
        """Finish the current stage and start the next (total: rows, or None for a one-step stage)."""
        if self._bar:
            self._finish()
            self._task = self._bar.add_task(description, total=total or 1)

    def advance(self, rows: int) -> None:
        if self._bar:
            self._bar.advance(self._task, rows)

    def _finish(self) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[-1].total)

    def __exit__(self, *exc) -> None:
        if self._bar:
            self._finish()
            self._bar.__exit__(*exc)
