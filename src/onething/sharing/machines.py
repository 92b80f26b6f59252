"""The lifecycles of data sharing, declared as machines (:mod:`onething.kernel.machine`).

- :data:`REQUEST` — 共享申请 (``Request.status``): the data authority (数据主管部门) checks it;
  an unconditional resource is then approved, a conditional one goes to the provider, who
  approves or refuses; a refusal may be disputed (协商) and the authority settles it; the
  requester may withdraw it until it is approved. An
  approval can be suspended, resumed, revoked, and it expires at the end of its validity.
  A request for a 不予共享 resource is refused when it is made (``refuse_negative``).
- :data:`DISPUTE` — 数据异议 (``Dispute.status``): the provider corrects the value or upholds it.

Roles are the sharing roles of the person firing (``sharing.access.roles_for``).
"""

from __future__ import annotations

from onething.kernel.machine import NEW, Guard, event, machine, reason_given
from onething.sharing.models import Dispute, Request
from onething.workflow.engine import register

REQUESTER, AUTHORITY, PROVIDER, RAISER, SYSTEM = "requester", "authority", "provider", "raiser", "system"

ROLE_NAMES = {
    REQUESTER: "使用部门",
    AUTHORITY: "数据主管部门",
    PROVIDER: "提供部门",
    RAISER: "异议提出人",
    SYSTEM: "系统",
}

S = Request.Status
D = Dispute.Status


def _unconditional(context) -> bool:
    return context.get("sharing_class") == "unconditional"


def _conditional(context) -> bool:
    return context.get("sharing_class") == "conditional"


REQUEST = register(
    machine(
        "sharing.request",
        audit_kind="sharing_request",
        states=dict(S.choices),
        terminal=[S.REVOKED, S.EXPIRED, S.WITHDRAWN],
        role_names=ROLE_NAMES,
        guards=[
            Guard("unconditional", _unconditional, "有条件共享的资源须由提供部门批准"),
            Guard("conditional", _conditional, "无条件共享的资源在审核通过时即获批准"),
            Guard("reason_given", reason_given, "请填写理由"),
        ],
        events=[
            event("submit", NEW, S.PENDING, [REQUESTER], "提交共享申请"),
            event("refuse_negative", NEW, S.REFUSED, [REQUESTER], "列入负面清单，不予共享"),
            # the authority's check: unconditional data is granted at once, conditional goes on
            event("grant", S.PENDING, S.APPROVED, [AUTHORITY], "审核通过并授权", guards=["unconditional"]),
            event("check", S.PENDING, S.CHECKED, [AUTHORITY], "审核通过，转提供部门", guards=["conditional"]),
            event("refuse_check", S.PENDING, S.REFUSED, [AUTHORITY], "审核不通过", guards=["reason_given"]),
            event("approve", S.CHECKED, S.APPROVED, [PROVIDER], "同意共享"),
            event("refuse", S.CHECKED, S.REFUSED, [PROVIDER], "不予共享", guards=["reason_given"]),
            event("dispute", S.REFUSED, S.DISPUTED, [REQUESTER], "提出协商", guards=["reason_given"]),
            event("settle_approve", S.DISPUTED, S.APPROVED, [AUTHORITY], "协调后同意共享"),
            event(
                "settle_refuse",
                S.DISPUTED,
                S.REFUSED,
                [AUTHORITY],
                "协调后维持不予共享",
                guards=["reason_given"],
            ),
            event(
                "suspend", S.APPROVED, S.SUSPENDED, [PROVIDER, AUTHORITY], "暂停授权", guards=["reason_given"]
            ),
            event("resume", S.SUSPENDED, S.APPROVED, [PROVIDER, AUTHORITY], "恢复授权"),
            event(
                "revoke",
                [S.APPROVED, S.SUSPENDED],
                S.REVOKED,
                [PROVIDER, AUTHORITY],
                "撤销授权",
                guards=["reason_given"],
            ),
            event("expire", [S.APPROVED, S.SUSPENDED], S.EXPIRED, [SYSTEM], "授权到期"),
            event(
                "withdraw",
                [S.PENDING, S.CHECKED, S.REFUSED, S.DISPUTED],
                S.WITHDRAWN,
                [REQUESTER],
                "撤回申请",
            ),
        ],
    ),
    "sharing.request",
)

DISPUTE = register(
    machine(
        "sharing.dispute",
        audit_kind="sharing_dispute",
        states=dict(D.choices),
        terminal=[D.CORRECTED, D.UPHELD],
        role_names=ROLE_NAMES,
        guards=[Guard("reason_given", reason_given, "请填写答复")],
        events=[
            event("raise", NEW, D.OPEN, [RAISER], "提出数据异议"),
            event("correct", D.OPEN, D.CORRECTED, [PROVIDER], "核实并更正", guards=["reason_given"]),
            event("uphold", D.OPEN, D.UPHELD, [PROVIDER], "核实无误", guards=["reason_given"]),
        ],
    ),
    "sharing.dispute",
)

#: the API's ``approve``/``refuse`` mean the event the caller's role may fire in the state
APPROVE_EVENTS = ("grant", "check", "approve", "settle_approve")
REFUSE_EVENTS = ("refuse_check", "refuse", "settle_refuse")
