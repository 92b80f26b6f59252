"""The lifecycles of 好差评, declared as machines (:mod:`onething.kernel.machine`).

- :data:`RECTIFICATION` — 差评整改 (``Rectification.status``): opened by a 差评, verified by a
  return call to the rater (with the outcome: fix at once, a plan with a deadline, or an
  explanation), answered to the rater, revisited — an unsatisfied rater sends it back to
  handling; voided when an appeal against the rating is upheld.
- :data:`APPEAL` — 申诉复核 (``Appeal.status``): the rated unit files it; a reviewer who is
  not in that unit upholds or dismisses it (the ``outside_unit`` guard, separation of duties).
- :data:`DEFECT` — 事项缺陷 (``Defect.status``): opened by recurring 差评 of one item for one
  reason; the item's department records the fix.

Roles: ``unit`` is the responsible unit's staff (the department's admins, or the hall's
managers); ``reviewer`` a supervisor or platform admin; ``system`` the rating service and the
periodic tasks.
"""

from __future__ import annotations

from onething.kernel.machine import NEW, Guard, event, machine, reason_given
from onething.ratings.models import Appeal, Defect, Rectification
from onething.workflow.engine import register

UNIT, REVIEWER, SYSTEM = "unit", "reviewer", "system"
ROLE_NAMES = {UNIT: "责任单位", REVIEWER: "复核人员", SYSTEM: "系统"}

R = Rectification.Status
P = Appeal.Status
D = Defect.Status


def _outside_unit(context) -> bool:
    return context.get("in_unit") is False


RECTIFICATION = register(
    machine(
        "ratings.rectification",
        audit_kind="rectification",
        states=dict(R.choices),
        terminal=[R.CLOSED, R.VOIDED],
        role_names=ROLE_NAMES,
        guards=[Guard("reason_given", reason_given, "请填写记录内容")],
        events=[
            event("open", NEW, R.VERIFYING, [SYSTEM], "生成差评整改"),
            event("verify", R.VERIFYING, R.HANDLING, [UNIT], "核实（回访评价人）", guards=["reason_given"]),
            event("answer", R.HANDLING, R.ANSWERED, [UNIT], "答复评价人", guards=["reason_given"]),
            event("revisit", R.ANSWERED, [R.CLOSED, R.HANDLING], [UNIT], "回访", guards=["reason_given"]),
            event("void", [R.VERIFYING, R.HANDLING, R.ANSWERED], R.VOIDED, [SYSTEM], "申诉成立，撤销整改"),
        ],
    ),
    "ratings.rectification",
)

APPEAL = register(
    machine(
        "ratings.appeal",
        audit_kind="rating_appeal",
        states=dict(P.choices),
        terminal=[P.UPHELD, P.DISMISSED],
        role_names=ROLE_NAMES,
        guards=[
            Guard("reason_given", reason_given, "请填写申诉或复核意见"),
            Guard("outside_unit", _outside_unit, "被评价单位的人员不能复核本单位的申诉"),
        ],
        events=[
            event("file", NEW, P.PENDING, [UNIT], "提出申诉", guards=["reason_given"]),
            event(
                "uphold", P.PENDING, P.UPHELD, [REVIEWER], "申诉成立", guards=["reason_given", "outside_unit"]
            ),
            event(
                "dismiss",
                P.PENDING,
                P.DISMISSED,
                [REVIEWER],
                "申诉不成立",
                guards=["reason_given", "outside_unit"],
            ),
        ],
    ),
    "ratings.appeal",
)

DEFECT = register(
    machine(
        "ratings.defect",
        audit_kind="catalog_defect",
        states=dict(D.choices),
        terminal=[D.FIXED],
        role_names=ROLE_NAMES,
        guards=[Guard("reason_given", reason_given, "请填写整改说明")],
        events=[
            event("open", NEW, D.OPEN, [SYSTEM], "生成事项缺陷整改任务"),
            event("fix", D.OPEN, D.FIXED, [UNIT], "完成整改", guards=["reason_given"]),
        ],
    ),
    "ratings.defect",
)
