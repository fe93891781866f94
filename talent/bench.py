"""`talent bench`: what a refresh costs at a named scale, against what DuckDB alone needs.

Every measured run is a child process (`talent.bench_worker`), repeated; each figure is the median
of its runs, with the spread. Wall time is the parent's clock around the child, peak memory the
resident sets of the child and every process under it (dbt, the suite worker) summed, sampled
every 0.1 s, and never less than the largest one `wait4` reports; per-stage times come from
Dagster's own step events.

Scenarios (which run at a scale is in `SCALES`):

- **sample**: the embedded sample (`talent generate` defaults: 20,000 persons, seed 2025, 1,004
  messy files of six sources), from landing to published file on an empty warehouse;
- **clean full**: one contract-conform UTF-8 CSV of N certificate rows (`synth.clean`), from
  landing to published file on an empty warehouse;
- **fair limit**: the fastest way DuckDB alone computes the same headline ratio per prefecture
  from the same file (`fair_limit_sql`): the file read once with ``read_csv``, every vocabulary
  mapped by a join on a small table, the ID check digit and birth date in SQL, latest version per
  certificate, standing on the as-of date; no ingest, no dbt, no Dagster, no per-row Python, no
  file hashing. Its answer is compared with the mart's. Its runs take turns with the clean full
  refreshes (limit, refresh, limit, ...), so that the ratio compares runs on the host as it was;
- **nightly**: one day's files (3,000 new certificates and 60 revocations) on top of the full
  warehouse; **day on empty**: the same files alone on an empty warehouse (the two take turns);
  **nothing new**: the refresh again with nothing new landed;
- **ingest alone**: `ingest.load.ingest` called directly on the clean CSV (rows a second) and on a
  landing of many small files (milliseconds a file); on the clean CSV it takes turns with the two
  bare copies below;
- **bare copy**: the floor under any ingest of the clean CSV into a DuckDB table on this host
  (`run_bare_copy`): DuckDB reads it, every column as text, into a table of a new database on disk,
  under ingest's memory limit, and does nothing else (nothing normalised, keyed, checked, sealed or
  recorded); **bare copy to Parquet** (`run_parquet_copy`): polars streams the same file, every
  column as text, into one Parquet file, the floor for a raw layer kept as files rather than in
  DuckDB.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SEED = 2026
SAMPLE_PERSONS, SAMPLE_SEED = 20_000, 2025  # `talent generate` defaults: the embedded sample
DAY_NEW_ROWS, DAY_REVOCATIONS = 3000, 60
CLEAN_AS_OF = date(2026, 7, 1)  # the clean CSV's certificates are issued up to 2026-06-30
STAGES = ("ingest", "dbt", "checks", "publish")


@dataclass(frozen=True)
class Scale:
    name: str
    note: str
    sample_persons: int = 0  # the generator's messy landing (0: not at this scale)
    clean_rows: int = 0  # rows of the clean CSV (0: not at this scale)
    small_files: int = 0  # files of the many-small-files landing (0: not at this scale)
    rows_per_small_file: int = 50
    repeat: int = 3  # runs per measured scenario


SCALES = {
    "quick": Scale(  # the sample scenarios run the same code as the clean ones, on another landing
        "quick", "tiny; keeps the benchmark code itself from rotting (the test suite runs it)",
        clean_rows=20_000, small_files=20, rows_per_small_file=20, repeat=1,
    ),
    "sample": Scale(
        "sample", "the embedded sample (20,000 persons, seed 2025) and a landing of 1,000 small files",
        sample_persons=SAMPLE_PERSONS, small_files=1000,
    ),
    "2m": Scale("2m", "2,000,000 clean certificate rows in one CSV", clean_rows=2_000_000),
    "region": Scale("region", "8,000,000 clean certificate rows in one CSV (region scale)", clean_rows=8_000_000),
}


# ---------------------------------------------------------------- measuring child processes


@dataclass
class Run:
    seconds: float
    peak_mib: float
    ok: bool
    detail: dict = field(default_factory=dict)


@dataclass
class Scenario:
    key: str
    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    def median(self, value=lambda r: r.seconds) -> float:
        values = [value(r) for r in self.runs if r.ok]
        return statistics.median(values) if values else float("nan")

    def spread(self, value=lambda r: r.seconds) -> tuple[float, float]:
        values = [value(r) for r in self.runs if r.ok] or [float("nan")]
        return min(values), max(values)

    def peak(self) -> float:
        return max((r.peak_mib for r in self.runs), default=float("nan"))

    def stage_medians(self) -> dict[str, float]:
        out = {}
        for stage in STAGES:
            out[stage] = self.median(lambda r, s=stage: stage_seconds(r.detail.get("step_seconds", {}))[s])
        return out


def stage_seconds(steps: dict[str, float]) -> dict[str, float]:
    """Dagster step times grouped into the refresh's stages."""
    out = dict.fromkeys(STAGES, 0.0)
    for step, seconds in steps.items():
        if step == "ingest_landing":
            out["ingest"] += seconds
        elif step == "dbt_models":
            out["dbt"] += seconds
        elif step.startswith("warehouse__published"):
            out["publish"] += seconds
        else:
            out["checks"] += seconds
    return out


