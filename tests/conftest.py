"""Shared fixtures: small messy landing files written by hand, in a temporary folder."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

# dagster-dbt as a refresh imports it (its own enums, no dbt-core), whichever test imports it first
import orchestration.defs.dbt.compat  # noqa: F401

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# Landings written by a test are complete the moment they are written: no settle time (the tests of
# the settle time itself set it explicitly). Child processes (talent refresh) inherit it.
os.environ.setdefault("TALENT_SETTLE_SECONDS", "0")


def make_id(county: str, birth: str, seq: str) -> str:
    """A valid resident ID number (computed here independently of ingest.normalise)."""
    first17 = f"{county}{birth}{seq}"
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8", trailing_comma=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    end = "," if trailing_comma else ""
    lines = [",".join(header) + end] + [",".join(r) + end for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], title_rows: list[str | None] = ()):
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2024, 1, 1)})
    ws = wb.add_worksheet()
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    r = 0
    for title in title_rows:
        if title:
            ws.merge_range(r, 0, r, len(header) - 1, title)
        r += 1
    for j, h in enumerate(header):
        ws.write_string(r, j, h)
    for row in rows:
        r += 1
        for j, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r, j, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, j, v)
            elif v is not None:
                ws.write_string(r, j, v)
    wb.close()
    return path


@pytest.fixture
def pii_key(monkeypatch):
    monkeypatch.setenv("TALENT_PII_KEY", "test-key-not-secret")
    return "test-key-not-secret"


def restricted_persons(restricted_db: Path):
    """An in-memory connection with table ``persons``: the restricted store decrypted with the PII
    key of the environment (what `talent export` reads)."""
    import duckdb

    from ingest.pii import PiiKey
    from ingest.restricted import register_persons

    con = duckdb.connect()
    con.execute(f"attach '{restricted_db}' as restricted (read_only)")
    register_persons(con, PiiKey(os.environ["TALENT_PII_KEY"].encode(), "environment"))
    return con



class Hook:
    """A webhook receiver on 127.0.0.1: every POST body, parsed; answers with ``status``."""

    def __init__(self, status: int = 200, delay: float = 0.0):
        self.bodies: list[dict] = []
        self.raw: list[bytes] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                data = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                hook.raw.append(data)
                hook.bodies.append(json.loads(data))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?key=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# --- two workers (`make test` runs pytest-xdist with --dist loadgroup) ---------------------------------
# One test file is one unit of work, run whole by one worker (its module fixtures are built once); the
# files using a session warehouse of tests/e2e/conftest.py are one unit, so it is built once. The
# longest units are handed out first, so that the two workers finish together.
SESSION_WAREHOUSES = ("generated", "sample")
LONGEST_FIRST = ("tests/e2e/test_faults.py", "sample", "tests/e2e/test_hostile_landing.py", "generated")


def pytest_collection_modifyitems(config, items):
    unit_of: dict[str, str] = {}
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        shared = next((f for f in SESSION_WAREHOUSES if f in getattr(item, "fixturenames", ())), None)
        unit_of[path] = shared or unit_of.get(path, path)

    def unit(item) -> str:
        return unit_of[item.path.relative_to(config.rootpath).as_posix()]

    def rank(item) -> int:
        return LONGEST_FIRST.index(unit(item)) if unit(item) in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a unit and among the rest, the collection order stays
    grouping = getattr(config.option, "loadgroup", False)  # set in pytest-xdist's workers under --dist loadgroup
    for item in items:
        item.add_marker(pytest.mark.xdist_group(unit(item)))
        if grouping and "@" not in item.nodeid:
            _in_group(item, unit(item))


def _in_group(item, group: str) -> None:
    """What pytest-xdist's own hook does with an xdist_group mark (its scheduler groups the node ids
    ending in "@group"): done here because that hook may run before this one has set the mark, and
    because xdist 3.8 sets ``item._nodeid``, which pytest 9.2 no longer reads (it reads ``_id``)."""
    named = f"{item.nodeid}@{group}"
    if hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(named)
    else:
        item._nodeid = named
