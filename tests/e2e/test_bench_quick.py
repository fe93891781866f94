"""`talent bench --scale quick`: the benchmark code runs end to end and its figures are consistent."""

from __future__ import annotations

import csv
from datetime import date

import duckdb
import pytest

from synth.clean import HEADERS, write_clean_certifications
from talent.bench import fair_limit_sql, render, run_bare_copy, run_bench, run_parquet_copy, write_markdown
from tests.conftest import ID_WEIGHTS, make_id

pytestmark = pytest.mark.e2e


def test_quick_benchmark_runs_every_measurement_and_writes_markdown(tmp_path, monkeypatch):
    monkeypatch.setenv("TALENT_PII_KEY", "bench-test-key")
    report = run_bench("quick", tmp_path / "bench", say=lambda _m: None)
    assert {k: sc.ok for k, sc in report.scenarios.items()} == dict.fromkeys(
        [
            "files_ingest", "clean_ingest", "clean_copy", "clean_parquet", "fair_limit", "clean_full", "clean_nightly", "clean_nothing_new",
            "clean_day_empty",
        ],
        True,
    ), {k: [r.detail.get("stderr_tail") for r in sc.runs if not r.ok] for k, sc in report.scenarios.items()}
    # the fair limit and the pipeline agree on every prefecture's counts
    assert report.limit_matches_mart is True
    # the re-run found nothing new, and said so
    assert "nothing new landed" in report.scenarios["clean_nothing_new"].runs[0].detail["ingest_summary"]
    # per-stage times come from Dagster's events of the full run
    steps = report.scenarios["clean_full"].runs[0].detail["step_seconds"]
    assert steps["ingest_landing"] > 0 and steps["dbt_models"] > 0
    # ingest alone read every row of the clean file and every small file
    assert report.scenarios["clean_ingest"].runs[0].detail["rows_landed"] == 20_000
    assert report.scenarios["files_ingest"].runs[0].detail["files"] == 20
    # the bare copies, the floors under ingest, copied every row of the same file and left nothing behind
    assert report.scenarios["clean_copy"].runs[0].detail["rows"] == 20_000
    assert report.scenarios["clean_parquet"].runs[0].detail["rows"] == 20_000
    assert not (tmp_path / "bench" / "clean" / "copy").exists()
    assert not (tmp_path / "bench" / "clean" / "parquet").exists()
    assert all(r.peak_mib > 50 for sc in report.scenarios.values() for r in sc.runs)
    assert report.machine["bytecode"] == "compiled at install"  # what `make install` does
    out = tmp_path / "BENCHMARKS.md"
    write_markdown(report, out)
    write_markdown(report, out)  # a re-run replaces its scale's section rather than appending
    text = out.read_text()
    assert text.count("## `quick` scale") == 1
    assert "fair limit: DuckDB alone" in text and "same counts as the mart" in text
    assert "Ingest alone / bare copy: " in text and "the floor under any ingest of this file into a DuckDB table here" in text
    assert "Ingest alone / bare copy to Parquet: " in text and "of this file kept as Parquet files here" in text
    assert render(report) in text


def test_clean_rows_are_contract_conform(tmp_path):
    path = tmp_path / "c.csv"
    assert write_clean_certifications(path, 3000, seed=7) == 3000
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [h for _, h in HEADERS]
    header = {h: i for i, h in enumerate(rows[0])}
    ids = [r[header["公民身份号码"]] for r in rows[1:]]
    for id_number in ids:  # the check digit, computed here independently of the generator
        total = sum(int(d) * w for d, w in zip(id_number[:17], ID_WEIGHTS, strict=True))
        assert id_number[17] == "10X98765432"[total % 11], id_number
    levels = {r[header["技能等级"]] for r in rows[1:]}
    assert {"高级工", "高级", "三级", "三级/高级工", "3"} <= levels  # every spelling of rank 3
    regions = {r[header["所在地区"]] for r in rows[1:]}
    assert {"650100", "乌鲁木齐市", "乌鲁木齐"} <= regions and any(r.startswith("6501") and r != "650100" for r in regions)
    dates = {r[header["发证日期"]] for r in rows[1:]}
    assert any("年" in d for d in dates) and any("/" in d for d in dates) and any(len(d) == 8 for d in dates)
    statuses = [r[header["证书状态"]] for r in rows[1:]]
    assert statuses.count("有效") > 2700 and "撤销" in statuses and "注销" in statuses
    # re-sent certificates come later in the file, revoked
    numbers = [r[header["证书编号"]] for r in rows[1:]]
    resent = {n for n in numbers if numbers.count(n) > 1}
    assert resent and all(statuses[len(numbers) - 1 - numbers[::-1].index(n)] == "撤销" for n in resent)
    # the same rows again, byte for byte, from the same seed
    again = tmp_path / "again.csv"
    write_clean_certifications(again, 3000, seed=7)
    assert again.read_bytes() == path.read_bytes()


def test_fair_limit_counts_a_hand_made_file(tmp_path):
    """Two persons, a revocation and a person too young: the query's answer worked out by hand."""
    header = [h for _, h in HEADERS]

    def row(cert, id_number, level, issued, region, status="有效"):
        return [cert, "某人", id_number, "", "", "焊工", level, issued, "某机构", "", region, "", "", status]

    adult, young, other = make_id("650102", "19900101", "001"), make_id("650102", "20150101", "003"), make_id(
        "654002", "19800101", "005")
    rows = [
        row("C1", adult, "三级", "2020/3/5", "650102"),  # 高级工 in 乌鲁木齐 (county code rolled up)
        row("C2", adult, "中级", "2024年1月2日", "伊犁州"),  # later, lower: still high-skilled, now in 伊犁
        row("C3", young, "高级工", "20200101", "650100"),  # 11 years old on the as-of date
        row("C4", other, "3", "2021.06.30", "伊犁哈萨克自治州"),
        row("C4", other, "3", "2021.06.30", "伊犁哈萨克自治州", status="撤销"),  # revoked later
        row("C5", other, "初级工", "2022-01-01", "659001"),
    ]
    path = tmp_path / "h.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    got = duckdb.connect().execute(fair_limit_sql([path], date(2026, 7, 1))).fetchall()
    assert got == [(None, 2, 1), ("654000", 1, 1), ("659001", 1, 0)]


def test_bare_copy_counts_every_row_of_a_hand_made_file(tmp_path):
    """The floor's copy reads a quoted comma inside a field as any ingest must: two rows, not three."""
    path = tmp_path / "h.csv"
    path.write_text('证书编号,公民身份号码,备注\nC1,"0650102",a\nC2,650102199001010011,"b, c"\n', encoding="utf-8")
    got = run_bare_copy(path, tmp_path / "copy" / "copy.duckdb")
    assert got["rows"] == 2 and got["seconds"] > 0 and got["ok"]
    assert not (tmp_path / "copy").exists()  # the copy is a measurement: nothing is kept


def test_parquet_copy_counts_every_row_of_a_hand_made_file(tmp_path):
    """The Parquet floor reads what ingest must read: a quoted comma and a quoted line break stay
    inside their fields, and CRLF ends rows: two rows, not three or four."""
    path = tmp_path / "h.csv"
    path.write_bytes('证书编号,公民身份号码,备注\r\nC1,"0650102",a\r\nC2,650102199001010011,"b, c\r\nd"\r\n'.encode())
    out = tmp_path / "parquet" / "copy.parquet"
    got = run_parquet_copy(path, out)
    assert got["rows"] == 2 and got["seconds"] > 0 and got["ok"]
    assert not out.parent.exists()  # the copy is a measurement: nothing is kept
