"""End to end on generated data: the real Dagster job, compared with the generator's ground truth.

The ground truth is computed by the generator from its own clean model, never from the messy files
and never with the pipeline's code, so agreement here means the pipeline read the mess correctly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.run import UP_TO_DATE, nothing_to_do, refresh
from orchestration.settings import WarehouseSettings
from tests.conftest import restricted_persons, write_csv
from tests.e2e.conftest import copy_of

pytestmark = pytest.mark.e2e

AS_OF = "2026-06-30"
ID_RE = re.compile(r"[1-9]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]")


def _marts(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"select * from marts.{t} order by all").fetchall()
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        }
    finally:
        con.close()


def _ratio_counts(path: Path) -> dict[tuple[str, str], tuple[int, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select as_of_date::varchar, region_code, skilled_persons, high_skilled_persons "
            "from marts.mart_high_skill_ratio"
        ).fetchall()
    finally:
        con.close()
    return {(d, r): (s, h) for d, r, s, h in rows}


def _levelled_counts(build_db: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """The headline counts from the person-level view (a row per as-of date and counted person),
    grouped as the mart groups them: the mart counts from ranges of dates instead, never per person."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        rows = con.execute(
            "select as_of_date::varchar, if(grouping(region_code) = 1, '650000', region_code),"
            " count(*), count(*) filter (where is_high_skilled)"
            " from intermediate.int_persons_levelled_as_of"
            " group by grouping sets ((as_of_date, region_code), (as_of_date))"
        ).fetchall()
    finally:
        con.close()
    return {(d, r): (s, h) for d, r, s, h in rows}


def test_ratio_mart_counts_the_persons_the_levelled_view_lists(generated):
    """mart_high_skill_ratio applies int_persons_levelled_as_of's rule to ranges of dates: the two
    agree on every as-of date and unit (units nobody is counted in: zero in the mart)."""
    settings, _, _ = generated
    mart, view = _ratio_counts(settings.warehouse), _levelled_counts(settings.build_db)
    assert len(view) > 100 and sum(s for (_, r), (s, _) in view.items() if r == "650000") > 10_000
    assert {k: v for k, v in mart.items() if v != (0, 0)} == view


def test_ratio_counts_equal_ground_truth_for_every_date_and_prefecture(generated):
    settings, truth, _ = generated
    got = _ratio_counts(settings.warehouse)
    expected = {
        (r["as_of_date"], r["region_code"]): (r["skilled_persons"], r["high_skilled_persons"])
        for r in truth["high_skill_ratio"]
    }
    assert expected, "the ground truth has no ratio rows"
    for key, counts in expected.items():
        assert got.get(key, (0, 0)) == counts, f"{key}: mart {got.get(key)} != truth {counts}"
    # and nothing the truth does not know: units absent from the truth have no persons
    extra = {k: v for k, v in got.items() if k[0] in truth["as_of_dates"] and k not in expected and v != (0, 0)}
    assert extra == {}


def test_every_bad_row_is_quarantined_and_counts_reconcile(generated):
    settings, truth, _ = generated
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        quarantined = set(con.execute(
            "select distinct source_file, row_number, column_name from audit.quarantine").fetchall())
        ledger = {r[0]: r[1:] for r in con.execute(
            "select source_file, status, rows_landed, rows_loaded, rows_quarantined from audit.load_ledger "
            "where source = 'certifications'").fetchall()}
    finally:
        con.close()
    for bad in truth["quarantined_rows"]:
        assert (bad["source_file"], bad["row_number"], bad["column"]) in quarantined, bad
    for f in (f for f in truth["files"] if f["source"] == "certifications"):
        status, landed, loaded, q = ledger[f["source_file"]]
        assert status == f["status"], f
        if status in ("loaded", "rejected"):
            assert (landed, loaded, q) == (f["rows_landed"], f["rows_loaded"], f["rows_quarantined"]), f
    totals = truth["sources"]["certifications"]
    assert sum(v[2] for v in ledger.values() if v[0] in ("loaded", "rejected")) == totals["rows_loaded"]
    assert sum(v[3] for v in ledger.values() if v[0] in ("loaded", "rejected")) == totals["rows_quarantined"]


