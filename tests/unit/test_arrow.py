"""ingest.arrow: small Arrow tables for DuckDB without importing pandas."""

import subprocess
import sys
from datetime import date

import duckdb
import polars as pl

from ingest.arrow import arrow_table


def test_columns_keep_given_types_and_a_null_column_casts_to_any_type():
    table = arrow_table(
        {"n": range(3), "day": [date(2026, 6, 30), None, date(2026, 7, 1)], "note": [None, None, None]},
        {"n": pl.Int32, "day": pl.Date},
    )
    assert [str(t) for t in table.schema.types] == ["int32", "date32[day]", "null"]
    con = duckdb.connect()
    con.execute("create table t (n integer, day date, note varchar)")
    con.register("rows", table)
    con.execute("insert into t select * from rows")
    assert con.execute("select * from t order by n").fetchall() == [
        (0, date(2026, 6, 30), None), (1, None, None), (2, date(2026, 7, 1), None),
    ]  # fmt: skip


def test_building_a_table_does_not_import_pandas():
    """pyarrow.table on a list imports pandas (~1.5 s of a refresh); this must not."""
    code = (
        "import sys\nfrom ingest.arrow import arrow_table\n"
        "arrow_table({'a': [1, None], 'b': ['x', 'y']})\nprint('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
