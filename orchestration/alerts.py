"""Alerts: a failed night, or a night worth a warning, told to the operators without anyone looking.

A night's alert (:func:`night_alert`) is built from its run summary (steps and checks by name, steps'
error classes) and the build state (orchestration.monitor): which step failed, which checks, which
files were rejected (redacted display paths and ingest's reasons), the warnings (quarantine share
above ``TALENT_ALERT_QUARANTINE_SHARE``, sources past their cadence), and how to rerun. It never holds
an error's text, a name or an ID number.

:func:`send` delivers it to ``TALENT_ALERT_WEBHOOK`` (a JSON POST) and/or ``TALENT_ALERT_COMMAND``
(the text on standard input), each with a short timeout; a delivery that fails is logged and
returned, never raised: an alert must not fail the run it reports.

Who calls: `talent refresh` when its run ends (orchestration.run), and the daemon's run-status
sensors (orchestration.defs.sensors) for runs the schedule, the landing sensor or the UI started.
"""

from __future__ import annotations

import json
import logging
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date

from orchestration.monitor import BuildFacts, Published
from orchestration.settings import MonitoringSettings

log = logging.getLogger("talent.alerts")

ERROR, WARNING = "error", "warning"
MAX_FILES = 20  # rejected files listed in one alert


def trigger_of(tags: dict) -> str:
    """What started a Dagster run, from its tags."""
    if tags.get("talent/started_by"):
        return tags["talent/started_by"]
    if tags.get("dagster/schedule_name"):
        return f"schedule {tags['dagster/schedule_name']}"
    if tags.get("dagster/sensor_name"):
        return f"sensor {tags['dagster/sensor_name']}"
    return "Dagster UI"


@dataclass
class RunSummary:
    """A run as the alerts and the history see it: names and classes only."""

    run_id: str
    as_of_date: date
    trigger: str = ""
    success: bool = True
    published: bool = False
    up_to_date: bool = False
    failed_steps: list[str] = field(default_factory=list)  # "step (ErrorClass)"
    failed_checks: list[str] = field(default_factory=list)  # "asset/key: check_name"
    warnings: list[str] = field(default_factory=list)  # non-blocking checks that did not pass
    started_at: str = ""
    error: str = ""  # the run could not start or stopped outside Dagster: class and place

    @property
    def outcome(self) -> str:
        if self.up_to_date and self.success:
            return "up_to_date"
        if self.published:
            return "published" if self.success and not self.failed_checks else "published_with_errors"
        return "failed"

    def history_entry(self) -> dict:
        return {
            "run_id": self.run_id,
            "trigger": self.trigger,
            "started_at": self.started_at,
            "as_of_date": self.as_of_date.isoformat(),
            "outcome": self.outcome,
            "failed_steps": self.failed_steps,
            "failed_checks": self.failed_checks,
            "warnings": self.warnings,
            **({"error": self.error} if self.error else {}),
        }


@dataclass
class Alert:
    level: str  # error | warning
    subject: str
    lines: list[str]
    facts: dict

    def text(self) -> str:
        return "\n".join([self.subject, *self.lines])

    def payload(self) -> dict:
        """What the webhook receives: the chat-robot form (WeCom, DingTalk) and the facts for machines."""
        return {
            "msgtype": "text",
            "text": {"content": self.text()},
            "talent": {"level": self.level, "subject": self.subject, **self.facts},
        }


def stale_sources(facts: BuildFacts) -> list[str]:
    out = []
    for s in facts.sources:
        if not s.stale:
            continue
        if s.latest_export_date is None:
            out.append(f"{s.source}: no export has ever loaded (expected every {s.cadence_days} days)")
        else:
            out.append(
                f"{s.source}: no newer export loaded since {s.latest_export_date} "
                f"({s.days_behind} days; expected every {s.cadence_days} days)"
            )
    return out


def quarantine_warning(facts: BuildFacts, run_id: str, monitoring: MonitoringSettings) -> str | None:
    night = facts.night(run_id)
    if night is None or not night.rows_landed or night.share <= monitoring.quarantine_share:
        return None
    return (
        f"quarantined {night.rows_quarantined:,} of the {night.rows_landed:,} rows landed tonight "
        f"({night.share:.1%}; threshold {monitoring.quarantine_share:.1%})"
    )


def rerun_hint(settings, run: RunSummary) -> str:
    as_of = f" --as-of {run.as_of_date}" if run.as_of_date else ""
    hint = (
        f"talent refresh --landing {settings.landing} --warehouse {settings.warehouse}{as_of}"
    )
    if run.trigger and run.trigger != "talent refresh":
        hint += f"   (or re-execute run {run.run_id} from the Dagster UI)"
    return hint


