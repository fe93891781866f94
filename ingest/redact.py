"""Redaction: nothing shaped like an ID number, and no known person's name, leaves the private side.

Used wherever landed text may be shown: the quarantine's values, file names in the ledger, the
published marts' text columns, log lines. Two tests, both on the text as a person would read it
(NFKC-normalised, so full-width digits are digits):

- **ID-shaped**: once stripped of everything but letters and digits (spaces, dashes, dots ...), or
  also of one or two letters between digits (an ID split by a word: ``650102号1991...``), 17 digits and a
  digit or ``X`` whose characters 7-14 are a birth date (1900-2099), or a 15-digit number with a
  birth date at 7-12 (first-generation IDs): a resident ID number however it was written, check
  digit right or wrong;
- **a known name**: equal, once NFKC-normalised, lower-cased and stripped of whitespace, to the name of a person
  in any landed row (the build database keeps keyed hashes of them, ``raw.name_keys``, never the
  names themselves).

A value that fails either test is replaced whole by ``[redacted]``; a file or folder name by
``[redacted <tag>]`` with a keyed tag, so that two redacted files stay apart.

A quarantined value passes a third test (:func:`quarantine_value`): a name that landed in another
column than 姓名 (columns swapped by hand) is no landed name, so a value is kept only when it holds
a digit (dates, amounts, codes; no run of seven digits or more: a phone number) or when the rows of
at least :data:`QUARANTINE_MIN_PERSONS` persons carry it; else ``[withheld]``. The quarantine row
still names file, row, column and reason.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from ingest.arrow import for_duckdb

REDACTED = "[redacted]"
WITHHELD = "[withheld]"
# a quarantined value without a digit is kept only when this many persons' rows carry it (then it
# identifies no one; the same number as the public edition's default threshold for small counts)
QUARANTINE_MIN_PERSONS = 5
_DIGIT = re.compile(r"\d")
_LONG_DIGITS = re.compile(r"\d{7,}")
# a mainland mobile number once one or two separators between digits are taken out ("138-1234-5678");
# an eleven-digit run alone, so that a date and time ("2024-03-05 12:30:00") is not one
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_DATE8 = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# overlapping windows (a lookahead), so that an ID inside a longer run of digits is found too
_ID_RUN = re.compile(rf"(?=\d{{6}}{_DATE8}\d{{3}}[\dX])|(?<!\d)\d{{6}}{_DATE6}\d{{3}}(?!\d)", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[\W_]+")
_SPLIT = re.compile(r"(?<=\d)[^\d]{1,2}(?=\d)")
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_TOKEN = re.compile(r"[\W_]+")


def compact(text: str) -> str:
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text))


def id_shaped(text: str) -> bool:
    text = compact(text).upper()
    # and with one or two letters between digits taken out: an ID split by a word ("650102号1991...")
    return bool(_ID_RUN.search(text) or _ID_RUN.search(_SPLIT.sub("", text)))


def quarantine_value(value: str, persons: int) -> str:
    """What the quarantine keeps of a value already found neither ID-shaped nor a landed name
    (:meth:`Redactor.values`), carried by the rows of `persons` distinct persons: the value, or
    ``[withheld]``. A name sits in an unrecognised vocabulary value only when columns were mixed
    up, and then it is in one person's rows; a misspelling an office uses is in many."""
    if persons >= QUARANTINE_MIN_PERSONS:
        return value
    text = "".join(unicodedata.normalize("NFKC", value).split())  # "139 1234 5678" is one run
    if _DIGIT.search(text) and not _LONG_DIGITS.search(text) and not _MOBILE.search(_SPLIT.sub("", text)):
        return value
    return WITHHELD


def name_form(text: str) -> str:
    """The form of a name that is hashed into ``raw.name_keys`` (and compared with it): NFKC,
    lower case (a Latin-script name written in capitals is the same name), without whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split()).strip(_INVISIBLE)


def name_form_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`name_form` as a polars expression (blank -> null)."""
    s = expr.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", "").str.strip_chars(_INVISIBLE)
    return pl.when(s.str.len_chars() > 0).then(s)


