"""The refresh loads Dagster and the definitions with the cyclic garbage collector paused, then
freezes what they made (orchestration.run._collector_paused)."""

import gc

import pytest

from orchestration.run import _collector_paused


class _Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the cyclic collector can free it


@pytest.fixture
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_made_while_paused_are_frozen_and_collection_resumes(thawed):
    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
        kept = [_Node() for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(kept)
    assert not any(gc.is_tracked(n) and n in gc.get_objects(generation=2) for n in kept[:3])


def test_the_collector_resumes_when_loading_fails(thawed):
    with pytest.raises(ImportError), _collector_paused():
        raise ImportError("a definitions module failed to import")
    assert gc.isenabled()
    made_after = _Node()
    del made_after
    assert gc.collect() >= 1  # garbage made after the block is collected again
