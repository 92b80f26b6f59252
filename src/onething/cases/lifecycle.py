"""办件生命周期: the state machine of applications and sub-cases, as data, plus the functions
that move them.

The tables :data:`APPLICATION_TRANSITIONS` and :data:`SUBCASE_TRANSITIONS` say, for every
event, from which states it may happen, to which state it leads and who may trigger it. The
functions below only ever move a case through :func:`_check`, so the table is the single
truth — the API, the web pages and the tests read the same table.

Every transition is **one transaction** that locks the application row, changes the case,
appends its hash-chained audit record and queues the notifications (sent after commit).
An illegal transition raises :class:`IllegalTransition` (HTTP 409, Chinese message).

Time is always passed in (``now``; ``today`` defaults to ``now``'s local date): nothing here
reads the wall clock on its own when the caller gives a time, so tests control the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from onething.accounts.masking import mask_text
from onething.audit.log import record
from onething.calendar.service import get_calendar
from onething.cases import deadlines, inputs, notices
from onething.cases.access import APPLICANT, APPROVER, CLERK, SUPERVISOR, SYSTEM, roles_for
from onething.cases.models import (
    Application,
    Commitment,
    CorrectionRequest,
    Delivery,
    Extension,
    GapRule,
    Inspection,
    Material,
    PostCheck,
    SpecialProcedure,
    SubCase,
)
from onething.core.errors import ApiError
from onething.notifications.service import notify, notify_group

S = Application.Status
SS = SubCase.Status

#: Material kinds that can never be missing at acceptance (not eligible for 容缺).
KEY_MATERIAL_KINDS = frozenset({"id_document", "form"})
#: 延期 at most this many working days in total (行政许可法 art. 42: 10 working days).
MAX_EXTENSION_DAYS = 10
#: 告知承诺 post-check within this many working days of approval.
POST_CHECK_DAYS = 20

NEW = "__new__"
RESUME = "__resume__"  # back to the state the case was in before 补正
SAME = "__same__"  # the event records something without changing the state


# ------------------------------------------------------------------------------- errors


class CaseError(ApiError):
    """A refused action on a case; the API turns it into a 4xx JSON error."""


class IllegalTransition(CaseError):
    def __init__(self, message: str):
        super().__init__(409, "illegal_transition", message)


class NotPermitted(CaseError):
    def __init__(self, message: str = "您无权执行此操作"):
        super().__init__(403, "forbidden", message)


class InvalidAction(CaseError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(400, "invalid", message, field)


# ------------------------------------------------------------------------------- the tables


@dataclass(frozen=True)
class Transition:
    event: str
    sources: frozenset[str]
    targets: tuple[str, ...]
    actors: frozenset[str]
    label: str


def T(event: str, sources: Iterable[str], targets, actors: Iterable[str], label: str) -> Transition:
    targets = (targets,) if isinstance(targets, str) else tuple(targets)
    return Transition(event, frozenset(sources), targets, frozenset(actors), label)


BEFORE_ACCEPTANCE = (S.SUBMITTED, S.PRE_REVIEWED)
RUNNING = (S.ACCEPTED, S.IN_REVIEW)

APPLICATION_TRANSITIONS: tuple[Transition, ...] = (
    T("submit", [NEW], S.SUBMITTED, [APPLICANT, CLERK], "提交申请"),
    T("pre_review", [S.SUBMITTED], S.PRE_REVIEWED, [CLERK], "预审通过"),
    T("accept", BEFORE_ACCEPTANCE, S.ACCEPTED, [CLERK], "受理"),
    T("accept_with_gaps", BEFORE_ACCEPTANCE, S.ACCEPTED, [CLERK], "容缺受理"),
    T("accept_on_commitment", BEFORE_ACCEPTANCE, S.ACCEPTED, [CLERK], "告知承诺受理"),
    T("reject", BEFORE_ACCEPTANCE, S.REJECTED, [CLERK], "不予受理"),
    T(
        "request_correction",
        [*BEFORE_ACCEPTANCE, *RUNNING],
        S.CORRECTION,
        [CLERK, APPROVER, SYSTEM],  # system: a missed 容缺 commitment under a "correction" rule
        "要求补正",
    ),
    T("resubmit", [S.CORRECTION], RESUME, [APPLICANT, CLERK], "补正后重新提交"),
    T("start_review", [S.ACCEPTED], S.IN_REVIEW, [APPROVER, CLERK, SYSTEM], "开始审批"),
    T("complete", RUNNING, S.DECIDED, [SYSTEM, APPROVER, CLERK], "办结"),
    T("schedule_inspection", RUNNING, SAME, [APPROVER, CLERK], "安排联合现场核查"),
    T("record_inspection", RUNNING, SAME, [APPROVER, CLERK], "记录现场核查结果"),
    T("flag_gap_overdue", [*RUNNING, S.DECIDED, S.CORRECTION], SAME, [SYSTEM], "容缺材料逾期未补齐"),
    T("result_ready", [S.DECIDED], S.RESULT_READY, [CLERK, APPROVER], "办理结果已制作"),
    T("deliver", [S.RESULT_READY], S.DELIVERED, [CLERK], "送达办理结果"),
    T(
        "withdraw",
        [*BEFORE_ACCEPTANCE, S.CORRECTION, *RUNNING],
        S.WITHDRAWN,
        [APPLICANT],
        "撤回申请",
    ),
    T("close", [S.DELIVERED, S.REJECTED, S.WITHDRAWN], S.CLOSED, [CLERK, SUPERVISOR, SYSTEM], "归档"),
)

SUBCASE_TRANSITIONS: tuple[Transition, ...] = (
    T("route", [SS.PENDING], [SS.WAITING, SS.IN_REVIEW], [SYSTEM], "分送承办部门"),
    T("unblock", [SS.WAITING], SS.IN_REVIEW, [SYSTEM], "前置事项已办结，开始审查"),
    T("start_review", [SS.IN_REVIEW], SAME, [APPROVER], "承办人签收"),
    T("pause", [SS.IN_REVIEW, SS.WAITING], SS.CORRECTION, [SYSTEM], "补正期间暂停"),
    T("resume", [SS.CORRECTION], RESUME, [SYSTEM], "补正完成，恢复办理"),
    T("start_special_procedure", [SS.IN_REVIEW], SS.SPECIAL, [APPROVER], "启动特别程序"),
    T("end_special_procedure", [SS.SPECIAL], SS.IN_REVIEW, [APPROVER], "特别程序结束"),
    # 延期: the department asks (pending), a supervisor of the region approves or refuses; a
    # supervisor's own "extend" is requested and approved in one step
    T("extend", [SS.IN_REVIEW, SS.SPECIAL], SAME, [APPROVER, SUPERVISOR], "延长办理时限"),
    T("approve_extension", [SS.IN_REVIEW, SS.SPECIAL], SAME, [SUPERVISOR], "批准延期"),
    T(
        "refuse_extension",
        [SS.PENDING, SS.WAITING, SS.IN_REVIEW, SS.CORRECTION, SS.SPECIAL],
        SAME,
        [SUPERVISOR],
        "不批准延期",
    ),
    T("decide", [SS.IN_REVIEW], [SS.APPROVED, SS.REFUSED], [APPROVER], "作出决定"),
    T("record_post_check", [SS.APPROVED], SAME, [APPROVER], "记录事后核查结果"),
    T(
        "stop",
        [SS.PENDING, SS.WAITING, SS.IN_REVIEW, SS.CORRECTION, SS.SPECIAL],
        SS.STOPPED,
        [SYSTEM],
        "终止办理",
    ),
)

_APP = {t.event: t for t in APPLICATION_TRANSITIONS}
_SUB = {t.event: t for t in SUBCASE_TRANSITIONS}
ROLE_NAMES = {
    APPLICANT: "申请人",
    CLERK: "综合窗口",
    APPROVER: "审批部门",
    SUPERVISOR: "督查",
    SYSTEM: "系统",
}


def allowed_events(status: str, roles: set[str], subcase: bool = False) -> list[str]:
    """Events the holder of ``roles`` may trigger in ``status`` (for showing buttons)."""
    table = SUBCASE_TRANSITIONS if subcase else APPLICATION_TRANSITIONS
    return [t.event for t in table if status in t.sources and roles & t.actors]


def _status_name(model, status: str) -> str:
    return dict(model.Status.choices).get(status, status)


def _check(table: dict[str, Transition], model, status: str, event: str, roles: set[str]) -> Transition:
    transition = table[event]
    if not roles & transition.actors:
        raise NotPermitted(f"您无权执行“{transition.label}”")
    if status not in transition.sources:
        raise IllegalTransition(f"当前状态“{_status_name(model, status)}”不能执行“{transition.label}”")
    return transition


# ------------------------------------------------------------------------------- plumbing


def _clock(now: dt.datetime | None, today: dt.date | None) -> tuple[dt.datetime, dt.date]:
    now = now or timezone.now()
    return now, today or timezone.localdate(now)


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("region", "hall")
        .get(pk=application.pk)
    )


def _roles(actor, application: Application, subcase: SubCase | None = None) -> set[str]:
    return roles_for(actor, application, subcase)


def _audit(event: str, obj, actor, now, reason: str = "", **data) -> None:
    kind = "application" if isinstance(obj, Application) else "subcase"
    record(f"{kind}.{event}", kind, obj.number, actor=actor, reason=reason, data=data, at=now)


def _link(application: Application) -> str:
    return f"/cases/{application.number}/"


def _tell_applicant(application: Application, event: str, title: str, body: str = "") -> None:
    """The applicant person, and the agent (帮办代办) — who is not the owner of the personal
    numbers in the text, so theirs come masked."""
    if application.applicant_id:
        notify(application.applicant, f"case.{event}", title, body, _link(application))
    if application.agent_id and application.agent_id != application.applicant_id:
        _tell_non_owner(application.agent, application, event, title, body)


def _tell_non_owner(person, application: Application, event: str, title: str, body: str = "") -> None:
    """One person who is not the case's owner (the agent, a member of staff): personal numbers
    in the text masked. (Groups of staff — :func:`_tell_departments`, :func:`_tell_clerks`,
    :func:`_tell_supervisors` — are masked by ``notify_group``.)"""
    notify(person, f"case.{event}", mask_text(title), mask_text(body), _link(application))


def _tell_departments(application: Application, subcases, event: str, title: str, body: str = "") -> None:
    from onething.accounts.models import StaffRole, User

    departments = {s.department_id for s in subcases}
    if not departments:
        return
    people = User.objects.filter(
        staff_roles__role=StaffRole.APPROVER, staff_roles__department_id__in=departments
    )
    notify_group(people, f"case.{event}", title, body, _link(application))


def _tell_clerks(application: Application, event: str, title: str, body: str = "") -> None:
    from onething.accounts.models import StaffRole, User

    # one filter() call: both conditions must hold for the same role row
    where = (
        {"staff_roles__hall_id": application.hall_id}
        if application.hall_id
        else {"staff_roles__hall__region_id": application.region_id}
    )
    people = User.objects.filter(staff_roles__role=StaffRole.WINDOW_CLERK, **where)
    notify_group(people, f"case.{event}", title, body, _link(application))


def _tell_supervisors(application: Application, event: str, title: str, body: str = "") -> None:
    """The supervisors of the application's region and of the regions above it."""
    from onething.accounts.models import StaffRole, User

    path = application.region.path if application.region_id else ""
    regions = [code for code in path.split("/") if code] or [application.region_id]
    people = User.objects.filter(staff_roles__role=StaffRole.SUPERVISOR, staff_roles__region_id__in=regions)
    notify_group(people, f"case.{event}", title, body, _link(application))


