"""Personal-data canary: names and ID numbers planted everywhere must not come out anywhere.

A landing folder with canary names and a canary ID number (ASCII, lower-case x, full-width, spaced,
dashed) in every column of every source, and in a file name, is refreshed once by `talent refresh
-v` with a DAGSTER_HOME. Afterwards none of them appears in the published folder, in Dagster's run
storage, in dbt's target/ and logs, in the build folder's logs, or in the console output. (They are
in the private build and restricted folders, which is where they belong.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from ingest import contract as c
from tests.conftest import make_id

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2024-06-30"
NAMES = ["甲乙丙丁", "Canary Liu"]


def _canary_id() -> str:
    for seq in range(1000):
        candidate = make_id("650102", "19881231", f"{seq:03d}")
        if candidate.endswith("X"):
            return candidate
    raise AssertionError("no ID with an X check digit")


CANARY = _canary_id()
FULL = "".join(chr(ord(ch) + 0xFEE0) for ch in CANARY)
ID_FORMS = [CANARY, CANARY.lower(), FULL, f"{CANARY[:6]} {CANARY[6:14]} {CANARY[14:]}", f"{CANARY[:6]}-{CANARY[6:]}"]
PLANTS = [*NAMES, *ID_FORMS]
OTHER = [make_id("653101", f"19{70 + i:02d}0505", "013") for i in range(10)]

GOOD = {  # a valid value per column kind, for the columns that do not hold the canary
    c.TEXT: "某机构", c.OCCUPATION_CODE: "6-18-02-04", c.DATE: "2024-03-05", c.LEVEL: "高级",
    c.REGION: "650102", c.GENDER: "男", c.YEAR: "2023", c.INTEGER: "12", c.MONEY: "1,200.00",
}


def _good(col: c.Column, i: int) -> str:
    if col.kind == c.ENUM:
        return col.values[0]
    if col.kind == c.PERSON_NAME:
        return NAMES[i % len(NAMES)]
    if col.kind == c.ID_NUMBER:
        return ID_FORMS[i % len(ID_FORMS)]
    if col.name in ("certificate_no", "training_id", "carrier_code", "institution", "event"):
        return f"K{i:04d}"
    if col.name == "graduates_certified":
        return "5"
    return GOOD[col.kind]


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def canary_landing(root: Path) -> None:
    day = "2024-03-31"
    for source in c.SOURCES.values():
        header = [col.headers[0] for col in source.columns]
        rows = [[_good(col, i) for col in source.columns] for i in range(len(PLANTS))]
        id_at = next((i for i, col in enumerate(source.columns) if col.kind == c.ID_NUMBER), None)
        for j in range(len(source.columns)):  # every column holds every plant in some row
            for k, plant in enumerate(PLANTS):
                row = [_good(col, k) for col in source.columns]
                if id_at is not None and j != id_at:
                    row[id_at] = OTHER[k % len(OTHER)]  # another person, named like the canary
                row[j] = plant
                rows.append(row)
        text = ",".join(header) + "\n" + "".join(",".join(_quote(v) for v in r) + "\n" for r in rows)
        name = f"名单_{NAMES[0]}_{CANARY}.csv" if source.name == "certifications" else f"{source.name}.csv"
        path = root / source.name / day / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        old = time.time() - 3600
        os.utime(path, (old, old))


def _patterns() -> list[re.Pattern]:
    sep = r"[\s\-_.]{0,2}"
    id_pattern = re.compile(sep.join(re.escape(ch) for ch in CANARY), re.IGNORECASE)
    names = [re.compile(r"\s*".join(re.escape(ch) for ch in name if not ch.isspace()), re.IGNORECASE) for name in NAMES]
    return [id_pattern, *names]


def leaks(text: str) -> list[str]:
    normal = unicodedata.normalize("NFKC", text)
    return [m.group(0) for p in _patterns() for m in [p.search(normal)] if m]


def _files_text(folder: Path, since: float) -> dict[str, str]:
    out = {}
    if not folder.exists():
        return out
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_mtime >= since:
            out[str(path)] = path.read_bytes().decode("utf-8", "ignore")
    return out


def test_planted_names_and_id_numbers_come_out_nowhere(tmp_path):
    landing, home = tmp_path / "landing", tmp_path / "dagster_home"
    canary_landing(landing)
    home.mkdir()
    warehouse = tmp_path / "data/warehouse/talent.duckdb"
    env = {**os.environ, "TALENT_PII_KEY": "canary-key", "DAGSTER_HOME": str(home)}
    started = time.time() - 1
    done = subprocess.run(
        [sys.executable, "-m", "talent.cli", "refresh", "-v", "--landing", str(landing), "--warehouse",
         str(warehouse), "--as-of", AS_OF],
        capture_output=True, text=True, env=env, check=False, timeout=1200,
    )
    console = done.stdout + done.stderr
    assert done.returncode == 0, console[-3000:]
    assert leaks(console) == [], "console"
    # the planted values did land (else this test proves nothing): in the private folders only
    private = _files_text(tmp_path / "data/build", started)
    assert any(leaks(text) for text in private.values()), "the canaries should be in the build database"
    published = warehouse.parent
    script = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "[print(t, con.execute(f'select * from {t}').fetchall()) for t in "
        "[f'{s}.{n}' for s, n in con.execute('select schema_name, table_name from duckdb_tables()').fetchall()]]"
    )
    dump = subprocess.run(
        [sys.executable, "-c", script, str(warehouse)], capture_output=True, text=True, check=True
    ).stdout
    assert "audit.quarantine" in dump and "[redacted" in dump
    assert leaks(dump) == [], "published tables"
    # the published folder holds only what analysts may read: the file, the report and the feeds
    listed = sorted(p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file())
    assert "talent.duckdb" in listed
    assert [p for p in listed if p != "talent.duckdb" and p.split("/")[0] not in ("report", "parquet", "public")] == []
    assert all(oct(p.stat().st_mode)[-3:] == "644" for p in published.rglob("*") if p.is_file())
    stored = (tmp_path / "data/restricted/restricted.duckdb").read_bytes().decode("utf-8", "ignore")
    assert leaks(stored) == [], "the restricted store holds them encrypted, not in plain text"
    places = {
        "published folder": _files_text(published, started),
        "Dagster run storage": _files_text(home, started),
        "dbt target": _files_text(REPO / "dbt_project" / "target", started),
        "dbt logs": _files_text(REPO / "dbt_project" / "logs", started),
        "build folder logs": {k: v for k, v in private.items() if not k.endswith((".duckdb", ".wal"))},
    }
    for place, files in places.items():
        found = {name: leaks(text) for name, text in files.items() if leaks(text)}
        assert found == {}, place
