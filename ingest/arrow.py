"""Arrow tables for DuckDB (`con.register`): from polars frames (`for_duckdb`) and from Python lists.

Built by polars, not by ``pyarrow.table``/``pyarrow.array``: pyarrow checks whether a Python list
is a pandas object by importing pandas, which costs ~1.5 s of the refresh's one busy core the first
time (measured with py-spy on the embedded sample), and nothing else in a refresh's own process
needs pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
import pyarrow as pa


def arrow_table(columns: Mapping[str, Sequence], types: Mapping[str, pl.DataType] | None = None) -> pa.Table:
    """One column per entry of `columns` (all of one length), typed by `types` where given, else
    inferred from the values (a column of nulls only is of Arrow's null type, which DuckDB casts to
    any type)."""
    types = types or {}
    return pl.DataFrame(
        [pl.Series(name, list(values), dtype=types.get(name), strict=False) for name, values in columns.items()]
    ).pipe(for_duckdb)


def for_duckdb(frame: pl.DataFrame) -> pa.Table:
    """``frame`` as Arrow for `con.register`, without a copy: its text columns stay Arrow string
    views, which DuckDB scans as they are. Polars' default (``large_string``) copies every string:
    +560 MB for the ID numbers' lookup of 5.5 M values and their person keys."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())
