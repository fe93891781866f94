"""The export log: append-only, hash-chained, private; verify-log finds the first broken entry."""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talent import export_log as el
from talent.cli import app

REPO = Path(__file__).resolve().parents[2]


def record(n: int) -> dict:
    return {
        "who": f"审核员{n}",
        "export": "eligibility",
        "year": 2024,
        "rows": n,
        "file": f"/srv/exports/{n}.xlsx",
        "file_sha256": f"{n:064x}",
        "as_of_date": "2026-06-30",
    }


@pytest.fixture
def log3(tmp_path) -> Path:
    restricted = tmp_path / "restricted"
    for n in (1, 2, 3):
        el.append(restricted, record(n))
    return el.log_path(restricted)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_entries_chain_and_carry_who_and_the_os_account(log3):
    entries = el.entries(log3)
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev"] == el.GENESIS
    assert [e["prev"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert all(e["hash"] == el.entry_hash(e) for e in entries)
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert [(e["who"], e["os_user"], e["rows"]) for e in entries] == [
        ("审核员1", me, 1),
        ("审核员2", me, 2),
        ("审核员3", me, 3),
    ]
    result = el.verify(log3)
    assert result.intact and result.entries == 3 and result.head == entries[-1]["hash"]
    assert result.describe() == f"export log {log3}: chain intact, 3 entries, head {entries[-1]['hash']}"
    assert stat.S_IMODE(log3.stat().st_mode) == 0o600
    assert stat.S_IMODE(log3.parent.stat().st_mode) == 0o700


def test_a_changed_entry_is_the_first_broken_link(log3):
    text = lines(log3)
    text[1] = text[1].replace('"rows":2', '"rows":20')
    log3.write_text("".join(text))
    result = el.verify(log3)
    assert (result.broken_at, result.entries) == (2, 1)
    assert "does not match its hash" in result.reason


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link(log3):
    text = lines(log3)
    entry = json.loads(text[1])
    entry["who"] = "someone else"
    entry["hash"] = el.entry_hash(entry)
    text[1] = json.dumps(entry, ensure_ascii=False) + "\n"
    log3.write_text("".join(text))
    result = el.verify(log3)
    assert result.broken_at == 3
    assert "does not link to the entry before it" in result.reason


def test_a_removed_entry_is_found(log3):
    text = lines(log3)
    log3.write_text(text[0] + text[2])
    result = el.verify(log3)
    assert result.broken_at == 2 and "sequence number 3 where 2 was expected" in result.reason


def test_an_incomplete_last_entry_is_found_and_the_log_is_not_extended_from_it(log3):
    with log3.open("a") as fh:
        fh.write('{"seq":4,"who":"half')
    result = el.verify(log3)
    assert (result.broken_at, result.reason) == (4, "incomplete last entry")
    with pytest.raises(el.ExportLogBroken, match="ends with an incomplete entry"):
        el.append(log3.parent, record(4))


def test_no_log_yet_is_intact_and_empty(tmp_path):
    result = el.verify(tmp_path / el.LOG_NAME)
    assert result.intact and result.entries == 0
    assert "no exports logged yet" in result.describe()


APPEND = """
import sys
from talent import export_log
for n in range(int(sys.argv[2])):
    export_log.append(sys.argv[1], {"who": sys.argv[3], "rows": n})
"""


def test_concurrent_exporters_never_fork_the_chain(tmp_path):
    restricted = tmp_path / "restricted"
    procs = [
        subprocess.Popen([sys.executable, "-c", APPEND, str(restricted), "25", who], cwd=REPO)
        for who in ("a", "b", "c")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    result = el.verify(el.log_path(restricted))
    assert result.intact and result.entries == 75
    assert sorted(e["who"] for e in el.entries(el.log_path(restricted))) == ["a"] * 25 + ["b"] * 25 + ["c"] * 25


def test_verify_log_command_exit_codes(log3, tmp_path):
    # the restricted folder of a warehouse at <root>/wh/talent.duckdb is <root>/restricted
    warehouse = log3.parent.parent / "wh" / "talent.duckdb"
    ok = CliRunner().invoke(app, ["export", "verify-log", "--warehouse", str(warehouse)])
    assert ok.exit_code == 0 and "chain intact, 3 entries" in ok.output
    log3.write_text("".join(lines(log3)[1:]))  # the first entry removed
    broken = CliRunner().invoke(app, ["export", "verify-log", "--warehouse", str(warehouse)])
    assert broken.exit_code == 1
    assert "BROKEN at entry 1 (line 1)" in broken.output and "sequence number 2 where 1 was expected" in broken.output