def _subcases(application: Application) -> list[SubCase]:
    return list(application.subcases.select_for_update().order_by("position"))


# ------------------------------------------------------------------------------- intake decisions


def pre_review(application: Application, actor, *, now=None, today=None, reason: str = "") -> Application:
    """预审: the window checked the online application; acceptance follows."""
    now, today = _clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "pre_review", _roles(actor, app))
        app.status = S.PRE_REVIEWED
        app.save()
        _audit("pre_review", app, actor, now, reason, to=app.status)
        _tell_applicant(app, "pre_review", f"您的办件 {app.number} 已通过预审", reason)
    return app


def missing_materials(app: Application, received: Iterable[str] = ()) -> list[dict]:
    """Required, non-exempt materials of the frozen plan not yet uploaded or received."""
    have = set(app.materials.exclude(source="gap").values_list("material", flat=True)) | set(received)
    return [
        m
        for m in app.plan.get("materials", [])
        if m.get("required", True) and not m.get("exempt") and m["material"] not in have
    ]


def _record_paper(app: Application, received: Iterable[str], actor) -> None:
    names = {m["material"]: m["name"] for m in app.plan.get("materials", [])}
    existing = set(app.materials.values_list("material", flat=True))
    for code in received:
        if code not in names:
            raise InvalidAction(f"材料 {code} 不在本件的材料清单中", "received")
        if code not in existing:
            Material.objects.create(
                application=app, material=code, name=names[code], source="paper", uploaded_by=actor
            )


