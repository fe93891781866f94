"""Arrow tables from Python lists, for handing small sets of rows to DuckDB (`con.register`).

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
    ).to_arrow()
