"""The lifecycles of the queue, declared as machines (:mod:`onething.kernel.machine`).

- :data:`SESSION` — 窗口签到 (``WindowSession.status``): a clerk signs in at a window, pauses
  with a reason and resumes, signs out (or is signed out on signing in elsewhere).
- :data:`TICKET` — 排队号 (``Ticket.status``): issued waiting; called by a window, recalled,
  finished, marked 过号 after enough calls, transferred back to waiting for another window or
  service; cancelled by its holder; voided at the end of the day.
- :data:`APPOINTMENT` — 预约 (``Appointment.status``): held while the person confirms (or
  booked at once), then arrived (it becomes a ticket), cancelled or late-cancelled (the
  choice follows the policy's limit), rescheduled (to a new record) or missed.

Roles: ``clerk`` is the staff member at the window (its session); ``person`` the visitor who
holds the ticket or booking; ``kiosk`` a hall's number machine; ``assistant`` a 帮办 staff member
of the hall; ``system`` the periodic tasks.
"""

from __future__ import annotations

from onething.halls.models import Appointment, Ticket, WindowSession
from onething.kernel.machine import NEW, SAME, Guard, event, machine, reason_given
from onething.workflow.engine import register

CLERK, PERSON, KIOSK, ASSISTANT, SYSTEM = "clerk", "person", "kiosk", "assistant", "system"
ROLE_NAMES = {
    CLERK: "窗口人员",
    PERSON: "办事人",
    KIOSK: "自助取号机",
    ASSISTANT: "帮办代办人员",
    SYSTEM: "系统",
}

W = WindowSession.Status
T = Ticket.Status
A = Appointment.Status


def _called_enough(context) -> bool:
    return context.get("calls", 0) >= context.get("no_show_calls", 1)


SESSION = register(
    machine(
        "halls.session",
        audit_kind="window_session",
        states=dict(W.choices),
        terminal=[W.CLOSED],
        role_names=ROLE_NAMES,
        guards=[Guard("reason_given", reason_given, "请填写暂停原因")],
        events=[
            event("sign_in", NEW, W.ACTIVE, [CLERK], "窗口签到"),
            event("pause", W.ACTIVE, W.PAUSED, [CLERK], "暂停服务", guards=["reason_given"]),
            event("resume", W.PAUSED, W.ACTIVE, [CLERK], "恢复服务"),
            event("sign_out", [W.ACTIVE, W.PAUSED], W.CLOSED, [CLERK, SYSTEM], "签退"),
        ],
    ),
    "halls.windowsession",
)

TICKET = register(
    machine(
        "halls.ticket",
        audit_kind="queue_ticket",
        states=dict(T.choices),
        terminal=[T.DONE, T.NO_SHOW, T.CANCELLED, T.EXPIRED],
        role_names=ROLE_NAMES,
        guards=[
            Guard("called_enough", _called_enough, "呼叫次数不足，请先重呼"),
            Guard("reason_given", reason_given, "请填写转移原因"),
        ],
        events=[
            event("issue", NEW, T.WAITING, [PERSON, CLERK, KIOSK, ASSISTANT, SYSTEM], "取号"),
            event("call", T.WAITING, T.CALLED, [CLERK], "叫号"),
            event("recall", T.CALLED, SAME, [CLERK], "重呼"),
            event("finish", T.CALLED, T.DONE, [CLERK], "办结"),
            event("no_show", T.CALLED, T.NO_SHOW, [CLERK], "过号", guards=["called_enough"]),
            event("transfer", T.CALLED, T.WAITING, [CLERK], "转移", guards=["reason_given"]),
            event("cancel", T.WAITING, T.CANCELLED, [PERSON], "取消排队"),
            event("expire", T.WAITING, T.EXPIRED, [SYSTEM], "当日作废"),
        ],
    ),
    "halls.ticket",
)

APPOINTMENT = register(
    machine(
        "halls.appointment",
        audit_kind="appointment",
        states=dict(A.choices),
        terminal=[A.ARRIVED, A.CANCELLED, A.LATE_CANCELLED, A.RESCHEDULED, A.NO_SHOW, A.EXPIRED],
        role_names=ROLE_NAMES,
        guards=[Guard("reason_given", reason_given, "请填写原因")],
        events=[
            event("hold", NEW, A.HELD, [PERSON], "锁定时段"),
            event("book", NEW, A.BOOKED, [PERSON], "预约"),
            event("confirm", A.HELD, A.BOOKED, [PERSON], "确认预约"),
            event("expire", A.HELD, A.EXPIRED, [SYSTEM], "锁定过期"),
            event(
                "cancel",
                [A.HELD, A.BOOKED],
                [A.CANCELLED, A.LATE_CANCELLED],
                [PERSON],
                "取消预约",
                guards=["reason_given"],
            ),
            event("reschedule", A.BOOKED, A.RESCHEDULED, [PERSON], "改约", guards=["reason_given"]),
            event("arrive", A.BOOKED, A.ARRIVED, [PERSON, CLERK, KIOSK, ASSISTANT], "到达签到"),
            event("miss", A.BOOKED, A.NO_SHOW, [SYSTEM], "爽约"),
        ],
    ),
    "halls.appointment",
)
