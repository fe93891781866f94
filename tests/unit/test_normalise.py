"""Every normaliser of the contract's vocabularies, on the spellings the contract lists."""

from datetime import date

import polars as pl
import pytest

from ingest import contract as c
from ingest import normalise as n


def _apply(fn, values, *args):
    value, reason = fn(pl.col("v"), *args)
    out = pl.DataFrame({"v": values}, schema={"v": pl.Utf8}).select(value.alias("value"), reason.alias("reason"))
    return out["value"].to_list(), out["reason"].to_list()


VOCAB = n.vocabulary()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024.03.05", date(2024, 3, 5)),
        ("2024年3月5日", date(2024, 3, 5)),
        ("20240305", date(2024, 3, 5)),
        ("２０２４年３月５日", date(2024, 3, 5)),  # full-width digits
        (" 2024-03-05 ", date(2024, 3, 5)),
        ("2024-03-05 00:00:00", date(2024, 3, 5)),  # an Excel date cell read as text
        ("45356", date(2024, 3, 5)),  # an Excel date serial
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_dates_in_every_contract_spelling(text, expected):
    values, reasons = _apply(n.date_value, [text])
    assert values == [expected]
    assert reasons == [None]


@pytest.mark.parametrize("text", ["2024-13-45", "2023-02-29", "2024/3", "三月", "2024-03-05x"])
def test_invalid_dates_are_reasons_not_guesses(text):
    values, reasons = _apply(n.date_value, [text])
    assert values == [None]
    assert reasons == ["date not recognised"]


def test_blank_date_is_null_without_reason():
    values, reasons = _apply(n.date_value, [None, "", "  "])
    assert values == [None, None, None]
    assert reasons == [None, None, None]


@pytest.mark.parametrize(
    "text, level, rank",
    [
        ("高级", "高级工", 3),  # 高级 is 高级工 ...
        ("高级技师", "高级技师", 5),  # ... not 高级技师
        ("高级工", "高级工", 3),
        ("三级", "高级工", 3),
        ("三级/高级工", "高级工", 3),
        ("三级／高级工", "高级工", 3),  # full-width slash
        ("3", "高级工", 3),
        ("３", "高级工", 3),
        ("5", "初级工", 1),
        ("5.0", "初级工", 1),  # a numeric xlsx cell
        ("五级/初级工", "初级工", 1),
        ("初级", "初级工", 1),
        ("四级", "中级工", 2),
        ("中级", "中级工", 2),
        ("二级/技师", "技师", 4),
        ("技师", "技师", 4),
        ("2", "技师", 4),
        ("一级", "高级技师", 5),
        ("1", "高级技师", 5),
        ("学徒工", "学徒工", 0),
        ("特级技师", "特级技师", 6),
        ("首席技师", "首席技师", 7),
        (" 技师 ", "技师", 4),
    ],
)
def test_levels(text, level, rank):
    values, reasons = _apply(n.level_value, [text], VOCAB)
    assert values == [level]
    assert reasons == [None]
    ranks = pl.DataFrame({"l": [level]}).select(n.level_rank(pl.col("l"), VOCAB))["l"].to_list()
    assert ranks == [rank]


@pytest.mark.parametrize("text", ["六级", "高级工程师", "6", "0", "专家"])
def test_unknown_levels_are_rejected(text):
    values, reasons = _apply(n.level_value, [text], VOCAB)
    assert values == [None]
    assert reasons == ["skill level not recognised"]


@pytest.mark.parametrize(
    "text, code",
    [
        ("650100", "650100"),
        ("650102", "650100"),  # a county of Urumqi rolls up
        ("654221", "654200"),  # Tacheng's county -> Tacheng, not Ili
        ("654002", "654000"),
        ("659001", "659001"),  # region-administered city: its own unit
        ("６５０１０２", "650100"),
        ("乌鲁木齐市", "650100"),
        ("乌鲁木齐", "650100"),
        ("伊犁哈萨克自治州", "654000"),
        ("伊犁州", "654000"),
        ("石河子市", "659001"),
        (" 喀什地区 ", "653100"),
        ("650102.0", "650100"),  # numeric xlsx cell
    ],
)
def test_regions(text, code):
    values, reasons = _apply(n.region_value, [text], VOCAB)
    assert values == [code]
    assert reasons == [None]


@pytest.mark.parametrize("text", ["北京市", "110000", "650000", "659099", "655100", "6501"])
def test_unknown_regions_are_rejected(text):
    values, reasons = _apply(n.region_value, [text], VOCAB)
    assert values == [None]
    assert reasons == ["region not recognised"]


