"""Where the warehouse lives and what a run computes: one resource, configured from the environment.

Every path has an environment variable and a default, and a run may override any of them through
run config (that is what ``talent refresh --landing ... --warehouse ... --as-of ...`` does).

Three kinds of folder, kept apart because different people may read them:

- the **published folder** (the folder of ``TALENT_WAREHOUSE``): what analysts and BI open, and
  nothing else;
- the **build folder** (``TALENT_BUILD_DIR``): the pipeline's own, mode 0700: the build database
  (pseudonymised raw layer, ledger, dbt models), the run lock and the last-publish marker;
- the **restricted folder** (``TALENT_RESTRICTED_DIR``): mode 0700: names and ID numbers, encrypted,
  and the export log; read only by ``talent export``;
- the PII key: ``TALENT_PII_KEY`` in production; unset, a key generated once into ``TALENT_KEY_FILE``
  (mode 0600 in a 0700 folder of its own), with a warning.

Unset, the build, restricted and key folders are siblings of the published folder (``data/build``,
``data/restricted``, ``data/keys`` beside ``data/warehouse``), never inside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defaults import DEFAULT_LANDING, DEFAULT_WAREHOUSE

TIMEZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_SETTLE_SECONDS = 300  # a file modified less than this long ago is left for the next run
DEFAULT_STALE_HOURS = 30.0  # a published file older than this: a night was missed (nightly at 02:00)
DEFAULT_QUARANTINE_SHARE = 0.05  # a night quarantining more than this share of the rows it landed warns
DEFAULT_ALERT_TIMEOUT = 10.0  # seconds an alert's webhook POST or command may take
# Days a source may go without a new export (by the export date of its latest loaded file) before a
# night warns: TALENT_CADENCE_<SOURCE> (e.g. TALENT_CADENCE_CERTIFICATIONS=7). The contract names no
# cadence; these defaults assume monthly registers and yearly lists, with a few days' grace.
DEFAULT_CADENCE_DAYS = {
    "certifications": 35,
    "trainings": 35,
    "competitions": 400,
    "honours": 400,
    "carriers": 400,
    "graduates": 400,
}


def today() -> date:
    """The department's calendar day (Asia/Shanghai), whatever the machine's time zone."""
    return datetime.now(TIMEZONE).date()


def _path(value: str, env: str, default: Path | str) -> Path:
    return Path(value or os.environ.get(env, "") or default).resolve()


def _env_float(env: str, default: float) -> float:
    value = os.environ.get(env, "").strip()
    try:
        return float(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{env}={value!r} is not a number") from exc


@dataclass(frozen=True)
class MonitoringSettings:
    """Alerts and staleness, from the environment (read when a run ends, a sensor ticks, or `talent
    status` runs, so a change needs no restart of anything but the daemon's code location).

    - ``TALENT_ALERT_WEBHOOK``: a URL; an alert is POSTed to it as JSON (``{"msgtype": "text", "text":
      {"content": ...}}``, what intranet chat robots take, plus the same facts under ``"talent"``);
    - ``TALENT_ALERT_COMMAND``: a shell command; an alert's text is written to its standard input;
    - ``TALENT_ALERT_TIMEOUT``: seconds either may take (default 10); a failed alert is logged, never
      fails the run;
    - ``TALENT_ALERT_QUARANTINE_SHARE``: a night whose quarantined rows exceed this share of the rows
      it landed warns (default 0.05);
    - ``TALENT_CADENCE_<SOURCE>``: days a source may go without a newer export date (defaults above);
    - ``TALENT_STALE_HOURS``: `talent status` exits 1 when the published file is older (default 30).
    """

    webhook: str = ""
    command: str = ""
    timeout: float = DEFAULT_ALERT_TIMEOUT
    quarantine_share: float = DEFAULT_QUARANTINE_SHARE
    cadence_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CADENCE_DAYS))
    stale_hours: float = DEFAULT_STALE_HOURS

    @classmethod
    def from_env(cls) -> MonitoringSettings:
        cadence = {
            source: int(_env_float(f"TALENT_CADENCE_{source.upper()}", days))
            for source, days in DEFAULT_CADENCE_DAYS.items()
        }
        return cls(
            webhook=os.environ.get("TALENT_ALERT_WEBHOOK", "").strip(),
            command=os.environ.get("TALENT_ALERT_COMMAND", "").strip(),
            timeout=_env_float("TALENT_ALERT_TIMEOUT", DEFAULT_ALERT_TIMEOUT),
            quarantine_share=_env_float("TALENT_ALERT_QUARANTINE_SHARE", DEFAULT_QUARANTINE_SHARE),
            cadence_days=cadence,
            stale_hours=_env_float("TALENT_STALE_HOURS", DEFAULT_STALE_HOURS),
        )

    @property
    def alerting(self) -> bool:
        return bool(self.webhook or self.command)


class WarehouseSettings(dg.ConfigurableResource):
    """Paths and run parameters. Blank values fall back to TALENT_* environment variables, then defaults."""

    landing_dir: str = ""
    warehouse_path: str = ""
    build_path: str = ""
    restricted_path: str = ""
    as_of: str = ""  # YYYY-MM-DD; blank = today in Asia/Shanghai
    full_refresh: bool = False
    min_age: int = 16
    max_age: int = 60
    settle_seconds: int = -1  # -1 = TALENT_SETTLE_SECONDS, else DEFAULT_SETTLE_SECONDS

    @property
    def landing(self) -> Path:
        return _path(self.landing_dir, "TALENT_LANDING", DEFAULT_LANDING)

    @property
    def warehouse(self) -> Path:
        return _path(self.warehouse_path, "TALENT_WAREHOUSE", DEFAULT_WAREHOUSE)

    @property
    def published_dir(self) -> Path:
        """The analysts' folder: the published file and nothing private."""
        return self.warehouse.parent

    @property
    def build_dir(self) -> Path:
        """Private to the pipeline: raw layer, ledger, dbt's build, the run lock."""
        return _path(self.build_path, "TALENT_BUILD_DIR", self.published_dir.parent / "build")

    @property
    def restricted_dir(self) -> Path:
        """Names and ID numbers (encrypted) and the export log: `talent export` only."""
        return _path(self.restricted_path, "TALENT_RESTRICTED_DIR", self.published_dir.parent / "restricted")

    @property
    def key_file(self) -> Path:
        """Where a generated PII key is kept when TALENT_PII_KEY is unset (development only)."""
        return _path("", "TALENT_KEY_FILE", self.published_dir.parent / "keys" / "pii.key")

    @property
    def build_db(self) -> Path:
        return self.build_dir / "build.duckdb"

    @property
    def restricted_db(self) -> Path:
        return self.restricted_dir / "restricted.duckdb"

    @property
    def settle(self) -> int:
        if self.settle_seconds >= 0:
            return self.settle_seconds
        return int(os.environ.get("TALENT_SETTLE_SECONDS", "") or DEFAULT_SETTLE_SECONDS)

    @property
    def as_of_date(self) -> date:
        value = self.as_of or os.environ.get("TALENT_AS_OF", "")
        return date.fromisoformat(value) if value else today()

    def dbt_vars(self) -> dict:
        """dbt's --vars: constant from night to night (the as-of date travels in the environment)."""
        return {"min_age": self.min_age, "max_age": self.max_age}

    def run_config(self, log_level: str = "INFO") -> dict:
        """This settings object as the run config that reproduces it."""
        return {
            "resources": {"settings": {"config": self.model_dump()}},
            "loggers": {"console": {"config": {"log_level": log_level}}},
        }
