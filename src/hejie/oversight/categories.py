"""The national complaint categories of the China Consumers Association (中国消费者协会) and how
Hejie's own industries and problem types map onto them, for the 3·15 report
(``hejie.oversight.report``) and the 12315 export.

The CCA's yearly statistics (全国消协组织受理投诉情况分析) count each complaint twice:

* by **what was bought** (按投诉性质以外的"商品和服务大类"): 商品类 (goods) or 服务类 (services), each
  with its sub-classes (家用电子电器类, 交通工具类 …; 生活、社会服务类, 互联网服务, 教育培训服务 …);
* by **the nature of the problem** (按投诉性质): 售后服务, 质量, 合同, 虚假宣传, 价格, 安全, 假冒,
  人格尊严, 计量, 其他.

Hejie knows what was bought only through the business's industry (``businesses.Industry``) and
the nature through the order's ``problem_type``. The two tables below are the whole mapping; a
new industry or problem type falls into 其他商品 / 其他 until a line is added here (a test checks
that every industry and problem type the platform ships is mapped). Where Hejie cannot tell (a
retail shop sells every kind of goods; an order against a business not on the platform has no
industry) the order is counted under the class's 其他 line, so the totals always add up to the
orders received. The CCA natures 假冒, 人格尊严 and 计量 have no problem type of their own yet and
are listed with 0 (the report shows every class, as the CCA's table does).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CcaClass:
    code: str
    name: str  # Chinese, the CCA's own words
    name_en: str
    kind: str  # "goods" (商品类), "services" (服务类) or "" for a nature of problem


GOODS, SERVICES = "goods", "services"
KIND_LABELS = {GOODS: _("商品类"), SERVICES: _("服务类")}

# The sub-classes of goods and services as the CCA publishes them (the ones Hejie's industries reach first).
CLASSES: tuple[CcaClass, ...] = (
    CcaClass("g_appliances", "家用电子电器类", "Household electronics and appliances", GOODS),
    CcaClass("g_clothing", "服装鞋帽类", "Clothing, shoes and hats", GOODS),
    CcaClass("g_daily", "日用商品类", "Daily-use goods", GOODS),
    CcaClass("g_food", "食品类", "Food", GOODS),
    CcaClass("g_vehicles", "交通工具类", "Vehicles", GOODS),
    CcaClass("g_housing", "房屋及建材类", "Housing and building materials", GOODS),
    CcaClass("g_medical", "医药及医疗用品类", "Medicines and medical supplies", GOODS),
    CcaClass("g_other", "其他商品", "Other goods", GOODS),
    CcaClass("s_living", "生活、社会服务类", "Living and social services", SERVICES),
    CcaClass("s_internet", "互联网服务", "Internet services", SERVICES),
    CcaClass("s_education", "教育培训服务", "Education and training services", SERVICES),
    CcaClass("s_culture", "文化、娱乐、体育服务", "Culture, entertainment and sports services", SERVICES),
    CcaClass("s_sales", "销售服务", "Sales services", SERVICES),
    CcaClass("s_tourism", "旅游服务", "Tourism services", SERVICES),
    CcaClass("s_telecom", "电信服务", "Telecommunication services", SERVICES),
    CcaClass("s_property", "房屋装修及物业服务", "Home decoration and property services", SERVICES),
    CcaClass("s_other", "其他服务", "Other services", SERVICES),
)

# The nature of the problem (投诉性质), in the CCA's order.
NATURES: tuple[CcaClass, ...] = (
    CcaClass("after_sales", "售后服务", "After-sales service", ""),
    CcaClass("quality", "质量", "Quality", ""),
    CcaClass("contract", "合同", "Contract", ""),
    CcaClass("false_advertising", "虚假宣传", "False advertising", ""),
    CcaClass("price", "价格", "Price", ""),
    CcaClass("safety", "安全", "Safety", ""),
    CcaClass("counterfeit", "假冒", "Counterfeits", ""),
    CcaClass("dignity", "人格尊严", "Personal dignity", ""),
    CcaClass("measurement", "计量", "Measurement", ""),
    CcaClass("other", "其他", "Other", ""),
)

# Hejie's industries (``businesses.industries.INDUSTRIES``) → CCA sub-class.
INDUSTRY_CLASS: dict[str, str] = {
    "catering": "s_living",  # 餐饮服务 is a line of 生活、社会服务类
    "lodging": "s_living",  # 住宿服务, likewise
    "services": "s_living",  # 美容美发、洗涤、家政 …
    "tourism": "s_tourism",
    "entertainment": "s_culture",
    "education": "s_education",
    "telecom": "s_telecom",
    "ecommerce": "s_sales",  # 网络购物 is counted under 销售服务
    "auto": "g_vehicles",
    "retail": "g_other",  # a shop sells every kind of goods: Hejie does not know which
    "other": "s_other",
}
NO_INDUSTRY_CLASS = "s_other"  # an order against a business not on the platform

# Hejie's problem types (``Complaint.ProblemType``) → CCA nature.
PROBLEM_NATURE: dict[str, str] = {
    "quality": "quality",
    "price": "price",
    "false_advertising": "false_advertising",
    "contract": "contract",
    "return": "after_sales",  # 退换货
    "prepaid_card": "contract",  # 预付式消费 disputes are contract disputes in the CCA's tables
    "safety": "safety",
    "service": "quality",  # 服务质量
    "other": "other",
}

_BY_CODE = {c.code: c for c in (*CLASSES, *NATURES)}


def industry_class(industry: str | None) -> CcaClass:
    """The CCA sub-class of goods or services an order of ``industry`` (code; empty: no business
    on the platform) counts under."""
    if not industry:
        return _BY_CODE[NO_INDUSTRY_CLASS]
    return _BY_CODE[INDUSTRY_CLASS.get(industry, "g_other")]


def problem_nature(problem_type: str) -> CcaClass:
    """The CCA nature of problem of an order's ``problem_type``."""
    return _BY_CODE[PROBLEM_NATURE.get(problem_type, "other")]


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, ""))