def _with_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, n.ID_WEIGHTS, strict=True))
    return first17 + n.ID_CHECK_CHARS[total % 11]


def test_check_digit_reference_values():
    # GB 11643's published example, and one whose check character is X
    assert _with_check_digit("11010519491231002") == "11010519491231002X"
    values, reasons = _apply(n.id_number_value, ["11010519491231002X", "11010519491231002x"])
    assert values == ["11010519491231002X", "11010519491231002X"]  # lower-case x accepted
    assert reasons == [None, None]


def test_full_width_id_is_normalised():
    values, _ = _apply(n.id_number_value, ["１１０１０５１９４９１２３１００２Ｘ"])
    assert values == ["11010519491231002X"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("110105194912310021", "ID number check digit wrong"),
        ("11010519491231002", "ID number malformed (18 characters, last may be X)"),
        ("1101051949123100X2", "ID number malformed (18 characters, last may be X)"),
        (_with_check_digit("65010219991332001"), "ID number birth date invalid"),
    ],
)
def test_bad_ids_are_rejected_not_guessed(text, reason):
    values, reasons = _apply(n.id_number_value, [text])
    assert values == [None]
    assert reasons == [reason]


def test_birth_date_and_gender_from_id():
    man = _with_check_digit("65010219850612003")  # 17th digit 3: odd -> man
    woman = _with_check_digit("65010219850612004")
    df = pl.DataFrame({"id": [man, woman]}).select(
        n.id_birth_date(pl.col("id")).alias("b"), n.id_gender(pl.col("id")).alias("g")
    )
    assert df["b"].to_list() == [date(1985, 6, 12), date(1985, 6, 12)]
    assert df["g"].to_list() == ["男", "女"]


def test_enum_and_numbers():
    assert _apply(n.enum_value, ["撤销", " 注销 ", "作废"], ("有效", "撤销", "注销")) == (
        ["撤销", "注销", None],
        [None, None, "value not in vocabulary"],
    )
    assert _apply(n.money_value, ["1,200.00", "￥80", "abc"])[0] == [1200.0, 80.0, None]
    assert _apply(n.integer_value, ["1,234", "１２", "-3"])[0] == [1234, 12, None]
    assert _apply(n.year_value, ["2024", "2024年", "２０２４", "24"])[0] == [2024, 2024, 2024, None]


def test_headers_ignore_spaces_full_width_parentheses_and_required_marker():
    lookup = n.header_lookup(c.CERTIFICATIONS)
    assert lookup[n.normalise_header(" 职业（工种）名称* ")] == "occupation_name"
    assert lookup[n.normalise_header("Certificate_No")] == "certificate_no"
    assert lookup[n.normalise_header("身份证号码")] == "id_number"
    assert lookup[n.normalise_header("颁证日期 *")] == "issue_date"


def test_lookups_apply_defaults_derivations_and_required():
    man = _with_check_digit("65010219850612003")
    status = n.lookup(c.CERTIFICATIONS.column("status"), pl.Series([None, "撤销", " 有效 "]))
    assert status["value"].to_list() == ["有效", "撤销", "有效"]  # blank status defaults to 有效
    level = n.lookup(c.CERTIFICATIONS.column("skill_level"), pl.Series(["高级", "高级技师", "六级"]))
    assert level["level_rank"].to_list() == [3, 5, None]
    assert level["reason"].to_list() == [None, None, "skill level not recognised"]
    region = n.lookup(c.CERTIFICATIONS.column("region"), pl.Series(["650102", "伊犁州"]))
    assert region["value"].to_list() == ["650100", "654000"]
    ids = n.lookup(c.CERTIFICATIONS.column("id_number"), pl.Series([man, None, "６５" + man[2:], man[:-1] + "Z"]))
    assert ids["value"].to_list() == [man, None, man, None]
    assert ids["birth_date"].to_list()[0] == date(1985, 6, 12)
    assert ids["id_gender"].to_list()[0] == "男"
    assert ids["reason"].to_list() == [None, "required value blank", None, "ID number malformed (18 characters, last may be X)"]


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e20", "1E3", "-5", "1,000,000,000,000.00", "NaN"])
def test_money_is_finite_within_the_column_range_or_rejected(text):
    values, reasons = _apply(n.money_value, [text])
    assert values == [None] and reasons == ["amount not recognised"]


def test_money_with_thousands_separators_and_symbols():
    values, reasons = _apply(n.money_value, ["1,200.00", "￥800", "35元", "999999999999.99", "12."])
    assert values == [1200.0, 800.0, 35.0, 999999999999.99, 12.0] and reasons == [None] * 5
