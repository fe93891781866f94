"""What the quarantine keeps of a value that is neither ID-shaped nor a landed name."""

from __future__ import annotations

import pytest

from ingest.redact import WITHHELD, id_shaped, quarantine_value


@pytest.mark.parametrize(
    ("value", "persons", "kept"),
    [
        ("买买提江·吐尔逊", 1, False),  # a name in a vocabulary column
        ("王芳", 4, False),
        ("王芳", 5, True),  # five persons' rows: identifies no one
        ("2024-02-30", 1, True),  # a bad date
        ("２０２４年２月３０日", 1, True),  # full-width digits are digits
        ("1e20", 1, True),
        ("nan", 1, False),
        ("139 1234 5678", 1, False),  # a phone number: seven digits or more in a row
        ("20240230", 1, False),  # so is a compact date: the row still says where it is
        ("20240230", 5, True),
        ("138-1234-5678", 1, False),  # a mobile number with separators
        ("138.1234.5678", 4, False),
        ("tel:138-1234-5678", 1, False),
        ("2024-03-05 12:30:00", 1, True),  # a date and time: fourteen digits once joined, no phone
        ("0991-12", 1, True),  # short numbers
        ("138-1234-5678", 5, True),
    ],
)
def test_a_quarantined_value_is_kept_when_it_holds_a_short_number_or_is_common(value, persons, kept):
    assert quarantine_value(value, persons) == (value if kept else WITHHELD)


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("650102199103129115", True),
        ("650102 1991-0312 9115", True),
        ("650102号199103129115", True),  # split by a character: still one ID number
        ("培训学校650102号，199103129115x", True),
        ("650102", False),  # a region code
        ("2024年3月31日第2期", False),
        ("证书 6501022024 第 0312 号", False),  # digits that make no birth date where an ID has one
        # numbers of a sentence, words apart: not one number
        ("left as it was: as of 2026-07-01, published 2026-12-01 08:40:12 (run 3f2a1b4c)", False),
    ],
)
def test_an_id_number_is_found_however_it_is_split(text, shaped):
    assert id_shaped(text) is shaped
