"""Incremental builds give the same warehouse as full rebuilds, step by step.

The hand-made certificate history of test_dbt_models is built once in full; then files land in
steps -- new certificates and other sources' rows, a correction that moves a certificate to another
person and prefecture, revocations, a late file with an older export date, a reinstatement -- and
after each step the incremental `dbt build` (what the nightly run does) must leave every mart, and
every incremental model, exactly as a `--full-refresh` build of a copy of the same database does. A
last run with nothing new must change nothing at all.

The full-refresh builds of the copies run in the background while the next step builds, two dbt
processes at a time. The incremental builds share one target folder and pass the as-of date in
the environment (TALENT_DBT_AS_OF_DATE), so dbt parses the project only partially; they run the models
only, except after the last step, where the nightly `dbt build` runs every data test as well.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.integration.test_dbt_models import LEVELS, PERSONS, build_raw, key
from tests.support import start_dbt

AGES = {"min_age": 16, "max_age": 60}
# incremental models: natural key -> compared without loaded_through (when each row was written)
INCREMENTAL = {
    "int_certificates_latest": "certificate_no",
    "int_person_standing_periods": "person_key, valid_from",
    "int_trainings_latest": "training_id",
    "int_competition_results_latest": "competition_name, year, event, person_key",
    "int_honours_latest": "honour, year, person_key",
}
BIRTH = {**PERSONS, "P20": date(1993, 4, 4), "P21": date(1999, 9, 9)}
NIGHTLY = ["build", "--exclude-resource-type", "unit_test"]  # orchestration/defs/dbt/assets.py


@dataclass
class Landing:
    """Rows of one step: per source, (export date, file name) -> rows (column -> value)."""

    name: str
    as_of: str
    loaded_at: str
    files: dict[tuple[str, str, str], list[dict]] = field(default_factory=dict)
    # files that load no row: (source, source_file, ledger status, duplicate_of)
    ledger_only: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, source: str, export_date: str, file_name: str, **row) -> Landing:
        self.files.setdefault((source, export_date, file_name), []).append(row)
        return self


def certificate(cert: str, person: str, rank: int, issued: str, region: str, status: str = "有效") -> dict:
    return {
        "certificate_no": cert,
        "person_key": key(person),
        "birth_date": BIRTH[person],
        "gender": "男",
        "occupation_code": "6-18-02-04",
        "occupation_name": "焊工",
        "skill_level": LEVELS[rank],
        "level_rank": rank,
        "issue_date": issued,
        "assessor_name": "某评价机构",
        "assessor_type": "企业自主评价",
        "region_code": region,
        "status": status,
    }


def training(tid: str, person: str, program: str, rank: int, start: str, status: str, region: str) -> dict:
    return {
        "training_id": tid,
        "person_key": key(person),
        "birth_date": BIRTH[person],
        "program": program,
        "level": LEVELS[rank],
        "level_rank": rank,
        "occupation_name": "焊工",
        "provider_code": "ZZ-404",
        "provider_name": "某培训机构",
        "start_date": start,
        "status": status,
        "region_code": region,
    }


def result(person: str, name: str, tier: str, year: int, event: str, award: str, region: str) -> dict:
    return {
        "competition_name": name,
        "tier": tier,
        "year": year,
        "event": event,
        "person_key": key(person),
        "birth_date": BIRTH[person],
        "award": award,
        "region_code": region,
    }


def honour(person: str, name: str, year: int, region: str) -> dict:
    return {
        "honour": name,
        "year": year,
        "person_key": key(person),
        "birth_date": BIRTH[person],
        "region_code": region,
    }


NATIONAL = ("全国技能大赛", "国家级一类")


def steps() -> list[Landing]:
    new = Landing("new certificates and other sources", "2025-07-01", "2025-07-01 01:00:00")
    new.add(
        "certifications", "2025-07-01", "roster.csv", **certificate("C20", "P20", 2, "2025-06-01", "652300")
    )
    new.add(
        "certifications", "2025-07-01", "roster.csv", **certificate("C21", "P20", 3, "2025-06-20", "652800")
    )
    # P1 (高级工 since 2022) now 技师, issued in 2024: restates the 2024 year end
    new.add(
        "certifications", "2025-07-01", "roster.csv", **certificate("C22", "P1", 4, "2024-02-02", "650100")
    )
    new.add(
        "trainings",
        "2025-07-01",
        "t.csv",
        **training("T1", "P20", "企业新型学徒制", 3, "2025-03-01", "在训", "652300"),
    )
    new.add(
        "trainings",
        "2025-07-01",
        "t.csv",
        **training("T2", "P21", "项目制培训", 4, "2025-04-01", "结业", "654000"),
    )
    new.add("competitions", "2025-07-01", "c.csv", **result("P20", *NATIONAL, 2025, "焊工", "银牌", "652300"))
    new.add("competitions", "2025-07-01", "c.csv", **result("P3", *NATIONAL, 2024, "电工", "参赛", "659001"))
    new.add("honours", "2025-07-01", "h.csv", **honour("P21", "全国技术能手", 2024, "654000"))

    moved = Landing("a correction moves a certificate; revocations", "2025-07-02", "2025-07-02 01:00:00")
    # C02 was P2's only valid certificate (中级工, 650100): it was P20's, in 654000. P2 keeps only
    # the revoked C03 and stops being a skilled person on every date
    moved.add(
        "certifications",
        "2025-07-02",
        "corrections.csv",
        **certificate("C02", "P20", 2, "2022-06-01", "654000"),
    )
    # P7's 技师 (653100) is revoked; P20's new 高级工 too
    moved.add(
        "certifications",
        "2025-07-02",
        "corrections.csv",
        **certificate("C08", "P7", 4, "2023-02-01", "653100", "撤销"),
    )
    moved.add(
        "certifications",
        "2025-07-02",
        "corrections.csv",
        **certificate("C21", "P20", 3, "2025-06-20", "652800", "注销"),
    )
    moved.add(
        "trainings",
        "2025-07-02",
        "t.csv",
        **training("T1", "P20", "企业新型学徒制", 3, "2025-03-01", "退出", "652300"),
    )
    moved.add(
        "competitions", "2025-07-02", "c.csv", **result("P20", *NATIONAL, 2025, "焊工", "金牌", "652300")
    )
    # a file that loads nothing: rejected whole
    moved.ledger_only.append(("certifications", "certifications/2025-07-02/broken.csv", "rejected", ""))

    late = Landing("a late file with an older export date", "2025-07-03", "2025-07-03 01:00:00")
    # 2022-12-01/c.csv applies after 2022-12-01/b.csv: C01 (P1) moves again, to 652300
    late.add("certifications", "2022-12-01", "c.csv", **certificate("C01", "P1", 3, "2022-03-10", "652300"))
    # 2023-05-15 is before the 2023-06-01 correction of C04: this version loses, nothing changes
    late.add(
        "certifications", "2023-05-15", "roster.csv", **certificate("C04", "P3", 1, "2023-04-01", "650200")
    )
    # a certificate nobody had seen: P9 skilled from 2022 on
    late.add(
        "certifications", "2023-05-15", "roster.csv", **certificate("C30", "P9", 3, "2022-01-01", "653100")
    )
    late.add("honours", "2024-01-01", "h.csv", **honour("P9", "天山技术能手", 2023, "653100"))
    # the same bytes as an earlier file landed again: a duplicate, loads nothing
    late.ledger_only.append(
        (
            "certifications",
            "certifications/2025-07-03/copy.csv",
            "duplicate",
            "certifications/2025-07-01/roster.csv",
        )
    )

    back = Landing("a reinstatement", "2025-07-04", "2025-07-04 01:00:00")
    # P2's 技师, revoked in February, is valid after all: P2 is back, in 654000, high-skilled
    back.add(
        "certifications",
        "2025-07-04",
        "reinstated.csv",
        **certificate("C03", "P2", 4, "2024-05-01", "654000"),
    )
    back.add(
        "certifications",
        "2025-07-04",
        "reinstated.csv",
        **certificate("C08", "P7", 4, "2023-02-01", "653100"),
    )
    return [new, moved, late, back]


STEPS = steps()


def append(db_path: Path, landing: Landing) -> None:
    """Append a step's files to raw (lineage as ingest writes it) and record them in the ledger."""
    with duckdb.connect(str(db_path)) as con:
        ledger = []
        for (source, export_date, file_name), rows in landing.files.items():
            source_file = f"{source}/{export_date}/{file_name}"
            load_id = hashlib.sha256(f"{landing.name}/{source_file}".encode()).hexdigest()
            for i, row in enumerate(rows):
                full = {
                    "load_id": load_id,
                    "source_file": source_file,
                    "file_name": file_name,
                    "export_date": export_date,
                    "row_number": i + 2,  # the CSV header is row 1
                    **row,
                }
                cols = ", ".join(full)
                con.execute(
                    f"insert into raw.{source} ({cols}) values ({', '.join(['?'] * len(full))})",
                    list(full.values()),
                )
            ledger.append((load_id, source, source_file, file_name, export_date, "loaded", None, len(rows)))
        for source, source_file, status, duplicate_of in landing.ledger_only:
            _, export_date, file_name = source_file.split("/")
            load_id = hashlib.sha256(f"{landing.name}/{duplicate_of or source_file}".encode()).hexdigest()
            ledger.append(
                (load_id, source, source_file, file_name, export_date, status, duplicate_of or None, 0)
            )
        con.executemany(
            "insert into raw.load_ledger (load_id, source, source_file, file_name, export_date, file_bytes,"
            " rows_landed, rows_loaded, rows_quarantined, status, message, duplicate_of, run_id, loaded_at)"
            " values (?, ?, ?, ?, ?, 1000, ?, ?, 0, ?, null, ?, 'run-step', ?)",
            [
                (
                    load_id,
                    source,
                    source_file,
                    file_name,
                    export_date,
                    n,
                    n,
                    status,
                    duplicate_of,
                    landing.loaded_at,
                )
                for load_id, source, source_file, file_name, export_date, status, duplicate_of, n in ledger
            ],
        )