def _accept(
    app: Application,
    actor,
    event: str,
    now: dt.datetime,
    today: dt.date,
    *,
    reason: str = "",
    received: Iterable[str] = (),
    gaps: Iterable[str] = (),
    commitment_date: dt.date | None = None,
    on_the_spot: bool = False,
) -> Application:
    _check(_APP, Application, app.status, event, _roles(actor, app))
    received = list(received)
    gaps = list(dict.fromkeys(gaps))
    _record_paper(app, received, actor)
    missing = {m["material"]: m for m in missing_materials(app)}
    if event == "accept_with_gaps":
        if not gaps:
            raise InvalidAction("容缺受理须列明所缺材料", "gaps")
        if commitment_date is None or commitment_date <= today:
            raise InvalidAction("容缺受理须约定晚于今日的补齐日期", "commitment_date")
        for code in gaps:
            line = missing.get(code)
            if line is None:
                raise InvalidAction(f"材料 {code} 并未缺少或不在材料清单中", "gaps")
            if line.get("kind") in KEY_MATERIAL_KINDS:
                raise InvalidAction(f"“{line['name']}”是核心材料，不能容缺", "gaps")
        still = [m["name"] for code, m in missing.items() if code not in gaps]
        if still:
            raise InvalidAction("以下材料既未提交也未列为容缺：" + "、".join(still), "gaps")
        for code in gaps:
            Material.objects.create(
                application=app,
                material=code,
                name=missing[code]["name"],
                source="gap",
                commitment_date=commitment_date,
                uploaded_by=actor,
            )
        app.intake = "gaps"
        app.gap_commitment_date = commitment_date
    elif missing and event == "accept":
        raise InvalidAction(
            "材料不齐，不能直接受理（可容缺受理或要求补正）："
            + "、".join(m["name"] for m in missing.values()),
            "materials",
        )
    else:
        app.intake = "commitment" if event == "accept_on_commitment" else "normal"

    calendar = get_calendar()
    app.status = S.ACCEPTED
    app.accepted_at = now
    app.reason = reason
    app.limit_days = int(app.plan.get("limit_days") or 0)
    deadlines.start(app, today, calendar)
    subs = _subcases(app)
    ready = []
    for sub in subs:
        _check(_SUB, SubCase, sub.status, "route", {SYSTEM})
        if sub.after:
            sub.status = SS.WAITING
        else:
            sub.status = SS.IN_REVIEW
            deadlines.start(sub, today, calendar)
            ready.append(sub)
        sub.save()
        _audit("route", sub, None, now, to=sub.status)
    app.save()
    label = _APP[event].label
    _audit(
        event,
        app,
        actor,
        now,
        reason,
        to=app.status,
        due_date=str(app.due_date),
        received=received,
        gaps=gaps,
        commitment_date=str(commitment_date) if commitment_date else None,
    )
    kind = "gaps" if event == "accept_with_gaps" else "acceptance"
    notices.issue(app, kind, actor, today)
    _tell_applicant(
        app, event, f"您的办件 {app.number} 已{label}", f"承诺办结日期：{app.due_date:%Y年%m月%d日}"
    )
    _tell_departments(app, ready, "routed", f"新办件待审查：{app.number}", app.name)
    if on_the_spot:
        for sub in ready:
            if sub.limit_days == 0:
                _decide(app, sub, actor, "approved", "即办件，当场办结", now, today, on_the_spot=True)
    return app


def accept(application, actor, *, now=None, today=None, reason="", received=(), on_the_spot=False):
    """受理: materials complete; clocks start today (the acceptance day does not count).

    ``on_the_spot``: 即办件 (promised limit 0) are decided by the clerk at once.
    """
    now, today = _clock(now, today)
    reason, received = inputs.reason(reason), inputs.codes(received, "received")
    if not isinstance(on_the_spot, bool):
        raise InvalidAction("“当场办结”应为是或否", "on_the_spot")
    with transaction.atomic():
        return _accept(
            _lock(application),
            actor,
            "accept",
            now,
            today,
            reason=reason,
            received=received,
            on_the_spot=on_the_spot,
        )


def accept_with_gaps(
    application, actor, *, gaps, commitment_date, now=None, today=None, reason="", received=()
):
    """容缺受理: accepted with listed non-key materials missing, against a commitment date."""
    now, today = _clock(now, today)
    reason, received = inputs.reason(reason), inputs.codes(received, "received")
    gaps = inputs.codes(gaps, "gaps")
    if commitment_date is not None:
        commitment_date = inputs.ahead(commitment_date, "commitment_date", today)
    with transaction.atomic():
        return _accept(
            _lock(application),
            actor,
            "accept_with_gaps",
            now,
            today,
            reason=reason,
            received=received,
            gaps=gaps,
            commitment_date=commitment_date,
        )