SAMPLE_SECONDS = 0.1  # how often the memory of a measured run's processes is summed
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """Bytes resident now in process `root` and every process under it, summed (0 once it is gone).

    A refresh is three processes (itself, the dbt process, the suite worker) alive at once: the
    memory it needs is their sum, not the largest of them. Shared pages (libraries) are counted
    once per process, so the sum errs high, never low.
    """
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE_BYTES
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except (OSError, ValueError):  # gone meanwhile
            continue
    return total


def measure(argv: list[str], env: dict) -> Run:
    """Run argv as a child: wall time, and its peak memory in MiB: the resident sets of the child
    and every process under it summed (`tree_rss`, every SAMPLE_SECONDS), and never less than the
    largest single resident set `wait4` reports (a spike between samples). The child's line
    starting with BENCH-RESULT is its detail (with ``largest_process_mib`` added)."""
    import threading

    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    chunks: dict[str, list[str]] = {"out": [], "err": []}
    summed = {"peak": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            summed["peak"] = max(summed["peak"], tree_rss(proc.pid))

    def pump(stream, into: list[str]) -> None:
        into.extend(stream)

    pumps = [
        threading.Thread(target=pump, args=(proc.stdout, chunks["out"])),
        threading.Thread(target=pump, args=(proc.stderr, chunks["err"])),
        threading.Thread(target=sample),
    ]
    for t in pumps:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    for t in pumps:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    detail: dict = {}
    for line in chunks["out"]:
        if line.startswith("BENCH-RESULT "):
            detail = json.loads(line.removeprefix("BENCH-RESULT "))
    if proc.returncode != 0:
        detail.setdefault("stderr_tail", "".join(chunks["err"])[-2000:])
    largest = usage.ru_maxrss / 1024  # KiB on Linux
    detail["largest_process_mib"] = round(largest)
    peak = max(summed["peak"] / 2**20, largest)
    return Run(seconds, peak, proc.returncode == 0 and detail.get("ok", True), detail)


def _worker(mode: str, config: dict, env: dict) -> Run:
    return measure([sys.executable, "-m", "talent.bench_worker", mode, json.dumps(config)], env)


def _root_settings(root: Path, landing: Path, as_of: date) -> dict:
    """A warehouse of its own under `root`: published, build, restricted and key folders beside."""
    return {"landing_dir": str(landing), "warehouse_path": str(root / "warehouse" / "talent.duckdb"), "as_of": as_of.isoformat()}


# ---------------------------------------------------------------- the fair limit


def _seed_rows(name: str) -> list[dict[str, str]]:
    import csv

    seeds = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
    with open(seeds / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _literal(v) -> str:
    return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"


def _values(rows: list[tuple]) -> str:
    return ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)


def fair_limit_sql(files: list[Path], as_of: date, min_age: int = 16, max_age: int = 60) -> str:
    """One DuckDB query: the headline ratio per prefecture-level unit (and region-wide, the NULL
    row of the rollup) on `as_of`, straight from contract-conform certifications CSVs with the
    contract's Chinese headers, `files` in apply order.

    Each file is read once by ``read_csv`` (all columns as text); levels and written regions map to
    ranks and unit codes by joins on small tables built from the dbt seeds (county codes roll up to
    their prefecture by the contract's rule); a date is parsed by the one format its separators
    name; the ID's check digit is integer arithmetic on its first 17 digits and its birth date a
    ``strptime``; rows the contract rejects are left out; the latest row of each certificate wins;
    a person's standing is their highest valid level and the unit of their most recent valid
    certificate (same day: higher level, then lower code).

    Rows keep their file order through ``row_number() over ()`` on the reader's output (DuckDB
    keeps it), in a materialized CTE: that numbering is one thread's work, and materializing it
    lets everything after it run on every core.
    """
    ranks = {r["skill_level"]: int(r["level_rank"]) for r in _seed_rows("ref_skill_levels")}
    levels = [(r["spelling"], ranks[r["skill_level"]]) for r in _seed_rows("ref_skill_level_spellings")]
    units = _seed_rows("ref_prefectures")
    written = sorted(
        {(u["code"], u["code"]) for u in units}
        | {(u["name"], u["code"]) for u in units}
        | {(u["short_name"], u["code"]) for u in units}
    )
    file_list = "[" + ", ".join(_literal(str(f)) for f in files) + "]"
    digits = " + ".join(
        f"((n // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
    )
    d = f"date '{as_of.isoformat()}'"
    return f"""
with levels(spelling, level_rank) as (values {_values(levels)}),
regions(written, code) as (values {_values(written)}),
units as (select code from regions group by code),
src as materialized (
    select row_number() over () as file_row,
           trim("证书编号") as certificate_no, trim("姓名") as person_name, upper(trim("公民身份号码")) as id,
           trim("职业(工种)名称") as occupation_name, trim("技能等级") as level_text,
           trim("发证日期") as date_text, trim("评价机构") as assessor_name,
           trim("所在地区") as region_text, coalesce(nullif(trim("证书状态"), ''), '有效') as status
    from read_csv({file_list}, all_varchar = true, header = true, union_by_name = true)
),
checked as (
    select *, try_cast(substr(id, 1, 17) as ubigint) as n
    from src
    where certificate_no <> '' and person_name <> '' and occupation_name <> '' and assessor_name <> ''
      and regexp_full_match(id, '[0-9]{{17}}[0-9X]')
),
typed as (
    select s.file_row, s.certificate_no, s.id, s.status, l.level_rank,
           (case when contains(s.date_text, '年') then try_strptime(s.date_text, '%Y年%m月%d日')
                 when contains(s.date_text, '/') then try_strptime(s.date_text, '%Y/%m/%d')
                 when contains(s.date_text, '.') then try_strptime(s.date_text, '%Y.%m.%d')
                 when contains(s.date_text, '-') then try_strptime(s.date_text, '%Y-%m-%d')
                 else try_strptime(s.date_text, '%Y%m%d') end)::date as issue_date,
           coalesce(r.code, case when s.region_text like '6590__' then s.region_text
                                 else substr(s.region_text, 1, 4) || '00' end) as region_code,
           try_strptime(substr(s.id, 7, 8), '%Y%m%d')::date as birth_date
    from checked s
    left join levels l on l.spelling = s.level_text
    left join regions r on r.written = s.region_text
    where substr('10X98765432', (({digits}) % 11)::int + 1, 1) = substr(s.id, 18, 1)
),
valid_rows as (
    select * from typed
    where level_rank is not null and issue_date is not null and birth_date is not null
      and region_code in (select code from units) and status in ('有效', '撤销', '注销')
),
resent as (  -- certificates landed more than once: the last row wins
    select certificate_no, max(file_row) as last_row from valid_rows group by certificate_no having count(*) > 1
),
latest as (
    select v.* from valid_rows v left join resent r using (certificate_no)
    where r.last_row is null or v.file_row = r.last_row
),
standing as (
    -- most recent issue day, then the higher level, then the lower unit code: one integer key
    select id, max(level_rank) as top_rank,
           arg_max(region_code, (issue_date - date '1970-01-01')::bigint * 10000000 + level_rank * 1000000
                                + (999999 - region_code::int)) as region_code,
           any_value(birth_date) as birth_date
    from latest
    where status = '有效' and issue_date <= {d}
    group by id
),
persons as (
    select * from standing
    where ((year({d}) * 10000 + month({d}) * 100 + day({d}))
           - (year(birth_date) * 10000 + month(birth_date) * 100 + day(birth_date))) // 10000
          between {min_age} and {max_age}
)
select region_code, count(*) as skilled_persons, count(*) filter (where top_rank >= 3) as high_skilled_persons
from persons
group by rollup (region_code)
order by region_code nulls first
"""


def run_fair_limit(files: list[Path], as_of: date, min_age: int = 16, max_age: int = 60) -> dict:
    """In a child process: build the query (untimed), run it (timed), return the counts."""
    import duckdb

    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    sql = fair_limit_sql(files, as_of, min_age, max_age)
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    return {"query_seconds": seconds, "counts": {(r[0] or "650000"): [r[1], r[2]] for r in rows}}


def run_bare_copy(path: Path, database: Path) -> dict:
    """In a child process: `path` read by DuckDB, every column as text, into a table of a new
    database file, with ingest's memory limit and spill folder; timed from connect to close (the
    checkpoint that makes the table durable included). Returns the seconds and the rows copied."""
    import duckdb

    from ingest.memory import memory_limit

    _fresh(database.parent).mkdir(parents=True)
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    try:
        con.execute("set enable_progress_bar = false")
        con.execute(f"set memory_limit = {_literal(memory_limit())}")
        con.execute(f"set temp_directory = {_literal(database.parent / 'tmp')}")
        con.execute(f"create table landed as select * from read_csv({_literal(path)}, all_varchar = true, header = true)")
        rows = con.execute("select count(*) from landed").fetchone()[0]
    finally:
        con.close()
    seconds = time.perf_counter() - started
    _fresh(database.parent)
    return {"seconds": seconds, "rows": rows, "ok": rows > 0}


def run_parquet_copy(path: Path, out: Path) -> dict:
    """In a child process: `path` streamed by polars, every column as text, into the LZ4 Parquet
    file `out` (a new folder), timed until the file is closed; its rows are counted from the file's
    footer. Returns the seconds and the rows copied, and removes the folder."""
    import polars as pl
    import pyarrow.parquet as pq

    _fresh(out.parent).mkdir(parents=True)
    started = time.perf_counter()
    pl.scan_csv(path, infer_schema=False).sink_parquet(out, compression="lz4")
    seconds = time.perf_counter() - started
    rows = pq.ParquetFile(out).metadata.num_rows
    _fresh(out.parent)
    return {"seconds": seconds, "rows": rows, "ok": rows > 0}


def mart_counts(warehouse: Path, as_of: date) -> dict:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select region_code, skilled_persons, high_skilled_persons from marts.mart_high_skill_ratio "
            "where as_of_date = ? and skilled_persons > 0",
            [as_of],
        ).fetchall()
    finally:
        con.close()
    return {r[0]: [r[1], r[2]] for r in rows}


