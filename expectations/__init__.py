"""Data-quality suites for the build database (Great Expectations on pandas frames pulled from DuckDB).

Importing this package does not import Great Expectations; the first `run_suite` call does.
"""

from expectations.runner import SUITES, SuiteResult, SuiteSpec, run_suite

__all__ = ["SUITES", "SuiteResult", "SuiteSpec", "run_suite"]
