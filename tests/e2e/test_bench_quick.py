"""`talent bench --scale quick`: the benchmark code runs end to end and its figures are consistent."""

from __future__ import annotations

import pytest

from talent.bench import render, run_bench, write_markdown

pytestmark = pytest.mark.e2e


def test_quick_benchmark_runs_every_measurement_and_writes_markdown(tmp_path, monkeypatch):
    monkeypatch.setenv("TALENT_PII_KEY", "bench-test-key")
    report = run_bench("quick", tmp_path / "bench", say=lambda _m: None)
    assert {k: m.ok for k, m in report.runs.items()} == {
        "full": True, "limit": True, "nightly": True, "day_empty": True, "nothing_new": True,
    }, {k: m.detail.get("stderr_tail") for k, m in report.runs.items() if not m.ok}
    # the hand-written limit query and the pipeline agree on every prefecture's counts
    assert report.limit_matches_mart is True
    # the re-run found nothing new, and said so
    assert "nothing new landed" in report.runs["nothing_new"].detail["ingest_summary"]
    # per-stage times come from Dagster's events of the full run
    steps = report.runs["full"].detail["step_seconds"]
    assert steps["ingest_landing"] > 0 and steps["dbt_models"] > 0
    assert all(m.peak_mib > 50 for m in report.runs.values())
    out = tmp_path / "BENCHMARKS.md"
    write_markdown(report, out)
    write_markdown(report, out)  # a re-run replaces its scale's section rather than appending
    text = out.read_text()
    assert text.count("## `quick` scale") == 1
    assert "limit query (DuckDB alone)" in text and "same counts as the mart" in text
    assert render(report) in text
