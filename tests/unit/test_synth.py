"""Tests of the synthetic landing generator (synth).

Besides checking the generator's own summary, these tests read the files it wrote with a small,
independent reader written from the contract (decoding, header aliases, value spellings, validation,
later-wins, duplicates by bytes) and check that the ground truth matches what the files say.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from synth import generate
from synth import reference as ref
from synth.certifications import COLUMNS

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
SOURCES = ("certifications", "trainings", "carriers", "graduates", "competitions", "honours")
PERSONS, SEED = 4000, 11
# sha256 of the certification files (path, NUL, bytes, in path order) and of their truth, seed 11 and
# 4000 persons, from the generator before it had other sources: adding sources must not change them
CERTIFICATIONS_DIGESTS = (
    "cf7cd8ba7b9b0971e0b2bb7c3f271c5b791b7f9fc67a338193b396aecf54ab12",
    "b22bf59c2b95730947dcbfcc05004bebaa7f7931fd88eeadd4a506fa07d0f03c",
)

# ------------------------------------------------------------------------------------------------
# An independent reader of the landing, from the contract and the seeds
# ------------------------------------------------------------------------------------------------

SPELLINGS = dict(pl.read_csv(SEEDS / "ref_skill_level_spellings.csv", infer_schema=False).iter_rows())
RANKS = {
    k: int(v)
    for k, v in pl.read_csv(SEEDS / "ref_skill_levels.csv", infer_schema=False)
    .select("skill_level", "level_rank")
    .iter_rows()
}
PREFS = pl.read_csv(SEEDS / "ref_prefectures.csv", infer_schema=False)
REGION_BY_TEXT = {
    **{c: c for c in PREFS["code"]},
    **dict(zip(PREFS["name"], PREFS["code"])),
    **dict(zip(PREFS["short_name"], PREFS["code"])),
}
# The contract's certifications table: alias -> (Chinese headers, required)
CONTRACT_COLUMNS = {
    "certificate_no": (("证书编号",), True),
    "name": (("姓名",), True),
    "id_number": (("公民身份号码", "身份证号", "身份证号码"), True),
    "gender": (("性别",), False),
    "occupation_code": (("职业编码",), False),
    "occupation_name": (("职业(工种)名称", "职业名称", "工种"), True),
    "skill_level": (("技能等级", "职业技能等级", "等级"), True),
    "issue_date": (("发证日期", "颁证日期"), True),
    "assessor_name": (("评价机构", "评价机构名称", "认定机构"), True),
    "assessor_type": (("评价机构类型",), False),
    "region": (("所在地区", "地州市", "行政区划代码"), True),
    "employer": (("工作单位",), False),
    "employer_type": (("单位性质",), False),
    "status": (("证书状态",), False),
}
ASSESSOR_TYPES = {"企业自主评价", "社会培训评价组织", "技工院校", "职业院校", "其他"}
EMPLOYER_TYPES = {"国有企业", "民营企业", "外资企业", "机关事业单位", "其他"}
HEADER_ALIAS = {h: alias for alias, (heads, _) in CONTRACT_COLUMNS.items() for h in (*heads, alias)}
REQUIRED = [alias for alias, (_, required) in CONTRACT_COLUMNS.items() if required]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def norm(value) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def id_ok(v: str) -> bool:
    v = v.upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    return "10X98765432"[sum(int(a) * b for a, b in zip(v[:17], W)) % 11] == v[17]


def parse_date(v: str) -> dt.date | None:
    for pattern in (
        r"(\d{4})-(\d{1,2})-(\d{1,2})( 00:00:00)?",
        r"(\d{4})/(\d{1,2})/(\d{1,2})",
        r"(\d{4})\.(\d{1,2})\.(\d{1,2})",
        r"(\d{4})年(\d{1,2})月(\d{1,2})日",
        r"(\d{4})(\d{2})(\d{2})",
    ):
        m = re.fullmatch(pattern, v)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


def region_unit(v: str) -> str | None:
    if v in REGION_BY_TEXT:
        return REGION_BY_TEXT[v]
    if re.fullmatch(r"65\d{4}", v) and not v.startswith("6590") and v[:4] + "00" in REGION_BY_TEXT:
        return v[:4] + "00"
    return None


def read_table(path: Path, aliases: dict | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(raw headers, [(row_number, raw cells)]) of a landed file."""
    aliases = HEADER_ALIAS if aliases is None else aliases
    if path.suffix == ".xlsx":
        sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes="string").to_polars()
        grid = [list(r) for r in sheet.iter_rows()]
        # The reader starts at the first non-empty row: leading blank rows are not in `grid`.
        xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
        first_row = int(re.search(r'<row r="(\d+)"', xml)[1])
        header_at = next(
            i for i, r in enumerate(grid) if any(norm(c).rstrip("*") in aliases for c in r if c)
        )
        return [c or "" for c in grid[header_at]], [
            (first_row + header_at + 1 + i, [c or "" for c in r]) for i, r in enumerate(grid[header_at + 1 :])
        ]
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    while lines and not any(c.strip() for c in lines[-1]):
        lines.pop()
    return lines[0], [(i + 2, r) for i, r in enumerate(lines[1:])]


def header_alias(h: str) -> str | None:
    return HEADER_ALIAS.get(norm(h).rstrip("*").strip())


