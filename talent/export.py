"""Person-level lists for the department: who is entitled to a promotion or a title in a year.

The published warehouse holds aggregates only. The lists the department acts on (measure 14: promote
these award winners; measure 15: these persons may apply directly for a senior title) need names and
ID numbers, which exist only in the restricted store (``<restricted dir>/restricted.duckdb``, encrypted:
see ``ingest.restricted``), decrypted into this process's memory as table ``persons`` (the latest
record of each person). This module joins it, by person key, to the models the dbt exposure
``eligibility_export`` declares (``int_entitlements_deduped``, ``int_promotions_followed_up``,
``ref_prefectures``; their relation names come from dbt's manifest) in the build database — both
opened read-only, never the published file — and writes an .xlsx with Chinese headers.

Every export needs the PII key the build was pseudonymised with (``TALENT_PII_KEY`` or the key file)
and is recorded in the export log (:mod:`talent.export_log`: who, the OS account, when, year, rows,
file and its SHA-256; append-only, hash-chained). The list is written to a temp file (mode 0600)
beside the target, logged (fsynced), and only then renamed to its final name, so there is no unlogged
export; temp files of a killed export are removed by the next export to that folder. An export
during a refresh waits for the build lock (up to ``wait`` seconds) instead of failing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from collections.abc import Callable

    from orchestration.settings import WarehouseSettings

log = logging.getLogger(__name__)

EXPOSURE = "eligibility_export"  # dbt_project/models/_exposures.yml: the models this export reads

# indicator -> (资格类型, sort order)
ENTITLEMENT_KINDS = {
    "COMPETITION-PROMOTION": ("晋升职业技能等级", 1),
    "TITLE-DIRECT-FULL": ("直接申报正高级职称", 2),
    "TITLE-DIRECT-DEPUTY": ("直接申报副高级职称", 3),
}

# (header, column width) in sheet order; the query below returns the columns in the same order
COLUMNS = (
    ("年度", 6),
    ("姓名", 10),
    ("公民身份号码", 21),
    ("地州市", 18),
    ("行政区划代码", 12),
    ("资格类型", 18),
    ("可晋升等级或可申报职称", 14),
    ("规则编号", 12),
    ("规则", 56),
    ("资格依据记录", 48),
    ("同年全部资格记录", 64),
    ("资格记录数", 10),
    ("晋升落实情况", 22),
)
HEADERS = tuple(header for header, _ in COLUMNS)

def declared_relations(manifest: dict | None = None) -> dict[str, str]:
    """Model name -> ``schema.alias`` of each model the ``eligibility_export`` exposure depends on."""
    from publish.docs import load_manifest

    manifest = manifest or load_manifest()
    (exposure,) = [e for e in manifest["exposures"].values() if e["name"] == EXPOSURE]
    nodes = manifest["nodes"]
    return {
        nodes[uid]["name"]: f"{nodes[uid]['schema']}.{nodes[uid]['alias']}" for uid in exposure["depends_on"]["nodes"]
    }


def list_sql(relations: dict[str, str]) -> str:
    """The listing query over the declared relations (`declared_relations`)."""
    entitlements, followups = relations["int_entitlements_deduped"], relations["int_promotions_followed_up"]
    units = relations["ref_prefectures"]
    return f"""
select
    e.year,
    p.name,
    p.id_number,
    u.name as region_name,
    e.region_code,
    case e.indicator_id {" ".join(f"when '{k}' then '{v[0]}'" for k, v in ENTITLEMENT_KINDS.items())} end,
    e.entitlement,
    e.rule_id,
    e.rule_text,
    e.basis_record,
    e.qualifying_record_list,
    e.qualifying_records,
    case
        when e.indicator_id <> 'COMPETITION-PROMOTION' then null
        when f.is_done then '已持有相应或更高等级证书'
        else '待晋升'
    end
from {entitlements} as e
left join persons as p
    on p.person_key = e.person_key
left join {units} as u
    on u.code = e.region_code