def accept_on_commitment(
    application, actor, *, commitment_text: str, signed_by_name: str, now=None, today=None, received=()
):
    """告知承诺: approved on the applicant's signed commitment; a post-check task per sub-case."""
    now, today = _clock(now, today)
    commitment_text = inputs.long_text(commitment_text, "commitment_text")
    signed_by_name = inputs.line(signed_by_name, "signed_by_name", inputs.NAME_MAX)
    received = inputs.codes(received, "received")
    if not commitment_text or not signed_by_name:
        raise InvalidAction("须提供承诺内容和承诺人", "commitment_text")
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "accept_on_commitment", _roles(actor, app))
        Commitment.objects.create(
            application=app, text=commitment_text, signed_by_name=signed_by_name, signed_on=today
        )
        app = _accept(app, actor, "accept_on_commitment", now, today, received=received)
        calendar = get_calendar()
        for sub in _subcases(app):
            if sub.status == SS.WAITING:  # the commitment covers the whole chain at once
                sub.status = SS.IN_REVIEW
                deadlines.start(sub, today, calendar)
                sub.save()
        for sub in _subcases(app):
            if sub.status == SS.IN_REVIEW:
                _decide(
                    app,
                    sub,
                    actor,
                    "approved",
                    "告知承诺制：依申请人书面承诺准予办理",
                    now,
                    today,
                    on_the_spot=True,
                )
                PostCheck.objects.create(
                    subcase=sub, due_date=deadlines.add_workdays(today, POST_CHECK_DAYS, calendar)
                )
    return app


def reject(application, actor, *, reason: str, now=None, today=None) -> Application:
    """不予受理 (with reason): the application ends; a 不予受理决定书 is issued."""
    now, today = _clock(now, today)
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("不予受理须说明理由", "reason")
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "reject", _roles(actor, app))
        app.status = S.REJECTED
        app.reason = reason
        app.closed_at = now
        _stop_all(app, now, "不予受理")
        app.save()
        _audit("reject", app, actor, now, reason, to=app.status)
        notices.issue(app, "rejection", actor, today)
        _tell_applicant(app, "reject", f"您的办件 {app.number} 不予受理", reason)
    return app


def request_correction(application, actor, *, items: list[str], reason: str, now=None, today=None):
    """补正: tell the applicant what is missing; every running clock stops until resubmission."""
    now, today = _clock(now, today)
    items, reason = inputs.correction_items(items), inputs.reason(reason)
    if not items or not reason:
        raise InvalidAction("补正通知须列明需补正的内容并说明理由", "items")
    with transaction.atomic():
        app = _lock(application)
        _request_correction(app, actor, list(items), reason, now, today)
    return app


def _request_correction(app: Application, actor, items: list[str], reason: str, now, today) -> None:
    """补正 on a locked application, inside the caller's transaction (``actor`` None: system)."""
    _check(_APP, Application, app.status, "request_correction", _roles(actor, app))
    app.resume_status = app.status
    app.status = S.CORRECTION
    app.reason = reason
    deadlines.pause(app, today)
    for sub in _subcases(app):
        if sub.status in _SUB["pause"].sources:
            sub.resume_status = sub.status
            sub.status = SS.CORRECTION
            deadlines.pause(sub, today)
            sub.save()
    app.save()
    CorrectionRequest.objects.create(
        application=app, items=items, reason=reason, requested_by=actor, requested_on=today
    )
    _audit("request_correction", app, actor, now, reason, to=app.status, items=items)
    notices.issue(app, "correction", actor, today, extra={"items": items, "reason": reason})
    _tell_applicant(app, "request_correction", f"您的办件 {app.number} 需要补正材料", "；".join(items))


def resubmit(application, actor, *, now=None, today=None, reason: str = "") -> Application:
    """补正后重新提交: the clocks resume; due dates move by the working days paused."""
    now, today = _clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "resubmit", _roles(actor, app))
        calendar = get_calendar()
        app.status = app.resume_status or S.SUBMITTED
        app.resume_status = ""
        paused = deadlines.resume(app, today, calendar)
        for sub in _subcases(app):
            if sub.status == SS.CORRECTION:
                sub.status = sub.resume_status or SS.IN_REVIEW
                sub.resume_status = ""
                deadlines.resume(sub, today, calendar)
                sub.save()
        app.save()
        correction = app.corrections.filter(resolved_on__isnull=True).order_by("-id").first()
        if correction is not None:
            correction.resolved_on = today
            correction.paused_days = paused
            correction.save()
        _audit("resubmit", app, actor, now, reason, to=app.status, paused_days=paused)
        _tell_clerks(app, "resubmit", f"办件 {app.number} 已补正", reason)
        _tell_departments(
            app, app.subcases.filter(status__in=[SS.IN_REVIEW]), "resubmit", f"办件 {app.number} 已补正"
        )
    return app


def withdraw(application, actor, *, reason: str = "", now=None, today=None) -> Application:
    """撤回: the applicant ends the application before a decision."""
    now, today = _clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "withdraw", _roles(actor, app))
        app.status = S.WITHDRAWN
        app.closed_at = now
        app.reason = reason
        deadlines.stop(app)
        running = [s for s in _subcases(app) if s.status in (SS.IN_REVIEW, SS.SPECIAL, SS.CORRECTION)]
        _stop_all(app, now, "申请人撤回申请")
        app.save()
        _audit("withdraw", app, actor, now, reason, to=app.status)
        _tell_applicant(app, "withdraw", f"您的办件 {app.number} 已撤回", reason)
        _tell_departments(app, running, "withdraw", f"办件 {app.number} 已由申请人撤回", reason)
    return app


def _stop_all(app: Application, now, why: str) -> None:
    deadlines.stop(app)
    for sub in _subcases(app):
        if sub.status in _SUB["stop"].sources:
            _stop_sub(sub, now, why)


def _stop_sub(sub: SubCase, now, why: str) -> None:
    """终止办理 (system): the clock stops for good and a pending 延期 request lapses."""
    sub.status = SS.STOPPED
    sub.reasons = why
    deadlines.stop(sub)
    sub.save()
    _lapse_extensions(sub, now)
    _audit("stop", sub, None, now, why, to=sub.status)


def _lapse_extensions(sub: SubCase, now) -> None:
    """A 延期 request still pending when its sub-case is decided or stopped lapses."""
    Extension.objects.filter(subcase=sub, status=Extension.Status.PENDING).update(
        status=Extension.Status.LAPSED, decided_at=now
    )


# ------------------------------------------------------------------------------- back office


