"""`talent bench`: how fast the refresh is at a named scale, against what DuckDB alone can do.

Measures, each run in its own child process (wall time and peak resident memory from ``wait4``,
which covers the child and its dbt subprocess):

1. full refresh from an empty warehouse (and ingest rows per second, from Dagster's step times);
2. the limit: one hand-written DuckDB query over the same landed files computing the headline ratio
   per prefecture on the same as-of date (no ingest, no dbt, no Dagster), and the full refresh's
   ratio to it; its answer is compared with the mart;
3. the nightly refresh after one day's new files on top of the full warehouse, and the same day's
   files on an empty warehouse;
4. a re-run with nothing new landed;
5. where the time goes, per stage, from Dagster's own run events.

Results are appended to BENCHMARKS.md with the machine, date and versions.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROWS_PER_PERSON = 1.41  # certificate rows the generator lands per person (measured)


@dataclass(frozen=True)
class Scale:
    name: str
    persons: int
    note: str

    @property
    def approx_rows(self) -> int:
        return int(self.persons * ROWS_PER_PERSON)


SCALES = {
    "quick": Scale("quick", 400, "tiny; keeps the benchmark code itself from rotting (the test suite runs it)"),
    "small": Scale("small", 71_000, "about 100 thousand certificate rows"),
    "region": Scale("region", 5_700_000, "about 8 million certificate rows"),
    "national": Scale("national", 11_400_000, "about 16 million certificate rows: the most this 24 GiB machine holds comfortably"),
}
DAY_NEW_ROWS = 3000
DAY_REVOCATIONS = 60
SEED = 2026


@dataclass
class Measured:
    label: str
    seconds: float
    peak_mib: float
    ok: bool
    detail: dict = field(default_factory=dict)


def _measure(label: str, argv: list[str], env: dict | None = None) -> Measured:
    """Run argv as a child; wall time and peak RSS (MiB) of the child and its waited-for descendants."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out_chunks = []
    # read stdout to the end, then wait4 for the rusage
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    out_chunks.append(out)
    detail: dict = {}
    for line in out.splitlines():
        if line.startswith("BENCH-OUTCOME "):
            detail = json.loads(line.removeprefix("BENCH-OUTCOME "))
        elif line.startswith("BENCH-LIMIT "):
            detail = json.loads(line.removeprefix("BENCH-LIMIT "))
    if proc.returncode != 0:
        detail.setdefault("stderr_tail", err[-2000:])
    return Measured(label, seconds, usage.ru_maxrss / 1024, proc.returncode == 0, detail)


def _refresh(label: str, landing: Path, warehouse: Path, as_of: date, **extra) -> Measured:
    config = {"landing_dir": str(landing), "warehouse_path": str(warehouse), "as_of": as_of.isoformat(), **extra}
    return _measure(label, [sys.executable, "-m", "orchestration.bench_worker", json.dumps(config)])


# ---------------------------------------------------------------- one day's files


def write_day_files(landing: Path, out: Path, day: date, new_rows: int, revocations: int) -> int:
    """A day's export: `new_rows` new certificates (rows of landed UTF-8 files, renumbered and
    re-dated) and `revocations` revocations of certificates landed before. Returns the rows written."""
    import polars as pl

    from ingest import contract
    from ingest.readers import discover, read

    files = [f for f in discover(landing, ("certifications",)) if f.supported and f.path.suffix == ".csv"]
    frames = []
    for f in reversed(files):
        try:
            frames.append(read(f, contract.CERTIFICATIONS).frame)
        except Exception:
            continue
        if sum(fr.height for fr in frames) >= new_rows + revocations:
            break
    rows = pl.concat(frames, how="diagonal_relaxed").drop("row_number")
    headers = {col.name: col.headers[0] for col in contract.CERTIFICATIONS.columns}
    new = rows.head(new_rows).with_columns(
        (pl.lit(f"D{day:%Y%m%d}") + pl.int_range(pl.len()).cast(pl.Utf8).str.zfill(7)).alias("certificate_no"),
        pl.lit(day.isoformat()).alias("issue_date"),
        pl.lit("有效").alias("status"),
    )
    revoked = rows.slice(new_rows, revocations).with_columns(pl.lit("撤销").alias("status"))
    target = out / "certifications" / day.isoformat()
    target.mkdir(parents=True, exist_ok=True)
    for name, frame in (("day_new.csv", new), ("day_revocations.csv", revoked)):
        frame.rename({c: headers[c] for c in frame.columns if c in headers}).write_csv(target / name)
    return new.height + revoked.height


# ---------------------------------------------------------------- the limit query


LIMIT_QUERY = """
with files as (
    -- every landed CSV once (a re-sent copy changes nothing), with its export date
    select file, regexp_extract(file, '/(\\d{{4}}-\\d{{2}}-\\d{{2}})/', 1)::date as export_date,
           row_number() over (partition by md5(content) order by file) as copy_no
    from read_text({files})
), rows as (
    select * from read_csv({files}, all_varchar = true, union_by_name = true, filename = true,
                           header = true, null_padding = true, ignore_errors = false)
), typed as (
    select
        f.export_date, r.filename,
        nfc_normalize(trim(coalesce({cert_no}))) as certificate_no,
        upper(trim(coalesce({id_number}))) as id_number,
        trim(coalesce({level})) as level_text,
        trim(coalesce({issue_date})) as date_text,
        trim(coalesce({region})) as region_text,
        coalesce(nullif(trim(coalesce({status})), ''), '有效') as status,
        trim(coalesce({name})) as person_name,
        trim(coalesce({occupation})) as occupation_name,
        trim(coalesce({assessor})) as assessor_name,
        row_number() over (partition by r.filename) as file_row
    from rows r join files f on f.file = r.filename and f.copy_no = 1
)
select 1
"""


def limit_query_sql(files: list[str]) -> str:  # pragma: no cover - replaced below
    raise NotImplementedError


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
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1), "os": platform.platform()}


def versions() -> dict:
    from importlib.metadata import version

    return {p: version(p) for p in ("duckdb", "polars", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great-expectations")}
