"""Reference facts and vocabularies the generator draws from.

Division codes, names and occupations are read from the project's seeds (the single copy of the
shared reference data). Everything the *ground truth* depends on beyond that -- the level table and
its spellings, the required columns -- is written out here from the contract
(`shared/contracts/source-exports.md`) on purpose, so that the generator stays an independent oracle
for the ingest code; `tests/unit/test_synth.py` checks these tables against the seeds for drift.

The per-unit numbers (population weight, ethnic mix, skill factor) are rough calibrations, not
statistics: the 2020 census populations in units of 10,000, bent towards the cities where
certification is denser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"

REGION_CODE = "650000"  # region-wide rows of the ground truth

# --------------------------------------------------------------------------------------------------
# Units: the 14 prefectures and 12 region-administered cities
# --------------------------------------------------------------------------------------------------

# code: (population weight, (han, uyghur, kazakh) shares, high-skill factor, county codes)
# County codes are GB/T 2260 county-level codes of the prefecture; a 6590xx city is its own county.
_UNIT_FACTS: dict[str, tuple[float, tuple[float, float, float], float, tuple[str, ...]]] = {
    "650100": (
        520,
        (0.84, 0.13, 0.03),
        1.30,
        ("650102", "650103", "650104", "650105", "650106", "650107", "650109", "650121"),
    ),
    "650200": (65, (0.78, 0.14, 0.08), 1.60, ("650202", "650203", "650204", "650205")),
    "650400": (66, (0.23, 0.75, 0.02), 0.95, ("650402", "650421", "650422")),
    "650500": (70, (0.68, 0.19, 0.13), 1.15, ("650502", "650521", "650522")),
    "652300": (
        170,
        (0.80, 0.04, 0.16),
        1.15,
        ("652301", "652302", "652323", "652324", "652325", "652327", "652328"),
    ),
    "652700": (48, (0.67, 0.13, 0.20), 1.00, ("652701", "652702", "652722", "652723")),
    "652800": (
        170,
        (0.57, 0.40, 0.03),
        1.10,
        ("652801", "652822", "652823", "652824", "652825", "652826", "652827", "652828", "652829"),
    ),
    "652900": (
        255,
        (0.27, 0.72, 0.01),
        0.90,
        ("652901", "652902", "652922", "652924", "652925", "652926", "652927", "652928", "652929"),
    ),
    "653000": (55, (0.07, 0.65, 0.28), 0.75, ("653001", "653022", "653023", "653024")),
    "653100": (
        410,
        (0.08, 0.92, 0.00),
        0.75,
        (
            "653101",
            "653121",
            "653122",
            "653123",
            "653124",
            "653125",
            "653126",
            "653127",
            "653128",
            "653129",
            "653130",
            "653131",
        ),
    ),
    "653200": (
        215,
        (0.04, 0.96, 0.00),
        0.70,
        ("653201", "653221", "653222", "653223", "653224", "653225", "653226", "653227"),
    ),
    "654000": (
        270,
        (0.45, 0.17, 0.38),
        0.95,
        (
            "654002",
            "654003",
            "654004",
            "654021",
            "654022",
            "654023",
            "654024",
            "654025",
            "654026",
            "654027",
            "654028",
        ),
    ),
    "654200": (
        105,
        (0.63, 0.05, 0.32),
        0.95,
        ("654201", "654202", "654203", "654221", "654224", "654225", "654226"),
    ),
    "654300": (
        62,
        (0.40, 0.02, 0.58),
        0.90,
        ("654301", "654321", "654322", "654323", "654324", "654325", "654326"),
    ),
    "659001": (70, (0.94, 0.04, 0.02), 1.25, ("659001",)),
    "659002": (30, (0.90, 0.09, 0.01), 1.00, ("659002",)),
    "659003": (20, (0.50, 0.50, 0.00), 0.85, ("659003",)),
    "659004": (12, (0.95, 0.03, 0.02), 1.05, ("659004",)),
    "659005": (9, (0.85, 0.02, 0.13), 1.00, ("659005",)),
    "659006": (6, (0.90, 0.10, 0.00), 1.00, ("659006",)),
    "659007": (5, (0.88, 0.04, 0.08), 1.00, ("659007",)),
    "659008": (8, (0.85, 0.05, 0.10), 1.00, ("659008",)),
    "659009": (6, (0.60, 0.40, 0.00), 0.80, ("659009",)),
    "659010": (6, (0.92, 0.05, 0.03), 1.00, ("659010",)),
    "659011": (2, (0.90, 0.08, 0.02), 1.00, ("659011",)),
    "659012": (2, (0.90, 0.08, 0.02), 1.00, ("659012",)),
}


@dataclass(frozen=True)
class Units:
    """The reporting units, index-aligned arrays (index = unit number used everywhere else)."""

    code: tuple[str, ...]
    name: tuple[str, ...]
    short: tuple[str, ...]
    is_city: tuple[bool, ...]  # a region-administered 6590xx city
    weight: tuple[float, ...]
    ethnic_mix: tuple[tuple[float, float, float], ...]
    skill_factor: tuple[float, ...]
    counties: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.code)


@cache
def units() -> Units:
    seed = pl.read_csv(SEEDS / "ref_prefectures.csv", infer_schema=False).sort("code")
    missing = set(seed["code"]) ^ set(_UNIT_FACTS)
    if missing:
        raise ValueError(f"ref_prefectures.csv and the generator's unit facts disagree on {sorted(missing)}")
    codes = tuple(seed["code"])
    facts = [_UNIT_FACTS[c] for c in codes]
    return Units(
        code=codes,
        name=tuple(seed["name"]),
        short=tuple(seed["short_name"]),
        is_city=tuple(k == "region_administered_city" for k in seed["kind"]),
        weight=tuple(f[0] for f in facts),
        ethnic_mix=tuple(f[1] for f in facts),
        skill_factor=tuple(f[2] for f in facts),
        counties=tuple(f[3] for f in facts),
    )


@cache
def occupations() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(codes, names) of the occupation sample."""
    seed = pl.read_csv(SEEDS / "ref_occupations.csv", infer_schema=False)
    return tuple(seed["code"]), tuple(seed["name"])