def _sub_roles(actor, app: Application, sub: SubCase) -> set[str]:
    return _roles(actor, app, sub)


def _load_sub(subcase: SubCase) -> tuple[Application, SubCase]:
    app = _lock(subcase.application)
    return app, SubCase.objects.select_for_update().get(pk=subcase.pk)


def _require_running(app: Application, what: str) -> None:
    if app.status not in RUNNING:
        raise IllegalTransition(f"办件当前状态“{_status_name(Application, app.status)}”，不能{what}")


def start_review(subcase: SubCase, actor, *, now=None, today=None) -> SubCase:
    """签收: an approver takes the sub-case as its handler."""
    now, today = _clock(now, today)
    with transaction.atomic():
        app, sub = _load_sub(subcase)
        _check(_SUB, SubCase, sub.status, "start_review", _sub_roles(actor, app, sub))
        _require_running(app, "签收")
        sub.handler = actor
        sub.started_at = now
        sub.save()
        _audit("start_review", sub, actor, now)
        if app.status == S.ACCEPTED:
            app.status = S.IN_REVIEW
            app.save()
            _audit("start_review", app, None, now, to=app.status)
    return sub


def _decide(app, sub, actor, decision, reasons, now, today, on_the_spot=False) -> None:
    """Record a decision and let the consequences ripple (dependants, completion)."""
    calendar = get_calendar()
    sub.status = SS.APPROVED if decision == "approved" else SS.REFUSED
    sub.decision = decision
    sub.reasons = reasons
    sub.decided_at = now
    sub.handler = sub.handler or actor
    deadlines.stop(sub)
    sub.save()
    _lapse_extensions(sub, now)
    _audit("decide", sub, actor, now, reasons, decision=decision, on_the_spot=on_the_spot)
    _tell_applicant(
        app,
        "decide",
        f"{sub.item_name}：{'准予办理' if decision == 'approved' else '不予许可'}",
        reasons,
    )
    if app.status == S.ACCEPTED:
        app.status = S.IN_REVIEW
    subs = {s.item_code: s for s in _subcases(app)}
    subs[sub.item_code] = sub
    if decision == "approved":
        for other in subs.values():
            if other.status == SS.WAITING and all(
                subs[a].status == SS.APPROVED for a in other.after if a in subs
            ):
                other.status = SS.IN_REVIEW
                deadlines.start(other, today, calendar)
                other.save()
                _audit("unblock", other, None, now, to=other.status, after=other.after)
                _tell_departments(app, [other], "routed", f"新办件待审查：{other.number}", other.item_name)
    else:
        # a refused dependency stops everything that waits on it, transitively
        blocked = {sub.item_code}
        changed = True
        while changed:
            changed = False
            for other in subs.values():
                if (
                    other.status == SS.WAITING
                    and blocked & set(other.after)
                    and other.item_code not in blocked
                ):
                    blocked.add(other.item_code)
                    why = f"前置事项“{sub.item_name}”不予许可，本事项无法继续办理"
                    _stop_sub(other, now, why)
                    _tell_applicant(app, "stopped", f"{other.item_name}：终止办理", why)
                    changed = True
    _maybe_complete(app, subs.values(), now, today)
    app.save()


def _maybe_complete(app: Application, subs, now, today) -> None:
    if all(s.status in (SS.APPROVED, SS.REFUSED, SS.STOPPED) for s in subs):
        _check(_APP, Application, app.status, "complete", {SYSTEM})
        app.status = S.DECIDED
        app.decided_at = now
        deadlines.stop(app)
        _audit("complete", app, None, now, to=app.status)
        notices.issue(app, "completion", None, today)
        _tell_applicant(app, "complete", f"您的办件 {app.number} 已办结", "可查看并下载办结通知书")
        _tell_clerks(app, "complete", f"办件 {app.number} 已办结，待统一出件")


def decide(subcase: SubCase, actor, *, decision: str, reasons: str = "", now=None, today=None) -> SubCase:
    """作出决定: approve, or refuse with reasons. 即办件 may be decided by the window clerk."""
    now, today = _clock(now, today)
    if decision not in ("approved", "refused"):
        raise InvalidAction("决定应为 approved（准予）或 refused（不予）", "decision")
    reasons = inputs.long_text(reasons, "reasons")
    if decision == "refused" and not reasons:
        raise InvalidAction("不予许可须说明理由", "reasons")
    with transaction.atomic():
        app, sub = _load_sub(subcase)
        roles = _sub_roles(actor, app, sub)
        if CLERK in roles and sub.limit_days == 0:
            roles = roles | {APPROVER}  # 即办件: decided on the spot at the window
        _check(_SUB, SubCase, sub.status, "decide", roles)
        _require_running(app, "作出决定")
        if sub.inspection_required and decision == "approved":
            inspection = Inspection.objects.filter(application=app).first()
            if inspection is None or not inspection.recorded_at:
                raise IllegalTransition("本事项须先完成联合现场核查，才能准予许可")
            if inspection.result == "failed":
                raise IllegalTransition("现场核查不符合要求，不能准予许可")
        _decide(app, sub, actor, decision, reasons, now, today)
    return sub


def start_special_procedure(subcase: SubCase, actor, *, kind: str, reason: str, now=None, today=None):
    """特别程序 (听证、专家评审、检验检测 …): the time is not counted in the limit."""
    now, today = _clock(now, today)
    if kind not in dict(SpecialProcedure.KINDS):
        raise InvalidAction("特别程序类型不正确", "kind")
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("须说明启动特别程序的事由", "reason")
    with transaction.atomic():
        app, sub = _load_sub(subcase)
        _check(_SUB, SubCase, sub.status, "start_special_procedure", _sub_roles(actor, app, sub))
        _require_running(app, "启动特别程序")
        sub.status = SS.SPECIAL
        deadlines.pause(sub, today)
        sub.save()
        SpecialProcedure.objects.create(
            subcase=sub, kind=kind, reason=reason, started_on=today, started_by=actor
        )
        _audit("start_special_procedure", sub, actor, now, reason, kind=kind)
        _tell_applicant(
            app,
            "special",
            f"{sub.item_name}：进入{dict(SpecialProcedure.KINDS)[kind]}程序（不计入办理时限）",
            reason,
        )
    return sub


