"""预审、受理、容缺受理、告知承诺受理、不予受理: the window's decisions on a submission."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from onething.calendar.service import get_calendar
from onething.cases import deadlines, inputs, notices
from onething.cases.access import APPROVER, SYSTEM
from onething.cases.lifecycle.base import (
    SS,
    InvalidAction,
    clock,
    create,
    fire,
    lock,
    roles,
    subcases,
    tell_applicant,
    tell_departments,
)
from onething.cases.lifecycle.review import decide_subcase, stop_all
from onething.cases.machines import APPLICATION, POST_CHECK, SUBCASE
from onething.cases.models import Application, Commitment, Material, PostCheck
from onething.workflow import engine

#: Material kinds that can never be missing at acceptance (not eligible for 容缺).
KEY_MATERIAL_KINDS = frozenset({"id_document", "form"})


def is_key_material(line: dict) -> bool:
    """A material of the plan that can never be missing at acceptance (容缺 is refused for it)."""
    return line.get("kind") in KEY_MATERIAL_KINDS


#: 告知承诺 post-check within this many working days of approval.
POST_CHECK_DAYS = 20


def pre_review(application: Application, actor, *, now=None, today=None, reason: str = "") -> Application:
    """预审: the window checked the online application; acceptance follows."""
    now, today = clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = lock(application)
        fire(APPLICATION, app, "pre_review", actor, now, roles=roles(actor, app), reason=reason)
        app.save()
        tell_applicant(app, "pre_review", f"您的办件 {app.number} 已通过预审", reason)
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


def _check_gaps(missing: dict[str, dict], gaps: list[str], commitment_date, today) -> None:
    if not gaps:
        raise InvalidAction("容缺受理须列明所缺材料", "gaps")
    if commitment_date is None or commitment_date <= today:
        raise InvalidAction("容缺受理须约定晚于今日的补齐日期", "commitment_date")
    for code in gaps:
        line = missing.get(code)
        if line is None:
            raise InvalidAction(f"材料 {code} 并未缺少或不在材料清单中", "gaps")
        if is_key_material(line):
            raise InvalidAction(f"“{line['name']}”是核心材料，不能容缺", "gaps")
    still = [m["name"] for code, m in missing.items() if code not in gaps]
    if still:
        raise InvalidAction("以下材料既未提交也未列为容缺：" + "、".join(still), "gaps")


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
    held = roles(actor, app)
    engine.check(APPLICATION, app.status, event, held)  # refuse before touching materials
    received = list(received)
    gaps = list(dict.fromkeys(gaps))
    _record_paper(app, received, actor)
    missing = {m["material"]: m for m in missing_materials(app)}
    if event == "accept_with_gaps":
        _check_gaps(missing, gaps, commitment_date, today)
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
    app.accepted_at = now
    app.reason = reason
    app.limit_days = int(app.plan.get("limit_days") or 0)
    deadlines.start(app, today, calendar)
    ready = []
    for sub in subcases(app):
        target = SS.WAITING if sub.after else SS.IN_REVIEW
        fire(SUBCASE, sub, "route", None, now, roles={SYSTEM}, target=target)
        if target == SS.IN_REVIEW:
            deadlines.start(sub, today, calendar)
            ready.append(sub)
        sub.save()
    fired = fire(
        APPLICATION,
        app,
        event,
        actor,
        now,
        roles=held,
        reason=reason,
        due_date=str(app.due_date),
        received=received,
        gaps=gaps,
        commitment_date=str(commitment_date) if commitment_date else None,
    )
    app.save()
    kind = "gaps" if event == "accept_with_gaps" else "acceptance"
    notices.issue(app, kind, actor, today)
    tell_applicant(
        app, event, f"您的办件 {app.number} 已{fired.label}", f"承诺办结日期：{app.due_date:%Y年%m月%d日}"
    )
    tell_departments(app, ready, "routed", f"新办件待审查：{app.number}", app.name)
    if on_the_spot:
        for sub in ready:
            if sub.limit_days == 0:
                decide_subcase(
                    app,
                    sub,
                    actor,
                    "approved",
                    "即办件，当场办结",
                    now,
                    today,
                    roles=held | {APPROVER},  # 即办件: decided on the spot at the window
                    on_the_spot=True,
                )
    return app


def accept(application, actor, *, now=None, today=None, reason="", received=(), on_the_spot=False):
    """受理: materials complete; clocks start today (the acceptance day does not count).

    ``on_the_spot``: 即办件 (promised limit 0) are decided by the clerk at once.
    """
    now, today = clock(now, today)
    reason, received = inputs.reason(reason), inputs.codes(received, "received")
    if not isinstance(on_the_spot, bool):
        raise InvalidAction("“当场办结”应为是或否", "on_the_spot")
    with transaction.atomic():
        return _accept(
            lock(application),
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
    now, today = clock(now, today)
    reason, received = inputs.reason(reason), inputs.codes(received, "received")
    gaps = inputs.codes(gaps, "gaps")
    if commitment_date is not None:
        commitment_date = inputs.ahead(commitment_date, "commitment_date", today)
    with transaction.atomic():
        return _accept(
            lock(application),
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
    now, today = clock(now, today)
    commitment_text = inputs.long_text(commitment_text, "commitment_text")
    signed_by_name = inputs.line(signed_by_name, "signed_by_name", inputs.NAME_MAX)
    received = inputs.codes(received, "received")
    if not commitment_text or not signed_by_name:
        raise InvalidAction("须提供承诺内容和承诺人", "commitment_text")
    with transaction.atomic():
        app = lock(application)
        engine.check(APPLICATION, app.status, "accept_on_commitment", roles(actor, app))
        Commitment.objects.create(
            application=app, text=commitment_text, signed_by_name=signed_by_name, signed_on=today
        )
        app = _accept(app, actor, "accept_on_commitment", now, today, received=received)
        calendar = get_calendar()
        subs = subcases(app)
        for sub in subs:
            if sub.status == SS.WAITING:  # the commitment covers the whole chain at once
                fire(SUBCASE, sub, "unblock", None, now, roles={SYSTEM}, after=sub.after, commitment=True)
                deadlines.start(sub, today, calendar)
                sub.save()
        for sub in subs:
            if sub.status == SS.IN_REVIEW:
                decide_subcase(
                    app,
                    sub,
                    actor,
                    "approved",
                    "告知承诺制：依申请人书面承诺准予办理",
                    now,
                    today,
                    roles={SYSTEM},  # on the applicant's signed commitment, not on review
                    on_the_spot=True,
                )
                check = PostCheck(
                    subcase=sub, due_date=deadlines.add_workdays(today, POST_CHECK_DAYS, calendar)
                )
                create(
                    POST_CHECK,
                    check,
                    "open_post_check",
                    None,
                    now,
                    roles={SYSTEM},
                    subject=("subcase", sub.number),
                    due_date=str(check.due_date),
                )
                check.save()
    return app


def reject(application, actor, *, reason: str, now=None, today=None) -> Application:
    """不予受理 (with reason): the application ends; a 不予受理决定书 is issued."""
    now, today = clock(now, today)
    reason = inputs.reason(reason)
    if not reason:
        raise InvalidAction("不予受理须说明理由", "reason")
    with transaction.atomic():
        app = lock(application)
        fire(APPLICATION, app, "reject", actor, now, roles=roles(actor, app), reason=reason)
        app.reason = reason
        app.closed_at = now
        stop_all(app, now, "不予受理")
        app.save()
        notices.issue(app, "rejection", actor, today)
        tell_applicant(app, "reject", f"您的办件 {app.number} 不予受理", reason)
    return app
