"""Property-based: whatever lands, no exception escapes ingest and every count reconciles.

Hypothesis writes landing folders of arbitrary bytes and of valid exports of every source, mutated
the ways real files are (fields dropped, duplicated, added, quoted, stray quotes, line breaks in
fields, title and blank rows, trailing commas, every line ending, every encoding, truncated, a byte
flipped). Each folder is ingested twice, once with the native fast path for every CSV and once with
the exact reader only, into fresh build databases. The properties:

- ``ingest`` returns; every landed file has exactly one ledger row;
- for every loaded or rejected file: rows_landed = rows_loaded + rows_quarantined, the raw table
  holds rows_loaded rows of it, the quarantine its rows_quarantined distinct rows;
- no quarantine value or ledger message holds an ID number;
- both reading paths give the same ledger, raw rows and quarantine.

Examples are bounded and derandomised (a fixed seed) so that `make test` is repeatable; set
HYPOTHESIS_PROFILE=explore to search longer.
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import contract as c
from ingest import load
from ingest.load import connect_build, ingest
from ingest.pii import PiiKey
from ingest.redact import id_shaped
from tests.conftest import make_id

settings.register_profile(
    "ci", max_examples=int(os.environ.get("TALENT_FUZZ_EXAMPLES", "40")), deadline=None, derandomize=True,
    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("explore", max_examples=2000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

KEY = PiiKey(b"fuzz-key", "test")
IDS = [make_id("650102", "19900101", f"{i:03d}") for i in range(5)] + [make_id("654002", "20010229", "001")]
TEXTS = ["焊工", "电工, 二级", 'say "hi"', "  Spaced  ", "Ｆｕｌｌ", "", "x" * 50, "多行\n文本", "\u2028", "a\x00b"]
VALUES = {
    c.TEXT: TEXTS,
    c.OCCUPATION_CODE: ["6-18-02-04", "x-1", ""],
    c.PERSON_NAME: ["阿依古丽", "王强", "", " 张 三 "],
    c.ID_NUMBER: [*IDS, IDS[0].lower(), "６" + IDS[1][1:], IDS[2][:-1] + "0", "12345", ""],
    c.DATE: ["2024-03-05", "2024/3/5", "2024年3月5日", "20240305", "45356", "2024-02-30", "", "明天"],
    c.LEVEL: ["高级", "高级技师", "四级", "5", "3.0", "六级", ""],
    c.REGION: ["650102", "伊犁州", "乌鲁木齐", "659001", "650000", "北京市", ""],
    c.GENDER: ["男", "女", "M", "?", ""],
    c.YEAR: ["2023", "２０２３", "2023年", "1800", "x", ""],
    c.INTEGER: ["12", "1,200", "1e3", "-4", "", "人"],
    c.MONEY: ["1,200.00", "￥800", "nan", "inf", "1e20", "-1", ""],
}


def _value(draw, col: c.Column) -> str:
    if col.kind == c.ENUM:
        return draw(st.sampled_from([*col.values, "其他的", ""]))
    return draw(st.sampled_from(VALUES[col.kind]))


def _field(text: str, quote: bool) -> str:
    if quote or any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def export(draw) -> tuple[str, str, bytes]:
    """(source, file name, bytes) of a CSV or XLSX export, valid or mutated, or arbitrary bytes."""
    source = draw(st.sampled_from(sorted(c.SOURCES)))
    kind = draw(st.sampled_from(["csv", "csv", "csv", "bytes", "xlsx"]))
    if kind == "bytes":
        return source, draw(st.sampled_from(["x.csv", "x.xlsx"])), draw(st.binary(max_size=400))
    cols = [col for col in c.SOURCES[source].columns if col.required or draw(st.booleans())]
    cols = draw(st.permutations(cols))
    header = [draw(st.sampled_from(col.headers)) for col in cols]
    rows = [[_value(draw, col) for col in cols] for _ in range(draw(st.integers(0, 6)))]
    for _ in range(draw(st.integers(0, 3))):  # mutations of single rows
        if not rows:
            break
        r = rows[draw(st.integers(0, len(rows) - 1))]
        op = draw(st.sampled_from(["drop", "dup", "add", "stray_quote", "blank"]))
        i = draw(st.integers(0, max(len(r) - 1, 0)))
        if op == "drop" and r:
            del r[i]
        elif op == "dup" and r:
            r.insert(i, r[i])
        elif op == "add":
            r.append("多余")
        elif op == "stray_quote" and r:
            r[i] = '"' + r[i]
        elif op == "blank":
            r[:] = [""] * len(r)
    if kind == "xlsx":
        return source, "x.xlsx", _xlsx(header, rows, draw(st.integers(0, 3)))
    quote_all = draw(st.booleans())
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    trailing_header, trailing_rows = draw(st.booleans()), draw(st.booleans())
    lines = [",".join(_field(h, quote_all) for h in header) + ("," if trailing_header else "")]
    for r in rows:
        fields = [f if f.startswith('"') and not f.endswith('"') else _field(f, quote_all) for f in r]
        lines.append(",".join(fields) + ("," if trailing_rows else ""))
    for _ in range(draw(st.integers(0, 2))):  # title and blank rows
        lines.insert(draw(st.integers(0, 1)), draw(st.sampled_from(["", "2024年名册", "名册\u2028标题,,,"])))
    text = end.join(lines) + draw(st.sampled_from([end, ""]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16-le", "utf-16-be", "utf-16"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    if draw(st.booleans()) and data:  # truncated, or a byte flipped
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] if draw(st.booleans()) else data[:cut] + bytes([draw(st.integers(0, 255))]) + data[cut + 1 :]
    return source, "x.csv", data


def _xlsx(header, rows, titles) -> bytes:
    import io

    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    for j, h in enumerate(header):
        ws.write_string(titles, j, h)
    for i, r in enumerate(rows, start=titles + 1):
        for j, v in enumerate(r):
            ws.write_string(i, j, v)
    wb.close()
    return out.getvalue()


def _ingest(landing: Path, work: Path, fast_bytes: int) -> dict:
    con = connect_build(work / "build/build.duckdb", work / "restricted/restricted.duckdb", KEY)
    previous = load.FAST_BYTES
    load.FAST_BYTES = fast_bytes
    try:
        report = ingest(landing, con, KEY, "fuzz", work_dir=work / "build")
        state = {
            "ledger": con.execute(
                "select source_file, load_id, status, rows_landed, rows_loaded, rows_quarantined, message "
                "from raw.load_ledger order by all"
            ).fetchall(),
            "quarantine": con.execute(
                "select source_file, row_number, column_name, reason, value from raw.quarantine order by all"
            ).fetchall(),
            "raw": {
                s: con.execute(f"select * exclude (load_id) from raw.{s} order by all").fetchall() for s in c.SOURCES
            },
            "raw_rows": dict(
                con.execute(
                    " union all ".join(f"select load_id, count(*) from raw.{s} group by all" for s in c.SOURCES)
                ).fetchall()
            ),
            "quarantined_rows": dict(
                con.execute(
                    "select load_id, count(distinct row_number) from raw.quarantine group by all"
                ).fetchall()
            ),
        }
    finally:
        load.FAST_BYTES = previous
        con.close()
    state["report"] = report
    return state


@given(files=st.lists(export(), min_size=1, max_size=3))
def test_no_exception_escapes_ingest_and_every_count_reconciles(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        landing = root / "landing"
        for i, (source, name, data) in enumerate(files):
            path = landing / source / "2024-03-31" / f"{i}{name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        fast = _ingest(landing, root / "fast", 0)
        exact = _ingest(landing, root / "exact", 1 << 40)
        shutil.rmtree(root / "fast")
    ledger = fast["ledger"]
    assert len(ledger) == len(files)  # one ledger row per landed file
    for source_file, load_id, status, landed, loaded, quarantined, message in ledger:
        assert status in ("loaded", "rejected", "duplicate"), (source_file, status, message)
        if status in ("loaded", "rejected"):
            assert landed == loaded + quarantined, source_file
            assert fast["raw_rows"].get(load_id, 0) == loaded, source_file
            assert fast["quarantined_rows"].get(load_id, 0) == quarantined, source_file
        assert not id_shaped(message or ""), message
    for *_, value in fast["quarantine"]:
        assert value is None or not id_shaped(value)
    for part in ("ledger", "quarantine", "raw"):
        assert fast[part] == exact[part], part


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", codecs.BOM_UTF8, b"\x00" * 64, b"PK\x03\x04" + b"\x00" * 40])
def test_degenerate_files(tmp_path, data):
    landing = tmp_path / "landing"
    for name in ("a.csv", "b.xlsx"):
        path = landing / "certifications/2024-03-31" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    state = _ingest(landing, tmp_path / "w", 0)
    assert {row[2] for row in state["ledger"]} <= {"loaded", "rejected", "duplicate"}
    assert len(state["ledger"]) == 2