def dbt(args: list[str], db_path: Path, target: Path, as_of: str) -> subprocess.Popen:
    """Start dbt on a build database; the as-of date in the environment, as the orchestrator passes it."""
    log = open(target.with_suffix(".log"), "w")  # noqa: SIM115 - closed by finish()
    process = start_dbt(args, db_path, target, dbt_vars=AGES, env={"TALENT_DBT_AS_OF_DATE": as_of}, stdout=log)
    process.log = log  # type: ignore[attr-defined]
    process.log_path = target.with_suffix(".log")  # type: ignore[attr-defined]
    return process


def finish(process: subprocess.Popen) -> None:
    code = process.wait(timeout=300)
    process.log.close()  # type: ignore[attr-defined]
    output = process.log_path.read_text()  # type: ignore[attr-defined]
    assert code == 0, output[-6000:]


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, every incremental model's rows (without loaded_through) and the as-of view,
    sorted; doubles rounded to 12 places (sums in another row order may differ in the last bit)."""
    out = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = 'marts' or table_name in ?"
            " order by all",
            [[*INCREMENTAL, "int_persons_levelled_as_of"]],
        ).fetchall()
        for schema, table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? and column_name <> 'loaded_through'"
                " order by ordinal_position",
                [schema, table],
            ).fetchall()
            select = ", ".join(
                f"round({name}, 12) as {name}" if kind in ("DOUBLE", "FLOAT") else name
                for name, kind in columns
            )
            out[f"{schema}.{table}"] = con.execute(
                f"select {select} from {schema}.{table} order by all"
            ).fetchall()
    return out


def stored(db_path: Path) -> dict[str, list[tuple]]:
    """The incremental models exactly as stored, loaded_through included."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {
            t: con.execute(f"select * from intermediate.{t} order by all").fetchall() for t in INCREMENTAL
        }


