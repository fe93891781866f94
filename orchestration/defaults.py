"""Where the landing folder and the published warehouse are by default, without importing Dagster:
the command line shows them in its help and starts a run's dbt process before Dagster loads
(`talent refresh`); `orchestration.settings` falls back to them."""

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse/talent.duckdb"