# ---------------------------------------------------------------- machine and versions


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1), "os": platform.platform(),
        "bytecode": bytecode(),
    }  # fmt: skip


def bytecode() -> str:
    """How the libraries' bytecode is had: `make install` compiles it; without that, a machine that
    sets PYTHONDONTWRITEBYTECODE compiles every imported module in every process (seconds a run)."""
    import importlib.util

    spec = importlib.util.find_spec("dagster")
    if spec and spec.origin and Path(importlib.util.cache_from_source(spec.origin)).exists():
        return "compiled at install"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return "compiled by every process (none installed, PYTHONDONTWRITEBYTECODE set)"
    return "compiled at first import"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def versions() -> dict:
    from importlib.metadata import version

    return {
        p: version(p)
        for p in ("duckdb", "polars", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great-expectations")
    }


# ---------------------------------------------------------------- the benchmark


@dataclass
class BenchReport:
    scale: Scale
    started: str
    load_before: str
    load_after: str
    data: dict  # what was measured on: rows, files, as-of dates
    scenarios: dict[str, Scenario]
    limit_matches_mart: bool | None
    machine: dict
    versions: dict

    def median(self, key: str) -> float:
        return self.scenarios[key].median() if key in self.scenarios else float("nan")

    def ratio(self, a: str, b: str, b_value=None) -> float:
        if a not in self.scenarios or b not in self.scenarios:
            return float("nan")
        denominator = self.scenarios[b].median(b_value) if b_value else self.scenarios[b].median()
        return self.scenarios[a].median() / denominator if denominator else float("nan")


def _query_seconds(r: Run) -> float:
    return r.detail.get("query_seconds", float("nan"))


def _ingest_seconds(r: Run) -> float:
    return r.detail.get("seconds", float("nan"))


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def _restore(snapshot: Path, root: Path) -> None:
    """Put the full warehouse back as it was after the full refresh, at the same path (so that
    dbt's partial-parse state, tied to the build database's path, stays valid). The copy's writes
    (GBs at region scale) are flushed before the measured run starts: else the run's first fsync of
    the build database (ingest's checkpoint) waits for the bench's own copy to reach the disk,
    which a real night, whose build database was not just copied, does not."""
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(snapshot, root, symlinks=True)
    os.sync()


def _prepare(task: str, config: dict, env: dict) -> dict:
    """Generate data or read results in a child process, so that this process stays small: a child
    forked from a big parent would start with the parent's resident memory in its peak."""
    run = _worker(task, config, env)
    if not run.ok:
        raise RuntimeError(f"{task} failed: {run.detail.get('stderr_tail', '')[-1000:]}")
    return run.detail


def _write_day(out: Path, day: date, rows_before: int, env: dict) -> tuple[Path, int]:
    """One day's export: new certificates issued that day and revocations of earlier ones."""
    folder = out / "certifications" / day.isoformat()
    done = _prepare(
        "clean",
        {
            "path": str(folder / "day.csv"), "rows": DAY_NEW_ROWS, "start": rows_before, "seed": SEED,
            "issue_date": day.isoformat(), "revoke": DAY_REVOCATIONS, "revoke_below": max(rows_before, 1),
        },
        env,
    )
    return folder, done["rows"]


def _landing_with_day(base: Path, day_folder: Path, out: Path) -> Path:
    """`base` plus the day's folder, as hard links (the base files keep their paths and bytes)."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(base, out, copy_function=os.link)
    target = out / "certifications" / day_folder.name
    shutil.copytree(day_folder, target)
    return out


def run_bench(scale_name: str, workdir: Path, regenerate: bool = False, say=print, repeat: int | None = None) -> BenchReport:
    scale = SCALES[scale_name]
    runs_of = repeat or scale.repeat
    work = workdir / scale.name
    work.mkdir(parents=True, exist_ok=True)
    # the bench writes its landings just before reading them: they are complete, no settle time
    env = {**os.environ, "TALENT_PII_KEY": os.environ.get("TALENT_PII_KEY", "benchmark-key"), "TALENT_SETTLE_SECONDS": "0"}
    scenarios: dict[str, Scenario] = {}
    data: dict = {}
    matches: bool | None = None
    started, load_before = time.strftime("%Y-%m-%d %H:%M %Z"), load_average()

    def scenario(key: str, label: str) -> Scenario:
        scenarios[key] = Scenario(key, label)
        return scenarios[key]

    def refresh_runs(sc: Scenario, n: int, landing: Path, root: Path, as_of: date, before=None) -> None:
        for _ in range(n):
            if before:
                before()
            say(f"  {sc.label} ({len(sc.runs) + 1})")
            sc.runs.append(_worker("refresh", _root_settings(root, landing, as_of), env))
            if not sc.runs[-1].ok:
                say(f"  FAILED: {sc.runs[-1].detail.get('stderr_tail', '')[-500:]}")

    # -- the embedded sample (messy, six sources)
    if scale.sample_persons:
        landing = work / "sample" / "landing"
        truth = landing / "_ground_truth" / "ground_truth.json"
        if regenerate or not truth.exists() or json.loads(truth.read_text())["persons"] != scale.sample_persons:
            say(f"generating the sample landing: {scale.sample_persons:,} persons, seed {SAMPLE_SEED}")
            shutil.rmtree(landing, ignore_errors=True)
            _prepare("sample", {"out": str(landing), "persons": scale.sample_persons, "seed": SAMPLE_SEED}, env)
        facts = json.loads(truth.read_text())
        last_export = max(date.fromisoformat(p.name) for p in (landing / "certifications").iterdir() if p.is_dir())
        day = last_export + timedelta(days=1)
        data["sample"] = {
            "persons": scale.sample_persons,
            "rows_landed": sum(s["rows_landed"] for s in facts["sources"].values()),
            "files": sum(1 for p in landing.rglob("*") if p.is_file() and "_ground_truth" not in p.parts),
            "as_of": day.isoformat(),
        }
        root = work / "sample" / "full"
        sc = scenario("sample_full", "sample: landing to published file, empty warehouse")
        refresh_runs(sc, runs_of, landing, root, last_export, before=lambda r=root: _fresh(r))
        _nightly_scenarios(
            scenario, refresh_runs, work / "sample", landing, root, day, 0, runs_of, data, "sample", say, env
        )

    # -- many small files, ingest alone
    if scale.small_files:
        landing = work / "files" / "landing"
        # the marker beside the landing folder, not in it: there it would be a landed file
        marker = landing.parent / f".written-{scale.small_files}x{scale.rows_per_small_file}"
        if regenerate or not marker.exists():
            say(f"writing {scale.small_files:,} small files of {scale.rows_per_small_file} rows")
            _fresh(landing)
            _prepare(
                "small_files",
                {"landing": str(landing), "files": scale.small_files, "rows_per_file": scale.rows_per_small_file, "seed": SEED},
                env,
            )
            marker.touch()
        data["files"] = {"files": scale.small_files, "rows_per_file": scale.rows_per_small_file}
        sc = scenario("files_ingest", f"ingest alone: {scale.small_files:,} small files")
        for i in range(runs_of):
            say(f"  {sc.label} ({i + 1}/{runs_of})")
            sc.runs.append(_worker("ingest", {"landing": str(landing), "root": str(_fresh(work / "files" / "root"))}, env))

    # -- the clean CSV: full refresh, fair limit, ingest alone, nightly
    if scale.clean_rows:
        landing = work / "clean" / "landing"
        csv_file = landing / "certifications" / "2026-06-30" / "export.csv"
        marker = landing.parent / f".written-{scale.clean_rows}"
        if regenerate or not marker.exists():
            say(f"writing {scale.clean_rows:,} clean certificate rows")
            _fresh(landing)
            t = time.perf_counter()
            _prepare("clean", {"path": str(csv_file), "rows": scale.clean_rows, "seed": SEED}, env)
            data["clean_generate_seconds"] = round(time.perf_counter() - t, 1)
            marker.touch()
        as_of, day = CLEAN_AS_OF, CLEAN_AS_OF + timedelta(days=1)
        data["clean"] = {"rows": scale.clean_rows, "bytes": csv_file.stat().st_size, "as_of": as_of.isoformat()}

        # ingest alone and the two bare copies take turns, so that their ratios meet the host as it is
        turns = [
            (scenario("clean_ingest", "ingest alone: the clean CSV"), "ingest",
             lambda: {"landing": str(landing), "root": str(_fresh(work / "clean" / "ingest"))}),
            (scenario("clean_copy", "bare copy: DuckDB reads the clean CSV into a table on disk, nothing else"), "copy",
             lambda: {"path": str(csv_file), "database": str(work / "clean" / "copy" / "copy.duckdb")}),
            (scenario("clean_parquet", "bare copy to Parquet: polars streams the clean CSV into one file, nothing else"),
             "parquet", lambda: {"path": str(csv_file), "out": str(work / "clean" / "parquet" / "copy.parquet")}),
        ]  # fmt: skip
        for i in range(runs_of):
            for sc, mode, config in turns:
                say(f"  {sc.label} ({i + 1}/{runs_of})")
                sc.runs.append(_worker(mode, config(), env))
        shutil.rmtree(work / "clean" / "ingest", ignore_errors=True)

        # the limit and the full refresh take turns, so that both meet the host as it is: a shared
        # machine's speed drifts over minutes (the limit's own query 1.7-2.0 s at 2 M rows in one day)
        limit_sc = scenario("fair_limit", "fair limit: DuckDB alone, same file")
        root = work / "clean" / "full"
        sc = scenario("clean_full", "clean CSV: landing to published file, empty warehouse")
        for i in range(max(runs_of, 3)):
            say(f"  {limit_sc.label} ({i + 1})")
            limit_sc.runs.append(_worker("limit", {"files": [str(csv_file)], "as_of": as_of.isoformat()}, env))
            if i < runs_of:
                refresh_runs(sc, 1, landing, root, as_of, before=lambda r=root: _fresh(r))
        if sc.ok and scenarios["fair_limit"].ok:
            mart = _prepare("marts", {"warehouse": str(root / "warehouse" / "talent.duckdb"), "as_of": as_of.isoformat()}, env)
            matches = mart["counts"] == scenarios["fair_limit"].runs[-1].detail["counts"]
        _nightly_scenarios(
            scenario, refresh_runs, work / "clean", landing, root, day, scale.clean_rows, runs_of, data, "clean", say, env
        )

    return BenchReport(scale, started, load_before, load_average(), data, scenarios, matches, machine(), versions())


def _nightly_scenarios(scenario, refresh_runs, base: Path, landing: Path, root: Path, day: date,
                       rows_before: int, runs_of: int, data: dict, prefix: str, say, env: dict) -> None:
    """nightly (day's files on the full warehouse), day on empty, nothing new: after a full refresh
    of `landing` into `root`."""
    if not (root / "warehouse" / "talent.duckdb").exists():
        return
    day_folder, day_rows = _write_day(_fresh(base / "day"), day, rows_before, env)
    data[prefix]["day_rows"] = day_rows
    night_landing = _landing_with_day(landing, day_folder, base / "landing_night")
    snapshot = base / "full_snapshot"
    _fresh(snapshot)
    shutil.copytree(root, snapshot, symlinks=True)
    night = scenario(f"{prefix}_nightly", "nightly: one day's files on the full warehouse")
    nothing_new = scenario(f"{prefix}_nothing_new", "re-run, nothing new")
    day_empty = scenario(f"{prefix}_day_empty", "the same day's files, empty warehouse")
    empty = base / "day_empty"
    # the night and the same files on an empty warehouse take turns, as the limit and the full
    # refresh do: their ratio is a target, and the host's speed drifts over minutes
    for _ in range(runs_of):
        refresh_runs(night, 1, night_landing, root, day, before=lambda: _restore(snapshot, root))
        refresh_runs(day_empty, 1, base / "day", empty, day, before=lambda: _fresh(empty))
    refresh_runs(nothing_new, runs_of, night_landing, root, day)  # on the last night's warehouse
    shutil.rmtree(snapshot, ignore_errors=True)
    say(f"  {prefix}: nightly scenarios done")


# ---------------------------------------------------------------- report


def _fmt(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def _row(sc: Scenario, note: str = "", value=None, shown=_fmt) -> str:
    value = value or (lambda r: r.seconds)
    lo, hi = sc.spread(value)
    status = "" if sc.ok else " (FAILED)"
    return (
        f"| {sc.label}{status} | {shown(sc.median(value))} | {shown(lo)} – {shown(hi)} | {len(sc.runs)} | "
        f"{sc.peak():,.0f} MiB | {note} |"
    )


def _stage_note(sc: Scenario) -> str:
    stages = sc.stage_medians()
    total = sc.median()
    parts = [f"{s} {stages[s]:.1f} s ({100 * stages[s] / total:.0f} %)" for s in STAGES if not math.isnan(stages[s])]
    other = total - sum(v for v in stages.values() if not math.isnan(v))
    parts.append(f"start-up and between steps {other:.1f} s ({100 * other / total:.0f} %)")
    return "; ".join(parts)


TARGETS = [
    # (scales, description, value, limit, shown)
    (("region",), "full refresh, 8 M clean rows ≤ 5 × fair limit",
     lambda r: r.ratio("clean_full", "fair_limit", _query_seconds), 5.0, lambda v: f"{v:.1f} ×"),
    (("region",), "its peak memory < 4 GiB",
     lambda r: r.scenarios["clean_full"].peak() / 1024 if "clean_full" in r.scenarios else float("nan"), 4.0,
     lambda v: f"{v:.2f} GiB"),
    (("2m",), "full refresh, 2 M clean rows ≤ 10 × fair limit",
     lambda r: r.ratio("clean_full", "fair_limit", _query_seconds), 10.0, lambda v: f"{v:.1f} ×"),
    (("sample",), "embedded sample, landing to published file < 30 s",
     lambda r: r.median("sample_full"), 30.0, lambda v: f"{v:.1f} s"),
    (("region",), "nightly at region scale < 20 s", lambda r: r.median("clean_nightly"), 20.0, lambda v: f"{v:.1f} s"),
    (("region",), "nightly ≤ 1.2 × same day's files on empty",
     lambda r: r.ratio("clean_nightly", "clean_day_empty"), 1.2, lambda v: f"{v:.2f} ×"),
    (("region",), "re-run with nothing new < 5 s", lambda r: r.median("clean_nothing_new"), 5.0, lambda v: f"{v:.1f} s"),
    (("2m", "region"), "ingest alone ≥ 1 M rows/s on the clean CSV",
     lambda r: -_rows_per_second(r), -1_000_000, lambda v: f"{-v:,.0f} rows/s"),
    (("sample",), "ingest alone < 5 ms per small file (1,000 files)",
     lambda r: _ms_per_file(r), 5.0, lambda v: f"{v:.1f} ms/file"),
]


def _rows_per_second(r: BenchReport) -> float:
    sc = r.scenarios.get("clean_ingest")
    return sc.median(lambda run: run.detail.get("rows_landed", 0) / run.detail["seconds"]) if sc else float("nan")


# the bare copies, each the floor under ingest for one way of keeping the raw rows: scenario -> the
# name its ratio to ingest alone goes by, and where that floor keeps the rows
FLOORS = {"clean_copy": ("bare copy", "into a DuckDB table"), "clean_parquet": ("bare copy to Parquet", "kept as Parquet files")}


def _copy_rows_per_second(r: BenchReport, key: str) -> float:
    sc = r.scenarios.get(key)
    return sc.median(lambda run: run.detail.get("rows", 0) / run.detail["seconds"]) if sc else float("nan")


def _ms_per_file(r: BenchReport) -> float:
    sc = r.scenarios.get("files_ingest")
    return sc.median(lambda run: 1000 * run.detail["seconds"] / max(run.detail.get("files", 1), 1)) if sc else float("nan")


def render(report: BenchReport) -> str:
    r = report
    lines = [
        f"## `{r.scale.name}` scale, {r.started}",
        "",
        (
            f"{r.scale.note}. Machine: {r.machine['cpu']}, {r.machine['cores']} cores, {r.machine['memory_gib']} "
            f"GiB; {r.machine['os']}; library bytecode {r.machine.get('bytecode', 'unknown')}. "
            f"Load average (1 / 5 / 15 min) before: {r.load_before}, after: "
            f"{r.load_after} (the machine is shared; figures are medians of the runs, with min – max)."
        ),
        "Versions: " + ", ".join(f"{k} {v}" for k, v in r.versions.items()) + ".",
        "Data: " + "; ".join(f"{k}: {v}" for k, v in r.data.items()) + ".",
        "",
        "| run | median | min – max | runs | peak memory | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for key, sc in r.scenarios.items():
        if key == "fair_limit":
            q = sc.median(_query_seconds)
            note = f"query alone {_fmt(q)} (wall includes Python start); " + (
                "same counts as the mart" if r.limit_matches_mart else
                "COUNTS DIFFER from the mart" if r.limit_matches_mart is False else "not compared")
            lines.append(_row(sc, note))
        elif key in FLOORS:
            note = (f"copy alone {_fmt(sc.median(_ingest_seconds))}: {_copy_rows_per_second(r, key):,.0f} rows/s, the floor "
                    f"under any ingest of this file {FLOORS[key][1]} here")
            lines.append(_row(sc, note))
        elif key.endswith("_ingest"):
            rows = sc.median(lambda run: run.detail.get("rows_landed", 0) / run.detail["seconds"])
            per_file = sc.median(lambda run: 1000 * run.detail["seconds"] / max(run.detail.get("files", 1), 1))
            note = f"ingest call alone {_fmt(sc.median(_ingest_seconds))}: {rows:,.0f} rows/s, {per_file:.1f} ms a file"
            lines.append(_row(sc, note))
        else:
            note = _stage_note(sc) if sc.ok else ""
            if key.endswith("nothing_new") and sc.runs:
                note = sc.runs[-1].detail.get("ingest_summary", "") + "; " + note
            lines.append(_row(sc, note))
    ratios = []
    if "clean_full" in r.scenarios and "fair_limit" in r.scenarios:
        ratios.append(f"Full refresh / fair limit (query): {r.ratio('clean_full', 'fair_limit', _query_seconds):.1f} ×.")
    for key, (name, _) in FLOORS.items():
        if "clean_ingest" in r.scenarios and key in r.scenarios:
            ratios.append(f"Ingest alone / {name}: {_copy_rows_per_second(r, key) / _rows_per_second(r):.1f} ×.")
    for prefix in ("sample", "clean"):
        if f"{prefix}_nightly" in r.scenarios:
            ratios.append(f"{prefix}: nightly / same day on empty: {r.ratio(f'{prefix}_nightly', f'{prefix}_day_empty'):.2f} ×.")
    if ratios:
        lines += ["", " ".join(ratios)]
    targets = [t for t in TARGETS if r.scale.name in t[0]]
    if targets:
        lines += ["", "| target | result | met |", "|---|---|---|"]
        for _, name, value, limit, shown in targets:
            try:
                v = value(r)
            except (KeyError, ZeroDivisionError):
                v = float("nan")
            met = "–" if math.isnan(v) else "yes" if v <= limit else "**no**"
            lines.append(f"| {name} | {'–' if math.isnan(v) else shown(v)} | {met} |")
    return "\n".join(lines) + "\n"


def write_markdown(report: BenchReport, path: Path) -> None:
    """Write the report's section into `path`, replacing the previous section of the same scale."""
    section = render(report)
    marker = f"## `{report.scale.name}` scale,"
    if path.exists():
        text = path.read_text()
        if marker in text:
            head, _, rest = text.partition(marker)
            tail = rest[rest.find("\n## ") + 1:] if "\n## " in rest else ""
            text = head + section + ("\n" + tail if tail else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
    else:
        text = "# Benchmarks\n\nWritten by `talent bench`, one section per scale.\n\n" + section
    path.write_text(text)
