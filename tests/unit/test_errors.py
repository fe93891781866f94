"""A failed step records a library's error by class and place, never by its text."""

from __future__ import annotations

import duckdb
import pytest

from ingest.load import connect_build
from orchestration.errors import StepFailed, recorded_safely
from publish.warehouse import PersonalDataFound

SECRET = "650102199001011234 阿依古丽"


def test_a_library_error_is_reduced_to_its_class_and_place():
    with pytest.raises(StepFailed) as info, recorded_safely("ingest"):
        duckdb.connect().execute(f"select '{SECRET}'::integer")
    assert SECRET not in str(info.value) and "阿依古丽" not in str(info.value)
    assert str(info.value).startswith("ingest failed: ConversionException")
    assert info.value.__suppress_context__  # Dagster then stores no trace of the original


def test_our_own_errors_pass_as_they_are(tmp_path, monkeypatch):
    with pytest.raises(PersonalDataFound, match="refusing"), recorded_safely("publish"):
        raise PersonalDataFound("refusing to publish: values that look like resident ID numbers in x.y")
    monkeypatch.setenv("TALENT_PII_KEY", "one")
    from ingest.pii import resolve_key

    connect_build(tmp_path / "b/build.duckdb", tmp_path / "r/restricted.duckdb", resolve_key(tmp_path / "k")).close()
    monkeypatch.setenv("TALENT_PII_KEY", "another")
    with pytest.raises(RuntimeError, match="not the one this build database"), recorded_safely("ingest"):
        connect_build(tmp_path / "b/build.duckdb", tmp_path / "r/restricted.duckdb", resolve_key(tmp_path / "k"))
