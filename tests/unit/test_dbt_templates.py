"""dbt's Jinja compiled once per build folder (orchestration.defs.dbt.templates): a template made
from kept code renders as dbt's own `get_template` renders it, in the text and native environments;
a file from other versions or a damaged one is ignored; another dbt is left alone."""

from __future__ import annotations

import dbt.clients.jinja as dbt_jinja
import dbt_common.clients.jinja as common_jinja
import pytest

from orchestration.defs.dbt import templates
from orchestration.defs.dbt.templates import FILE_NAME
from tests.support import spoiled_copies

ORIGINAL = common_jinja.get_template

SOURCES = [  # (source, context, native)
    ("select {{ a }} from {{ t }} where x in ({% for v in vs %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})",
     {"a": "count(*)", "t": "raw.certifications", "vs": ["甲", "b"]}, False),
    ("{% set n = xs | length %}{{ n * 2 }}", {"xs": [1, 2, 3]}, False),
    ("{{ xs | length * 2 }}", {"xs": [1, 2, 3]}, True),  # native: the number 6
    ("{{ [1, 2] | sum }}", {}, True),  # native
    ("{{ xs | length * 2 }}", {"xs": [1, 2, 3]}, False),  # the same source, text: the string "6"
]


@pytest.fixture
def patched(monkeypatch, tmp_path):
    """`install` in tmp_path; dbt's functions restored after the test."""
    monkeypatch.setattr(common_jinja, "get_template", ORIGINAL)
    monkeypatch.setattr(dbt_jinja, "get_template", ORIGINAL)

    def again():
        common_jinja.get_template = ORIGINAL
        dbt_jinja.get_template = ORIGINAL
        return templates.install(tmp_path)

    return again


def _render_all():
    return [
        common_jinja.render_template(common_jinja.get_template(src, ctx, native=native), ctx)
        for src, ctx, native in SOURCES
    ]


def test_kept_code_renders_as_dbt_renders_in_both_environments(patched, tmp_path):
    expected = [common_jinja.render_template(ORIGINAL(src, ctx, native=native), ctx) for src, ctx, native in SOURCES]
    assert expected[2] == 6 and expected[4] == "6"

    first = patched()
    assert dbt_jinja.get_template is common_jinja.get_template is not ORIGINAL
    assert _render_all() == expected
    assert (first.compiled, first.hits) == (len(SOURCES), 0)
    assert _render_all() == expected  # the same run: no second compile, no file read
    assert (first.compiled, first.hits) == (len(SOURCES), 0)
    first.save()
    assert (tmp_path / FILE_NAME).read_bytes().startswith(first.file.header)

    second = patched()  # the next run, in a new process: every template from the file
    assert _render_all() == expected
    assert (second.compiled, second.hits) == (0, len(SOURCES))
    before = (tmp_path / FILE_NAME).stat().st_mtime_ns
    second.save()  # nothing compiled: the file is not rewritten
    assert (tmp_path / FILE_NAME).stat().st_mtime_ns == before


def test_a_file_of_other_versions_or_damaged_is_ignored_and_rewritten(patched, tmp_path):
    cache = patched()
    _render_all()
    cache.save()
    good = (tmp_path / FILE_NAME).read_bytes()
    header_end = good.index(b"\n") + 1
    for bad in spoiled_copies(good, "jinja2"):
        (tmp_path / FILE_NAME).write_bytes(bad)
        cache = patched()
        assert _render_all()[2] == 6
        assert (cache.compiled, cache.hits) == (len(SOURCES), 0)
        cache.save()
        assert (tmp_path / FILE_NAME).read_bytes()[:header_end] == good[:header_end]


def test_another_dbt_keeps_its_own_get_template(monkeypatch, tmp_path):
    def other(string, ctx, node=None):  # a dbt whose get_template differs
        return ORIGINAL(string, ctx, node)

    monkeypatch.setattr(common_jinja, "get_template", other)
    monkeypatch.setattr(dbt_jinja, "get_template", other)
    assert templates.install(tmp_path) is None
    assert common_jinja.get_template is other and dbt_jinja.get_template is other


def test_a_file_that_cannot_be_written_leaves_no_partial_file(patched, tmp_path, monkeypatch):
    cache = patched()
    _render_all()

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(templates.os, "replace", fail)
    cache.save()  # no error: the next run compiles again
    assert sorted(p.name for p in tmp_path.iterdir()) == []
