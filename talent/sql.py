"""`talent sql`: queries on the published warehouse through the analysts' connection.

One query from the command line or standard input prints its result and exits (1 on an error); at a
terminal with no query, a prompt reads statements ending in ``;`` until ``.quit`` or end of input.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

from publish.access import connect_published

TABLE_ROWS = 200  # rows shown as a table; --csv prints them all


def run_query(con: duckdb.DuckDBPyConnection, query: str, *, as_csv: bool, out=None) -> None:
    out = out or sys.stdout
    cur = con.execute(query)
    if cur.description is None:  # a statement without a result
        return
    names = [d[0] for d in cur.description]
    if as_csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        while batch := cur.fetchmany(10_000):
            writer.writerows(batch)
        return
    rows = cur.fetchmany(TABLE_ROWS + 1)
    _print_table(names, rows[:TABLE_ROWS], out)
    if len(rows) > TABLE_ROWS:
        print(f"(only the first {TABLE_ROWS} rows are shown; use --csv for all of them)", file=out)
    else:
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=out)


def _print_table(names: list[str], rows: list[tuple], out) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*names, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(file=out, width=max(80, min(240, 16 * len(names)))).print(table)


def repl(con: duckdb.DuckDBPyConnection, *, as_csv: bool, read: Callable[[str], str] = input) -> None:
    print("talent sql: the published warehouse, read-only. End statements with ';', .quit to leave.")
    buffer: list[str] = []
    while True:
        try:
            line = read("talent> " if not buffer else "   ...> ")
        except EOFError:
            print()
            return
        if not buffer and line.strip() in (".quit", ".exit", "quit", "exit"):
            return
        buffer.append(line)
        if line.rstrip().endswith(";"):
            query, buffer = "\n".join(buffer), []
            try:
                run_query(con, query, as_csv=as_csv)
            except duckdb.Error as exc:
                print(f"error: {exc}")


def main(warehouse: Path, query: str | None, *, as_csv: bool) -> int:
    try:
        con = connect_published(warehouse)
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        if query is None and sys.stdin.isatty():
            repl(con, as_csv=as_csv)
            return 0
        if query is None or query == "-":
            query = sys.stdin.read()
        if not query.strip():
            print("error: no query given", file=sys.stderr)
            return 1
        try:
            run_query(con, query, as_csv=as_csv)
        except duckdb.Error as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    finally:
        con.close()