def copy_db(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    if src.with_suffix(".duckdb.wal").exists():
        shutil.copyfile(src.with_suffix(".duckdb.wal"), dst.with_suffix(".duckdb.wal"))


@dataclass
class History:
    incremental: list[dict[str, list[tuple]]]  # after each step's incremental build
    full: list[dict[str, list[tuple]]]  # the --full-refresh build of a copy of the same database
    recomputed: list[dict[str, int]]  # rows each incremental build wrote, per incremental model
    stored_before_rerun: dict[str, list[tuple]]
    stored_after_rerun: dict[str, list[tuple]]
    placeholders: int  # rows without a period left in int_person_standing_periods, ever


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> History:
    work = tmp_path_factory.mktemp("incremental")
    db_path = work / "build.duckdb"
    build_raw(db_path)
    finish(
        dbt(
            ["build", "--resource-type", "seed", "--resource-type", "model"],
            db_path,
            work / "target",
            "2025-06-30",
        )
    )

    incremental, full_dbs, recomputed, running, placeholders = [], [], [], [], 0
    for i, step in enumerate(STEPS):
        append(db_path, step)
        # models only, except after the last step: the nightly `dbt build` with its data tests,
        # which on incremental models check the rows the run recomputed
        last = i == len(STEPS) - 1
        finish(dbt(NIGHTLY if last else ["run"], db_path, work / "target", step.as_of))
        with duckdb.connect(str(db_path), read_only=True) as con:
            recomputed.append(
                {
                    table: con.execute(
                        f"select count(*) from intermediate.{table}"
                        f" where loaded_through = timestamp '{step.loaded_at}'"
                    ).fetchone()[0]
                    for table in INCREMENTAL
                }
            )
            placeholders += con.execute(
                "select count(*) from intermediate.int_person_standing_periods where valid_from is null"
            ).fetchone()[0]
        incremental.append(snapshot(db_path))
        full_db = work / f"full_{i}.duckdb"
        copy_db(db_path, full_db)
        running.append(dbt(["run", "--full-refresh"], full_db, work / f"target_full_{i}", step.as_of))
        full_dbs.append(full_db)
        if len(running) > 1:  # at most two dbt processes at a time
            finish(running[-2])

    before = stored(db_path)
    finish(dbt(["run"], db_path, work / "target", STEPS[-1].as_of))
    after = stored(db_path)
    for process in running[-1:]:
        finish(process)
    return History(incremental, [snapshot(db) for db in full_dbs], recomputed, before, after, placeholders)


@pytest.mark.parametrize("step", range(len(STEPS)), ids=[s.name for s in STEPS])
def test_incremental_build_equals_full_refresh(history, step):
    incremental, full = history.incremental[step], history.full[step]
    assert sorted(incremental) == sorted(full)
    assert sum(name.startswith("marts.") for name in full) >= 10
    for name in full:
        assert incremental[name] == full[name], name


def test_each_step_restates_past_year_ends(history):
    """The steps are not vacuous: each one changes the ratio mart's year ends (not only today's row)."""

    def year_ends(snapshot: dict) -> list[tuple]:
        return [row for row in snapshot["marts.mart_high_skill_ratio"] if row[-1]]  # is_year_end

    for before, after, step in zip(history.full, history.full[1:], STEPS[1:], strict=False):
        assert year_ends(before) != year_ends(after), step.name


def test_incremental_builds_recompute_only_what_landed(history):
    """Rows written by each incremental build: only the keys the step's files touched."""
    new, moved, late, back = history.recomputed
    assert new["int_certificates_latest"] == 3  # C20, C21, C22
    assert new["int_person_standing_periods"] == 2 + 2  # P20's two periods; P1's (2022 and 2024)
    assert new["int_trainings_latest"] == 2
    assert new["int_competition_results_latest"] == 2
    assert new["int_honours_latest"] == 1
    assert moved["int_certificates_latest"] == 3  # C02, C08, C21
    # P2, P7 (no valid certificate left: no rows) and P20 (C02 from 2022, C20; C21 cancelled)
    assert moved["int_person_standing_periods"] == 2
    assert moved["int_trainings_latest"] == 1
    assert moved["int_competition_results_latest"] == 1
    assert moved["int_honours_latest"] == 0
    assert late["int_certificates_latest"] == 3  # C01, C04, C30
    assert back["int_certificates_latest"] == 2  # C03, C08


def test_a_person_left_without_valid_certificates_loses_their_periods(history):
    assert history.placeholders == 0
    p2 = key("P2")
    moved, back = history.incremental[1], history.incremental[3]
    assert not [r for r in moved["intermediate.int_person_standing_periods"] if r[0] == p2]
    assert [r for r in back["intermediate.int_person_standing_periods"] if r[0] == p2]


def test_a_run_with_nothing_new_changes_nothing(history):
    assert history.stored_after_rerun == history.stored_before_rerun