def end_special_procedure(subcase: SubCase, actor, *, now=None, today=None, reason: str = "") -> SubCase:
    """End the special procedure; the due date moves by the working days it took."""
    now, today = _clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app, sub = _load_sub(subcase)
        _check(_SUB, SubCase, sub.status, "end_special_procedure", _sub_roles(actor, app, sub))
        calendar = get_calendar()
        days = deadlines.resume(sub, today, calendar)
        sub.status = SS.IN_REVIEW
        sub.save()
        procedure = sub.special_procedures.filter(ended_on__isnull=True).order_by("-id").first()
        if procedure is not None:
            procedure.ended_on = today
            procedure.paused_days = days
            procedure.save()
        if app.timed and days:
            app.paused_days += days  # the bundle's limit excludes the same time
            deadlines.recompute(app, calendar)
            app.warning = deadlines.classify(app, today)
            app.save()
        _audit("end_special_procedure", sub, actor, now, reason, paused_days=days, due_date=str(sub.due_date))
    return sub


# ------------------------------------------------------------------------------- 延期 (art. 42)

EXT = Extension.Status


def _extension_input(days, reason: str) -> str:
    """The cleaned reason, once ``days`` and ``reason`` are acceptable for a 延期."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidAction("延长工作日数应为正整数", "days")
    if days > MAX_EXTENSION_DAYS:
        raise InvalidAction(f"延长工作日数不得超过{MAX_EXTENSION_DAYS}个", "days")
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("延期须说明理由（将告知申请人）", "reason")
    return reason


def _pending_extension(sub: SubCase) -> Extension | None:
    return Extension.objects.filter(subcase=sub, status=EXT.PENDING).first()


def _check_extension_cap(sub: SubCase, days: int, pending: int = 0) -> None:
    """Approved plus requested days stay within the statutory 10 working days."""
    if sub.extension_days + pending + days > MAX_EXTENSION_DAYS:
        left = max(0, MAX_EXTENSION_DAYS - sub.extension_days - pending)
        raise InvalidAction(
            f"延期合计不得超过{MAX_EXTENSION_DAYS}个工作日（已批准{sub.extension_days}个，"
            f"待审批{pending}个，最多还可延长{left}个）",
            "days",
        )


def _apply_extension(app: Application, sub: SubCase, ext: Extension, actor, now, today) -> None:
    """The approved days move the sub-case's due date (and the application's, if it is later)."""
    calendar = get_calendar()
    deadlines.extend(sub, ext.days, today, calendar)
    sub.save()
    if app.due_date and sub.due_date and sub.due_date > app.due_date:
        deadlines.extend(
            app, deadlines.workdays_between(app.due_date, sub.due_date, calendar), today, calendar
        )
        app.save()
    ext.status = EXT.APPROVED
    ext.decided_by = actor
    ext.decided_at = now
    ext.save()
    _audit(
        "extend",
        sub,
        actor,
        now,
        ext.reason,
        days=ext.days,
        extension=ext.pk,
        requested_by=ext.requested_by_id,
        approved_by=actor.pk,
        due_date=str(sub.due_date),
    )
    _tell_applicant(
        app,
        "extend",
        f"{sub.item_name}：办理时限延长{ext.days}个工作日",
        f"延期理由：{ext.reason}。新的办理期限：{sub.due_date:%Y年%m月%d日}",
    )


def request_extension(subcase: SubCase, actor, *, days: int, reason: str, now=None, today=None) -> Extension:
    """延期申请 by the department: pending until a supervisor of the region decides.

    One pending request per sub-case; approved plus requested days at most
    :data:`MAX_EXTENSION_DAYS`. The region's supervisors are told.
    """
    now, today = _clock(now, today)
    reason = _extension_input(days, reason)
    with transaction.atomic():
        app, sub = _load_sub(subcase)
        roles = _sub_roles(actor, app, sub)
        _check(_SUB, SubCase, sub.status, "extend", roles)
        if APPROVER not in roles:
            raise NotPermitted("延期申请由承办部门提出")
        _require_running(app, "申请延期")
        if _pending_extension(sub) is not None:
            raise IllegalTransition("本子件已有待审批的延期申请，请等待督查审批")
        _check_extension_cap(sub, days)
        ext = Extension.objects.create(
            subcase=sub, days=days, reason=reason, requested_by=actor, requested_at=now
        )
        _audit("request_extension", sub, actor, now, reason, days=days, extension=ext.pk)
        _tell_supervisors(
            app,
            "extension_requested",
            f"延期申请待审批：{sub.number}",
            f"{sub.item_name}申请延长{days}个工作日。理由：{reason}",
        )
    return ext


def extend(subcase: SubCase, actor, *, days: int, reason: str, now=None, today=None) -> Extension:
    """延期 (art. 42), the entry point of the API and the pages.

    A supervisor of the region extends at once (requested and approved in one step, one audit
    record); the department's approver files a request (:func:`request_extension`) that stays
    pending until a supervisor approves or refuses it.
    """
    now, today = _clock(now, today)
    reason = _extension_input(days, reason)
    if SUPERVISOR not in _sub_roles(actor, subcase.application, subcase):
        return request_extension(subcase, actor, days=days, reason=reason, now=now, today=today)
    with transaction.atomic():
        app, sub = _load_sub(subcase)
        roles = _sub_roles(actor, app, sub)
        _check(_SUB, SubCase, sub.status, "extend", roles)
        _check(_SUB, SubCase, sub.status, "approve_extension", roles)
        _require_running(app, "延期")
        pending = _pending_extension(sub)
        _check_extension_cap(sub, days, pending.days if pending else 0)
        ext = Extension.objects.create(
            subcase=sub,
            days=days,
            reason=reason,
            status=EXT.APPROVED,
            requested_by=actor,
            requested_at=now,
            decided_by=actor,
            decided_at=now,
        )
        _apply_extension(app, sub, ext, actor, now, today)
    return ext


def _load_extension(extension: Extension, actor, event: str) -> tuple[Application, SubCase, Extension]:
    """Lock the case and the request; the actor must be a supervisor of the region."""
    app, sub = _load_sub(extension.subcase)
    ext = Extension.objects.select_for_update().get(pk=extension.pk)
    roles = _sub_roles(actor, app, sub)
    if SUPERVISOR not in roles:
        raise NotPermitted("延期须经本区划督查（分管负责人）批准")
    if ext.status != EXT.PENDING:
        raise IllegalTransition(f"该延期申请{ext.get_status_display()}，不能再审批")
    _check(_SUB, SubCase, sub.status, event, roles)
    return app, sub, ext


def approve_extension(extension: Extension, actor, *, now=None, today=None) -> Extension:
    """批准延期: the deadline moves; the applicant (with the reason) and the requester are told."""
    now, today = _clock(now, today)
    with transaction.atomic():
        app, sub, ext = _load_extension(extension, actor, "approve_extension")
        _require_running(app, "批准延期")
        _check_extension_cap(sub, ext.days)
        _apply_extension(app, sub, ext, actor, now, today)
        _tell_non_owner(
            ext.requested_by,
            app,
            "extension_approved",
            f"延期申请已批准：{sub.number}",
            f"{sub.item_name}延长{ext.days}个工作日，新的办理期限：{sub.due_date:%Y年%m月%d日}",
        )
    return ext


def refuse_extension(extension: Extension, actor, *, reason: str, now=None, today=None) -> Extension:
    """不批准延期 (with reasons): nothing about the deadline changes; the requester is told."""
    now, today = _clock(now, today)
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("不批准延期须说明理由", "reason")
    with transaction.atomic():
        app, sub, ext = _load_extension(extension, actor, "refuse_extension")
        ext.status = EXT.REFUSED
        ext.decided_by = actor
        ext.decided_at = now
        ext.refusal_reason = reason
        ext.save()
        _audit(
            "refuse_extension",
            sub,
            actor,
            now,
            reason,
            days=ext.days,
            extension=ext.pk,
            requested_by=ext.requested_by_id,
        )
        _tell_non_owner(
            ext.requested_by,
            app,
            "extension_refused",
            f"延期申请未获批准：{sub.number}",
            f"{sub.item_name}申请延长{ext.days}个工作日未获批准。理由：{reason}",
        )
    return ext


def schedule_inspection(application, actor, *, on: dt.date, location: str = "", now=None, today=None):
    """一次联合踏勘: one inspection for every undecided sub-case that needs one."""
    now, today = _clock(now, today)
    on = inputs.ahead(on, "on", today)
    location = inputs.line(location, "location", inputs.ADDRESS_MAX)
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "schedule_inspection", _roles(actor, app))
        if Inspection.objects.filter(application=app).exists():
            raise IllegalTransition("本件已安排联合现场核查")
        subs = [s for s in _subcases(app) if s.inspection_required and not s.is_decided]
        if not subs:
            raise IllegalTransition("本件没有需要现场核查的事项")
        if on < today:
            raise InvalidAction("核查日期不能早于今天", "on")
        inspection = Inspection.objects.create(
            application=app, scheduled_for=on, location=location, scheduled_by=actor
        )
        inspection.subcases.set(subs)
        _audit("schedule_inspection", app, actor, now, on=str(on), subcases=[s.number for s in subs])
        _tell_applicant(app, "inspection", f"联合现场核查安排在 {on:%Y年%m月%d日}", location)
        _tell_departments(app, subs, "inspection", f"办件 {app.number} 联合现场核查：{on:%Y-%m-%d}", location)
    return inspection


def record_inspection(application, actor, *, result: str, findings: str = "", now=None, today=None):
    now, today = _clock(now, today)
    if result not in ("passed", "failed"):
        raise InvalidAction("核查结论应为 passed（符合）或 failed（不符合）", "result")
    findings = inputs.long_text(findings, "findings")
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "record_inspection", _roles(actor, app))
        inspection = Inspection.objects.filter(application=app).first()
        if inspection is None:
            raise IllegalTransition("尚未安排联合现场核查")
        if inspection.recorded_at:
            raise IllegalTransition("现场核查结果已记录")
        inspection.result = result
        inspection.findings = findings
        inspection.recorded_by = actor
        inspection.recorded_at = now
        inspection.save()
        _audit("record_inspection", app, actor, now, findings, result=result)
    return inspection


def record_post_check(
    check: PostCheck, actor, *, passed: bool, result: str, now=None, today=None
) -> PostCheck:
    """告知承诺事后核查: the commitment turned out true (or not)."""
    now, today = _clock(now, today)
    if not isinstance(passed, bool):
        raise InvalidAction("核查结论应为属实（true）或不实（false）", "passed")
    result = inputs.long_text(result, "result")
    if not result:
        raise InvalidAction("请填写核查结果", "result")
    with transaction.atomic():
        app, sub = _load_sub(check.subcase)
        _check(_SUB, SubCase, sub.status, "record_post_check", _sub_roles(actor, app, sub))
        check = PostCheck.objects.select_for_update().get(pk=check.pk)
        if check.status != "open":
            raise IllegalTransition("事后核查已记录")
        check.status = "passed" if passed else "failed"
        check.result = result
        check.checked_by = actor
        check.checked_at = now
        check.save()
        _audit("record_post_check", sub, actor, now, result, passed=passed)
        if not passed:
            _tell_applicant(app, "post_check", f"{sub.item_name}：事后核查发现承诺不实", result)
    return check


# ------------------------------------------------------------------------------- results


def result_ready(application, actor, *, method: str = "window", now=None, today=None) -> Application:
    """结果已制作: ready to go out together (综合窗口出件), by mail or electronically."""
    now, today = _clock(now, today)
    if method not in dict(Application._meta.get_field("delivery_method").choices):
        raise InvalidAction("出件方式应为 window、mail 或 electronic", "method")
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "result_ready", _roles(actor, app))
        app.status = S.RESULT_READY
        app.delivery_method = method
        app.save()
        _audit("result_ready", app, actor, now, method=method)
        how = dict(Application._meta.get_field("delivery_method").choices)[method]
        _tell_applicant(app, "result_ready", f"您的办件 {app.number} 办理结果已制作", f"出件方式：{how}")
    return app


def deliver(
    application, actor, *, method: str, tracking_number: str = "", address: str = "", now=None, today=None
) -> Application:
    """送达: handed out at the window, mailed (tracking number) or delivered electronically."""
    now, today = _clock(now, today)
    if method not in ("window", "mail", "electronic"):
        raise InvalidAction("送达方式应为 window、mail 或 electronic", "method")
    tracking_number = inputs.line(tracking_number, "tracking_number", inputs.TRACKING_MAX)
    address = inputs.line(address, "address", inputs.ADDRESS_MAX)
    if method == "mail" and not tracking_number:
        raise InvalidAction("邮寄送达须填写邮件单号", "tracking_number")
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "deliver", _roles(actor, app))
        app.status = S.DELIVERED
        app.delivery_method = method
        app.closed_at = now
        app.save()
        Delivery.objects.create(
            application=app,
            method=method,
            tracking_number=tracking_number,
            address=address,
            delivered_by=actor,
            delivered_at=now,
        )
        _audit("deliver", app, actor, now, method=method, tracking_number=tracking_number)
        body = f"邮件单号：{tracking_number}" if tracking_number else ""
        _tell_applicant(app, "deliver", f"您的办件 {app.number} 办理结果已送达", body)
    return app


def close(application, actor, *, now=None, today=None, reason: str = "") -> Application:
    """归档."""
    now, today = _clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = _lock(application)
        _check(_APP, Application, app.status, "close", _roles(actor, app))
        app.status = S.CLOSED
        app.closed_at = app.closed_at or now
        app.save()
        _audit("close", app, actor, now, reason)
    return app


# ------------------------------------------------------------------------------- 容缺 follow-up


def fulfil_gap(app: Application, material_code: str, now) -> bool:
    """A missing (容缺) material arrived; returns whether it closed a gap. Caller's transaction."""
    updated = Material.objects.filter(
        application=app, material=material_code, source="gap", fulfilled_at__isnull=True
    ).update(fulfilled_at=now)
    if (
        updated
        and not Material.objects.filter(application=app, source="gap", fulfilled_at__isnull=True).exists()
    ):
        Application.objects.filter(pk=app.pk).update(gap_overdue=False)
    return bool(updated)


