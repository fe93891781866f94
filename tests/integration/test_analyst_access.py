"""The analysts' connection (`talent sql`, publish.access.connect_published): it reads the published
file and nothing else, whatever the query tries."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from publish import warehouse as pw
from publish.access import connect_published
from talent.cli import app
from tests.integration.test_publish import AS_OF, make_build


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A published file, and beside it what an analyst must not reach: a DuckDB file standing for
    the restricted store, and a local CSV."""
    root = tmp_path_factory.mktemp("access")
    warehouse = root / "wh" / "talent.duckdb"
    pw.publish(make_build(root / "build.duckdb", 1, rows=1000), warehouse, "run00001-aaaa", AS_OF)
    secret = root / "restricted" / "restricted.duckdb"
    secret.parent.mkdir()
    with duckdb.connect(str(secret)) as con:
        con.execute("create table person_records as select '张三' as name, '650102199005010126' as id_number")
    csv = root / "names.csv"
    csv.write_text("name,id_number\n张三,650102199005010126\n", encoding="utf-8")
    return warehouse, secret, csv


def test_the_connection_reads_the_published_marts(folders):
    warehouse, _, _ = folders
    con = connect_published(warehouse)
    try:
        assert con.execute("select count(*), max(version) from marts.mart_big").fetchone() == (1000, 1)
        settings = dict(
            con.execute(
                "select name, value from duckdb_settings() "
                "where name in ('enable_external_access', 'lock_configuration', 'access_mode')"
            ).fetchall()
        )
        assert settings == {"enable_external_access": "false", "lock_configuration": "true", "access_mode": "read_only"}
    finally:
        con.close()


@pytest.mark.parametrize(
    ("what", "sql"),
    [
        ("attach another DuckDB file", "attach '{secret}' as r (read_only)"),
        ("read a local CSV", "select * from read_csv('{csv}')"),
        ("read a local CSV by its name", "select * from '{csv}'"),
        ("write a file", "copy (select * from marts.mart_small) to '{out}'"),
        ("unlock external access", "set enable_external_access = true"),
        ("move spill files", "set temp_directory = '{out}'"),
        ("change the published file", "create table marts.mine as select 1 as x"),
        ("load an extension", "load httpfs"),
    ],
)
def test_the_connection_cannot_reach_anything_else(folders, tmp_path, what, sql):
    warehouse, secret, csv = folders
    out = tmp_path / "out.csv"
    con = connect_published(warehouse)
    try:
        with pytest.raises(duckdb.Error) as refused:
            con.execute(sql.format(secret=secret, csv=csv, out=out)).fetchall()
        assert isinstance(refused.value, (duckdb.PermissionException, duckdb.InvalidInputException)), what
        # the connection still works, and attached nothing
        assert [r[1] for r in con.execute("pragma database_list").fetchall()] == ["talent"]
    finally:
        con.close()
    assert not out.exists()


def test_talent_sql_prints_a_query_result(folders):
    warehouse, _, _ = folders
    done = CliRunner().invoke(
        app, ["sql", "select version, count(*) as n from marts.mart_big group by all", "--warehouse", str(warehouse)]
    )
    assert done.exit_code == 0, done.output
    assert "version" in done.output and "1000" in done.output and "(1 row)" in done.output


def test_talent_sql_reads_standard_input_and_prints_csv(folders):
    warehouse, _, _ = folders
    done = CliRunner().invoke(
        app,
        ["sql", "-", "--csv", "--warehouse", str(warehouse)],
        input="select id, label from marts.mart_big where id < 3 order by id;\n",
    )
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == ["id,label", "0,unit 0", "1,unit 1", "2,unit 2"]


def test_talent_sql_refuses_attach_with_a_clear_error_and_exit_1(folders):
    warehouse, secret, _ = folders
    done = CliRunner().invoke(app, ["sql", f"attach '{secret}' as r", "--warehouse", str(warehouse)])
    assert done.exit_code == 1
    assert "Permission Error" in done.output and "disabled by configuration" in done.output
    assert "张三" not in done.output


def test_talent_sql_prompt_runs_statements_until_quit(folders, capsys):
    from talent.sql import repl

    warehouse, _, _ = folders
    lines = iter(["select max(id)", "from marts.mart_big;", "select * from nowhere;", ".quit"])
    con = connect_published(warehouse)
    try:
        repl(con, as_csv=True, read=lambda prompt: next(lines))
    finally:
        con.close()
    out = capsys.readouterr().out
    assert "max(id)\n999\n" in out
    assert "error: Catalog Error" in out


def test_a_missing_published_file_is_a_clear_error(tmp_path):
    done = CliRunner().invoke(app, ["sql", "select 1", "--warehouse", str(tmp_path / "none.duckdb")])
    assert done.exit_code == 1
    assert f"no published warehouse at {tmp_path / 'none.duckdb'}" in done.output
