"""What a publish writes beside the published file: the Parquet feed, the public edition, the report."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from publish.public import SPECS, SUPPRESSED

pytestmark = pytest.mark.e2e


def _published(sample):
    return duckdb.connect(str(sample.warehouse), read_only=True)


def test_the_parquet_feed_reads_back_with_the_marts_rows_and_types(sample):
    folder = sample.warehouse.parent / "parquet"
    con = _published(sample)
    try:
        marts = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
        assert sorted(p.stem for p in folder.glob("*.parquet")) == marts
        for table in marts:
            path = folder / f"{table}.parquet"
            want_types = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = 'marts' "
                "and table_name = ? order by column_index", [table]).fetchall()
            got_types = con.execute(f"describe select * from read_parquet('{path}')").fetchall()
            assert [(n, t) for n, t, *_ in got_types] == want_types, table
            want = con.execute(f"select * from marts.{table} order by all").fetchall()
            got = con.execute(f"select * from read_parquet('{path}') order by all").fetchall()
            assert got == want, table
        run_id, as_of = con.execute("select run_id, as_of_date::varchar from audit.refresh").fetchone()
    finally:
        con.close()
    schema = pq.read_schema(folder / "mart_high_skill_ratio.parquet")
    assert schema.metadata[b"as_of_date"].decode() == as_of and schema.metadata[b"run_id"].decode() == run_id
    assert schema.field("high_skill_ratio").metadata[b"label_zh"].decode() == "高技能人才占比"
    assert b"skilled persons" in schema.field("high_skill_ratio").metadata[b"description"]


def test_the_published_file_carries_the_dbt_docs_as_comments(sample):
    con = _published(sample)
    try:
        comment = con.execute(
            "select comment from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'mart_high_skill_ratio' and column_name = 'skilled_persons'").fetchone()[0]
    finally:
        con.close()
    assert comment.startswith("技能人才数：Skilled persons")


def test_the_public_edition_hides_small_counts_and_shows_the_rest(sample):
    folder = sample.warehouse.parent / "public"
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    threshold = index["threshold"]
    assert threshold == 5 and set(index["symbols"]) == {"c", "x", "z"}
    con = _published(sample)
    try:
        for spec in SPECS:
            public = con.execute(f"select * from read_csv('{folder / spec.table}.csv', all_varchar = true)").fetchall()
            cols = [d[0] for d in con.description]
            true_rows = con.execute(f"select * from marts.{spec.table} order by {', '.join(spec.order)}").fetchall()
            true_cols = [d[0] for d in con.description]
            assert len(public) == len(true_rows) and cols == true_cols
            hidden = 0
            for pub, true in zip(public, true_rows, strict=True):
                p, t = dict(zip(cols, pub, strict=True)), dict(zip(true_cols, true, strict=True))
                for c in spec.counts:
                    if 0 < t[c] < threshold:
                        assert p[c] == SUPPRESSED, (spec.table, c, t)
                        hidden += 1
                    elif p[c] != SUPPRESSED:
                        assert int(p[c]) == t[c]
            assert hidden > 0, f"{spec.table}: the sample should have small cells to hide"
    finally:
        con.close()


def test_the_report_shows_the_marts_figures_and_the_definitions(sample):
    html = (sample.warehouse.parent / "report" / "index.html").read_text(encoding="utf-8")
    con = _published(sample)
    try:
        as_of, ratio = con.execute(
            "select as_of_date::varchar, high_skill_ratio from marts.mart_high_skill_ratio "
            "where region_code = '650100' and as_of_date = (select max(as_of_date) from marts.mart_high_skill_ratio)"
        ).fetchone()
    finally:
        con.close()
    assert f'<b id="as-of-date">{as_of}</b>' in html
    row = html.split('data-region="650100"', 1)[1].split("</tr>", 1)[0]
    assert f'<td data-field="high_skill_ratio" class="n">{100 * ratio:.2f}%</td>' in row
    assert "高技能人才数 ÷ 技能人才数" in html
    assert "有效证书" in html and "最高等级序号 ≥ 3" in html  # the contract's definitions
    assert "<script src=" not in html and "cdn." not in html.split("<body>", 1)[1].split("<script", 1)[0]


def test_a_failing_output_is_reported_and_the_others_still_written(sample, tmp_path, monkeypatch):
    import shutil

    import publish.report
    from publish.outputs import write_outputs

    copy = tmp_path / "warehouse" / "talent.duckdb"
    copy.parent.mkdir()
    shutil.copy(sample.warehouse, copy)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(publish.report, "write_report", broken)
    result = write_outputs(copy)
    assert not result.ok and result.errors == {"report": "OSError: disk full"}
    assert set(result.written) == {"parquet", "public"}
    assert (copy.parent / "parquet" / "mart_high_skill_ratio.parquet").exists()
    assert (copy.parent / "public" / "index.json").exists()
    assert not (copy.parent / "report").exists()