def flag_missed_commitments(today: dt.date, now: dt.datetime | None = None) -> list[str]:
    """Periodic: 容缺 materials not supplied by the commitment date.

    Each application is flagged once (``gap_overdue``) and handled per the platform's
    :class:`GapRule` of its undecided member items (no rule: ``warn``):

    - ``warn``: the applicant and the window are told what is still missing;
    - ``terminate``: the item's undecided sub-case is stopped, the applicant told why;
    - ``correction``: the application goes to 补正 (the clocks stop) listing the missing
      materials, when 补正 is legal from its state — already in 补正 or decided, it is a warning.

    One transaction per application, with its audit records. Returns the numbers flagged.
    """
    now = now or timezone.now()
    ids = list(
        Material.objects.filter(source="gap", fulfilled_at__isnull=True, commitment_date__lt=today)
        .filter(application__gap_overdue=False)
        .values_list("application_id", flat=True)
        .distinct()
    )
    if not ids:
        return []
    rules = {  # one query for every rule the run may need
        rule.item_code: rule
        for rule in GapRule.objects.filter(
            item_code__in=SubCase.objects.filter(application_id__in=ids).values("item_code")
        )
    }
    numbers: list[str] = []
    for app_id in ids:
        with transaction.atomic():
            app = _lock(Application(pk=app_id))
            if app.gap_overdue or app.status not in _APP["flag_gap_overdue"].sources:
                continue
            _handle_missed_commitment(app, rules, now, today)
            numbers.append(app.number)
    return numbers


