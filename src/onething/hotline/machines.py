"""The lifecycles of 12345, declared as machines (:mod:`onething.kernel.machine`).

:data:`TICKET` — 工单 (``Ticket.status``), the loop 受理 → 派单 → 签收 → 办理 → 答复 → 督办 →
办结 → 回访 → 评价::

    receive ─► received ─dispatch─► dispatched ─sign─► handling ─answer─► answered ─finish─► finished ─revisit─► closed
                 ▲  │                │  ▲   │             │ ▲  ▲            │                   │
                 │  resolve(咨询)    │  │   return        wait resume      send_back            └─(不满意) reopen ─► handling
                 │  └─► closed       │  │   ▼             ▼ │               (答复不合格)
                 └──accept_return────┼──┴─returned        waiting
                                     reject_return / reassign (改派) / transfer (转派)

Plus: ``redirect`` (a matter the hotline does not take: created redirected, with the channel
to use); ``supervise`` (督办, in any open state, changes nothing but is recorded and told);
``merge``/``unmerge`` (a member waits ``merged`` on the ticket handled for all and comes back
to the state it left); ``finish_merged`` (the primary's 办结 reaches every member, each with
its own reply, return visit and rating); ``archive`` (no return visit possible: anonymous);
``rate`` (the caller's rating, once).

:data:`EXTENSION` — 延期申请: the department asks, the centre approves or refuses.
:data:`RECURRENCE` — 重复诉求整改: opened by the recurrence check, fixed by the owner.

Roles: ``operator`` the hotline centre (话务/派单/审核/回访), ``handler`` the assigned
department, ``supervisor`` 督查, ``window`` a 办不成事 window, ``caller`` the person who
called (or holds the number and lookup code), ``system`` tasks and integrations.
"""

from __future__ import annotations

from onething.hotline.models import Extension, Recurrence, Ticket
from onething.kernel.machine import NEW, SAME, Guard, event, machine, reason_given
from onething.workflow.engine import register

OPERATOR, HANDLER, SUPERVISOR, WINDOW, CALLER, SYSTEM = (
    "operator",
    "handler",
    "supervisor",
    "window",
    "caller",
    "system",
)
ROLE_NAMES = {
    OPERATOR: "12345热线中心",
    HANDLER: "承办部门",
    SUPERVISOR: "督查人员",
    WINDOW: "办不成事窗口",
    CALLER: "诉求人",
    SYSTEM: "系统",
}

T = Ticket.Status
E = Extension.Status
C = Recurrence.Status

OPEN_WORK = [T.RECEIVED, T.DISPATCHED, T.RETURNED, T.HANDLING, T.WAITING, T.ANSWERED]
MERGEABLE = [T.RECEIVED, T.DISPATCHED, T.HANDLING, T.WAITING]


def _consult(context) -> bool:
    return context.get("category") == "consult"


def _not_rated(context) -> bool:
    return not context.get("rated")


def _department_given(context) -> bool:
    return bool(context.get("department"))