# --------------------------------------------------------------------------------------------------
# Skill levels (contract table "Skill levels"): canonical names by rank, and how exports write them
# --------------------------------------------------------------------------------------------------

LEVELS = ("学徒工", "初级工", "中级工", "高级工", "技师", "高级技师", "特级技师", "首席技师")
HIGH_SKILL_RANK = 3

# Spelling styles an exporting system uses; ranks 0, 6 and 7 have one spelling only.
LEVEL_STYLES: dict[str, tuple[str, ...]] = {
    "canonical": LEVELS,
    "short": ("学徒工", "初级", "中级", "高级", "技师", "高级技师", "特级技师", "首席技师"),
    "grade": ("学徒工", "五级", "四级", "三级", "二级", "一级", "特级技师", "首席技师"),
    "combined": (
        "学徒工",
        "五级/初级工",
        "四级/中级工",
        "三级/高级工",
        "二级/技师",
        "一级/高级技师",
        "特级技师",
        "首席技师",
    ),
    "numeric": ("学徒工", "5", "4", "3", "2", "1", "特级技师", "首席技师"),
}

UNRECOGNISED_LEVELS = ("六级", "高级工程师", "初级技师", "专家级")
UNRECOGNISED_REGIONS = ("北京市", "110000", "兰州市", "620100", "海淀区")
INVALID_DATES = ("2024-13-45", "2023-02-30", "2024/13/5", "20241301", "2022年2月30日", "2021.00.10")

ASSESSOR_TYPES = ("企业自主评价", "社会培训评价组织", "技工院校", "职业院校", "其他")
EMPLOYER_TYPES = ("国有企业", "民营企业", "外资企业", "机关事业单位", "其他")
STATUS_VALID, STATUS_REVOKED, STATUS_CANCELLED = "有效", "撤销", "注销"

# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------

HAN_SURNAMES = tuple(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
HAN_GIVEN_MALE = tuple("伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国峰亮成新东海疆")
HAN_GIVEN_FEMALE = tuple("芳娜敏静丽艳娟霞燕玲婷雪慧红梅琳颖倩洁萍兰琴云晶丹蕾薇媛悦欣")
UYGHUR_MALE = (
    "艾力",
    "买买提",
    "阿不都",
    "吐尔逊",
    "艾买提",
    "依明",
    "热合曼",
    "肉孜",
    "玉素甫",
    "伊力哈木",
    "麦麦提",
    "艾合买提",
    "阿迪力",
    "吾斯曼",
    "卡德尔",
    "托合提",
    "亚森",
    "居来提",
    "帕尔哈提",
    "塔依尔",
    "阿布拉",
    "努尔买买提",
    "艾尔肯",
    "阿不都热依木",
    "买合木提",
    "吐尔洪",
    "阿力木",
    "库尔班",
    "斯拉木",
    "米吉提",
    "外力",
    "图尔荪",
    "艾则孜",
    "热西提",
    "伊斯拉木",
    "哈力克",
    "木合塔尔",
    "夏木西丁",
)
UYGHUR_FEMALE = (
    "古丽米拉",
    "阿依古丽",
    "热依拉",
    "米热古丽",
    "帕提古丽",
    "阿依努尔",
    "再努尔",
    "迪丽努尔",
    "布麦尔燕",
    "祖丽皮亚",
    "努尔古丽",
    "阿孜古丽",
    "玛依拉",
    "热孜婉古丽",
    "古再丽努尔",
    "阿米娜",
    "海丽其古丽",
    "吐尔逊古丽",
    "阿依提拉",
    "美合日班",
    "热娜古丽",
    "萨妮娅",
    "古丽巴哈尔",
    "祖丽胡玛尔",
    "麦尔哈巴",
    "帕丽达",
    "阿娜尔古丽",
    "茹仙古丽",
    "努尔比亚",
    "依巴代提",
)
KAZAKH_MALE = (
    "叶尔兰",
    "努尔兰",
    "哈力别克",
    "叶尔江",
    "别克",
    "阿斯哈尔",
    "达吾列提",
    "加尔肯",
    "木拉提",
    "叶尔波拉提",
    "巴合提别克",
    "赛力克",
    "阿曼",
    "努尔波拉提",
    "叶尔肯",
    "胡安",
    "托合塔尔",
    "加纳提",
    "阿斯卡尔",
    "巴合达提",
    "叶斯博拉提",
    "哈那提",
    "阿依多斯",
    "别尔克",
    "马合沙提",
    "朱马汗",
    "努尔太",
    "吐尔汗",
)
KAZAKH_FEMALE = (
    "阿依达娜",
    "古丽娜尔",
    "加娜尔",
    "阿依登",
    "哈丽达",
    "玛丽亚",
    "沙吾列",
    "阿克丽",
    "迪娜拉",
    "阿依江",
    "古丽扎达",
    "巴合提古丽",
    "哈米拉",
    "库拉依",
    "加米拉",
    "阿尔达克",
    "赛比拉",
    "阿依谢",
)

# --------------------------------------------------------------------------------------------------
# Organisations (assessors, employers): pools per unit are built from these parts
# --------------------------------------------------------------------------------------------------

REGION_ASSESSORS = (
    ("新疆维吾尔自治区职业技能鉴定中心", "其他"),
    ("新疆职业大学", "职业院校"),
    ("新疆轻工职业技术学院", "职业院校"),
    ("新疆交通职业技术学院", "职业院校"),
    ("新疆工业技师学院", "技工院校"),
    ("新疆天山职业技能培训评价中心", "社会培训评价组织"),
)
BRAND_WORDS = (
    "天山",
    "丝路",
    "昆仑",
    "金桥",
    "西域",
    "雪莲",
    "胡杨",
    "天润",
    "金疆",
    "恒信",
    "博达",
    "瀚海",
    "绿洲",
    "红柳",
    "雪峰",
    "白杨",
    "阳光",
    "众诚",
    "宏远",
    "鑫源",
)
PRIVATE_SUFFIXES = (
    "建设工程有限公司",
    "商贸有限公司",
    "农业科技有限公司",
    "餐饮管理有限公司",
    "物业服务有限公司",
    "机械制造有限公司",
    "纺织有限公司",
    "能源有限公司",
    "家政服务有限公司",
    "汽车维修有限公司",
    "电子商务有限公司",
    "养老服务中心",
)
STATE_SUFFIXES = (
    "国有资产投资集团有限公司",
    "城市建设投资集团有限公司",
    "能源集团有限责任公司",
    "水务集团有限公司",
)
PUBLIC_SUFFIXES = ("人民医院", "第一中学", "市政管理局", "农业农村局")

# --------------------------------------------------------------------------------------------------
# The other sources' vocabularies (contract tables "trainings" ... "graduates")
# --------------------------------------------------------------------------------------------------

PROGRAMS = ("企业新型学徒制", "现代学徒制", "项目制培训", "技能回炉", "乡村工匠", "新疆工匠", "其他")
ENTERPRISE_APPRENTICESHIP, MODERN_APPRENTICESHIP, PROJECT_TRAINING = PROGRAMS[:3]
TRAINING_STATUSES = ("在训", "结业", "退出")
TRAINING_WITHDRAWN = "退出"
CARRIER_TYPES = (
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
)
CARRIER_TIERS = ("国家级", "自治区级", "地州级", "县级")
INSTITUTION_TYPES = ("职业本科", "应用型本科", "高职院校", "技工院校", "中职学校")
COMPETITION_TIERS = ("世界技能大赛", "国家级一类", "国家级二类", "自治区级一类", "自治区级二类", "地州级")
AWARDS = ("金牌", "银牌", "铜牌", "优胜奖", "一等奖", "二等奖", "三等奖", "参赛")
HONOURS = (
    "中华技能大奖",
    "全国技术能手",
    "国务院政府特殊津贴",
    "国家级技能大师工作室领办人",
    "自治区级技能大师工作室领办人",
    "天山技术能手",
)

# --------------------------------------------------------------------------------------------------
# Policy commitments the indicators are measured against (shared/policy/indicators.md): written out
# here from the policy text, not read from ref_policy_targets or ref_entitlement_rules, and checked
# against those seeds for drift by tests/unit/test_synth.py.
# --------------------------------------------------------------------------------------------------

APPRENTICESHIP_TARGET = 10_000  # person-times a year, each of 企业新型学徒制 and 现代学徒制 (措施2)
ADVANCED_SHARE_TARGET = 0.30  # APPR-ADVANCED (both programmes together), PROJECT-ADVANCED, BASE-ADVANCED
COLLEGE_ADVANCED_TARGET = 200  # advanced+ person-times a year per craftsman college (措施4)
PUBLIC_BASE_SHARE_TARGET = 0.10  # per 地州级 public training base (措施5)
GRAD_CERT_RATE_TARGET = 0.70  # 职业本科, 应用型本科, 高职院校 graduates holding a certificate (措施11)
GRAD_RATE_TYPES = ("职业本科", "应用型本科", "高职院校")
NEW_BATCH_TYPES = CARRIER_TYPES[:2] + CARRIER_TYPES[3:7]  # 措施4: bases, colleges and the four studios
# carrier type -> (indicator, tier it applies to or None for every tier)
CARRIER_INDICATORS = {
    "高技能人才培训基地": ("BASE-ADVANCED", None),
    "工匠学院": ("COLLEGE-ADVANCED", None),
    "公共实训基地": ("PUBLIC-BASE-ADVANCED", "地州级"),
}

PODIUM = ("金牌", "银牌", "铜牌", "一等奖", "二等奖", "三等奖")  # 一/二/三等奖 count as 金/银/铜牌
_AWARD_CODE = {"金牌": "G", "银牌": "S", "铜牌": "B", "一等奖": "P1", "二等奖": "P2", "三等奖": "P3", "优胜奖": "M"}
_TIER_CODE = {"世界技能大赛": "WSC", "国家级一类": "N1", "国家级二类": "N2", "自治区级一类": "R1", "自治区级二类": "R2"}


@dataclass(frozen=True)
class EntitlementRule:
    rule_id: str
    indicator_id: str
    record_type: str  # competition | honour
    tier: str | None
    award: str | None
    honour: str | None
    promoted_rank: int | None  # COMPETITION-PROMOTION
    title_grade: str | None  # TITLE-DIRECT-FULL / -DEPUTY
    precedence: int  # the lowest wins as the basis of a person's entitlement in a year


def _entitlement_rules() -> tuple[EntitlementRule, ...]:
    """措施14: award winners are promoted "按规定" -- by the national rules: WorldSkills and national
    class-1 podium to 高级技师 (优胜奖 to 技师), national class-2 podium to 技师 (优胜奖 to 高级工),
    region class-1 gold to 技师 (silver, bronze to 高级工), region class-2 gold to 高级工.
    措施15: WorldSkills and national (class 1 and 2) podium, 中华技能大奖, 全国技术能手, national master
    studio leaders and State Council allowance holders -> 正高级; region class-1 gold and region master
    studio leaders -> 副高级."""
    rules: list[EntitlementRule] = []
    promo: list[tuple[str, str, int]] = []
    for tier in ("世界技能大赛", "国家级一类"):
        promo += [(tier, a, 5) for a in PODIUM]
    promo += [("世界技能大赛", "优胜奖", 4), ("国家级一类", "优胜奖", 4)]
    promo += [("国家级二类", a, 4) for a in PODIUM]
    promo += [("自治区级一类", "金牌", 4), ("自治区级一类", "一等奖", 4), ("国家级二类", "优胜奖", 3)]
    promo += [("自治区级一类", a, 3) for a in ("银牌", "铜牌", "二等奖", "三等奖")]
    promo += [("自治区级二类", "金牌", 3), ("自治区级二类", "一等奖", 3)]
    for p, (tier, award, rank) in enumerate(promo, start=1):
        rules.append(EntitlementRule(
            f"M14-{_TIER_CODE[tier]}-{_AWARD_CODE[award]}", "COMPETITION-PROMOTION", "competition",
            tier, award, None, rank, None, p,
        ))
    full_honours = (("CSA", "中华技能大奖"), ("NTE", "全国技术能手"), ("SCA", "国务院政府特殊津贴"),
                    ("NMS", "国家级技能大师工作室领办人"))
    p = 0
    for code, honour in full_honours:
        p += 1
        rules.append(EntitlementRule(f"M15F-H-{code}", "TITLE-DIRECT-FULL", "honour", None, None, honour,
                                     None, "正高级", p))
    for tier in ("世界技能大赛", "国家级一类", "国家级二类"):
        for award in PODIUM:
            p += 1
            rules.append(EntitlementRule(f"M15F-{_TIER_CODE[tier]}-{_AWARD_CODE[award]}", "TITLE-DIRECT-FULL",
                                         "competition", tier, award, None, None, "正高级", p))
    rules.append(EntitlementRule("M15D-H-RMS", "TITLE-DIRECT-DEPUTY", "honour", None, None,
                                 "自治区级技能大师工作室领办人", None, "副高级", 1))
    rules.append(EntitlementRule("M15D-R1-G", "TITLE-DIRECT-DEPUTY", "competition", "自治区级一类", "金牌",
                                 None, None, "副高级", 2))
    rules.append(EntitlementRule("M15D-R1-P1", "TITLE-DIRECT-DEPUTY", "competition", "自治区级一类", "一等奖",
                                 None, None, "副高级", 3))
    return tuple(rules)


ENTITLEMENT_RULES = _entitlement_rules()