def night_alert(
    settings,
    run: RunSummary,
    facts: BuildFacts | None,
    published: Published | None,
    monitoring: MonitoringSettings,
) -> Alert | None:
    """The alert a finished night deserves: an error when it failed (or published with a failed
    error-severity check), a warning when it only warns, None when all is well or nothing ran."""
    failed = run.outcome in ("failed", "published_with_errors")
    if run.outcome == "up_to_date":
        return None
    warnings = []
    if facts is not None:
        q = quarantine_warning(facts, run.run_id, monitoring)
        warnings += [q] if q else []
        warnings += stale_sources(facts)
    warnings += [f"check: {w}" for w in run.warnings]
    if not failed and not warnings:
        return None
    rejected = facts.rejected_by(run.run_id) if facts is not None else []
    who = f", started by {run.trigger}" if run.trigger else ""
    if run.outcome == "failed":
        subject = f"[talent-warehouse] FAILED: the night as of {run.as_of_date} was not published (run {run.run_id[:8]}{who})"
    elif failed:
        subject = f"[talent-warehouse] ERROR: the night as of {run.as_of_date} was published, but a check failed (run {run.run_id[:8]}{who})"
    else:
        subject = f"[talent-warehouse] warning: the night as of {run.as_of_date} was published with warnings (run {run.run_id[:8]}{who})"
    lines = []
    if run.outcome == "failed":
        if published:
            lines.append(
                f"The published file was left as it was: as of {published.as_of_date}, "
                f"published {published.published_at:%Y-%m-%d %H:%M} UTC."
            )
        else:
            lines.append("Nothing is published yet.")
    if run.error:
        lines.append(f"The run stopped: {run.error}")
    lines += [f"Failed step: {s}" for s in run.failed_steps]
    lines += [f"Failed check: {c}" for c in run.failed_checks]
    if rejected:
        lines.append(f"Rejected files tonight ({len(rejected)}):")
        lines += [f"  {f.file}: {f.reason}" for f in rejected[:MAX_FILES]]
        if len(rejected) > MAX_FILES:
            lines.append(f"  ... and {len(rejected) - MAX_FILES} more (audit.load_ledger, status 'rejected')")
    elif facts is None:
        lines.append("Rejected files: unknown (the build database could not be read); see `talent status`.")
    lines += [f"Warning: {w}" for w in warnings]
    if failed:
        lines.append(
            "To rerun: fix what failed (a rejected file: land a corrected copy under a new name; a check: "
            "its details are in the Dagster UI or `talent refresh -v`), then run"
        )
        lines.append(f"  {rerun_hint(settings, run)}")
    lines.append(f"Status: talent status --warehouse {settings.warehouse}")
    facts_out = {
        "run_id": run.run_id,
        "as_of_date": run.as_of_date.isoformat(),
        "outcome": run.outcome,
        "started_by": run.trigger,
        "failed_steps": run.failed_steps,
        "failed_checks": run.failed_checks,
        "rejected_files": [{"file": f.file, "reason": f.reason} for f in rejected],
        "warnings": warnings,
        "rerun": rerun_hint(settings, run) if failed else "",
    }
    return Alert(ERROR if failed else WARNING, subject, lines, facts_out)


@dataclass(frozen=True)
class Delivery:
    channel: str  # webhook | command
    ok: bool
    detail: str


def send(alert: Alert, monitoring: MonitoringSettings, logger: logging.Logger | None = None) -> list[Delivery]:
    """Deliver to every configured channel; never raises."""
    logger = logger or log
    out = []
    if monitoring.webhook:
        out.append(_post(alert, monitoring))
    if monitoring.command:
        out.append(_run_command(alert, monitoring))
    for d in out:
        if d.ok:
            logger.info("alert sent (%s)", d.channel)
        else:
            logger.warning("the alert could not be sent (%s): %s", d.channel, d.detail)
    return out


def _post(alert: Alert, monitoring: MonitoringSettings) -> Delivery:
    body = json.dumps(alert.payload(), ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(
        monitoring.webhook, data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=monitoring.timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return Delivery("webhook", False, f"HTTP {exc.code}")
    except Exception as exc:  # noqa: BLE001 - any failure is reported, none may fail the run
        return Delivery("webhook", False, type(exc).__name__ + _reason(exc))
    return Delivery("webhook", 200 <= status < 300, f"HTTP {status}")


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return f" ({type(reason).__name__ if isinstance(reason, BaseException) else reason})" if reason else ""


def _run_command(alert: Alert, monitoring: MonitoringSettings) -> Delivery:
    try:
        done = subprocess.run(
            monitoring.command, shell=True, input=alert.text().encode("utf-8"),
            capture_output=True, timeout=monitoring.timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return Delivery("command", False, f"timed out after {monitoring.timeout:g} s")
    except OSError as exc:
        return Delivery("command", False, type(exc).__name__)
    return Delivery("command", done.returncode == 0, f"exit code {done.returncode}")


def notify(settings, run: RunSummary, monitoring: MonitoringSettings | None = None, logger=None) -> list[Delivery]:
    """Build the night's alert from the build state and send it (nothing when nothing is configured)."""
    from orchestration.monitor import BuildBusyOrMissing, read_facts, read_published

    monitoring = monitoring or MonitoringSettings.from_env()
    if not monitoring.alerting:
        return []
    try:
        facts = read_facts(settings, run.as_of_date, monitoring)
    except BuildBusyOrMissing:
        facts = None
    except Exception as exc:  # noqa: BLE001 - an alert still goes out, without the build's facts
        (logger or log).warning("alert: the build state could not be read (%s)", type(exc).__name__)
        facts = None
    alert = night_alert(settings, run, facts, read_published(settings.warehouse), monitoring)
    return send(alert, monitoring, logger) if alert else []
