"""dagster-dbt, imported without dbt-core's Python modules in the Dagster process.

dagster-dbt's own ``compat`` module imports dbt-core (``dbt.version``, then dbt's adapter, result and
node-type classes) only to name a handful of enums; when ``dbt.version`` cannot be imported, it
defines those enums itself with the same values (its path for dbt Fusion, where no dbt-core is
installed). This process never runs dbt: dbt runs in the warm process
(:mod:`orchestration.defs.dbt.worker`), and this one only reads the manifest and converts the
worker's JSON events, which carry statuses as strings. Importing dbt-core here cost ~2.1 s of a core
at the start of every run (the definitions loaded in ~3.0 s, ~0.9 s without it), on the core the
workers need while they import dbt and Great Expectations.

So dagster-dbt is imported with ``dbt.version`` marked unimportable (a ``None`` entry in
``sys.modules`` makes Python's import raise ``ImportError``), and the mark is removed at once: a
later ``import dbt...`` in this process (a test, the worker's own modules) works as usual, and
dagster-dbt keeps the enums it chose. When dbt-core is already loaded (it cannot be unloaded),
dagster-dbt is imported as usual. ``tests/unit/test_dbt_compat.py`` holds the enums to dbt-core's.
"""

from __future__ import annotations

import sys

if "dagster_dbt" not in sys.modules and "dbt.version" not in sys.modules:
    sys.modules["dbt.version"] = None  # type: ignore[assignment]
    try:
        import dagster_dbt  # noqa: F401
    finally:
        del sys.modules["dbt.version"]

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

__all__ = ["DagsterDbtTranslator", "DagsterDbtTranslatorSettings", "DbtProject", "dbt_assets"]
