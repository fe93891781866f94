"""The source contract as data: ../shared/contracts/source-exports.md in one declarative table.

Adding a source, a column, a header spelling or a vocabulary is an edit here, not new code.
Every column has a canonical name (the contract's English alias), the header spellings it may
arrive under, whether it is required, and a *kind* that names the normaliser applied to it
(see :mod:`ingest.normalise`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds of column, each with one normaliser in ingest.normalise.
TEXT = "text"  # trimmed, NFKC, blank -> null
PERSON_NAME = "person_name"  # personal data: goes to the restricted store only
ID_NUMBER = "id_number"  # personal data: checked (GB 11643), hashed to person_key
DATE = "date"
LEVEL = "level"  # skill-level vocabulary -> canonical level + rank
REGION = "region"  # division code or name -> prefecture-level unit code
ENUM = "enum"  # closed vocabulary given by Column.values
GENDER = "gender"
YEAR = "year"
INTEGER = "integer"
MONEY = "money"  # may carry thousands separators
OCCUPATION_CODE = "occupation_code"  # optional; format problems are warnings, not rejections

PERSONAL_KINDS = frozenset({PERSON_NAME, ID_NUMBER})


@dataclass(frozen=True)
class Column:
    name: str
    headers: tuple[str, ...]
    kind: str = TEXT
    required: bool = False
    values: tuple[str, ...] = ()
    default: str | None = None  # value used when blank (before validation)

    @property
    def personal(self) -> bool:
        return self.kind in PERSONAL_KINDS


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row: ``broken`` is a SQL condition over the typed raw columns
    (true when the row breaks the rule; rows with a blank operand do not break it)."""

    name: str
    column: str  # the column a violation is reported against
    reason: str
    broken: str


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    natural_key: tuple[str, ...]
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...] = field(default=())

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _c(name: str, *headers: str, kind: str = TEXT, required: bool = False, values=(), default=None) -> Column:
    return Column(name, (*headers, name), kind, required, tuple(values), default)


NAME = _c("name", "姓名", kind=PERSON_NAME, required=True)
REGION_COL = ("所在地区", "地州市", "行政区划代码")

CERTIFICATIONS = Source(
    name="certifications",
    title="职业技能等级证书",
    natural_key=("certificate_no",),
    columns=(
        _c("certificate_no", "证书编号", required=True),
        NAME,
        _c("id_number", "公民身份号码", "身份证号", "身份证号码", kind=ID_NUMBER, required=True),
        _c("gender", "性别", kind=GENDER),
        _c("occupation_code", "职业编码", kind=OCCUPATION_CODE),
        _c("occupation_name", "职业(工种)名称", "职业名称", "工种", required=True),
        _c("skill_level", "技能等级", "职业技能等级", "等级", kind=LEVEL, required=True),
        _c("issue_date", "发证日期", "颁证日期", kind=DATE, required=True),
        _c("assessor_name", "评价机构", "评价机构名称", "认定机构", required=True),
        _c(
            "assessor_type",
            "评价机构类型",
            kind=ENUM,
            values=("企业自主评价", "社会培训评价组织", "技工院校", "职业院校", "其他"),
        ),
        _c("region", *REGION_COL, kind=REGION, required=True),
        _c("employer", "工作单位"),
        _c(
            "employer_type",
            "单位性质",
            kind=ENUM,
            values=("国有企业", "民营企业", "外资企业", "机关事业单位", "其他"),
        ),
        _c("status", "证书状态", kind=ENUM, values=("有效", "撤销", "注销"), default="有效"),
    ),
)

TRAININGS = Source(
    name="trainings",
    title="培训记录",
    natural_key=("training_id",),
    columns=(
        _c("training_id", "培训编号", required=True),
        NAME,
        _c("id_number", "公民身份号码", "身份证号", kind=ID_NUMBER, required=True),
        _c(
            "program",
            "培训类型",
            kind=ENUM,
            required=True,
            values=("企业新型学徒制", "现代学徒制", "项目制培训", "技能回炉", "乡村工匠", "新疆工匠", "其他"),
        ),
        _c("level", "培训等级", kind=LEVEL, required=True),
        _c("occupation_name", "职业(工种)名称"),
        _c("provider_code", "培训机构编码"),
        _c("provider_name", "培训机构名称", required=True),
        _c("start_date", "开班日期", kind=DATE, required=True),
        _c("end_date", "结业日期", kind=DATE),
        _c("status", "培训状态", kind=ENUM, required=True, values=("在训", "结业", "退出")),
        _c("subsidy_yuan", "补贴金额(元)", "补贴金额", kind=MONEY),
        _c("region", *REGION_COL, kind=REGION, required=True),
    ),
)

