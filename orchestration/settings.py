"""Where the warehouse lives and what a run computes: one resource, configured from the environment.

Every path has an environment variable and a default, and a run may override any of them through
run config (that is what ``talent refresh --landing ... --warehouse ... --as-of ...`` does).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

TIMEZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse/talent.duckdb"


def today() -> date:
    """The department's calendar day (Asia/Shanghai), whatever the machine's time zone."""
    return datetime.now(TIMEZONE).date()


class WarehouseSettings(dg.ConfigurableResource):
    """Paths and run parameters. Blank values fall back to TALENT_* environment variables, then defaults."""

    landing_dir: str = ""
    warehouse_path: str = ""
    as_of: str = ""  # YYYY-MM-DD; blank = today in Asia/Shanghai
    full_refresh: bool = False
    min_age: int = 16
    max_age: int = 60

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir or os.environ.get("TALENT_LANDING", DEFAULT_LANDING)).resolve()

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_path or os.environ.get("TALENT_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve()

    @property
    def build_dir(self) -> Path:
        """Private to the pipeline: raw layer, ledger, dbt's build, the restricted person store."""
        return self.warehouse.parent / ".build"

    @property
    def build_db(self) -> Path:
        return self.build_dir / "build.duckdb"

    @property
    def restricted_db(self) -> Path:
        return self.build_dir / "restricted.duckdb"

    @property
    def as_of_date(self) -> date:
        value = self.as_of or os.environ.get("TALENT_AS_OF", "")
        return date.fromisoformat(value) if value else today()

    def dbt_vars(self) -> dict:
        return {
            "as_of_date": self.as_of_date.isoformat(),
            "min_age": self.min_age,
            "max_age": self.max_age,
        }

    def run_config(self, log_level: str = "INFO") -> dict:
        """This settings object as the run config that reproduces it."""
        return {
            "resources": {"settings": {"config": self.model_dump()}},
            "loggers": {"console": {"config": {"log_level": log_level}}},
        }
