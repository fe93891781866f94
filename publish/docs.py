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
    "": "The run that published this file and its as-of date (one row).",
    "run_id": "Dagster run id of the run that published the file.",
    "as_of_date": "The run's as-of date: the date the figures are computed for.",
    "published_at": "When the file was published (UTC).",
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
    return docs