def tokens(text: str) -> list[str]:
    """The words of a file name: split at anything that is not a letter or digit."""
    return [t for t in _TOKEN.split(unicodedata.normalize("NFKC", text)) if t]


# Chinese text (and the middle dots of transliterated names): a name runs into the words around it
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·•‧・]+")
NAME_CHARS = 12  # the longest name looked for inside Chinese text, in characters


def name_candidates(part: str) -> set[str]:
    """The texts of a path part that could be a name: its words (`tokens`), and every run of two to
    NAME_CHARS characters inside its Chinese text, where words are not spaced ("张三的证书.csv",
    "买买提江·吐尔逊补报.xlsx"). A part that only contains a name (no known name equals it) is
    redacted all the same; a place or unit that happens to equal a landed name costs a file name
    its display, never the file its row."""
    found = set(tokens(part))
    for run in _CJK_RUN.findall(unicodedata.normalize("NFKC", part)):
        for i in range(len(run)):
            found.update(run[i:j] for j in range(i + 2, min(len(run), i + NAME_CHARS) + 1))
    return found


class Redactor:
    """Redaction against the names known to one build database (``raw.name_keys``)."""

    def __init__(self, con, key):
        self.con, self.key = con, key

    def known_names(self, texts) -> set[str]:
        """Those of ``texts`` that equal a landed person's name."""
        forms = {t: name_form(t) for t in set(texts) if t}
        keys = {t: self.key.hash_one(f) for t, f in forms.items() if f}
        if not keys:
            return set()
        frame = pl.DataFrame({"text": list(keys), "name_key": list(keys.values())})
        self.con.register("__redact_probe", for_duckdb(frame))
        try:
            hits = self.con.execute(
                "select text from __redact_probe where name_key in (select name_key from raw.name_keys)"
            ).fetchall()
        finally:
            self.con.unregister("__redact_probe")
        return {row[0] for row in hits}

    def values(self, texts) -> dict[str, str]:
        """value -> what may be shown of it (itself, or REDACTED)."""
        texts = [t for t in set(texts) if t is not None]
        names = self.known_names(texts)
        return {t: REDACTED if (t in names or id_shaped(t)) else t for t in texts}

    def holding_names(self, texts) -> set[str]:
        """Those of ``texts`` that are a known name or hold one: as a word, or inside their Chinese
        text (`name_candidates`). Every candidate of every text is hashed and looked up once."""
        candidates = {t: name_candidates(t) | {t} for t in set(texts)}
        names = self.known_names({w for found in candidates.values() for w in found})
        return {t for t, found in candidates.items() if found & names}

    def paths(self, paths) -> dict[str, str]:
        """source_file -> the same path with every part that holds an ID or a name replaced."""
        paths = list(set(paths))
        parts = {part for p in paths for part in p.split("/")}
        named = self.holding_names(parts)
        shown = {}
        for part in parts:
            if id_shaped(part) or part in named:
                _, dot, ext = part.rpartition(".")
                tag = self.key.hash_one("file name " + part)[:8]
                shown[part] = f"[redacted {tag}]" + (dot + ext if dot and len(ext) <= 5 else "")
            else:
                shown[part] = part
        return {p: "/".join(shown[part] for part in p.split("/")) for p in paths}


def redact_examples(failures: list[dict], redactor: Redactor | None) -> list[dict]:
    """Data-quality failure summaries (Great Expectations' example values and rows) with every text
    that holds an ID number or equals a known name replaced: they go to the console and Dagster."""

    def texts(obj):
        if isinstance(obj, str):
            yield obj
        elif isinstance(obj, dict):
            for v in obj.values():
                yield from texts(v)
        elif isinstance(obj, list | tuple):
            for v in obj:
                yield from texts(v)

    found = {t for f in failures for key in ("unexpected_values", "unexpected_rows") for t in texts(f.get(key))}
    shown = redactor.values(found) if redactor else {t: REDACTED if id_shaped(t) else t for t in found}

    def swap(obj):
        if isinstance(obj, str):
            return shown.get(obj, obj)
        if isinstance(obj, dict):
            return {k: swap(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [swap(v) for v in obj]
        return obj

    return [{k: swap(v) if k in ("unexpected_values", "unexpected_rows") else v for k, v in f.items()} for f in failures]
