"""The rules of 12345 and 办不成事 in one place: categories, channels, the matters the hotline
does not take, the default time limits (PRODUCT.md C11), return-visit outcomes, ratings, the
duplicate and recurrence thresholds, and the clock rules of 退单 and 改派.

**Clocks** (policies seeded by migration 0002, editable per region in the admin; a region's
own policy wins over an ancestor's):

- ``dispatch`` — 派单: 1 natural hour from ``received_at`` (the hotline runs 7×24);
- ``sign`` — 签收: 1 working day from each dispatch;
- ``finish`` — 办结: the n-th working day after the received date in Asia/Shanghai (that day
  not counted) on the official calendar with 调休; n by category (``FINISH_DAYS``), and for
  办不成事 by complexity (Yueyang's "125": dispatch in 1 hour, ordinary 2, complex 5);
- ``revisit`` — 回访: 2 working days from 办结.

**退单, 改派 and transfer keep the caller's clock.** The ``finish`` clock is the caller's: it
runs from the moment the call was taken and never restarts, whoever the ticket is sent to —
the caller does not pay for the centre's misrouting or a department's refusal. What restarts is
the receiving side's own limit: every dispatch (first, 改派, transfer) starts a new ``sign``
clock for the department it goes to; an accepted 退单 sends the ticket back to the centre with
a new ``dispatch`` clock (1 hour to send it to the right department). A pause (待群众补充)
stops only ``finish`` and gives its working days back; an approved extension adds days to it.
"""

from __future__ import annotations

#: 诉求类型 — PRODUCT.md C11's codes
CATEGORIES = {
    "consult": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggestion": "建议",
    "not_done": "办不成事",
}
COMPLEXITIES = {"ordinary": "普通", "complex": "复杂"}

#: 来源渠道
CHANNELS = {
    "hotline": "12345热线电话",
    "web": "网站",
    "mobile": "移动端",
    "window": "办不成事反映窗口",
    "letter": "来信",
    "open311": "外部系统（Open311）",
}

#: matters the hotline does not take (国办发〔2020〕53号), with the channel to use
NOT_TAKEN = {
    "litigation": ("涉诉事项", "已进入诉讼程序的，请向受理案件的人民法院反映"),
    "arbitration": ("仲裁事项", "请向受理案件的仲裁委员会反映"),
    "discipline": ("纪检监察事项", "请向纪检监察机关信访举报（12388）反映"),
    "reconsideration": ("行政复议事项", "请向行政复议机关申请行政复议"),
    "petition": ("信访事项", "请按《信访工作条例》向信访工作机构反映"),
}

DISPATCH, SIGN, FINISH, REVISIT, MERGED = "dispatch", "sign", "finish", "revisit", "merged"
CLOCK_LABELS = {DISPATCH: "派单", SIGN: "签收", FINISH: "办结", REVISIT: "回访", MERGED: "办结（合并）"}

#: finish limits in working days (PRODUCT.md C11); 办不成事 by complexity
FINISH_DAYS = {
    "consult": 2,
    "help": 5,
    "complaint": 5,
    "report": 5,
    "suggestion": 5,
    "not_done.ordinary": 2,
    "not_done.complex": 5,
}

#: clock policies: code → (name, unit, limit); seeded by migration 0002
POLICIES = {
    "hotline.dispatch": ("12345工单派单时限（自然小时）", "natural_hours", 1),
    "hotline.sign": ("12345工单签收时限（派单后，工作日）", "working_days", 1),
    **{
        f"hotline.finish.{key}": (
            f"12345工单办结时限：{CATEGORIES[key.split('.')[0]]}"
            + (f"（{COMPLEXITIES[key.split('.')[1]]}）" if "." in key else "")
            + "（工作日）",
            "working_days",
            days,
        )
        for key, days in FINISH_DAYS.items()
    },
    "hotline.revisit": ("12345工单回访时限（办结后，工作日）", "working_days", 2),
    "hotline.recurrence": ("重复诉求整改时限（工作日）", "working_days", 10),
}


def finish_policy(category: str, complexity: str) -> str:
    """The ``finish`` clock's policy code: complexity matters only for 办不成事."""
    if category == "not_done":
        return f"hotline.finish.not_done.{complexity or 'ordinary'}"
    return f"hotline.finish.{category}"


def policy_code(clock: str) -> str:
    return f"hotline.{clock}"


#: the Chinese names of 12345's fields in messages ("“诉求内容”必填"), in force on its pages and
#: API (``apps`` registers them with ``core.text``): several share a name with another app's
#: field that means something else (``address``, ``code``, ``note``)
LABELS = {
    "category": "诉求类型",
    "complexity": "复杂程度",
    "channel": "来源渠道",
    "received_at": "受理时间",
    "content": "诉求内容",
    "region": "所属区划",
    "caller": "诉求人",
    "caller.name": "诉求人姓名",
    "caller.phone": "联系电话",
    "anonymous": "匿名",
    "address": "地址",
    "lat": "纬度",
    "long": "经度",
    "application": "相关办件",
    "item": "相关事项",
    "department": "部门",
    "hall": "大厅",
    "redirect": "不予受理事项",
    "reply": "答复内容",
    "note": "说明",
    "reason": "理由",
    "satisfaction": "回访结果",
    "score": "评价",
    "comment": "评价意见",
    "days": "延长工作日",
    "number": "工单编号",
    "code": "查询码",
    "members": "合并的工单",
    "title": "标题",
    "keywords": "关键词",
    "item_code": "相关事项编码",
    "published": "发布",
}

#: 回访结果
SATISFACTION = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
#: the caller's rating of the reply (1–5, 5 best), like 好差评's levels
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

#: field limits
CONTENT_MAX = 4000
NOTE_MAX = 2000
NAME_MAX = 50
PHONE_MAX = 20
ADDRESS_MAX = 200
TITLE_MAX = 120
ARTICLE_MAX = 8000
LOOKUP_LENGTH = 6

#: an extension is asked in working days, at most this many at once
EXTENSION_MAX_DAYS = 10

#: duplicates: open tickets of the last days are compared; a score of at least this is suggested
DUPLICATE_DAYS = 30
DUPLICATE_MIN_SCORE = 0.35
DUPLICATE_LIMIT = 5

#: recurring complaints: this many 投诉/办不成事 about one item, department or hall within the
#: rolling window open a task for the owner
RECURRENCE_DAYS = 30
RECURRENCE_THRESHOLD = 3
RECURRENCE_CATEGORIES = ("complaint", "not_done")
RECURRENCE_SUBJECTS = {"item": "事项", "department": "部门", "hall": "大厅"}
RECURRENCE_DAYS_TO_FIX = 10
