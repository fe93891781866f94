"""What the refresh does to start and end faster: Dagster and the definitions load with the cyclic
garbage collector paused and frozen after (orchestration.run._collector_paused); the report's
libraries load while dbt builds (publish.report.warm_up)."""

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.run import _collector_paused

ROOT = Path(__file__).resolve().parents[2]


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


def test_the_report_warm_up_loads_plotly_once_in_the_background():
    """In a fresh interpreter: plotly is not loaded by importing the report module, and is after the
    one warm-up thread (a second call starts no other) has finished, which the report's figures wait
    for rather than import plotly beside it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from publish import report\n"
        "assert 'plotly' not in sys.modules\n"
        "report.warm_up(); first = report._warming\n"
        "report.warm_up(); assert report._warming is first\n"
        "report._warmed(); assert not first.is_alive()\n"  # the report's figures wait for the thread
        "print(sorted(m for m in ('plotly', 'plotly.graph_objects') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['plotly', 'plotly.graph_objects']"


def test_the_command_line_loads_without_dagster():
    """`talent --help` answers at once, and `talent refresh` starts its dbt process before Dagster
    loads (orchestration.defs.dbt.invocation.prestart): neither the command line nor that function
    imports Dagster, dbt or Great Expectations."""
    code = (
        "import sys, talent.cli\n"
        "from orchestration.defs.dbt.invocation import prestart\n"
        "print(sorted(m for m in ('dagster', 'dbt', 'great_expectations', 'duckdb') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
