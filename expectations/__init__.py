"""Data-quality suites for the build database (Great Expectations on pandas frames pulled from DuckDB).

The suites are data, one YAML file per suite in `expectations/suites/` (:mod:`expectations.spec`
reads them); :mod:`expectations.runner` runs every one of them the same way. Importing this
package does not import Great Expectations; the first `run_suite` call does.
"""

from expectations.runner import SUITES, SuiteResult, SuiteSpec, run_suite

__all__ = ["SUITES", "SuiteResult", "SuiteSpec", "run_suite"]