left join {followups} as f
    on f.person_key = e.person_key
    and f.year = e.year
    and e.indicator_id = 'COMPETITION-PROMOTION'
where e.year = $year
    and e.indicator_id in ({", ".join(f"'{k}'" for k in ENTITLEMENT_KINDS)})
order by
    e.region_code,
    case e.indicator_id {" ".join(f"when '{k}' then {v[1]}" for k, v in ENTITLEMENT_KINDS.items())} end,
    p.id_number,
    e.person_key
"""

DEFAULT_WAIT = 1800  # seconds an export waits for a running refresh to finish
# an export's temp file (see export_eligibility), whatever the case of ".xlsx"
TEMP_PATTERN = re.compile(r"\..+\.xlsx\.[0-9a-f]{8}\.tmp", re.IGNORECASE)


class ExportError(RuntimeError):
    """The export cannot run; the message says why and what to do."""


@dataclass(frozen=True)
class _Listing:
    rows: list[tuple]
    as_of_date: date | None
    missing_persons: int


def export_eligibility(
    settings: WarehouseSettings,
    year: int,
    out: Path,
    who: str,
    *,
    wait: float = DEFAULT_WAIT,
    say: Callable[[str], None] | None = None,
) -> int:
    """Write the persons entitled to a promotion or a title in ``year`` to ``out`` (.xlsx).

    Returns the number of data rows (one per person and entitlement). Raises
    :class:`ingest.pii.PiiKeyMissing` without the PII key, :class:`ExportError` when the build is
    missing, was pseudonymised with another key, or stays busy for ``wait`` seconds (``say`` is told
    once when the export starts waiting).
    """
    from ingest.faults import fault_point
    from ingest.pii import resolve_key
    from ingest.private import private_umask
    from orchestration.lock import BuildBusy, build_lock
    from talent import export_log

    if not who or not who.strip():
        raise ExportError("say who is exporting (the export log records it)")
    out = Path(out).resolve()
    if out.suffix.lower() != ".xlsx":
        raise ExportError(f"{out}: the export is an .xlsx file")
    key = resolve_key(settings.key_file, create=False)
    for path, what in ((settings.build_db, "build database"), (settings.restricted_db, "restricted store")):
        if not path.exists():
            raise ExportError(f"no {what} at {path}: run `talent refresh` first")
    try:
        with build_lock(settings.build_dir, "talent export eligibility", wait=wait, on_wait=say):
            listing = _read_listing(settings, year, key)
            if listing.missing_persons:
                log.warning(
                    "%d entitled persons have no name or ID number in the restricted store; "
                    "their rows are exported with those cells blank",
                    listing.missing_persons,
                )
            out.parent.mkdir(parents=True, exist_ok=True)
            for stale in (p for p in out.parent.iterdir() if TEMP_PATTERN.fullmatch(p.name)):
                stale.unlink(missing_ok=True)  # a killed export's names and ID numbers
            tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
            now = datetime.now(UTC).replace(tzinfo=None)
            try:
                with private_umask():  # 0600: a list of names and ID numbers, even half-written
                    _write_xlsx(tmp, year, listing, who, now)
                fault_point("export.after_write")
                entry = export_log.append(
                    settings.restricted_dir,
                    {
                        "who": who.strip(),
                        "export": "eligibility",
                        "year": year,
                        "rows": len(listing.rows),
                        "file": str(out),
                        "file_sha256": _sha256(tmp),
                        "as_of_date": listing.as_of_date.isoformat() if listing.as_of_date else None,
                    },
                )
                fault_point("export.after_log")
                os.replace(tmp, out)  # only once the log entry is on disk
            finally:
                tmp.unlink(missing_ok=True)
    except BuildBusy as exc:
        raise ExportError(f"{exc}: export once it has finished") from exc
    except export_log.ExportLogBroken as exc:
        raise ExportError(str(exc)) from exc
    log.info("export logged as entry %d (%s)", entry["seq"], entry["hash"])
    return len(listing.rows)


def _read_listing(settings: WarehouseSettings, year: int, key) -> _Listing:
    from ingest.pii import SealBroken
    from ingest.restricted import register_persons

    try:
        con = duckdb.connect(str(settings.build_db), read_only=True)
    except duckdb.IOException as exc:
        raise ExportError(f"cannot open the build database {settings.build_db} read-only: {exc}") from exc
    try:
        _check_fingerprint(con, key.fingerprint)
        con.execute(f"attach '{_sql_text(str(settings.restricted_db))}' as restricted (read_only)")
        loaded = {r[0] for r in con.execute("select load_id from raw.load_ledger where status = 'loaded'").fetchall()}
        try:
            register_persons(con, key, "persons", loaded)  # decrypted in this process's memory only
        except SealBroken as exc:
            raise ExportError(str(exc)) from None
        try:
            relations = declared_relations()
            rows = con.execute(list_sql(relations), {"year": year}).fetchall()
            as_of = con.execute(f"select max(as_of_date) from {relations['int_promotions_followed_up']}").fetchone()[0]
        except duckdb.CatalogException as exc:
            raise ExportError(
                f"the build database lacks what the export reads ({_first_line(exc)}): "
                "run `talent refresh` to build the models first"
            ) from exc
    finally:
        con.close()
    missing = sum(1 for row in rows if row[2] is None)
    return _Listing(rows=rows, as_of_date=as_of, missing_persons=missing)


def _check_fingerprint(con: duckdb.DuckDBPyConnection, fingerprint: str) -> None:
    """The key must be the one the build was pseudonymised with (recorded by ingest)."""
    try:
        row = con.execute("select value from raw.build_meta where key = 'pii_key_fingerprint'").fetchone()
    except duckdb.CatalogException:
        row = None
    if row is None:
        raise ExportError("the build database records no PII key: run `talent refresh` first")
    if row[0] != fingerprint:
        raise ExportError(
            "the PII key is not the one this build was pseudonymised with; set TALENT_PII_KEY "
            "to the key used for ingest"
        )


def _write_xlsx(path: Path, year: int, listing: _Listing, who: str, now: datetime) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    try:
        wb.set_properties(
            {"title": f"{year}年 竞赛获奖晋级及职称直接申报资格名单", "comments": "含个人信息,仅限内部使用"}
        )
        header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        text = wb.add_format({"num_format": "@"})
        ws = wb.add_worksheet("资格名单")
        for col, (title, width) in enumerate(COLUMNS):
            ws.write_string(0, col, title, header)
            ws.set_column(col, col, width, text)
        for r, row in enumerate(listing.rows, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int):
                    ws.write_number(r, col, value)
                else:
                    ws.write_string(r, col, str(value), text)  # ID numbers stay text
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(listing.rows), 1), len(COLUMNS) - 1)

        about = wb.add_worksheet("说明")
        about.set_column(0, 0, 16)
        about.set_column(1, 1, 80)
        notes = [
            ("名单", "竞赛获奖晋升职业技能等级(措施14)及直接申报正高级/副高级职称(措施15)资格名单"),
            ("年度", str(year)),
            ("数据截至", listing.as_of_date.isoformat() if listing.as_of_date else "未知"),
            ("人次(行数)", str(len(listing.rows))),
            ("导出人", who),
            ("导出时间(UTC)", now.strftime("%Y-%m-%d %H:%M:%S")),
            (
                "口径",
                "每人每年每类资格一行;同年多项获奖或荣誉只计一次,依据记录取最高晋升等级/优先规则,其余列于同年全部资格记录",
            ),
            ("晋升落实情况", "截至数据日期持有晋升等级或更高等级的有效证书为已落实,否则为待晋升"),
            ("规则", "见规则表 ref_entitlement_rules(按规则编号)"),
            ("保密", "本表含姓名和公民身份号码,仅限工作需要使用,不得外传;每次导出均已记录"),
        ]
        for r, (k, v) in enumerate(notes):
            about.write_string(r, 0, k, header)
            about.write_string(r, 1, v)
    finally:
        wb.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
