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
    return _measure(label, [sys.executable, "-m", "talent.bench_worker", json.dumps(config)])


# ---------------------------------------------------------------- one day's files


def write_day_files(landing: Path, out: Path, day: date, new_rows: int, revocations: int) -> int:
    """A day's export: `new_rows` new certificates (rows of landed UTF-8 files, renumbered and
    re-dated) and `revocations` revocations of certificates landed before. Returns the rows written."""
    import polars as pl

    from ingest import contract
    from ingest.readers import FileRejected, discover, read

    files = [f for f in discover(landing, ("certifications",)) if f.supported and f.path.suffix == ".csv"]
    frames = []
    for f in reversed(files):
        try:
            frames.append(read(f, contract.CERTIFICATIONS).frame)
        except FileRejected:  # the deliberately broken file: not a source of good rows
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

# every full-width ASCII form (U+FF01..U+FF5E) and its half-width twin, as NFKC maps them
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F) if chr(c) != "'" and chr(c - 0xFEE0) != "'")
HALF_WIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if chr(c) != "'" and chr(c - 0xFEE0) != "'")


def prepare_limit_input(landing: Path, out: Path) -> dict:
    """Untimed: give the limit query files DuckDB can read without extensions (none can be installed
    here). UTF-8 CSVs are linked as they are; GB18030 CSVs are re-encoded to UTF-8 byte for byte; XLSX
    sheets are written out as CSV from their header row. Returns what was done, for the report."""
    import polars as pl

    from ingest import contract
    from ingest.readers import decode, discover, read

    shutil.rmtree(out, ignore_errors=True)
    done = {"linked": 0, "reencoded": 0, "xlsx_converted": 0}
    for f in discover(landing, ("certifications",)):
        if not f.supported:
            continue
        target = out / f.source_file
        target = target.with_suffix(".csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        if f.path.suffix.lower() == ".xlsx":
            frame = read(f, contract.CERTIFICATIONS).frame.drop("row_number")
            frame.write_csv(target)
            done["xlsx_converted"] += 1
            continue
        data = f.path.read_bytes()
        try:
            data.decode("utf-8")
            target.symlink_to(f.path)
            done["linked"] += 1
        except UnicodeDecodeError:
            target.write_text(decode(data, f.source_file), encoding="utf-8")
            done["reencoded"] += 1
    del pl
    return done


def limit_query(input_dir: Path, as_of: date, con) -> str:
    """The hand-written query: every header spelling coalesced, every vocabulary normalised in SQL,
    the ID check digit, re-sent files dropped by content hash, latest version per certificate,
    persons as of the date, counted per prefecture-level unit and region-wide."""
    from ingest import contract
    from ingest.normalise import header_lookup, normalise_header, vocabulary

    glob = str(input_dir / "certifications" / "*" / "*.csv")
    headers = [
        r[0]
        for r in con.execute(
            f"select column_name from (describe select * from read_csv('{glob}', all_varchar = true, "
            "union_by_name = true, header = true, null_padding = true))"
        ).fetchall()
    ]
    lookup = header_lookup(contract.CERTIFICATIONS)
    spelled: dict[str, list[str]] = {}
    for h in headers:
        name = lookup.get(normalise_header(h))
        if name:
            spelled.setdefault(name, []).append(h)

    def col(name: str) -> str:
        cols = ", ".join('"' + h.replace('"', '""') + '"' for h in spelled.get(name, []))
        cleaned = f"trim(translate(coalesce({cols}, ''), '{FULL_WIDTH}', '{HALF_WIDTH}'), ' \t\u3000')"
        return f"nullif({cleaned}, '')" if cols else "null"

    vocab = vocabulary()
    levels = ", ".join(f"('{sp}', {vocab.rank_of_level[lv]})" for sp, lv in vocab.level_of_spelling.items())
    names = ", ".join(f"('{n}', '{code}')" for n, code in vocab.code_of_name.items())
    units = ", ".join(f"'{u}'" for u in sorted(vocab.unit_codes))
    prefectures = ", ".join(f"'{u}'" for u in sorted(vocab.prefecture_codes))
    weights = " + ".join(f"substr(id, {i + 1}, 1)::int * {w}" for i, w in enumerate((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    d = as_of.isoformat()
    return rf"""
with blobs as (
    select filename, regexp_extract(filename, '/(\d{{4}}-\d{{2}}-\d{{2}})/', 1)::date as export_date,
           row_number() over (partition by md5(content) order by regexp_extract(filename, '/(\d{{4}}-\d{{2}}-\d{{2}})/', 1), filename) as copy_no
    from read_blob('{glob}')
), rows as (
    select *, row_number() over (partition by filename) as file_row
    from read_csv('{glob}', all_varchar = true, union_by_name = true, header = true,
                  null_padding = true, filename = true)
), cleaned as (
    select b.export_date, r.filename, r.file_row,
           {col('certificate_no')} as certificate_no, upper({col('id_number')}) as id,
           {col('name')} as person_name, {col('occupation_name')} as occupation_name,
           {col('assessor_name')} as assessor_name,
           replace({col('skill_level')}, ' ', '') as level_text, {col('issue_date')} as date_text,
           replace({col('region')}, ' ', '') as region_text, coalesce({col('status')}, '有效') as status
    from rows r join blobs b on b.filename = r.filename and b.copy_no = 1
), typed as (
    select c.*, lv.rank as level_rank,
           coalesce(try_strptime(regexp_replace(date_text, ' 00:00:00$', ''),
                    ['%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%Y年%m月%d日', '%Y%m%d']),
                    case when regexp_matches(date_text, '^\d{{5}}(\.0+)?$')
                         then date '1899-12-30' + cast(floor(date_text::double) as integer) end)::date as issue_date,
           case when region_text in ({units}) then region_text
                when regexp_matches(region_text, '^\d{{6}}$') and not starts_with(region_text, '6590')
                     and substr(region_text, 1, 4) || '00' in ({prefectures}) then substr(region_text, 1, 4) || '00'
                else rn.code end as region_code,
           try_strptime(substr(id, 7, 8), '%Y%m%d')::date as birth_date
    from cleaned c
    left join (values {levels}) lv(spelling, rank) on lv.spelling = c.level_text
    left join (values {names}) rn(name, code) on rn.name = c.region_text
), valid_rows as (
    select * from typed
    where certificate_no is not null and person_name is not null and occupation_name is not null
      and assessor_name is not null and level_rank is not null and issue_date is not null
      and region_code is not null and status in ('有效', '撤销', '注销')
      and regexp_matches(id, '^\d{{17}}[0-9X]$') and birth_date is not null
      and substr('10X98765432', (({weights}) % 11) + 1, 1) = substr(id, 18, 1)
), latest as (
    select * from valid_rows
    qualify row_number() over (partition by certificate_no
        order by export_date desc, regexp_extract(filename, '[^/]+$') desc, filename desc, file_row desc) = 1
), standing as (
    select id, arg_max(region_code, (issue_date, level_rank, -region_code::int)) as region_code,
           max(level_rank) as top_rank, any_value(birth_date) as birth_date
    from latest
    where status = '有效' and issue_date <= date '{d}'
    group by id
), persons as (
    select * from standing
    where date_diff('year', birth_date, date '{d}')
          - case when strftime(date '{d}', '%m%d') < strftime(birth_date, '%m%d') then 1 else 0 end
          between 16 and 60
)
select region_code, count(*) as skilled_persons, count(*) filter (where top_rank >= 3) as high_skilled_persons
from persons group by rollup (region_code) order by region_code nulls first
"""


def run_limit(input_dir: Path, as_of: date) -> dict:
    """In a child process: build the query (untimed), run it (timed), print the counts."""
    import duckdb

    con = duckdb.connect()
    sql = limit_query(input_dir, as_of, con)
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    counts = {(r[0] or "650000"): [r[1], r[2]] for r in rows}
    return {"query_seconds": seconds, "counts": counts}


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


# ---------------------------------------------------------------- the benchmark


@dataclass
class BenchReport:
    scale: Scale
    as_of: date
    rows_landed: int
    day_rows: int
    generate: Measured
    runs: dict[str, Measured]
    limit_prep: dict
    limit_matches_mart: bool | None
    machine: dict
    versions: dict

    def ratio(self, a: str, b: str) -> float:
        return self.runs[a].seconds / self.runs[b].seconds if self.runs[b].seconds else float("nan")


def _mart_counts(warehouse: Path, as_of: date) -> dict:
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


def run_bench(scale_name: str, workdir: Path, regenerate: bool = False, say=print) -> BenchReport:
    scale = SCALES[scale_name]
    work = workdir / scale.name
    landing, day_dir = work / "landing", work / "day"
    truth_file = landing / "_ground_truth" / "ground_truth.json"
    env = {**os.environ, "TALENT_PII_KEY": os.environ.get("TALENT_PII_KEY", "benchmark-key")}
    os.environ["TALENT_PII_KEY"] = env["TALENT_PII_KEY"]
    reuse = truth_file.exists() and not regenerate and json.loads(truth_file.read_text())["persons"] == scale.persons
    if reuse:
        say(f"[1/7] reusing the generated landing in {landing}")
        generate = Measured("generate (reused)", 0.0, 0.0, True)
    else:
        say(f"[1/7] generating {scale.persons:,} persons (~{scale.approx_rows:,} certificate rows) into {landing}")
        shutil.rmtree(work, ignore_errors=True)
        generate = _measure(
            "generate",
            [sys.executable, "-m", "talent.cli", "generate", "--out", str(landing),
             "--persons", str(scale.persons), "--seed", str(SEED)],
            env,
        )
        if not generate.ok:
            raise RuntimeError(f"generation failed: {generate.detail}")
    truth = json.loads(truth_file.read_text())
    rows_landed = sum(source["rows_landed"] for source in truth["sources"].values())
    last_export = max(date.fromisoformat(p.name) for p in (landing / "certifications").iterdir() if p.is_dir())
    day = last_export + timedelta(days=1)
    as_of = day
    shutil.rmtree(day_dir, ignore_errors=True)
    day_rows = write_day_files(landing, day_dir, day, DAY_NEW_ROWS, DAY_REVOCATIONS)
    runs: dict[str, Measured] = {}
    for sub in ("wh_full", "wh_day"):
        shutil.rmtree(work / sub, ignore_errors=True)
    full_wh, day_wh = work / "wh_full" / "talent.duckdb", work / "wh_day" / "talent.duckdb"
    day_folder = day_dir / "certifications" / day.isoformat()
    landed_day = landing / "certifications" / day.isoformat()
    shutil.rmtree(landed_day, ignore_errors=True)

    say(f"[2/7] full refresh from an empty warehouse ({rows_landed:,} rows landed in all sources)")
    runs["full"] = _refresh("full refresh, empty warehouse", landing, full_wh, as_of)
    say("[3/7] the limit: one DuckDB query over the same files")
    prep = prepare_limit_input(landing, work / "limit_input")
    runs["limit"] = _measure(
        "limit query (DuckDB alone)",
        [sys.executable, "-m", "talent.bench", "limit", str(work / "limit_input"), as_of.isoformat()],
        env,
    )
    matches = None
    if runs["full"].ok and runs["limit"].ok:
        matches = _mart_counts(full_wh, as_of) == runs["limit"].detail.get("counts")
    say(f"[4/7] nightly refresh: one day's files ({day_rows:,} rows) on top of the full warehouse")
    shutil.copytree(day_folder, landed_day)
    try:
        runs["nightly"] = _refresh("nightly refresh on the full warehouse", landing, full_wh, as_of)
    finally:
        pass
    say("[5/7] the same day's files on an empty warehouse")
    runs["day_empty"] = _refresh("same day's files, empty warehouse", day_dir, day_wh, as_of)
    say("[6/7] re-run with nothing new landed")
    runs["nothing_new"] = _refresh("re-run, nothing new", landing, full_wh, as_of)
    shutil.rmtree(landed_day, ignore_errors=True)  # leave the generated landing as generated
    say("[7/7] done")
    return BenchReport(scale, as_of, rows_landed, day_rows, generate, runs, prep, matches, machine(), versions())


def _refresh_peak(r: BenchReport) -> float:
    """Peak memory of the refresh runs (the limit query is DuckDB's, not the pipeline's)."""
    return max(m.peak_mib for k, m in r.runs.items() if k != "limit")


TARGETS = {
    "region": [
        ("full refresh ≤ 5 × limit", lambda r: r.ratio("full", "limit") <= 5, lambda r: f"{r.ratio('full', 'limit'):.1f} ×"),
        ("refresh peak memory < 6 GiB", lambda r: _refresh_peak(r) < 6 * 1024, lambda r: f"{_refresh_peak(r) / 1024:.2f} GiB"),
        ("nightly ≤ 1.5 × same day on empty", lambda r: r.ratio("nightly", "day_empty") <= 1.5,
         lambda r: f"{r.ratio('nightly', 'day_empty'):.2f} ×"),
        ("nightly < 45 s", lambda r: r.runs["nightly"].seconds < 45, lambda r: f"{r.runs['nightly'].seconds:.1f} s"),
        ("nothing-new re-run < 20 s", lambda r: r.runs["nothing_new"].seconds < 20,
         lambda r: f"{r.runs['nothing_new'].seconds:.1f} s"),
    ]
}


def _stage_table(m: Measured) -> list[str]:
    steps = m.detail.get("step_seconds", {})
    groups = {"ingest": 0.0, "dbt build": 0.0, "checks": 0.0, "publish": 0.0}
    for step, secs in steps.items():
        if step == "ingest_landing":
            groups["ingest"] += secs
        elif step == "dbt_models":
            groups["dbt build"] += secs
        elif step.startswith("warehouse__published"):
            groups["publish"] += secs
        else:
            groups["checks"] += secs
    return [f"{k} {v:.1f} s" for k, v in groups.items()]


def render(report: BenchReport) -> str:
    r = report
    lines = [
        f"## `{r.scale.name}` scale, {date.today().isoformat()}",
        "",
        f"Machine: {r.machine['cpu']}, {r.machine['cores']} cores, {r.machine['memory_gib']} GiB; {r.machine['os']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in r.versions.items()) + ".",
        (f"Data: {r.scale.persons:,} persons, {r.rows_landed:,} rows landed in all sources ({r.scale.note}); "
        f"as-of date {r.as_of}; one day's files = {r.day_rows:,} rows (new certificates and revocations)."),
        "",
        "| run | wall time | peak memory | notes |",
        "|---|---:|---:|---|",
    ]
    if r.generate.seconds:
        lines.append(f"| generate the landing | {r.generate.seconds:.1f} s | {r.generate.peak_mib:,.0f} MiB | not part of the refresh |")
    for key, m in r.runs.items():
        note = ""
        if key in ("full", "nightly", "day_empty", "nothing_new") and m.detail:
            note = "; ".join(_stage_table(m))
            if key == "full" and m.detail.get("step_seconds", {}).get("ingest_landing"):
                rate = r.rows_landed / m.detail["step_seconds"]["ingest_landing"]
                note += f"; ingest {rate:,.0f} rows/s"
            if key == "nothing_new":
                note += f"; {m.detail.get('ingest_summary', '')}"
        if key == "limit":
            q = m.detail.get("query_seconds")
            note = (f"query alone {q:.1f} s; " if q else "") + (
                "same counts as the mart" if r.limit_matches_mart else "COUNTS DIFFER from the mart"
                if r.limit_matches_mart is False else "")
        status = "" if m.ok else " (FAILED)"
        lines.append(f"| {m.label}{status} | {m.seconds:.1f} s | {m.peak_mib:,.0f} MiB | {note} |")
    lines += [
        "",
        (
            f"Full refresh / limit: {r.ratio('full', 'limit'):.1f} ×. Nightly / same day on empty: "
            f"{r.ratio('nightly', 'day_empty'):.2f} ×. Limit input preparation (untimed): {r.limit_prep}."
        ),
    ]
    targets = TARGETS.get(r.scale.name)
    if targets:
        lines += ["", "| target | result | met |", "|---|---|---|"]
        for name, ok, shown in targets:
            lines.append(f"| {name} | {shown(r)} | {'yes' if ok(r) else '**no**'} |")
    return "\n".join(lines) + "\n"


def write_markdown(report: BenchReport, path: Path) -> None:
    section = render(report)
    if path.exists():
        text = path.read_text()
        marker = f"## `{report.scale.name}` scale,"
        if marker in text:  # replace the previous run of this scale
            head, _, rest = text.partition(marker)
            tail = rest[rest.find("\n## ") + 1:] if "\n## " in rest else ""
            text = head + section + ("\n" + tail if tail else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
    else:
        text = "# Benchmarks\n\nWritten by `talent bench`; see BENCHMARKS.md's sections per scale.\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    if sys.argv[1] == "limit":
        result = run_limit(Path(sys.argv[2]), date.fromisoformat(sys.argv[3]))
        print("BENCH-LIMIT " + json.dumps(result))