def _gap_action(rules: dict[str, GapRule], sub: SubCase) -> str:
    rule = rules.get(sub.item_code)
    return rule.action if rule is not None else GapRule.Action.WARN


def _handle_missed_commitment(app: Application, rules: dict[str, GapRule], now, today) -> None:
    missing = list(
        app.materials.filter(source="gap", fulfilled_at__isnull=True).values_list("name", flat=True)
    )
    listed = "、".join(missing)
    app.gap_overdue = True
    app.save()
    subs = _subcases(app)
    stopped = []
    for sub in subs:
        if _gap_action(rules, sub) == GapRule.Action.TERMINATE and sub.status in _SUB["stop"].sources:
            note = rules[sub.item_code].note.strip()
            why = f"容缺材料（{listed}）逾期未补齐，按本事项规定终止办理" + (f"。{note}" if note else "")
            _stop_sub(sub, now, why)
            stopped.append(sub)
            _tell_applicant(app, "stopped", f"{sub.item_name}：终止办理", why)
    correcting = [s for s in subs if not s.is_decided and _gap_action(rules, s) == GapRule.Action.CORRECTION]
    corrected = bool(correcting) and app.status in _APP["request_correction"].sources
    if corrected:
        notes = [rules[s.item_code].note.strip() for s in correcting if rules[s.item_code].note.strip()]
        reason = "容缺受理承诺的材料逾期未补齐，请补齐后重新提交；补正期间暂停计时" + "".join(
            f"。{n}" for n in notes
        )
        _request_correction(app, None, [f"补齐容缺材料：{name}" for name in missing], reason, now, today)
    _audit(
        "flag_gap_overdue",
        app,
        None,
        now,
        "容缺材料逾期未补齐",
        missing=missing,
        stopped=[s.number for s in stopped],
        correction=corrected,
    )
    if not corrected:  # 补正 sends its own notice and message
        _tell_applicant(app, "gap_overdue", f"您的办件 {app.number} 容缺材料已逾期", "请尽快补齐：" + listed)
    _tell_clerks(app, "gap_overdue", f"办件 {app.number} 容缺材料逾期未补齐", listed)
    if stopped:
        _tell_departments(app, stopped, "stopped", f"办件 {app.number} 容缺材料逾期，子件终止办理", listed)
    if app.status in RUNNING and all(s.is_decided for s in subs):
        _maybe_complete(app, subs, now, today)
        app.save()
