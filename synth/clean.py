"""Large, contract-conform certifications exports, written fast: the benchmark's clean CSVs.

`synth.generate` writes every kind of mess of six sources and a ground truth, at some tens of
thousands of rows a second. The benchmark also needs millions of certificate rows in one UTF-8 CSV
that the contract accepts whole, in seconds: this module writes them with one DuckDB query (no
per-row Python). Every value is one the contract allows, spelled the ways it lists:

- ID numbers (公民身份号码) with valid GB 11643 check digits: a county code of the person's unit,
  a birth date between 1958 and 2008 (so some persons fall outside the 16-60 age bounds), a
  sequence number (odd for men) and the MOD 11-2 check character (``X`` for 10);
- skill levels in all the contract's spellings (``高级工``, ``高级``, ``三级``, ``三级/高级工``, ``3``),
  regions as a prefecture code, a county code, a full or a short name; issue dates in the five
  text formats (``2024-03-05``, ``2024/3/5``, ``2024.03.05``, ``2024年3月5日``, ``20240305``);
- statuses 有效 (most), 撤销 and 注销; and 1 % of rows re-send an earlier certificate of the same file
  as 撤销 (a revocation: the later row wins), so "latest version per certificate" matters.

Rows are numbered from 0; row r belongs to person ``r * 100 // 141`` (1.41 rows per person, as in
the generator's landings) and every value is a hash of the row or person number and the seed, so a
range of rows (a day's file: ``start``) is reproducible on its own. Names come from the generator's
name lists; they never leave the restricted store.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from synth import reference as ref

HEADERS = (
    ("certificate_no", "证书编号"),
    ("name", "姓名"),
    ("id_number", "公民身份号码"),
    ("gender", "性别"),
    ("occupation_code", "职业编码"),
    ("occupation_name", "职业(工种)名称"),
    ("skill_level", "技能等级"),
    ("issue_date", "发证日期"),
    ("assessor_name", "评价机构"),
    ("assessor_type", "评价机构类型"),
    ("region", "所在地区"),
    ("employer", "工作单位"),
    ("employer_type", "单位性质"),
    ("status", "证书状态"),
)
# share of rows by level rank 0..7 (cumulative), and of statuses
RANK_CUMULATIVE = (0.02, 0.32, 0.62, 0.84, 0.94, 0.99, 0.996, 1.0)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%-m/%-d", "%Y.%m.%d", "%Y年%-m月%-d日", "%Y%m%d")
FIRST_ISSUE, LAST_ISSUE = date(2012, 1, 1), date(2026, 6, 30)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _ints(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _nested(lists) -> str:
    return "[" + ", ".join(_list(v) for v in lists) + "]"


def rows_sql(
    start: int,
    count: int,
    seed: int,
    issue_date: date | None = None,
    revoke: int = 0,
    revoke_below: int = 0,
    with_row: bool = False,
) -> str:
    """The SELECT of `count` rows from row `start` (contract header names as column names).

    With `issue_date`, every new certificate is issued that day (a day's export). With `revoke`,
    that many more rows revoke certificates of rows below `revoke_below` (landed earlier). With
    `with_row`, the first column `_row` is the row number.
    """
    units = ref.units()
    # units weighted by population (one list entry per 5 units of weight)
    weighted = [i + 1 for i, w in enumerate(units.weight) for _ in range(max(1, round(w / 5)))]
    spellings = [sorted({style[rank] for style in ref.LEVEL_STYLES.values()}) for rank in range(8)]
    occupation_codes, occupation_names = ref.occupations()
    given = ref.HAN_GIVEN_MALE + ref.HAN_GIVEN_FEMALE
    assessors = [a for a, _ in ref.REGION_ASSESSORS]
    assessor_types = [t for _, t in ref.REGION_ASSESSORS]
    days = (LAST_ISSUE - FIRST_ISSUE).days

    def u(stream: str, of: str = "s") -> str:  # a uniform number in [0, 1) from the row (or person)
        return f"(hash({of}, {seed}, '{stream}') % 1000003) / 1000003.0"

    def pick(values_sql: str, stream: str, of: str = "s", length: str | None = None) -> str:
        n = length or f"len({values_sql})"
        return f"{values_sql}[1 + (hash({of}, {seed}, '{stream}') % {n})::int]"

    rank = "case " + " ".join(
        f"when {u('rank')} < {c} then {k}" for k, c in enumerate(RANK_CUMULATIVE[:-1])
    ) + " else 7 end"
    check = " + ".join(f"substr(id17, {i + 1}, 1)::int * {w}" for i, w in enumerate(ID_WEIGHTS))
    issued = f"date '{issue_date.isoformat()}'" if issue_date else f"date '{FIRST_ISSUE}' + (hash(s, {seed}, 'day') % {days})::int"
    date_text = "case " + " ".join(
        f"when hash(s, {seed}, 'fmt') % 5 = {i} then strftime(issued, '{f}')" for i, f in enumerate(DATE_FORMATS)
    ) + " end"
    revocations = (
        f" union all select {start + count} + i as r, hash(i, {seed}, 'revoke') % {revoke_below} as s, true as revoked"
        f" from range({revoke}) t(i)"
        if revoke
        else ""
    )
    return f"""
with rows as (
    select r,
           case when r > {start} and hash(r, {seed}, 'resend') % 100 = 0
                then greatest({start}, r - 1 - (hash(r, {seed}, 'back') % 50)::bigint) else r end as s,
           r > {start} and hash(r, {seed}, 'resend') % 100 = 0 as revoked
    from range({start}, {start + count}) t(r)
    {revocations}
), persons as (
    select *, s * 100 // 141 as p from rows
), drawn as (
    select r, s, p, revoked,
           {pick(_ints(weighted), 'unit', 'p')} as unit,
           {pick(_ints(weighted), 'row_unit')} as row_unit_other,
           date '1958-01-01' + (hash(p, {seed}, 'birth') % 18250)::int as birth,
           (hash(p, {seed}, 'seq') % 1000)::int as seq,
           {rank} as rank,
           {issued} as issued
    from persons
), ided as (
    select *,
           {pick(_nested(units.counties) + '[unit]', 'county', 'p')} as county,
           case when {u('moved')} < 0.15 then row_unit_other else unit end as row_unit
    from drawn
), with_id as (
    select *, county || strftime(birth, '%Y%m%d') || lpad(seq::varchar, 3, '0') as id17 from ided
)
select
    {"r as _row," if with_row else ""}
    'Y' || lpad(s::varchar, 15, '0') || (case when rank between 1 and 5 then 6 - rank else 0 end)::varchar
        || '00000' as "证书编号",
    {pick(_list(ref.HAN_SURNAMES), 'surname', 'p')} || {pick(_list(given), 'given', 'p')} as "姓名",
    id17 || substr('10X98765432', (({check}) % 11) + 1, 1) as "公民身份号码",
    case when seq % 2 = 1 then '男' else '女' end as "性别",
    {pick(_list(occupation_codes), 'occupation')} as "职业编码",
    {_list(occupation_names)}[1 + (hash(s, {seed}, 'occupation') % {len(occupation_codes)})::int] as "职业(工种)名称",
    {pick(_nested(spellings) + '[rank + 1]', 'spelling')} as "技能等级",
    {date_text} as "发证日期",
    {pick(_list(assessors), 'assessor')} as "评价机构",
    {_list(assessor_types)}[1 + (hash(s, {seed}, 'assessor') % {len(assessors)})::int] as "评价机构类型",
    case hash(s, {seed}, 'region_style') % 4
        when 0 then {_list(units.code)}[row_unit]
        when 1 then {pick(_nested(units.counties) + '[row_unit]', 'region_county')}
        when 2 then {_list(units.name)}[row_unit]
        else {_list(units.short)}[row_unit] end as "所在地区",
    {pick(_list(ref.BRAND_WORDS), 'brand')} || {pick(_list(ref.PRIVATE_SUFFIXES), 'suffix')} as "工作单位",
    {pick(_list(ref.EMPLOYER_TYPES), 'employer_type')} as "单位性质",
    case when revoked then '撤销'
         when {u('status')} < 0.025 then '撤销'
         when {u('status')} < 0.04 then '注销'
         else '有效' end as "证书状态"
from with_id
order by r
"""


def write_clean_certifications(
    path: Path,
    rows: int,
    *,
    start: int = 0,
    seed: int = 2026,
    issue_date: date | None = None,
    revoke: int = 0,
    revoke_below: int = 0,
    con=None,
) -> int:
    """Write `rows` certificate rows from row `start` (plus `revoke` revocations of rows below
    `revoke_below`) as one UTF-8 CSV with the contract's Chinese headers. Returns the rows written."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    own = con is None
    con = con or duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        sql = rows_sql(start, rows, seed, issue_date, revoke, revoke_below)
        target = str(path).replace("'", "''")
        con.execute(f"copy ({sql}) to '{target}' (header, delimiter ',', quote '\"')")
    finally:
        if own:
            con.close()
    return rows + revoke


def write_small_files(landing: Path, files: int, rows_per_file: int, *, seed: int = 2026) -> int:
    """A landing of `files` small certifications files, one export date each (consecutive days),
    rows numbered on from file to file. Returns the rows written."""
    from datetime import timedelta

    import duckdb

    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        con.execute(f"create table rows as {rows_sql(0, files * rows_per_file, seed, with_row=True)}")
        cols = ", ".join(f'"{h}"' for _, h in HEADERS)
        first = date(2020, 1, 1)
        for i in range(files):
            target = landing / "certifications" / (first + timedelta(days=i)).isoformat() / f"export_{i:04d}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            lo, hi = i * rows_per_file, (i + 1) * rows_per_file
            con.execute(
                f"copy (select {cols} from rows where _row >= {lo} and _row < {hi} order by _row)"
                f" to '{target}' (header, delimiter ',')"
            )
    finally:
        con.close()
    return files * rows_per_file
