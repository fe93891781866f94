"""What operators need to know about the nights, from the build state: the facts behind the alerts,
`talent status` and the published ``audit.refresh`` / ``audit.source_freshness``.

Everything comes from the load ledger (``raw.load_ledger``), the run history (orchestration.history)
and the published file's ``audit.refresh``. Files are shown as ingest's ``display_file`` (a path part
holding an ID number or a known name already replaced) and reasons as the ledger's messages (ingest's
own words, redacted); both pass the redaction helpers of ``ingest.redact`` once more before they are
shown. No exception text of a reader is ever read from anywhere here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from ingest import contract
from orchestration.settings import MonitoringSettings

PREVIOUS_NIGHTS = 7  # nights the last one's quarantine is compared with
LANDED_STATUSES = ("loaded", "rejected")  # files whose rows count as landed by a night


@dataclass(frozen=True)
class FileNote:
    source: str
    file: str  # display path, redacted
    status: str
    reason: str
    run_id: str


@dataclass(frozen=True)
class Night:
    """What one run read: the ledger rows it wrote for loaded and rejected files."""

    run_id: str
    loaded_at: datetime | None
    files: int
    rows_landed: int
    rows_quarantined: int

    @property
    def share(self) -> float:
        return self.rows_quarantined / self.rows_landed if self.rows_landed else 0.0


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    latest_export_date: date | None  # of its latest loaded file
    files_loaded: int
    cadence_days: int
    days_behind: int | None  # reference date - latest export date

    @property
    def stale(self) -> bool:
        return self.days_behind is None or self.days_behind > self.cadence_days


@dataclass
class BuildFacts:
    nights: list[Night] = field(default_factory=list)  # newest first
    rejected: list[FileNote] = field(default_factory=list)  # every file whose latest row is rejected
    deferred: list[FileNote] = field(default_factory=list)  # left for a later run, as of the last run
    sources: list[SourceFreshness] = field(default_factory=list)

    def night(self, run_id: str) -> Night | None:
        return next((n for n in self.nights if n.run_id == run_id), None)

    def previous_nights(self, run_id: str | None) -> list[Night]:
        """Up to PREVIOUS_NIGHTS nights that landed rows, before ``run_id``'s (all of them when that
        run read nothing)."""
        landed = [n for n in self.nights if n.rows_landed]
        idx = next((i for i, n in enumerate(landed) if n.run_id == run_id), None)
        return (landed[idx + 1 :] if idx is not None else landed)[:PREVIOUS_NIGHTS]

    def rejected_by(self, run_id: str) -> list[FileNote]:
        return [f for f in self.rejected if f.run_id == run_id]


def _shareof(nights: list[Night]) -> float | None:
    landed = sum(n.rows_landed for n in nights)
    return sum(n.rows_quarantined for n in nights) / landed if landed else None


def facts_from(con, reference: date, monitoring: MonitoringSettings, redactor=None) -> BuildFacts:
    """Read the facts from a connection whose ``raw.load_ledger`` is the build's ledger.

    ``reference`` is the date sources are measured against (the run's as-of date); ``redactor`` an
    ``ingest.redact.Redactor`` when the PII key is at hand (without it only ID-shaped text is hidden).
    """
    nights = [
        Night(run_id, loaded_at, int(files), int(landed or 0), int(quarantined or 0))
        for run_id, loaded_at, files, landed, quarantined in con.execute(
            f"""
            select run_id, max(loaded_at), count(*), sum(rows_landed), sum(rows_quarantined)
            from raw.load_ledger where status in {LANDED_STATUSES} and run_id is not null
            group by run_id order by max(loaded_at) desc
            """
        ).fetchall()
    ]
    latest = con.execute(
        """
        select source, coalesce(display_file, source_file), status, coalesce(message, ''), run_id
        from raw.load_ledger
        qualify row_number() over (partition by source_file order by loaded_at desc) = 1
        order by export_date, source_file
        """
    ).fetchall()
    notes = [FileNote(s or "", f, st, m, r or "") for s, f, st, m, r in latest if st in ("rejected", "deferred")]
    notes = _redacted(notes, redactor)
    loaded = {
        s: (d, n) for s, d, n in con.execute(
            "select source, max(export_date), count(*) from raw.load_ledger "
            "where status = 'loaded' group by source"
        ).fetchall()
    }
    sources = []
    for source in contract.SOURCES:
        latest_date, files = loaded.get(source, (None, 0))
        sources.append(
            SourceFreshness(
                source, latest_date, int(files), monitoring.cadence_days[source],
                (reference - latest_date).days if latest_date else None,
            )
        )
    return BuildFacts(
        nights=nights,
        rejected=[n for n in notes if n.status == "rejected"],
        deferred=[n for n in notes if n.status == "deferred"],
        sources=sources,
    )


def _redacted(notes: list[FileNote], redactor) -> list[FileNote]:
    from ingest.redact import REDACTED, id_shaped

    paths = {n.file for n in notes}
    reasons = {n.reason for n in notes if n.reason}
    if redactor is not None:
        shown_paths, shown_reasons = redactor.paths(paths), redactor.values(reasons)
    else:
        shown_paths = {p: "/".join(REDACTED if id_shaped(part) else part for part in p.split("/")) for p in paths}
        shown_reasons = {r: REDACTED if id_shaped(r) else r for r in reasons}
    return [
        FileNote(n.source, shown_paths[n.file], n.status, shown_reasons.get(n.reason, n.reason), n.run_id)
        for n in notes
    ]


class BuildBusyOrMissing(RuntimeError):
    """The build database cannot be read now (no build yet, or a run holds it)."""


def read_facts(settings, reference: date | None = None, monitoring: MonitoringSettings | None = None) -> BuildFacts:
    """The facts of ``settings``' build database, opened read-only; raises BuildBusyOrMissing."""
    import duckdb

    from ingest.pii import PiiKeyMissing, resolve_key
    from ingest.redact import Redactor

    monitoring = monitoring or MonitoringSettings.from_env()
    if not settings.build_db.exists():
        raise BuildBusyOrMissing(f"no build database at {settings.build_db}")
    try:
        con = duckdb.connect(str(settings.build_db), read_only=True)
    except duckdb.Error as exc:
        raise BuildBusyOrMissing(f"the build database is in use ({type(exc).__name__})") from None
    try:
        try:
            redactor = Redactor(con, resolve_key(settings.key_file, create=False))
        except PiiKeyMissing:
            redactor = None
        return facts_from(con, reference or settings.as_of_date, monitoring, redactor)
    finally:
        con.close()


@dataclass(frozen=True)
class Published:
    run_id: str
    as_of_date: date
    published_at: datetime  # UTC, naive

    def age_hours(self, now: datetime | None = None) -> float:
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return (now - self.published_at).total_seconds() / 3600


def read_published(warehouse: Path) -> Published | None:
    """The published file's ``audit.refresh`` (None when there is no readable published file)."""
    if not Path(warehouse).exists():
        return None
    import duckdb

    from publish.access import connect_published

    try:
        con = connect_published(Path(warehouse))
    except duckdb.Error:
        return None
    try:
        row = con.execute("select run_id, as_of_date, published_at from audit.refresh limit 1").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return Published(*row) if row else None


# ---------------------------------------------------------------- the published tables


def refresh_tables(facts: BuildFacts, run: dict, history: list[dict]) -> tuple[dict, list[dict]]:
    """``audit.refresh`` (one row: the run that published the file, its night and the nights before)
    and ``audit.source_freshness`` (one row a source), as plain rows."""
    run_id = run["run_id"]
    night = facts.night(run_id)
    previous = [r for r in history if r.get("run_id") != run_id]
    last_publish = next((r for r in reversed(previous) if r.get("outcome") in ("published", "published_with_errors")), None)
    failed_since = [
        r for r in previous
        if r.get("outcome") == "failed" and (last_publish is None or r.get("finished_at", "") > last_publish.get("finished_at", ""))
    ]
    before = facts.previous_nights(run_id)
    row = {
        "started_at": _ts(run.get("started_at")),
        "started_by": run.get("trigger") or "",
        "files_read": night.files if night else 0,
        "files_rejected": len(facts.rejected_by(run_id)),
        "files_rejected_total": len(facts.rejected),
        "files_deferred": len(facts.deferred),
        "rows_landed": night.rows_landed if night else 0,
        "rows_quarantined": night.rows_quarantined if night else 0,
        "quarantine_share": round(night.share, 6) if night and night.rows_landed else None,
        "quarantine_share_previous": _round(_shareof(before)),
        "previous_nights": len(before),
        "previous_run_id": previous[-1]["run_id"] if previous else None,
        "previous_run_outcome": previous[-1].get("outcome") if previous else None,
        "previous_run_finished_at": _ts(previous[-1].get("finished_at")) if previous else None,
        "failed_runs_since_last_publish": len(failed_since),
        "last_failed_step": _first(failed_since[-1].get("failed_steps")) if failed_since else None,
        "sources_stale": sum(s.stale for s in facts.sources),
    }
    sources = [
        {
            "source": s.source,
            "latest_export_date": s.latest_export_date,
            "files_loaded": s.files_loaded,
            "cadence_days": s.cadence_days,
            "days_behind": s.days_behind,
            "is_stale": s.stale,
        }
        for s in facts.sources
    ]
    return row, sources


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _first(items) -> str | None:
    return items[0] if items else None


def _ts(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
