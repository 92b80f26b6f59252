"""The rules of 好差评 in one place (国办发〔2019〕51号; GB/T 39734-2020, GB/T 39735-2020).

Five levels, the indicators of each channel, the reasons a 差评 gives, who answers for a
rating, the loop's clock policies and the defaults a region may override (``RatingPolicy``).
Plain data and functions: the services, pages and API read them from here.
"""

from __future__ import annotations

#: score → word, best first
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
GOOD = frozenset({4, 5})
BAD = frozenset({1, 2})


def is_bad(score: int) -> bool:
    """差评 = 不满意 or 非常不满意."""
    return score in BAD


#: the platform's channel codes (cases ``Channel`` plus the 12345 hotline), as rated
CHANNELS = {
    "web": "网上办",
    "mobile": "掌上办",
    "window": "窗口办",
    "self_service": "自助终端",
    "hotline": "12345热线",
}
ONSITE_CHANNELS = frozenset({"window"})

#: indicator key → label, per channel group
ONLINE_INDICATORS = {
    "overall": "整体满意度",
    "efficiency": "办事效率",
    "guide": "办事指南精确度",
    "convenience": "办事便捷度",
    "operability": "平台操作性",
}
ONSITE_INDICATORS = {
    "overall": "整体满意度",
    "service_efficiency": "服务效率",
    "service_level": "服务水平",
    "attitude": "服务态度",
}
INDICATORS = {**ONLINE_INDICATORS, **ONSITE_INDICATORS}


def indicators_of(channel: str) -> dict[str, str]:
    """The indicators asked on ``channel``: on-site ones at the window, online ones elsewhere."""
    return ONSITE_INDICATORS if channel in ONSITE_CHANNELS else ONLINE_INDICATORS


#: why a 差评 was given (chosen from a list, plus free text)
REASONS = {
    "slow": "办理时间长、超时",
    "materials": "材料多、重复提交",
    "guide": "办事指南不清楚、不准确",
    "visits": "多次跑动",
    "attitude": "服务态度不好",
    "system": "系统难用、故障",
    "fees": "收费不合理",
    "other": "其他",
}

COMMENT_MAX = 500
REASON_TEXT_MAX = 300
NOTE_MAX = 1000

#: the loop's clocks: stage → (policy code, name, default limit in working days)
VERIFY, ANSWER, REVISIT, DEFECT = "verify", "answer", "revisit", "defect"
POLICIES = {
    VERIFY: ("ratings.verify", "差评核实时限（回访核实，工作日）", 1),
    ANSWER: ("ratings.answer", "差评整改与答复时限（工作日）", 5),
    REVISIT: ("ratings.revisit", "差评整改回访时限（答复后，工作日）", 2),
    DEFECT: ("ratings.defect", "事项缺陷整改时限（工作日）", 10),
}

#: outcomes of the verification (how the 差评 is answered)
OUTCOMES = {
    "fix": "立即整改（问题清楚）",
    "plan": "限期整改（情况复杂，列入台账）",
    "explain": "解释说明（诉求无法律依据）",
}
#: the rater's satisfaction with the fix, recorded at the return visit
SATISFACTION = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
#: grounds of an appeal (申诉复核)
GROUNDS = {"mistaken": "误评（评价对象或内容有误）", "abusive": "恶意差评"}
#: what a catalog-defect fix changed
FIX_KINDS = {"guide": "办事指南", "materials": "申请材料", "limit": "办理时限", "other": "其他"}

#: platform defaults of the per-region ``RatingPolicy`` (Guangdong: no rating in 7 days counts
#: as 基本满意)
DEFAULT_AFTER_DAYS = 7
DEFAULT_SCORE = 3
RECURRENCE_DAYS = 30
RECURRENCE_THRESHOLD = 3
