"""dbt's JSON schemas kept per copy of the project (orchestration.defs.dbt.schemas): a kept schema
is the one dbt builds, validation with it accepts and refuses what dbt's own does, a file from
other versions or a damaged one is ignored, and another dbt is left alone."""

from __future__ import annotations

import json
import marshal

import pytest
from dbt.config.profile import ProfileConfig
from dbt.contracts.project import Project, ProjectFlags
from dbt.exceptions import ValidationError
from dbt_common.dataclass_schema import dbtClassMixin

from orchestration.defs.dbt import schemas
from orchestration.defs.dbt.schemas import FILE_NAME
from tests.support import spoiled_copies

ORIGINAL = dbtClassMixin.__dict__["json_schema"]
BUILD = ORIGINAL.__func__
CLASSES = (Project, ProjectFlags, ProfileConfig)


@pytest.fixture
def patched(tmp_path, monkeypatch):
    """`install` into tmp_path, undone after the test (the patch is process-wide)."""

    def install():
        monkeypatch.setattr(dbtClassMixin, "json_schema", ORIGINAL)  # as a new process finds it
        kept = schemas.install(tmp_path)
        assert kept is not None
        return kept

    yield install
    monkeypatch.setattr(dbtClassMixin, "json_schema", ORIGINAL)


def _as_json(schema: dict) -> str:
    return json.dumps(schema, sort_keys=True)


def _kept(data: bytes, header: bytes) -> dict:
    """A kept file's schemas, after its header. Not its bytes: `marshal` marks an object it may
    meet again by its reference count at the time, so the same schemas can be written two ways."""
    assert data.startswith(header)
    return marshal.loads(data[len(header) :])


def test_a_kept_schema_is_dbts_own_and_the_next_process_builds_none(patched, tmp_path):
    expected = [_as_json(BUILD(cls)) for cls in CLASSES]
    first = patched()
    assert [_as_json(cls.json_schema()) for cls in CLASSES] == expected
    assert (first.built, first.hits) == (3, 0)
    first.save()
    assert (tmp_path / FILE_NAME).read_bytes().startswith(first.file.header)

    second = patched()  # the next run, in a new process: every schema from the file
    assert [_as_json(cls.json_schema()) for cls in CLASSES] == expected
    assert (second.built, second.hits) == (0, 3)
    before = (tmp_path / FILE_NAME).stat().st_mtime_ns
    second.save()  # nothing built: the file is not rewritten
    assert (tmp_path / FILE_NAME).stat().st_mtime_ns == before


def test_validation_with_a_kept_schema_refuses_what_dbt_refuses(patched):
    patched().save()
    patched()  # from the file
    ProjectFlags.validate({"send_anonymous_usage_stats": False})
    with pytest.raises(ValidationError):
        ProjectFlags.validate({"send_anonymous_usage_stats": "not a boolean"})
    Project.validate({"name": "talent_warehouse", "profile": "talent_warehouse"})
    for bad in ({}, {"name": 123}, {"name": "talent_warehouse", "profile": 5}):  # no name, not text
        with pytest.raises(ValidationError):
            Project.validate(bad)


def test_a_file_of_other_versions_or_damaged_is_ignored_and_rewritten(patched, tmp_path):
    first = patched()
    Project.json_schema()
    first.save()
    good = (tmp_path / FILE_NAME).read_bytes()
    expected = _kept(good, first.file.header)
    assert list(expected.values()) == [BUILD(Project)]
    for bad in spoiled_copies(good, "mashumaro"):
        (tmp_path / FILE_NAME).write_bytes(bad)
        kept = patched()
        assert _as_json(Project.json_schema()) == _as_json(BUILD(Project))
        assert (kept.built, kept.hits) == (1, 0)
        kept.save()
        assert _kept((tmp_path / FILE_NAME).read_bytes(), kept.file.header) == expected


def test_another_dbt_keeps_its_own_json_schema(monkeypatch, tmp_path):
    def other(cls):  # a dbt whose json_schema is not the cached class method
        return BUILD(cls)

    monkeypatch.setattr(dbtClassMixin, "json_schema", classmethod(other))
    assert schemas.install(tmp_path) is None
    assert dbtClassMixin.__dict__["json_schema"].__func__ is other
    assert not (tmp_path / FILE_NAME).exists()


def test_a_schema_holding_more_than_plain_data_is_built_each_time_not_kept(patched, tmp_path):
    """A full parse validates test configurations, whose schema has an enum member (`Severity`) as
    a default: `marshal` cannot write it, so it is left out of the file and the others are kept."""
    from dbt.artifacts.resources.v1.config import TestConfig

    kept = patched()
    TestConfig.json_schema()
    Project.json_schema()
    kept.save()
    again = patched()
    assert _as_json(TestConfig.json_schema()) == _as_json(BUILD(TestConfig))
    assert _as_json(Project.json_schema()) == _as_json(BUILD(Project))
    assert (again.built, again.hits) == (1, 1)
