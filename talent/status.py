"""`talent status`: is the published warehouse current, and how did the nights go?

From the published file (``audit.refresh``: as-of date, publish time) and the build state (the run
history, the load ledger): the last run and its outcome, files landed but not loaded (deferred,
rejected), the last night's quarantine against the nights before, and each source's latest export
date against its cadence. Exit code 0 when the published file is younger than the threshold
(``--max-age-hours``, else ``TALENT_STALE_HOURS``, else 30), 1 when it is older, 2 when there is no
published file to read: what a monitoring system calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from orchestration import history
from orchestration.monitor import BuildBusyOrMissing, BuildFacts, Published, read_facts, read_published
from orchestration.settings import MonitoringSettings, WarehouseSettings, today

OK, STALE, MISSING = 0, 1, 2
MAX_LISTED = 15


@dataclass
class Status:
    published: Published | None
    last_run: dict | None
    facts: BuildFacts | None
    facts_error: str
    max_age_hours: float
    age_hours: float | None
    reference: date

    @property
    def exit_code(self) -> int:
        if self.published is None:
            return MISSING
        return STALE if self.age_hours > self.max_age_hours else OK


def gather(settings: WarehouseSettings, max_age_hours: float | None = None, now: datetime | None = None) -> Status:
    monitoring = MonitoringSettings.from_env()
    now = now or datetime.now(UTC).replace(tzinfo=None)
    reference = today()
    published = read_published(settings.warehouse)
    try:
        facts, error = read_facts(settings, reference, monitoring), ""
    except BuildBusyOrMissing as exc:
        facts, error = None, str(exc)
    return Status(
        published=published,
        last_run=history.last(settings.build_dir),
        facts=facts,
        facts_error=error,
        max_age_hours=monitoring.stale_hours if max_age_hours is None else max_age_hours,
        age_hours=published.age_hours(now) if published else None,
        reference=reference,
    )


def _share(landed: int, quarantined: int) -> str:
    return f"{quarantined:,} of {landed:,} rows quarantined ({quarantined / landed:.1%})" if landed else "no rows read"


def render(status: Status, settings: WarehouseSettings) -> str:
    lines = [f"warehouse: {settings.warehouse}"]
    p = status.published
    if p is None:
        lines.append("  NOT PUBLISHED: no readable published file (run `talent refresh`)")
    else:
        state = "STALE" if status.exit_code == STALE else "fresh"
        lines.append(
            f"  as of {p.as_of_date}, published {p.published_at:%Y-%m-%d %H:%M} UTC "
            f"({status.age_hours:.1f} h ago; {state}, threshold {status.max_age_hours:g} h), run {p.run_id}"
        )
    run = status.last_run
    if run is None:
        lines.append("last run: none recorded")
    else:
        who = f", started by {run['trigger']}" if run.get("trigger") else ""
        lines.append(
            f"last run: {run['outcome'].upper() if run['outcome'] == 'failed' else run['outcome']} "
            f"(run {run['run_id']}, as of {run.get('as_of_date')}, ended {run.get('finished_at', '?')} UTC{who})"
        )
        lines += [f"  failed step: {s}" for s in run.get("failed_steps", [])]
        lines += [f"  failed check: {c}" for c in run.get("failed_checks", [])]
        lines += [f"  warning: {c}" for c in run.get("warnings", [])]
        if run.get("error"):
            lines.append(f"  error: {run['error']}")
    f = status.facts
    if f is None:
        lines.append(f"build state: not readable now ({status.facts_error})")
        return "\n".join(lines)
    last_id = run["run_id"] if run and f.night(run["run_id"]) else (f.nights[0].run_id if f.nights else None)
    night = f.night(last_id) if last_id else None
    if night is None:
        lines.append("quarantine: no night has read rows yet")
    else:
        before = f.previous_nights(last_id)
        lines.append(f"quarantine, last night (run {night.run_id}): {_share(night.rows_landed, night.rows_quarantined)}")
        lines.append(
            f"quarantine, the {len(before)} nights before: "
            + _share(sum(n.rows_landed for n in before), sum(n.rows_quarantined for n in before))
        )
    lines.append(f"landed, not loaded: {len(f.deferred)} deferred, {len(f.rejected)} rejected")
    for label, notes in (("deferred", f.deferred), ("rejected", f.rejected)):
        for n in notes[:MAX_LISTED]:
            lines.append(f"  {label}: {n.file}: {n.reason}")
        if len(notes) > MAX_LISTED:
            lines.append(f"  ... {len(notes) - MAX_LISTED} more {label} (audit.load_ledger)")
    lines.append(f"sources (latest export date; days before {status.reference}; expected every N days):")
    for s in f.sources:
        latest = s.latest_export_date.isoformat() if s.latest_export_date else "never"
        behind = f"{s.days_behind} days" if s.days_behind is not None else "-"
        flag = "  STALE" if s.stale else ""
        lines.append(f"  {s.source:<15} {latest:<11} {behind:>10}   every {s.cadence_days}{flag}")
    return "\n".join(lines)
