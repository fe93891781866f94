"""What the quarantine keeps of a value that is neither ID-shaped nor a landed name."""

from __future__ import annotations

import pytest

from ingest.redact import WITHHELD, quarantine_value


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
    ],
)
def test_a_quarantined_value_is_kept_when_it_holds_a_short_number_or_is_common(value, persons, kept):
    assert quarantine_value(value, persons) == (value if kept else WITHHELD)