def load(landing: Path) -> dict:
    """Ledger, quarantine and final certificate state, the way the contract says ingest must do it."""
    files = sorted(
        (p for p in (landing / "certifications").rglob("*") if p.is_file()),
        key=lambda p: (p.parent.name, p.name, p.relative_to(landing).as_posix()),
    )
    seen: dict[str, str] = {}
    ledger, quarantine, state = {}, set(), {}
    for p in files:
        rel = p.relative_to(landing).as_posix()
        if p.suffix not in (".csv", ".xlsx"):
            ledger[rel] = ("skipped", 0, 0, 0)
            continue
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        heads, rows = read_table(p)
        if digest in seen:
            ledger[rel] = ("duplicate", len(rows), 0, 0)
            continue
        seen[digest] = rel
        aliases = [header_alias(h) for h in heads]
        missing = [c for c in REQUIRED if c not in aliases]
        if missing:
            ledger[rel] = ("rejected", len(rows), 0, len(rows))
            quarantine |= {(rel, n, missing[0]) for n, _ in rows}
            continue
        bad = 0
        for n, cells in rows:
            rec = {a: norm(cells[i]) if i < len(cells) else "" for i, a in enumerate(aliases) if a}
            problem = next((c for c in REQUIRED if not rec[c]), None)
            if problem is None:
                if not id_ok(rec["id_number"]):
                    problem = "id_number"
                elif rec["skill_level"] not in SPELLINGS:
                    problem = "skill_level"
                elif parse_date(rec["issue_date"]) is None:
                    problem = "issue_date"
                elif region_unit(rec["region"]) is None:
                    problem = "region"
            if problem:
                quarantine.add((rel, n, problem))
                bad += 1
                continue
            state[rec["certificate_no"]] = {
                "id": rec["id_number"].upper(),
                "rank": RANKS[SPELLINGS[rec["skill_level"]]],
                "issue": parse_date(rec["issue_date"]),
                "unit": region_unit(rec["region"]),
                "status": rec.get("status") or "有效",
                "gender": rec.get("gender", ""),
            }
        ledger[rel] = ("loaded", len(rows), len(rows) - bad, bad)
    return {"ledger": ledger, "quarantine": quarantine, "state": state}


def ratio_from_state(state: dict, as_of: dt.date) -> dict[str, tuple[int, int]]:
    per_person: dict[str, tuple] = {}
    for c in state.values():
        if c["status"] != "有效" or c["issue"] > as_of:
            continue
        top, latest, unit = per_person.get(c["id"], (-1, None, None))
        key = (c["issue"], c["rank"])
        per_person[c["id"]] = (
            max(top, c["rank"]),
            max(latest, key) if latest else key,
            unit if latest and latest > key else c["unit"],
        )
    out: Counter = Counter()
    high: Counter = Counter()
    for pid, (top, _, unit) in per_person.items():
        b = dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))
        age = as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day))
        if 16 <= age <= 60:
            for u in (unit, "650000"):
                out[u] += 1
                high[u] += top >= 3
    return {u: (out[u], high[u]) for u in out}


# ------------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(out, persons=PERSONS, seed=SEED, progress=False)
    return out


