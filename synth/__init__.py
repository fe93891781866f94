"""Synthetic landing data with known ground truth: `generate(out, persons, seed)`.

Writes ``<out>/<source>/<YYYY-MM-DD>/<name>.csv|.xlsx`` for the six sources of the source contract
(``shared/contracts/source-exports.md``) exactly as it describes real exports, messy in every way it
lists, and ``<out>/_ground_truth/ground_truth.json`` computed from the generator's own clean models
(``truth``, ``indicators``), never from the files. Same seed and size give byte-identical output.

Modules: ``people`` (the population shared by all sources: units, names, ID numbers, moves),
``certifications`` (the certificate model and its export plan), ``carriers``, ``trainings``,
``graduates``, ``competitions``, ``honours`` (the other sources' models; their export plans are assembled
by ``exports``), ``mess`` (column specs, per-file styles, rendering clean values to messy cells),
``writers`` (CSV and XLSX bytes), ``landing`` (files and rows of a source, writing them), ``truth``
(ledger, quarantine and ratio truth), ``indicators`` (the truth of the training, carrier, graduate,
competition, honour and reward indicators), ``reference`` (vocabularies and policy tables).

Every source draws from random streams of its own (``_STREAM_*``; file rendering: one stream per
source and file), so adding a source never changes another's files: the certifications of a seed are
byte-identical to those of the certifications-only generator (tests/unit/test_synth.py pins them).
Trainees, competitors and honourees are persons of the same ``People`` (valid ID numbers); the
competitions and honours models read the certification truth to pick winners who do or do not yet
hold the level a promotion would give them.

The table below is the mess of the certifications; the other sources share its file-level kinds
(encodings, CRLF, quoting, trailing column, blank lines, XLSX with 0-3 title rows and date cells, header
languages and decorations, shuffled and left-out optional columns, date/level/region spellings, padded
and full-width values, lower-case ``x``), add their own (years and numbers with full-width digits,
subsidies written ``1,200.00`` / ``1200.00`` / ``1200``, blank or unregistered 培训机构编码), land
re-sent copies (3 % of files, at least 2), corrections in later exports (status updates and wrong
levels, programmes, regions, awards, tiers, types, figures corrected), one rejected file and one note
each, and 2 % bad rows (at least one per defect kind) with exactly one defect each (the source modules'
docstrings and ``DEFECTS``/``INVALID`` tables say which; graduates include graduates_certified >
graduates).

Mess of the certifications, and how often it occurs (the JSON's ``mess`` section counts actual
occurrences per run and source).
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

from . import (
    carriers,
    certifications,
    competitions,
    graduates,
    honours,
    indicators,
    landing,
    trainings,
    truth,
)
from .people import make_people

__all__ = ["generate"]
__version__ = "1.1"

SOURCES = ("certifications", "trainings", "carriers", "graduates", "competitions", "honours")
_STREAM_PEOPLE, _STREAM_CERTIFICATIONS, _STREAM_RENDER = 1, 2, 3
# new sources draw from streams of their own, so certifications stay byte-identical for a seed
_STREAM_CARRIERS, _STREAM_TRAININGS, _STREAM_GRADUATES, _STREAM_COMPETITIONS, _STREAM_HONOURS = 4, 5, 6, 7, 8
GROUND_TRUTH = Path("_ground_truth") / "ground_truth.json"

NOTES = (
    "files are in apply order (export_date, file name, path) within each source, sources in the order of "
    "`sources`. A duplicate file counts its rows in "
    "rows_landed but loads and quarantines none; source totals rows_landed/rows_loaded/rows_quarantined "
    "cover loaded and rejected files only (so landed = loaded + quarantined), and "
    "rows_landed_in_duplicate_files counts the copies' rows. row_number is the row as a spreadsheet "
    "shows it (CSV header = row 1; XLSX 1-based sheet row, title and blank rows included, also a blank "
    "first row that the file does not store). quarantined_rows: one per bad row (its one defective "
    "column) and one per row of a rejected file (the missing column); reason is informative. "
    "high_skill_ratio: region_code 650000 is region-wide, the others are unit codes (prefecture or "
    "6590xx city), listed for each as-of date where the unit has at least one skilled person. "
    "The indicator keys below are for as_of_date (indicators_as_of) and list every row the matching mart "
    "holds (zero rows included where the mart has them): apprenticeship_annual (mart_apprenticeship_annual: "
    "every scorecard year x every unit and 650000; statuses on 650000 rows only), training_level_mix "
    "(mart_training_level_mix: year x programme; person_times_by_rank is ranks 0..7), carrier_compliance "
    "(mart_carrier_compliance: carriers held to BASE-/COLLEGE-/PUBLIC-BASE-ADVANCED x years from their "
    "establishment), new_carriers (mart_new_carriers: year x carrier type, new_by_tier, status on the six "
    "new-batch types), graduate_certificates (mart_graduate_certificates: institution rows, institution_type "
    "rows and the region row; status on the three types held to GRAD-CERT-RATE), competition_results "
    "(mart_competition_results: year x tier x unit with results, and 650000), promotion_followup "
    "(mart_promotion_followup: year x unit with entitled persons, 650000 for every competition year), "
    "title_eligibility (mart_title_eligibility: year x unit x indicator x basis rule, and 650000), "
    "certificate_rewards (mart_certificate_rewards: year x unit x level with valid certificates, and 650000), "
    "unmatched_providers (audit_unmatched_providers summed over provider names: year x provider_code, null = "
    "blank), entitlements (one row per person, year and indicator: the list `talent export eligibility` writes). "
    "Scorecard years run from the first training start or graduation year to the as-of year; 2026 is running "
    "(statuses on_track/off_track, or met for a count already reached)."
)


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
        mess_counts = {
            "certifications": landing.write(
                out, cert_landing, lambda i: _rng(seed, _STREAM_RENDER, 1, i), bar.advance
            )
        }
        bar.stage("carriers, trainings, graduates, competitions, honours: models and export plans")
        carrier_landing, register = carriers.build(people, _rng(seed, _STREAM_CARRIERS))
        training_landing, training_truth = trainings.build(people, register, _rng(seed, _STREAM_TRAININGS))
        graduate_landing, graduate_truth = graduates.build(_rng(seed, _STREAM_GRADUATES))
        competition_landing, results = competitions.build(people, cert_truth, _rng(seed, _STREAM_COMPETITIONS))
        honour_landing, honour_truth = honours.build(people, cert_truth, results, _rng(seed, _STREAM_HONOURS))
        others = (training_landing, carrier_landing, graduate_landing, competition_landing, honour_landing)
        for k, source_landing in enumerate(others, start=2):
            bar.stage(f"{source_landing.source}: writing files", total=source_landing.rows.height)
            mess_counts[source_landing.source] = landing.write(
                out, source_landing, lambda i, k=k: _rng(seed, _STREAM_RENDER, k, i), bar.advance
            )
        bar.stage("ground truth")
        files, totals, quarantined = [], {}, []
        for source_landing in (cert_landing, *others):
            f, t, q = truth.files_truth(source_landing)
            files += f
            totals[source_landing.source] = t
            quarantined += q
        ratio = truth.high_skill_ratio(cert_truth, people)
        ctx = indicators.Context(indicators.AS_OF)
        years = indicators.scorecard_years(training_truth, graduate_truth, ctx)
        ents = indicators.entitlements(results, honour_truth, cert_truth, people, ctx)
        ground_truth = {
            "seed": seed,
            "persons": persons,
            "generated_with": f"synth {__version__}",
            "settings": {"min_age": truth.MIN_AGE, "max_age": truth.MAX_AGE},
            "as_of_dates": list(truth.AS_OF_DATES),
            "notes": NOTES,
            "files": files,
            "sources": totals,
            "quarantined_rows": quarantined,
            "high_skill_ratio": ratio,
            "indicators_as_of": ctx.as_of,
            "scorecard_years": years,
            "apprenticeship_annual": indicators.apprenticeship_annual(training_truth, years, ctx),
            "training_level_mix": indicators.training_level_mix(training_truth, years, ctx),
            "carrier_compliance": indicators.carrier_compliance(training_truth, register, years, ctx),
            "new_carriers": indicators.new_carriers(register, years, ctx),
            "graduate_certificates": indicators.graduate_certificates(graduate_truth, years, ctx),
            "competition_results": indicators.competition_results(results, ctx),
            "promotion_followup": indicators.promotion_followup(ents, results, ctx),
            "title_eligibility": indicators.title_eligibility(ents),
            "certificate_rewards": indicators.certificate_rewards(cert_truth, ctx),
            "unmatched_providers": indicators.unmatched_providers(training_truth, ctx),
            "entitlements": ents,
            "mess": mess_counts,
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
