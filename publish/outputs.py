"""What every publish writes beside the published file, after it has been swapped in.

- ``report/index.html`` (and ``report/figures.json``): the nightly progress report (publish.report);
- ``parquet/<mart>.parquet``: the Parquet feed (publish.parquet);
- ``public/``: the public edition, small cells suppressed (publish.public).

All of it is read from the published file only, never from the build database, and each file is
replaced atomically. A failure here does not undo the publish (the warehouse is already the new
one, and correct): each output that failed is named in ``errors`` with the exception's type and
message, and the publish asset reports it as a failed check (see orchestration/defs/publish).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

REPORT_DIR, PARQUET_DIR, PUBLIC_DIR = "report", "parquet", "public"


@dataclass
class OutputsResult:
    written: dict[str, str] = field(default_factory=dict)  # output -> path
    errors: dict[str, str] = field(default_factory=dict)  # output -> what went wrong

    @property
    def ok(self) -> bool:
        return not self.errors


def write_outputs(warehouse: Path, manifest: Path | None = None, threshold: int | None = None) -> OutputsResult:
    from publish.docs import MANIFEST, DocsMissing, published_docs
    from publish.parquet import export_marts
    from publish.public import threshold_from_env, write_public
    from publish.report import write_report

    folder = warehouse.parent
    result = OutputsResult()
    try:
        docs = published_docs(manifest or MANIFEST)
    except (DocsMissing, OSError, ValueError) as exc:  # the feeds then go out without descriptions
        log.warning("dbt docs unavailable (%s): the Parquet feed is written without descriptions", exc)
        docs = {}
    steps = {
        "report": lambda: write_report(warehouse, folder / REPORT_DIR).path,
        "parquet": lambda: export_marts(warehouse, folder / PARQUET_DIR, docs) and folder / PARQUET_DIR,
        "public": lambda: write_public(
            warehouse, folder / PUBLIC_DIR, docs, threshold if threshold is not None else threshold_from_env()
        ) and folder / PUBLIC_DIR,
    }
    for name, step in steps.items():
        try:
            result.written[name] = str(step())
        except Exception as exc:  # reported, not raised: the warehouse stays published
            log.exception("writing the %s beside %s failed", name, warehouse)
            result.errors[name] = f"{type(exc).__name__}: {exc}"[:500]
    return result