TICKET = register(
    machine(
        "hotline.ticket",
        audit_kind="hotline_ticket",
        states=dict(T.choices),
        terminal=[T.CLOSED, T.REDIRECTED],
        role_names=ROLE_NAMES,
        guards=[
            Guard("reason_given", reason_given, "请填写{event}的理由或内容"),
            Guard("consult", _consult, "只有咨询类工单可以当场答复办结"),
            Guard("not_rated", _not_rated, "该工单已评价，不能重复评价"),
            Guard("department_given", _department_given, "请选择承办部门"),
        ],
        events=[
            event("receive", NEW, T.RECEIVED, [OPERATOR, WINDOW, CALLER, SYSTEM], "受理"),
            event("redirect", NEW, T.REDIRECTED, [OPERATOR, WINDOW], "不予受理，告知反映渠道"),
            event(
                "resolve",
                T.RECEIVED,
                T.CLOSED,
                [OPERATOR],
                "当场答复办结",
                guards=["consult", "reason_given"],
            ),
            event("dispatch", T.RECEIVED, T.DISPATCHED, [OPERATOR], "派单", guards=["department_given"]),
            event("sign", T.DISPATCHED, T.HANDLING, [HANDLER], "签收"),
            event("return", T.DISPATCHED, T.RETURNED, [HANDLER], "退单", guards=["reason_given"]),
            event(
                "accept_return",
                T.RETURNED,
                T.RECEIVED,
                [OPERATOR],
                "同意退单（重新派单）",
                guards=["reason_given"],
            ),
            event(
                "reject_return", T.RETURNED, T.DISPATCHED, [OPERATOR], "不同意退单", guards=["reason_given"]
            ),
            event(
                "reassign",
                [T.DISPATCHED, T.RETURNED, T.HANDLING],
                T.DISPATCHED,
                [OPERATOR],
                "改派",
                guards=["department_given", "reason_given"],
            ),
            event(
                "transfer",
                T.HANDLING,
                T.DISPATCHED,
                [HANDLER],
                "转派",
                guards=["department_given", "reason_given"],
            ),
            event(
                "wait", T.HANDLING, T.WAITING, [HANDLER], "待群众补充（暂停计时）", guards=["reason_given"]
            ),
            event("resume", T.WAITING, T.HANDLING, [HANDLER, OPERATOR], "恢复办理"),
            event("answer", T.HANDLING, T.ANSWERED, [HANDLER], "答复", guards=["reason_given"]),
            event(
                "send_back",
                T.ANSWERED,
                T.HANDLING,
                [OPERATOR],
                "答复不合格，退回重办",
                guards=["reason_given"],
            ),
            event("finish", T.ANSWERED, T.FINISHED, [OPERATOR], "审核办结"),
            event("supervise", OPEN_WORK, SAME, [OPERATOR, SUPERVISOR], "督办", guards=["reason_given"]),
            event("merge", MERGEABLE, T.MERGED, [OPERATOR], "合并办理"),
            event("unmerge", T.MERGED, MERGEABLE, [OPERATOR], "取消合并", guards=["reason_given"]),
            event("finish_merged", T.MERGED, T.FINISHED, [SYSTEM], "随合并工单办结"),
            event(
                "revisit",
                T.FINISHED,
                [T.CLOSED, T.HANDLING],
                [OPERATOR],
                "回访",
                guards=["reason_given"],
            ),
            event("archive", T.FINISHED, T.CLOSED, [OPERATOR], "无法回访，办结归档", guards=["reason_given"]),
            event("rate", [T.FINISHED, T.CLOSED], SAME, [CALLER], "评价", guards=["not_rated"]),
        ],
    ),
    "hotline.ticket",
)

EXTENSION = register(
    machine(
        "hotline.extension",
        audit_kind="hotline_extension",
        states=dict(E.choices),
        terminal=[E.APPROVED, E.REFUSED],
        role_names=ROLE_NAMES,
        guards=[Guard("reason_given", reason_given, "请填写理由")],
        events=[
            event("request", NEW, E.PENDING, [HANDLER], "申请延期", guards=["reason_given"]),
            event("approve", E.PENDING, E.APPROVED, [OPERATOR], "同意延期"),
            event("refuse", E.PENDING, E.REFUSED, [OPERATOR], "不同意延期", guards=["reason_given"]),
        ],
    ),
    "hotline.extension",
)

RECURRENCE = register(
    machine(
        "hotline.recurrence",
        audit_kind="hotline_recurrence",
        states=dict(C.choices),
        terminal=[C.FIXED],
        role_names=ROLE_NAMES,
        guards=[Guard("reason_given", reason_given, "请填写整改说明")],
        events=[
            event("open", NEW, C.OPEN, [SYSTEM], "生成重复诉求整改任务"),
            event("fix", C.OPEN, C.FIXED, [HANDLER], "完成整改", guards=["reason_given"]),
        ],
    ),
    "hotline.recurrence",
)