@pytest.fixture(scope="module")
def truth(landing: Path) -> dict:
    return json.loads((landing / "_ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def loaded(landing: Path) -> dict:
    return load(landing)


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_differs(landing: Path, tmp_path: Path):
    again = tmp_path / "again"
    generate(again, persons=PERSONS, seed=SEED, progress=False)
    first, second = tree_digest(landing), tree_digest(again)
    assert len(first) > 100
    assert first == second
    other = tmp_path / "other"
    generate(other, persons=PERSONS, seed=SEED + 1, progress=False)
    third = tree_digest(other)
    assert third["_ground_truth/ground_truth.json"] != first["_ground_truth/ground_truth.json"]
    common = set(first) & set(third)
    assert sum(first[k] != third[k] for k in common) > 0.9 * len(common)


def test_each_export_is_dated_on_its_export_day_so_a_refresh_reads_it_at_once(landing: Path):
    files = [p for source in SOURCES for p in (landing / source).rglob("*") if p.is_file()]
    assert len(files) > 100
    for path in files:
        day = dt.date.fromisoformat(path.parent.name)
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone(dt.timedelta(hours=8)))
        assert (modified.date(), modified.hour, modified.minute) == (day, 18, 0), path


def test_regenerating_replaces_a_generated_landing_but_not_foreign_files(tmp_path: Path):
    generate(tmp_path, persons=300, seed=1, progress=False)
    generate(tmp_path, persons=300, seed=2, progress=False)
    truth = json.loads((tmp_path / "_ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))
    on_disk = {
        p.relative_to(tmp_path).as_posix()
        for source in SOURCES
        for p in (tmp_path / source).rglob("*")
        if p.is_file()
    }
    assert truth["seed"] == 2
    assert on_disk == {f["source_file"] for f in truth["files"]}
    foreign = tmp_path / "foreign"
    (foreign / "certifications" / "2024-01-31").mkdir(parents=True)
    (foreign / "certifications" / "2024-01-31" / "real.csv").write_text("证书编号\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate(foreign, persons=300, seed=1, progress=False)


def test_every_loaded_id_passes_the_check_digit(landing: Path, truth: dict, loaded: dict):
    assert len(loaded["state"]) > 4000
    assert all(id_ok(c["id"]) for c in loaded["state"].values())
    # ...and the ID-defect rows of the truth really fail it
    bad_ids = [q for q in truth["quarantined_rows"] if q["reason"] == "check_digit"]
    assert len(bad_ids) >= 10
    # gender, where written, agrees with the ID's 17th digit
    written = [c for c in loaded["state"].values() if c["gender"]]
    assert len(written) > 1000
    assert all((c["gender"] == "男") == (int(c["id"][16]) % 2 == 1) for c in written)


def test_ledger_and_quarantine_truth_match_the_files(truth: dict, loaded: dict):
    files = {f["source_file"]: f for f in truth["files"] if f["source"] == "certifications"}
    assert set(files) == set(loaded["ledger"])
    for path, (status, landed, ok, bad) in loaded["ledger"].items():
        f = files[path]
        assert (f["status"], f["rows_landed"], f["rows_loaded"], f["rows_quarantined"]) == (
            status,
            landed,
            ok,
            bad,
        ), path
    truth_q = {
        (q["source_file"], q["row_number"], q["column"])
        for q in truth["quarantined_rows"]
        if q["source_file"].startswith("certifications/")
    }
    assert truth_q == loaded["quarantine"]


@pytest.mark.parametrize("source", SOURCES)
def test_totals_reconcile(truth: dict, source: str):
    totals = truth["sources"][source]
    files = [f for f in truth["files"] if f["source"] == source]
    quarantined = [q for q in truth["quarantined_rows"] if q["source_file"].split("/")[0] == source]
    counted = [f for f in files if f["status"] in ("loaded", "rejected")]
    for f in counted:
        assert f["rows_landed"] == f["rows_loaded"] + f["rows_quarantined"]
    for f in files:
        if f["status"] in ("duplicate", "skipped"):
            assert f["rows_loaded"] == f["rows_quarantined"] == 0
    assert totals["rows_landed"] == totals["rows_loaded"] + totals["rows_quarantined"]
    assert totals["rows_landed"] == sum(f["rows_landed"] for f in counted)
    assert totals["rows_quarantined"] == len(quarantined)
    assert totals["files"] == {
        "loaded": len(files) - totals["files"]["rejected"] - totals["files"]["duplicate"] - totals["files"]["skipped"],
        "rejected": 1,
        "duplicate": totals["files"]["duplicate"],
        "skipped": 1,
    }
    assert totals["files"]["duplicate"] >= 2
    loaded_files = [f for f in files if f["status"] == "loaded"]
    bad_share = sum(f["rows_quarantined"] for f in loaded_files) / sum(f["rows_landed"] for f in loaded_files)
    # 2 % of the rows of loaded files, rounded: small sources (honours: ~60 rows) land a few bad rows
    assert 0.015 < bad_share < 0.025 if totals["rows_landed"] > 2000 else 0 < bad_share < 0.12


def test_ratio_truth_matches_the_files(truth: dict, loaded: dict):
    expected = {
        (r["as_of_date"], r["region_code"]): (r["skilled_persons"], r["high_skilled_persons"])
        for r in truth["high_skill_ratio"]
    }
    assert truth["as_of_dates"] == [f"{y}-12-31" for y in range(2015, 2026)] + ["2026-06-30"]
    for as_of in truth["as_of_dates"]:
        got = ratio_from_state(loaded["state"], dt.date.fromisoformat(as_of))
        assert {u: v for (d, u), v in expected.items() if d == as_of} == got, as_of


def test_ratio_truth_is_plausible(truth: dict):
    region = {r["as_of_date"][:4]: r for r in truth["high_skill_ratio"] if r["region_code"] == "650000"}
    ratio = {y: r["high_skilled_persons"] / r["skilled_persons"] for y, r in region.items()}
    assert 0.17 < ratio["2024"] < 0.26
    assert ratio["2018"] < ratio["2021"] < ratio["2025"]
    assert region["2024"]["skilled_persons"] > 0.5 * PERSONS
    units_2024 = {r["region_code"] for r in truth["high_skill_ratio"] if r["as_of_date"] == "2024-12-31"}
    assert units_2024 >= {"650100", "653100", "653200", "654000", "652900", "650000"}
    per_unit = {
        r["region_code"]: r["ratio"]
        for r in truth["high_skill_ratio"]
        if r["as_of_date"] == "2024-12-31" and r["skilled_persons"] >= 100
    }
    assert per_unit["650100"] > per_unit["653200"] + 0.03  # Urumqi well above Hotan


def test_age_bounds_matter(truth: dict, loaded: dict):
    """Some holders of valid certificates are under 16 or over 60 on an as-of date."""
    ages: Counter = Counter()
    for as_of in truth["as_of_dates"]:
        d = dt.date.fromisoformat(as_of)
        holders = {c["id"] for c in loaded["state"].values() if c["status"] == "有效" and c["issue"] <= d}
        for pid in holders:
            b = dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))
            age = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
            birthday = (b.month, b.day) == (d.month, d.day)
            ages["under 16" if age < 16 else "over 60" if age > 60 else "in range"] += 1
            ages[f"{age} on the birthday"] += birthday
    assert ages["under 16"] >= 5
    assert ages["over 60"] >= 50
    assert ages["in range"] > 20 * (ages["under 16"] + ages["over 60"])
    # birthdays on an as-of date: the inclusive bounds matter
    assert ages["16 on the birthday"] + ages["60 on the birthday"] + ages["61 on the birthday"] >= 1


def _cells(landing: Path) -> dict[str, list[str]]:
    """Raw cell texts by alias, over all data files."""
    out: dict[str, list[str]] = {}
    for p in (landing / "certifications").rglob("*"):
        if p.suffix in (".csv", ".xlsx"):
            heads, rows = read_table(p)
            for i, h in enumerate(heads):
                a = header_alias(h)
                if a:
                    out.setdefault(a, []).extend(r[i] if i < len(r) else "" for _, r in rows)
    return out


def test_every_kind_of_mess_occurs(landing: Path, truth: dict):
    data = [p for p in (landing / "certifications").rglob("*") if p.suffix in (".csv", ".xlsx")]
    raw = {p: p.read_bytes() for p in data}
    csvs = [p for p in data if p.suffix == ".csv"]

    def utf8(b: bytes) -> bool:
        try:
            b.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False

    assert any(raw[p].startswith(b"\xef\xbb\xbf") for p in csvs)
    assert any(not utf8(raw[p]) for p in csvs)  # GB18030
    assert any(utf8(raw[p]) and not raw[p].startswith(b"\xef\xbb\xbf") for p in csvs)
    assert any(b"\r\n" in raw[p] for p in csvs)
    assert any(raw[p].endswith(b"\n\n") or raw[p].endswith(b"\r\n\r\n") for p in csvs)  # blank trailing lines
    heads = {p: read_table(p)[0] for p in data}
    assert any(h[-1] == "" for p, h in heads.items() if p.suffix == ".csv")  # trailing empty column
    assert any(raw[p].startswith(b'"') or raw[p].startswith(b'\xef\xbb\xbf"') for p in csvs)  # quoted
    all_heads = [h for hs in heads.values() for h in hs]
    assert any(h != h.strip() and h.strip() for h in all_heads)
    assert any("（" in h for h in all_heads)
    assert any(h.strip().endswith("*") for h in all_heads)
    used = {norm(h).rstrip("*").strip() for h in all_heads}
    assert used >= set(HEADER_ALIAS)  # every Chinese variant and every English alias

    xlsx = [p for p in data if p.suffix == ".xlsx"]
    sheets = {p: zipfile.ZipFile(p).read("xl/worksheets/sheet1.xml").decode() for p in xlsx}
    header_rows = {read_table(p)[1][0][0] - 1 for p in xlsx}
    assert {1, 2, 3, 4} <= header_rows  # 0 to 3 rows before the header
    assert any(
        re.search(r'<row r="2"', s) and not re.search(r'<row r="1"', s) for s in sheets.values()
    )  # blank row 1
    assert any("<mergeCell " in s for s in sheets.values())
    assert any(
        "年职业技能等级证书发放名册" in zipfile.ZipFile(p).read("xl/sharedStrings.xml").decode() for p in xlsx
    )
    assert any(
        re.search(r'<c r="[A-Z]+\d+" s="\d+"><v>\d+</v></c>', s) for s in sheets.values()
    )  # date cells

    cells = _cells(landing)
    ids = cells["id_number"]
    assert any(v.endswith("x") for v in ids)
    assert any(re.search("[０-９Ｘ]", v) for v in ids)
    dates = cells["issue_date"]
    for pattern in (
        r"\d{4}-\d{2}-\d{2}",
        r"\d{4}/\d{1,2}/\d{1,2}",
        r"\d{4}\.\d{2}\.\d{2}",
        r"\d{4}年\d{1,2}月\d{1,2}日",
        r"\d{8}",
        r"\d{4}-\d{2}-\d{2} 00:00:00",
    ):
        assert any(re.fullmatch(pattern, v) for v in dates), pattern
    assert any(re.search("[０-９]", v) for v in dates)
    levels = {norm(v) for v in cells["skill_level"]}
    assert levels >= set(SPELLINGS)  # every spelling of the contract's table, incl. 高级 and 高级技师
    regions = [norm(v) for v in cells["region"]]
    assert set(PREFS["code"][:14]) <= set(regions)
    assert any(re.fullmatch(r"65\d{2}(0[1-9]|[1-9]\d)", v) and not v.startswith("6590") for v in regions)
    assert set(PREFS["name"][:14]) <= set(regions)
    assert set(PREFS["short_name"][:14]) <= set(regions)
    assert any(v != v.strip() for vs in cells.values() for v in vs)  # padded values
    assert any(v == "" for v in cells["gender"])
    assert any(v == "" for v in cells["status"])
    assert any("," in v for v in cells["employer"]) and any('"' in v for v in cells["employer"])
    assert any(re.fullmatch(r"[YS]\d{21}", norm(v)) for v in cells["certificate_no"])
    assert any(re.fullmatch(r"XJ\d{14}|\d{16}", norm(v)) for v in cells["certificate_no"])


def test_resent_corrections_revocations_and_oddities(landing: Path, truth: dict):
    files = [f for f in truth["files"] if f["source"] == "certifications"]
    dups = [f for f in files if f["status"] == "duplicate"]
    for f in dups:
        assert (landing / f["source_file"]).read_bytes() == (landing / f["duplicate_of"]).read_bytes()
    assert any(
        f["source_file"].split("/")[1] != f["duplicate_of"].split("/")[1] for f in dups
    )  # later folder
    assert any(f["source_file"].split("/")[1] == f["duplicate_of"].split("/")[1] for f in dups)  # same folder
    assert [f["source_file"].rsplit(".", 1)[1] for f in files if f["status"] == "skipped"] == ["txt"]
    assert [f["missing_column"] for f in files if f["status"] == "rejected"] == ["assessor_name"]

    # Certificate numbers that land more than once (outside duplicates): corrections and status changes.
    seen: dict[str, list[dict]] = {}
    dup_paths = {f["source_file"] for f in dups}
    for f in files:
        if f["status"] != "loaded":
            continue
        heads, rows = read_table(landing / f["source_file"])
        aliases = [header_alias(h) for h in heads]
        for _, r in rows:
            rec = {a: norm(r[i]) if i < len(r) else "" for i, a in enumerate(aliases) if a}
            seen.setdefault(rec["certificate_no"], []).append(rec)
    repeated = {k: v for k, v in seen.items() if len(v) > 1 and k}
    level_fix = [
        v
        for v in repeated.values()
        if SPELLINGS.get(v[0]["skill_level"]) != SPELLINGS.get(v[-1]["skill_level"])
    ]
    region_fix = [v for v in repeated.values() if region_unit(v[0]["region"]) != region_unit(v[-1]["region"])]
    statuses = Counter(v[-1].get("status", "") for v in repeated.values())
    assert len(level_fix) >= 3 and len(region_fix) >= 3
    assert statuses["撤销"] >= 2 and statuses["注销"] >= 2
    assert not dup_paths & {f["source_file"] for f in files if f["status"] == "loaded"}

    # A copy lands after a later file changed one of its certificates: re-applying it would undo the change.
    def numbers(path: str) -> set[str]:
        heads, rows = read_table(landing / path)
        pos = next(i for i, h in enumerate(heads) if header_alias(h) == "certificate_no")
        return {norm(r[pos]) for _, r in rows}

    later_copies = [f for f in dups if f["export_date"] > f["duplicate_of"].split("/")[1]]
    changed_between = [
        f
        for f in later_copies
        if numbers(f["duplicate_of"])
        & set().union(
            *(
                numbers(g["source_file"])
                for g in files
                if g["status"] == "loaded"
                and f["duplicate_of"].split("/")[1] < g["export_date"] < f["export_date"]
            )
        )
    ]
    assert changed_between

    # Bad rows: every defect kind, each a certificate number found nowhere else.
    cert_q = [q for q in truth["quarantined_rows"] if q["source_file"].startswith("certifications/")]
    reasons = Counter(q["reason"] for q in cert_q)
    assert set(reasons) == {"check_digit", "blank", "level", "date", "region", "missing_required_column"}
    blank_columns = {q["column"] for q in cert_q if q["reason"] == "blank"}
    assert blank_columns >= {"name", "issue_date", "assessor_name", "id_number"}


def test_bad_rows_are_brand_new_certificates(landing: Path, truth: dict):
    quarantined = {(q["source_file"], q["row_number"]) for q in truth["quarantined_rows"]}
    numbers: Counter = Counter()
    bad_numbers = set()
    for f in (f for f in truth["files"] if f["source"] == "certifications"):
        if f["status"] not in ("loaded", "rejected"):
            continue
        heads, rows = read_table(landing / f["source_file"])
        pos = next(i for i, h in enumerate(heads) if header_alias(h) == "certificate_no")
        for n, r in rows:
            no = norm(r[pos])
            numbers[no] += 1
            if (f["source_file"], n) in quarantined and no:
                bad_numbers.add(no)
    assert len(bad_numbers) > 50
    assert all(numbers[no] == 1 for no in bad_numbers)


def test_generator_columns_and_vocabularies_follow_the_contract(landing: Path):
    assert {c.alias: (c.headers, c.required) for c in COLUMNS} == CONTRACT_COLUMNS
    cells = _cells(landing)
    assert {norm(v) for v in cells["assessor_type"]} == ASSESSOR_TYPES
    assert {norm(v) for v in cells["employer_type"]} - {""} == EMPLOYER_TYPES
    assert {norm(v) for v in cells["gender"]} == {"男", "女", ""}
    assert {norm(v) for v in cells["status"]} == {"有效", "撤销", "注销", ""}
    codes = {norm(v) for v in cells["occupation_code"]} - {""}
    assert sum(bool(re.fullmatch(r"\d-\d{2}-\d{2}-\d{2}", c)) for c in codes) >= 30
    assert any(re.fullmatch(r"\d{7}", c) for c in codes)  # present but malformed: a warning, not a rejection


def test_reference_tables_agree_with_the_seeds():
    spellings = {(s, ref.LEVELS[rank]) for style in ref.LEVEL_STYLES.values() for rank, s in enumerate(style)}
    assert spellings == set(SPELLINGS.items())
    assert list(ref.LEVELS) == [k for k, _ in sorted(RANKS.items(), key=lambda kv: kv[1])]
    u = ref.units()
    assert list(u.code) == list(PREFS["code"]) and list(u.short) == list(PREFS["short_name"])
    for code, counties in zip(u.code, u.counties):
        assert (
            all(c[:4] + "00" == code for c in counties)
            if not code.startswith("6590")
            else counties == (code,)
        )
    for v in ref.UNRECOGNISED_LEVELS:
        assert v not in SPELLINGS
    for v in ref.UNRECOGNISED_REGIONS:
        assert region_unit(v) is None
    for v in ref.INVALID_DATES:
        assert parse_date(v) is None


# ------------------------------------------------------------------------------------------------
# The other five sources: an independent reader from the contract's tables
# ------------------------------------------------------------------------------------------------

ID_HEADERS = ("公民身份号码", "身份证号")
PROGRAMS = {"企业新型学徒制", "现代学徒制", "项目制培训", "技能回炉", "乡村工匠", "新疆工匠", "其他"}
# source -> alias -> (Chinese headers, required, kind); kind: text, id, level, date, region, year,
# integer, money, or a set of accepted values
NEW_CONTRACT = {
    "trainings": {
        "training_id": (("培训编号",), True, "text"),
        "name": (("姓名",), True, "text"),
        "id_number": (ID_HEADERS, True, "id"),
        "program": (("培训类型",), True, PROGRAMS),
        "level": (("培训等级",), True, "level"),
        "occupation_name": (("职业(工种)名称",), False, "text"),
        "provider_code": (("培训机构编码",), False, "text"),
        "provider_name": (("培训机构名称",), True, "text"),
        "start_date": (("开班日期",), True, "date"),
        "end_date": (("结业日期",), False, "date"),
        "status": (("培训状态",), True, {"在训", "结业", "退出"}),
        "subsidy_yuan": (("补贴金额(元)", "补贴金额"), False, "money"),
        "region": (("所在地区",), True, "region"),
    },
    "competitions": {
        "competition_name": (("竞赛名称",), True, "text"),
        "tier": (("竞赛级别",), True, {"世界技能大赛", "国家级一类", "国家级二类", "自治区级一类", "自治区级二类", "地州级"}),
        "year": (("竞赛年度",), True, "year"),
        "event": (("竞赛项目",), True, "text"),
        "name": (("姓名",), True, "text"),
        "id_number": (ID_HEADERS, True, "id"),
        "award": (("获奖等次",), True, {"金牌", "银牌", "铜牌", "优胜奖", "一等奖", "二等奖", "三等奖", "参赛"}),
        "region": (("所在地区",), True, "region"),
    },
    "honours": {
        "honour": (("荣誉类型",), True, {"中华技能大奖", "全国技术能手", "国务院政府特殊津贴", "国家级技能大师工作室领办人",
                                    "自治区级技能大师工作室领办人", "天山技术能手"}),
        "year": (("授予年度",), True, "year"),
        "name": (("姓名",), True, "text"),
        "id_number": (ID_HEADERS, True, "id"),
        "region": (("所在地区",), True, "region"),
    },
    "carriers": {
        "carrier_code": (("机构编码",), True, "text"),
        "carrier_name": (("机构名称",), True, "text"),
        "carrier_type": (("载体类型",), True, {"高技能人才培训基地", "工匠学院", "公共实训基地", "技能大师工作室",
                                           "劳模和工匠人才创新工作室", "职工创新工作室", "青创先锋工作室", "技工院校",
                                           "企业培训中心", "民办职业培训机构"}),
        "carrier_tier": (("级别",), True, {"国家级", "自治区级", "地州级", "县级"}),
        "region": (("所在地区",), True, "region"),
        "established_year": (("设立年份",), True, "year"),
        "planned_capacity": (("年培训规模(人次)",), False, "integer"),
    },
    "graduates": {
        "institution": (("院校名称",), True, "text"),
        "institution_type": (("院校类型",), True, {"职业本科", "应用型本科", "高职院校", "技工院校", "中职学校"}),
        "year": (("毕业年度",), True, "year"),
        "graduates": (("毕业生人数",), True, "integer"),
        "graduates_certified": (("取得职业技能等级证书人数",), True, "integer"),
        "region": (("所在地区",), True, "region"),
    },
}
NATURAL_KEY = {
    "trainings": ("training_id",),
    "competitions": ("competition_name", "year", "event", "id_number"),
    "honours": ("honour", "year", "id_number"),
    "carriers": ("carrier_code",),
    "graduates": ("institution", "year"),
}


def _aliases(source: str) -> dict[str, str]:
    return {h: a for a, (heads, _, _) in NEW_CONTRACT[source].items() for h in (*heads, a)}


def _value(kind, v: str):
    """The typed value of a non-blank cell, or None when the contract does not accept it."""
    if isinstance(kind, set):
        return v if v in kind else None
    if kind == "id":
        return v.upper() if id_ok(v) else None
    if kind == "level":
        return RANKS[SPELLINGS[v]] if v in SPELLINGS else None
    if kind == "date":
        return parse_date(v)
    if kind == "region":
        return region_unit(v)
    if kind == "year":
        return int(v) if re.fullmatch(r"\d{4}", v) and 1949 <= int(v) <= 2100 else None
    if kind == "integer":
        return int(v) if re.fullmatch(r"\d+", v) else None
    if kind == "money":
        return float(v.replace(",", "")) if re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?", v) else None
    return v


def load_source(landing: Path, source: str) -> dict:
    """Ledger, quarantine and latest state by natural key of one source, read the contract's way."""
    contract, aliases = NEW_CONTRACT[source], _aliases(source)
    files = sorted(
        (p for p in (landing / source).rglob("*") if p.is_file()),
        key=lambda p: (p.parent.name, p.name, p.relative_to(landing).as_posix()),
    )
    seen, ledger, quarantine, state = set(), {}, set(), {}
    for p in files:
        rel = p.relative_to(landing).as_posix()
        if p.suffix not in (".csv", ".xlsx"):
            ledger[rel] = ("skipped", 0, 0, 0)
            continue
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        heads, rows = read_table(p, aliases)
        if digest in seen:
            ledger[rel] = ("duplicate", len(rows), 0, 0)
            continue
        seen.add(digest)
        cols = [aliases.get(norm(h).rstrip("*").strip()) for h in heads]
        missing = [a for a, (_, req, _) in contract.items() if req and a not in cols]
        if missing:
            ledger[rel] = ("rejected", len(rows), 0, len(rows))
            quarantine |= {(rel, n, missing[0]) for n, _ in rows}
            continue
        bad = 0
        for n, cells in rows:
            raw = {a: norm(cells[i]) if i < len(cells) else "" for i, a in enumerate(cols) if a}
            rec, problem = {}, None
            for a, (_, req, kind) in contract.items():
                v = raw.get(a, "")
                if not v:
                    if req:
                        problem = problem or a
                    rec[a] = None
                    continue
                rec[a] = _value(kind, v)
                if rec[a] is None:
                    problem = problem or a
            if not problem and source == "graduates" and rec["graduates_certified"] > rec["graduates"]:
                problem = "graduates_certified"
            if problem:
                quarantine.add((rel, n, problem))
                bad += 1
                continue
            state[tuple(rec[k] for k in NATURAL_KEY[source])] = rec
        ledger[rel] = ("loaded", len(rows), len(rows) - bad, bad)
    return {"ledger": ledger, "quarantine": quarantine, "state": state}


@pytest.fixture(scope="module")
def loaded_sources(landing: Path) -> dict:
    return {source: load_source(landing, source) for source in NEW_CONTRACT}


NEW_MODULES = ("trainings", "carriers", "graduates", "competitions", "honours")


@pytest.mark.parametrize("source", NEW_MODULES)
def test_new_source_columns_follow_the_contract(source: str):
    import importlib

    module = importlib.import_module(f"synth.{source}")
    assert {c.alias: (c.headers, c.required) for c in module.COLUMNS} == {
        a: (heads, req) for a, (heads, req, _) in NEW_CONTRACT[source].items()
    }


@pytest.mark.parametrize("source", NEW_MODULES)
def test_new_source_ledger_and_quarantine_truth_match_the_files(source: str, truth: dict, loaded_sources: dict):
    got = loaded_sources[source]
    files = {f["source_file"]: f for f in truth["files"] if f["source"] == source}
    assert set(files) == set(got["ledger"])
    for path, (status, landed, ok, bad) in got["ledger"].items():
        f = files[path]
        assert (f["status"], f["rows_landed"], f["rows_loaded"], f["rows_quarantined"]) == (status, landed, ok, bad), path
    truth_q = {(q["source_file"], q["row_number"], q["column"]) for q in truth["quarantined_rows"]
               if q["source_file"].split("/")[0] == source}
    assert truth_q == got["quarantine"]
    totals = truth["sources"][source]
    assert totals["rows_loaded"] == sum(v[2] for v in got["ledger"].values() if v[0] != "duplicate")
    reasons = {q["reason"] for q in truth["quarantined_rows"] if q["source_file"].split("/")[0] == source}
    assert {"blank", "missing_required_column"} <= reasons and len(reasons) >= 6
    if "id_number" in NEW_CONTRACT[source]:
        assert "check_digit" in reasons
    if source == "graduates":
        assert "exceeds" in reasons  # graduates_certified > graduates


def test_trainings_truth_matches_the_files(truth: dict, loaded_sources: dict):
    """Training person-times by year and programme, recounted from the files with the contract's rules."""
    as_of = dt.date.fromisoformat(truth["indicators_as_of"])
    counted: Counter = Counter()
    withdrawn: Counter = Counter()
    for rec in loaded_sources["trainings"]["state"].values():
        if rec["start_date"] > as_of:
            continue
        key = (rec["start_date"].year, rec["program"], rec["level"])
        (withdrawn if rec["status"] == "退出" else counted)[key] += 1
    for row in truth["training_level_mix"]:
        y, p = row["year"], row["program"]
        assert row["person_times_by_rank"] == [counted[(y, p, r)] for r in range(8)], (y, p)
        assert row["withdrawn_person_times"] == sum(withdrawn[(y, p, r)] for r in range(8)), (y, p)
    starts = [r["start_date"] for r in loaded_sources["trainings"]["state"].values()]
    assert max(starts) > as_of  # enrolments starting after the as-of date landed and are not counted
    assert sum(withdrawn.values()) > 0


def test_graduates_and_competitions_truth_match_the_files(truth: dict, loaded_sources: dict):
    grads = {
        (inst, year): (rec["graduates"], rec["graduates_certified"])
        for (inst, year), rec in loaded_sources["graduates"]["state"].items()
    }
    expected = {
        (r["unit_code"], r["year"]): (r["graduates"], r["graduates_certified"])
        for r in truth["graduate_certificates"] if r["unit_type"] == "institution"
    }
    assert grads == expected
    entrants: dict = {}
    for rec in loaded_sources["competitions"]["state"].values():
        entrants.setdefault((rec["year"], rec["tier"], "650000"), set()).add(rec["id_number"])
        entrants.setdefault((rec["year"], rec["tier"], rec["region"]), set()).add(rec["id_number"])
    assert {(r["year"], r["tier"], r["region_code"]): r["entrants"] for r in truth["competition_results"]} == {
        k: len(v) for k, v in entrants.items()
    }


def _new_cells(landing: Path) -> tuple[dict, list[Path]]:
    cells: dict[tuple[str, str], list[str]] = {}
    data = []
    for source in NEW_MODULES:
        aliases = _aliases(source)
        for p in (landing / source).rglob("*"):
            if p.suffix not in (".csv", ".xlsx"):
                continue
            data.append(p)
            heads, rows = read_table(p, aliases)
            for i, h in enumerate(heads):
                a = aliases.get(norm(h).rstrip("*").strip())
                if a:
                    cells.setdefault((source, a), []).extend(r[i] if i < len(r) else "" for _, r in rows)
    return cells, data


def test_every_kind_of_mess_occurs_in_the_new_sources(landing: Path, truth: dict):
    cells, data = _new_cells(landing)
    raw = {p: p.read_bytes() for p in data}
    csvs = [p for p in data if p.suffix == ".csv"]

    def utf8(b: bytes) -> bool:
        try:
            b.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False

    for source in NEW_MODULES:
        mine = [p for p in csvs if p.parts[-3] == source]
        assert any(raw[p].startswith(b"\xef\xbb\xbf") for p in mine), source
        assert any(not utf8(raw[p]) for p in mine), source  # GB18030
        assert any(p.suffix == ".xlsx" for p in data if p.parts[-3] == source), source
        assert truth["mess"][source]["files_duplicate"] >= 2
    assert any(b"\r\n" in raw[p] for p in csvs)
    assert any(raw[p].endswith(b"\n\n") or raw[p].endswith(b"\r\n\r\n") for p in csvs)
    heads = {p: read_table(p, _aliases(p.parts[-3]))[0] for p in data}
    assert any(h[-1] == "" for p, h in heads.items() if p.suffix == ".csv")
    assert any(raw[p].startswith(b'"') or raw[p].startswith(b'\xef\xbb\xbf"') for p in csvs)
    all_heads = [h for hs in heads.values() for h in hs]
    assert any(h != h.strip() and h.strip() for h in all_heads)
    assert any("（" in h for h in all_heads)
    assert any(h.strip().endswith("*") for h in all_heads)
    used = {norm(h).rstrip("*").strip() for h in all_heads}
    for source in NEW_MODULES:
        assert used >= set(_aliases(source)), source  # every Chinese header and every English alias
    xlsx = [p for p in data if p.suffix == ".xlsx"]
    header_rows = {read_table(p, _aliases(p.parts[-3]))[1][0][0] - 1 for p in xlsx if read_table(p, _aliases(p.parts[-3]))[1]}
    assert {1, 2, 3, 4} <= header_rows
    sheets = {p: zipfile.ZipFile(p).read("xl/worksheets/sheet1.xml").decode() for p in xlsx}
    assert any("<mergeCell " in s for s in sheets.values())
    assert any(re.search(r'<c r="[A-Z]+\d+" s="\d+"><v>\d+</v></c>', s) for s in sheets.values())

    starts = cells[("trainings", "start_date")]
    for pattern in (r"\d{4}-\d{2}-\d{2}", r"\d{4}/\d{1,2}/\d{1,2}", r"\d{4}\.\d{2}\.\d{2}", r"\d{4}年\d{1,2}月\d{1,2}日",
                    r"\d{8}", r"\d{4}-\d{2}-\d{2} 00:00:00"):
        assert any(re.fullmatch(pattern, v) for v in starts), pattern
    assert {norm(v) for v in cells[("trainings", "level")]} >= set(SPELLINGS)
    regions = [norm(v) for (s, a), vs in cells.items() if a == "region" for v in vs]
    assert set(PREFS["code"][:14]) | set(PREFS["name"][:14]) | set(PREFS["short_name"][:14]) <= set(regions)
    assert any(re.fullmatch(r"65\d{2}(0[1-9]|[1-9]\d)", v) and not v.startswith("6590") for v in regions)
    ids = [v for (s, a), vs in cells.items() if a == "id_number" for v in vs]
    assert any(v.endswith("x") for v in ids) and any(re.search("[０-９Ｘ]", v) for v in ids)
    years = [v for (s, a), vs in cells.items() if a in ("year", "established_year") for v in vs]
    assert any(re.search("[０-９]", v) for v in years)
    subsidy = [norm(v) for v in cells[("trainings", "subsidy_yuan")]]
    assert any(re.fullmatch(r"\d,\d{3}\.\d\d", v) for v in subsidy)  # 1,200.00
    assert any(re.fullmatch(r"\d{4}\.\d\d", v) for v in subsidy) and any(re.fullmatch(r"\d{3,4}", v) for v in subsidy)
    assert "" in subsidy
    assert any(v != v.strip() for vs in cells.values() for v in vs)  # padded values
    codes = [norm(v) for v in cells[("trainings", "provider_code")]]
    assert "" in codes and any(c.startswith("ZT") for c in codes)
    assert {norm(v) for v in cells[("trainings", "status")]} >= {"在训", "结业", "退出"}  # and bad rows' values


@pytest.mark.parametrize("source", NEW_MODULES)
def test_new_sources_land_corrections_and_copies(source: str, landing: Path, truth: dict, loaded_sources: dict):
    """Some natural keys land more than once (corrections, status updates); copies are byte-identical."""
    files = [f for f in truth["files"] if f["source"] == source]
    for f in files:
        if f["status"] == "duplicate":
            assert (landing / f["source_file"]).read_bytes() == (landing / f["duplicate_of"]).read_bytes()
    keys: Counter = Counter()
    aliases = _aliases(source)
    for f in files:
        if f["status"] != "loaded":
            continue
        heads, rows = read_table(landing / f["source_file"], aliases)
        cols = [aliases.get(norm(h).rstrip("*").strip()) for h in heads]
        bad = {q["row_number"] for q in truth["quarantined_rows"] if q["source_file"] == f["source_file"]}
        for n, r in rows:
            if n in bad:
                continue
            rec = {a: norm(r[i]).upper() if i < len(r) else "" for i, a in enumerate(cols) if a}
            keys[tuple(rec[k] for k in NATURAL_KEY[source])] += 1
    assert sum(1 for v in keys.values() if v > 1) >= 2


def test_certifications_are_unchanged_by_the_other_sources(landing: Path, truth: dict):
    """The certification files and truth of seed 11, 4000 persons, as before the other sources existed
    (digests taken from the certifications-only generator)."""
    digest = hashlib.sha256()
    for p in sorted((landing / "certifications").rglob("*")):
        if p.is_file():
            digest.update(p.relative_to(landing).as_posix().encode() + b"\0" + p.read_bytes())
    part = {
        "files": [f for f in truth["files"] if f["source"] == "certifications"],
        "sources": truth["sources"]["certifications"],
        "quarantined_rows": [q for q in truth["quarantined_rows"] if q["source_file"].startswith("certifications/")],
        "high_skill_ratio": truth["high_skill_ratio"],
    }
    text = json.dumps(part, ensure_ascii=False, sort_keys=True).encode()
    assert (digest.hexdigest(), hashlib.sha256(text).hexdigest()) == CERTIFICATIONS_DIGESTS


def test_policy_tables_agree_with_the_seeds():
    rules = pl.read_csv(SEEDS / "ref_entitlement_rules.csv", infer_schema=False)
    seed = {tuple(v or "" for v in r) for r in rules.select(
        "rule_id", "indicator_id", "record_type", "tier", "award", "honour", "promoted_skill_level", "title_grade",
        "precedence").iter_rows()}
    mine = {
        (r.rule_id, r.indicator_id, r.record_type, r.tier or "", r.award or "", r.honour or "",
         ref.LEVELS[r.promoted_rank] if r.promoted_rank is not None else "", r.title_grade or "", str(r.precedence))
        for r in ref.ENTITLEMENT_RULES
    }
    assert mine == seed
    programs = pl.read_csv(SEEDS / "ref_training_programs.csv", infer_schema=False)
    assert set(programs["program"]) == set(ref.PROGRAMS) == PROGRAMS
    assert dict(zip(programs["program"], programs["is_apprenticeship"])) == {
        p: str(p in ref.PROGRAMS[:2]).lower() for p in ref.PROGRAMS
    }
    types = pl.read_csv(SEEDS / "ref_carrier_types.csv", infer_schema=False)
    assert list(types["carrier_type"]) == list(ref.CARRIER_TYPES)
    assert {t for t, b in zip(types["carrier_type"], types["is_new_batch_type"]) if b == "true"} == set(ref.NEW_BATCH_TYPES)
    assert {t: (i, tier) for t, i, tier in types.select("carrier_type", "compliance_indicator_id", "compliance_tier")
            .iter_rows() if i} == ref.CARRIER_INDICATORS
    inst = pl.read_csv(SEEDS / "ref_institution_types.csv", infer_schema=False)
    assert {t for t, c in zip(inst["institution_type"], inst["counts_for_grad_cert_rate"]) if c == "true"} == set(ref.GRAD_RATE_TYPES)
    targets = dict(pl.read_csv(SEEDS / "ref_policy_targets.csv", infer_schema=False).select("indicator_id", "target_value").iter_rows())
    assert float(targets["APPR-ENTERPRISE"]) == float(targets["APPR-MODERN"]) == ref.APPRENTICESHIP_TARGET
    assert float(targets["APPR-ADVANCED"]) == float(targets["PROJECT-ADVANCED"]) == float(targets["BASE-ADVANCED"]) == ref.ADVANCED_SHARE_TARGET
    assert float(targets["COLLEGE-ADVANCED"]) == ref.COLLEGE_ADVANCED_TARGET
    assert float(targets["PUBLIC-BASE-ADVANCED"]) == ref.PUBLIC_BASE_SHARE_TARGET
    assert float(targets["GRAD-CERT-RATE"]) == ref.GRAD_CERT_RATE_TARGET


def test_indicator_truth_is_interesting(truth: dict):
    """Targets are met in some years or by some units and missed in others."""
    project = Counter(r["project_advanced_status"] for r in truth["training_level_mix"] if r["project_advanced_status"])
    assert project["met"] and project["missed"]
    appr = Counter(r["appr_advanced_status"] for r in truth["apprenticeship_annual"] if r["region_code"] == "650000")
    assert appr["met"] and appr["missed"]
    grads = Counter(r["status"] for r in truth["graduate_certificates"] if r["unit_type"] == "region")
    assert grads["met"] and grads["missed"]
    carriers = Counter((r["indicator_id"], r["status"]) for r in truth["carrier_compliance"])
    assert carriers[("BASE-ADVANCED", "met")] and carriers[("BASE-ADVANCED", "missed")]
    assert carriers[("PUBLIC-BASE-ADVANCED", "met")] and carriers[("PUBLIC-BASE-ADVANCED", "missed")]
    new = Counter(r["status"] for r in truth["new_carriers"] if r["status"])
    assert new["met"] and new["missed"]
    done = [e["is_done"] for e in truth["entitlements"] if e["indicator_id"] == "COMPETITION-PROMOTION"]
    assert any(done) and not all(done)
    assert any(e["qualifying_records"] > 1 for e in truth["entitlements"])
    assert any(r["unregistered_provider_person_times"] for r in truth["training_level_mix"])