def test_published_file_holds_only_marts_and_audit_and_no_personal_data(generated):
    settings, _, _ = generated
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        schemas = {r[0] for r in con.execute(
            "select distinct schema_name from duckdb_tables() where database_name = current_database()").fetchall()}
        text = []
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall():
            text.append(str(con.execute(f"select * from {schema}.{table}").fetchall()))
    finally:
        con.close()
    assert schemas == {"marts", "audit"}
    blob = "\n".join(text)
    assert not ID_RE.search(blob)
    restricted = restricted_persons(settings.restricted_db)
    names = [r[0] for r in restricted.execute("select distinct name from persons where length(name) >= 2").fetchall()]
    restricted.close()
    assert len(names) > 100
    leaked = [n for n in names if n in blob]
    assert leaked == []


def test_a_second_refresh_changes_nothing(generated):
    settings, _, _ = generated
    before = _marts(settings.warehouse)
    again = refresh(settings)
    assert again.success, again.describe()
    assert "nothing new landed" in again.ingest_summary
    assert _marts(settings.warehouse) == before


def test_a_run_with_nothing_to_do_is_recognised_before_dagster_starts(generated):
    settings, _, _ = generated
    assert nothing_to_do(settings) == UP_TO_DATE
    # anything that could change the marts means work: a new file, a new date, a full refresh
    note = Path(settings.landing) / "certifications" / "2026-06-30" / "zz_later.csv"
    note.write_text("证书编号\n")
    try:
        assert nothing_to_do(settings) is None
    finally:
        note.unlink()
    assert nothing_to_do(settings) == UP_TO_DATE
    moved = WarehouseSettings(landing_dir=settings.landing_dir, warehouse_path=settings.warehouse_path, as_of="2026-07-01")
    assert nothing_to_do(moved) is None
    full = WarehouseSettings(
        landing_dir=settings.landing_dir, warehouse_path=settings.warehouse_path, as_of=AS_OF, full_refresh=True
    )
    assert nothing_to_do(full) is None


def test_published_file_opens_in_duckdb_1x(generated):
    settings, _, _ = generated
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__, con.execute('select count(*) from marts.mart_high_skill_ratio').fetchone()[0])"
    )
    uv = [sys.executable, "-m", "uv"] if shutil.which("uv") is None else ["uv"]
    out = subprocess.run(
        [*uv, "run", "--isolated", "--no-project", "--with", "duckdb<2", "python", "-c", code, str(settings.warehouse)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert out.returncode == 0, out.stderr
    version, rows = out.stdout.split()
    assert version.startswith("1.") and int(rows) > 0


def test_a_later_revocation_lowers_the_counts(generated, tmp_path):
    """Revoke one high-skilled person's only high certificate: exactly that person moves down."""
    settings = copy_of(generated[0], tmp_path / "copy")  # the shared warehouse stays as it is
    build = duckdb.connect(str(settings.build_db), read_only=True)
    target = build.execute(
        """
        with latest as (
            select * from raw.certifications
            qualify row_number() over (partition by certificate_no
                                       order by export_date desc, file_name desc, source_file desc, row_number desc) = 1
        ), valid as (select * from latest where status = '有效' and issue_date <= date '2026-06-30')
        select certificate_no, person_key from valid
        where person_key in (
            select person_key from valid group by 1
            having count(*) filter (where level_rank >= 3) = 1 and count(*) = 1)
        and level_rank >= 3
        and birth_date between date '1965-07-01' and date '2010-06-30'  -- aged 16..60 on the as-of date
        order by certificate_no limit 1
        """
    ).fetchone()
    build.close()
    assert target, "no single-certificate high-skilled person in the generated data"
    cert_no, person_key = target
    restricted = restricted_persons(settings.restricted_db)
    id_number, name = restricted.execute(
        "select id_number, name from persons where person_key = ?", [person_key]).fetchone()
    restricted.close()
    before = _ratio_counts(settings.warehouse)
    header = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区", "证书状态"]
    write_csv(Path(settings.landing) / "certifications/2026-06-30/zz_revocations.csv", header,
              [[cert_no, name, id_number, "焊工", "高级工", "2020-01-01", "某机构", "650100", "撤销"]])
    outcome = refresh(settings)
    assert outcome.success, outcome.describe()
    after = _ratio_counts(settings.warehouse)
    s0, h0 = before[(AS_OF, "650000")]
    s1, h1 = after[(AS_OF, "650000")]
    assert (s1, h1) == (s0 - 1, h0 - 1)
    # the incremental night's mart still counts who the person-level view lists
    assert {k: v for k, v in after.items() if v != (0, 0)} == _levelled_counts(settings.build_db)
