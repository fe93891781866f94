"""The warm dbt process names a behavior flag's source without `inspect.stack()`
(`orchestration.defs.dbt.worker.name_flag_sources_cheaply`): the same module dbt names, for flags
made here and for dbt's own adapter flags."""

from __future__ import annotations

import pytest
from dbt_common.behavior_flags import Behavior, BehaviorFlagRendered

from orchestration.defs.dbt.worker import name_flag_sources_cheaply

ORIGINAL = BehaviorFlagRendered.__dict__["_default_source"]
FLAGS = [
    {"name": "off_flag", "default": False, "description": "off"},
    {"name": "on_flag", "default": True, "docs_url": "https://example.org"},
    {"name": "sourced", "default": False, "description": "named", "source": "dbt-duckdb"},
]


def _sources(flags) -> list[str]:
    return [flag._behavior_change_event.flag_source for flag in Behavior(flags, {})._flags]


def _adapter_flag_sources() -> list[str]:
    """dbt's own path: the sources of the flags every adapter gets, as its constructor sets them
    (dbt's `BaseAdapter`: ``self.behavior = DEFAULT_BASE_BEHAVIOR_FLAGS``, through the setter)."""
    from dbt.adapters.base.impl import DEFAULT_BASE_BEHAVIOR_FLAGS, BaseAdapter
    from dbt.adapters.duckdb.impl import DuckDBAdapter

    class Adapter:  # what the setter reads of an adapter
        _behavior_flags = DuckDBAdapter._behavior_flags
        config = type("Config", (), {"flags": {}})()

    adapter = Adapter()
    BaseAdapter.behavior.fset(adapter, [dict(flag) for flag in DEFAULT_BASE_BEHAVIOR_FLAGS])
    return [flag._behavior_change_event.flag_source for flag in adapter._behavior._flags]


@pytest.fixture
def restored(monkeypatch):
    monkeypatch.setattr(BehaviorFlagRendered, "_default_source", ORIGINAL)
    yield
    monkeypatch.setattr(BehaviorFlagRendered, "_default_source", ORIGINAL)


def test_the_named_source_is_dbts_own(restored):
    expected = _sources(FLAGS), _adapter_flag_sources()
    assert expected[0] == [__name__, __name__, "dbt-duckdb"]
    assert expected[1] and set(expected[1]) == {"dbt.adapters.base.impl"}  # the setter's module
    assert name_flag_sources_cheaply()
    assert BehaviorFlagRendered.__dict__["_default_source"] is not ORIGINAL
    assert (_sources(FLAGS), _adapter_flag_sources()) == expected


def test_another_dbt_keeps_its_own_default_source(restored, monkeypatch):
    def other() -> str:  # a dbt that finds the source otherwise
        return "elsewhere"

    monkeypatch.setattr(BehaviorFlagRendered, "_default_source", staticmethod(other))
    assert not name_flag_sources_cheaply()
    assert BehaviorFlagRendered.__dict__["_default_source"].__func__ is other
