"""What each published table and column means, in Chinese and English, from the dbt docs.

One source for every reader of the published folder: the BI datasets' labels and descriptions, the
comments of the published file, the Parquet feed's metadata, the nightly report and the public
edition. The English descriptions are the dbt models' (and, for ``audit``, the raw sources'); the
Chinese names are the doc blocks of ``dbt_project/models/_labels_zh.md``. Both are read from dbt's
``target/manifest.json`` (``make install`` and every run write it).

Standard library only: the Superset environment (``bi/``), which has none of the project's
dependencies, imports this module too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[1] / "dbt_project" / "target" / "manifest.json"
PACKAGE = "talent_warehouse"
# audit tables of the published file -> the raw source they are copied from (publish.warehouse)
AUDIT_SOURCES = {"quarantine": "quarantine", "load_ledger": "load_ledger"}
REFRESH_DOCS = {
    "": "The run that published this file (one row): its as-of date and times, what its night read "
    "and quarantined against the nights before, files rejected or left for later, and the runs "
    "since the last publish. A night that fails publishes nothing, so its failure shows here once "
    "a later night publishes (`failed_runs_since_last_publish`); `published_at` says how old the file is.",
    "run_id": "Dagster run id of the run that published the file.",
    "as_of_date": "The run's as-of date: the date the figures are computed for.",
    "published_at": "When the file was published (UTC).",
    "started_at": "When the run started (UTC).",
    "started_by": "What started the run: `talent refresh`, the schedule, the landing sensor, the Dagster UI.",
    "files_read": "Landed files the run read (loaded or rejected).",
    "files_rejected": "Files the run rejected whole (their reasons are in audit.load_ledger).",
    "files_rejected_total": "Files whose latest ledger row is `rejected`, over all nights.",
    "files_deferred": "Files landed but left for a later run (temporary name, not settled, unreadable for now).",
    "rows_landed": "Rows of the files the run read.",
    "rows_quarantined": "Of those, rows quarantined (audit.quarantine).",
    "quarantine_share": "rows_quarantined / rows_landed of the run (null when it read no rows).",
    "quarantine_share_previous": "The same share over the previous nights that read rows (up to 7).",
    "previous_nights": "How many previous nights quarantine_share_previous covers.",
    "previous_run_id": "The run recorded before this one (any outcome).",
    "previous_run_outcome": "Its outcome: published, published_with_errors, up_to_date or failed.",
    "previous_run_finished_at": "When it ended (UTC).",
    "failed_runs_since_last_publish": "Runs that failed between the previous publish and this one.",
    "last_failed_step": "The failed step of the latest of those runs, with its error class.",
    "sources_stale": "Sources whose latest loaded export is older than their expected cadence.",
}
SOURCE_FRESHNESS_DOCS = {
    "": "One row per source: the export date of its latest loaded file, measured against its "
    "expected cadence (TALENT_CADENCE_<SOURCE>) at the as-of date of the file.",
    "source": "The source (certifications, trainings, competitions, honours, carriers, graduates).",
    "latest_export_date": "Export date (landing folder) of the source's latest loaded file; null if none.",
    "files_loaded": "Files of the source loaded so far.",
    "cadence_days": "Days the source may go without a newer export.",
    "days_behind": "as_of_date minus latest_export_date, in days.",
    "is_stale": "days_behind above cadence_days, or nothing ever loaded.",
}


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    label_zh: str
    description: str

    def comment(self) -> str:
        """Chinese label first, then the dbt description: what a BI tool shows beside the column."""
        return f"{self.label_zh}：{self.description}" if self.description else self.label_zh


@dataclass(frozen=True)
class TableDoc:
    schema: str
    name: str
    label_zh: str
    description_zh: str
    description: str
    columns: dict[str, ColumnDoc] = field(default_factory=dict)
    labels_zh: dict[str, str] = field(default_factory=dict, repr=False)  # the shared column glossary

    def column(self, name: str) -> ColumnDoc:
        """A column's doc; one the dbt docs do not describe still gets its Chinese label."""
        return self.columns.get(name) or ColumnDoc(name, self.labels_zh.get(name, name), "")

    def comment(self) -> str:
        return "\n\n".join(p for p in (f"{self.label_zh}：{self.description_zh}", self.description) if p)


class DocsMissing(RuntimeError):
    pass


def load_manifest(manifest: Path = MANIFEST) -> dict:
    if not manifest.exists():
        raise DocsMissing(f"{manifest} not found: run `make install` (it parses the dbt project)")
    return json.loads(manifest.read_text(encoding="utf-8"))


def published_docs(manifest: Path | dict = MANIFEST) -> dict[str, TableDoc]:
    """``schema.table`` -> its documentation, for every mart and audit table of the published file."""
    m = manifest if isinstance(manifest, dict) else load_manifest(manifest)
    blocks = {
        d["name"]: d["block_contents"].strip()
        for d in m.get("docs", {}).values()
        if d.get("package_name") == PACKAGE
    }

    glossary = {k.removeprefix("zh_column__"): v for k, v in blocks.items() if k.startswith("zh_column__")}

    def label(table: str, column: str) -> str:
        return glossary.get(f"{table}__{column}") or glossary.get(column) or column

    def table_doc(schema: str, name: str, description: str, columns: dict[str, str]) -> TableDoc:
        return TableDoc(
            schema=schema,
            name=name,
            label_zh=blocks.get(f"zh_table__{name}", name),
            description_zh=blocks.get(f"zh_table_description__{name}", ""),
            description=" ".join(description.split()),
            columns={c: ColumnDoc(c, label(name, c), " ".join(d.split())) for c, d in columns.items()},
            labels_zh=glossary,
        )

    docs: dict[str, TableDoc] = {}
    for node in m.get("nodes", {}).values():
        if node.get("resource_type") == "model" and node.get("schema") == "marts":
            cols = {c: v.get("description", "") for c, v in node.get("columns", {}).items()}
            docs[f"marts.{node['name']}"] = table_doc("marts", node["name"], node.get("description", ""), cols)
    sources = {
        s["name"]: s for s in m.get("sources", {}).values() if s.get("source_name") == "raw"
    }
    for table, source in AUDIT_SOURCES.items():
        s = sources.get(source, {})
        cols = {c: v.get("description", "") for c, v in s.get("columns", {}).items()}
        docs[f"audit.{table}"] = table_doc("audit", table, s.get("description", ""), cols)
    docs["audit.refresh"] = table_doc(
        "audit", "refresh", REFRESH_DOCS[""], {k: v for k, v in REFRESH_DOCS.items() if k}
    )
    docs["audit.source_freshness"] = table_doc(
        "audit", "source_freshness", SOURCE_FRESHNESS_DOCS[""],
        {k: v for k, v in SOURCE_FRESHNESS_DOCS.items() if k},
    )  # fmt: skip
    return docs
