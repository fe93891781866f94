"""Person keys: the HMAC ingest computes in polars (`hmac_expr`) and the one the export computes in
DuckDB (`hmac_sql`) are both Python's ``hmac`` HMAC-SHA256, for any key and any text."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import polars as pl
import pytest

from ingest.pii import PiiKey, hmac_expr, hmac_sql

VALUES = ["65010219900307001X", "", "阿依古丽·买买提", "a" * 200, None, "line\nbreak"]
KEYS = [
    "benchmark-key",
    "ключ-秘密-🔑",  # not ASCII: its UTF-8 bytes are the key
    "k" * 64,  # exactly one SHA-256 block
    "0123456789abcdef" * 9,  # longer than a block: HMAC hashes the key first
]


def _reference(key: str, value: str | None) -> str | None:
    return None if value is None else hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("secret", KEYS)
def test_polars_and_duckdb_person_keys_are_pythons_hmac(secret):
    key = PiiKey(secret.encode(), "test")
    expected = [_reference(secret, v) for v in VALUES]
    frame = pl.DataFrame({"v": VALUES}, schema={"v": pl.Utf8})
    assert frame.select(hmac_expr(pl.col("v"), key))["v"].to_list() == expected
    streamed = frame.lazy().select(hmac_expr(pl.col("v"), key)).collect(engine="streaming")
    assert streamed["v"].to_list() == expected
    ipad, opad = key.pads()
    con = duckdb.connect()
    con.register("t", frame.to_arrow())
    rows = con.execute(f"select {hmac_sql('v')} from t", {"ipad": ipad, "opad": opad}).fetchall()
    assert [r[0] for r in rows] == expected
    assert key.hash_one(VALUES[0]) == expected[0]


def test_the_key_inside_a_person_key_expression_is_never_shown():
    """The key travels inside the polars expression: its text, a plan and an error never show it."""
    secret = "do-not-show-this-key-7f3a"
    expr = hmac_expr(pl.col("v"), PiiKey(secret.encode(), "test"))
    assert secret not in str(expr)
    assert secret not in pl.LazyFrame({"v": ["a"]}).with_columns(expr).explain()
    with pytest.raises(pl.exceptions.ComputeError) as failed:
        pl.DataFrame({"v": [1]}).select(expr)  # a number, not text: the plugin refuses it
    assert secret not in str(failed.value)