COMPETITIONS = Source(
    name="competitions",
    title="职业技能竞赛获奖",
    natural_key=("competition_name", "year", "event", "id_number"),
    columns=(
        _c("competition_name", "竞赛名称", required=True),
        _c(
            "tier",
            "竞赛级别",
            kind=ENUM,
            required=True,
            values=("世界技能大赛", "国家级一类", "国家级二类", "自治区级一类", "自治区级二类", "地州级"),
        ),
        _c("year", "竞赛年度", kind=YEAR, required=True),
        _c("event", "竞赛项目", required=True),
        NAME,
        _c("id_number", "公民身份号码", "身份证号", kind=ID_NUMBER, required=True),
        _c(
            "award",
            "获奖等次",
            kind=ENUM,
            required=True,
            values=("金牌", "银牌", "铜牌", "优胜奖", "一等奖", "二等奖", "三等奖", "参赛"),
        ),
        _c("region", *REGION_COL, kind=REGION, required=True),
    ),
)

HONOURS = Source(
    name="honours",
    title="荣誉与称号",
    natural_key=("honour", "year", "id_number"),
    columns=(
        _c(
            "honour",
            "荣誉类型",
            kind=ENUM,
            required=True,
            values=(
                "中华技能大奖",
                "全国技术能手",
                "国务院政府特殊津贴",
                "国家级技能大师工作室领办人",
                "自治区级技能大师工作室领办人",
                "天山技术能手",
            ),
        ),
        _c("year", "授予年度", kind=YEAR, required=True),
        NAME,
        _c("id_number", "公民身份号码", "身份证号", kind=ID_NUMBER, required=True),
        _c("region", *REGION_COL, kind=REGION, required=True),
    ),
)

CARRIERS = Source(
    name="carriers",
    title="培养载体名录",
    natural_key=("carrier_code",),
    columns=(
        _c("carrier_code", "机构编码", required=True),
        _c("carrier_name", "机构名称", required=True),
        _c(
            "carrier_type",
            "载体类型",
            kind=ENUM,
            required=True,
            values=(
                "高技能人才培训基地",
                "工匠学院",
                "公共实训基地",
                "技能大师工作室",
                "劳模和工匠人才创新工作室",
                "职工创新工作室",
                "青创先锋工作室",
                "技工院校",
                "企业培训中心",
                "民办职业培训机构",
            ),
        ),
        _c("carrier_tier", "级别", kind=ENUM, required=True, values=("国家级", "自治区级", "地州级", "县级")),
        _c("region", *REGION_COL, kind=REGION, required=True),
        _c("established_year", "设立年份", kind=YEAR, required=True),
        _c("planned_capacity", "年培训规模(人次)", kind=INTEGER),
    ),
)

GRADUATES = Source(
    name="graduates",
    title="院校毕业生取证",
    natural_key=("institution", "year"),
    columns=(
        _c("institution", "院校名称", required=True),
        _c(
            "institution_type",
            "院校类型",
            kind=ENUM,
            required=True,
            values=("职业本科", "应用型本科", "高职院校", "技工院校", "中职学校"),
        ),
        _c("year", "毕业年度", kind=YEAR, required=True),
        _c("graduates", "毕业生人数", kind=INTEGER, required=True),
        _c("graduates_certified", "取得职业技能等级证书人数", kind=INTEGER, required=True),
        _c("region", *REGION_COL, kind=REGION, required=True),
    ),
    row_rules=(
        RowRule(
            "certified_within_graduates",
            column="graduates_certified",
            reason="graduates_certified exceeds graduates",
            broken="graduates_certified > graduates",
        ),
    ),
)

SOURCES: dict[str, Source] = {
    s.name: s for s in (CERTIFICATIONS, TRAININGS, COMPETITIONS, HONOURS, CARRIERS, GRADUATES)
}
