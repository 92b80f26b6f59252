"""The working-day clocks of the 差评 loop and of catalog defects, on the platform's clocks.

A rectification runs one clock per stage — ``verify`` (1 working day from the rating),
``answer`` (fix and answer the rater: 5 working days from the verification, or up to the
plan's deadline when a complex case has one), ``revisit`` (2 working days from the answer) —
and a defect runs ``defect`` (10). The limits are clock policies seeded by migration
(``rules.POLICIES``), editable per region in the admin. The running stage's due date is
projected onto the row (``stage``, ``due_date``, ``warning``) so lists stay column reads.
Yellow tells the responsible unit; red tells it again and escalates to the region's
supervisors (audience codes ``owner`` and ``supervisor``).

An appeal pauses the running stage (the days of the review are given back); its dismissal
resumes it; an upheld appeal stops it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.calendar.service import get_calendar
from onething.clocks import registry
from onething.clocks import service as clocks
from onething.clocks.service import CalendarMissing
from onething.kernel.workdays import YearNotLoaded
from onething.notifications.service import notify_group
from onething.ratings import projection, rules
from onething.ratings.models import Defect, Rectification

RECT_KIND, DEFECT_KIND = "ratings.rectification", "ratings.defect"
STAGES = (rules.VERIFY, rules.ANSWER, rules.REVISIT)


def midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def due_date(clock) -> dt.date:
    # a working-day clock is due at the midnight that ends its last day
    return timezone.localdate(clock.due_at - dt.timedelta(days=1))


def _owner(obj) -> tuple[str, str]:
    return (RECT_KIND if isinstance(obj, Rectification) else DEFECT_KIND, str(obj.pk))


def start(obj, stage: str, on: dt.date, *, until: dt.date | None = None) -> None:
    """Start ``stage``'s clock of ``obj`` on ``on`` (that day does not count) and project its
    due date onto the row (the caller saves it). ``until``: a later deadline the unit set (a
    plan's), which lengthens the limit to the working days up to it. A calendar year not
    loaded is refused (409); nothing is written."""
    code = rules.POLICIES[stage][0]
    try:
        limit = None
        if until is not None:
            policy = clocks.policy_for(code, obj.region_id)
            limit = max(policy.limit, get_calendar().workdays_between(on, until))
        clock = clocks.start(_owner(obj), stage, code, midnight(on), obj.region_id, limit=limit)
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc
    if isinstance(obj, Rectification):
        obj.stage = stage
    obj.due_date = due_date(clock)
    obj.warning = clock.warning


def stop(obj, at: dt.datetime) -> bool | None:
    """Stop the running stage's clock; whether it was stopped by its due moment (None: none ran)."""
    names = STAGES if isinstance(obj, Rectification) else (rules.DEFECT,)
    on_time = None
    for name in names:
        clock = clocks.get(_owner(obj), name)
        if clock is not None and clock.stopped_at is None:
            on_time = at <= clock.due_at
            clocks.stop(_owner(obj), name, at)
    if isinstance(obj, Rectification):
        obj.stage = ""
    obj.due_date = None
    obj.warning = ""
    return on_time


def pause(rect: Rectification, at: dt.datetime) -> None:
    if rect.stage:
        clocks.pause(_owner(rect), rect.stage, at)
    rect.paused = True


def resume(rect: Rectification, at: dt.datetime) -> None:
    if rect.stage:
        try:
            clocks.resume(_owner(rect), rect.stage, at)
        except YearNotLoaded as exc:
            raise CalendarMissing(exc) from exc
        clock = clocks.get(_owner(rect), rect.stage)
        rect.due_date = due_date(clock)
        rect.warning = clock.warning
    rect.paused = False


# ------------------------------------------------------------------------------ who is told


def unit_staff(*, department_id: str | None = None, hall_id: str | None = None):
    """Who works a unit's rectifications: the department's admins, or the hall's managers."""
    if department_id:
        roles = StaffRole.objects.filter(role=StaffRole.DEPARTMENT_ADMIN, department_id=department_id)
    else:
        roles = StaffRole.objects.filter(role=StaffRole.HALL_MANAGER, hall_id=hall_id)
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))


def supervisors(region):
    """The supervisors whose region contains ``region`` (and the platform admins)."""
    chain = region.path.split("/")
    roles = StaffRole.objects.filter(
        Q(role=StaffRole.SUPERVISOR, region_id__in=chain) | Q(role=StaffRole.PLATFORM_ADMIN)
    )
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))


def _warn(marks, level: str) -> None:
    label = "黄灯" if level == "yellow" else "红灯"
    for mark in marks:
        with transaction.atomic():
            if mark.owner_kind == RECT_KIND:
                obj = (
                    Rectification.objects.select_for_update()
                    .select_related("rating", "rating__region", "region")
                    .filter(pk=mark.owner_id)
                    .first()
                )
                if obj is None or obj.stage != mark.name:
                    continue
                Rectification.objects.filter(pk=obj.pk).update(warning=level)
                if level == "red" and not obj.counted_due and mark.name == rules.ANSWER:
                    # overdue and not yet answered: it is due, and not on time, whatever follows
                    Rectification.objects.filter(pk=obj.pk).update(counted_due=True)
                    projection.add(obj.rating, projection.Counter(rect_due=1))
                stage = rules.POLICIES[mark.name][1].split("（")[0]
                title = f"差评整改 {obj.pk}（{obj.rating.service_name or obj.rating.item_name or '窗口服务'}）{label}：{stage}须于 {due_date(mark).isoformat()} 前完成"
                link = f"/ratings/rectifications/{obj.pk}/"
                unit = dict(department_id=obj.department_id, hall_id=obj.hall_id)
            else:
                obj = Defect.objects.select_related("region").filter(pk=mark.owner_id).first()
                if obj is None:
                    continue
                Defect.objects.filter(pk=obj.pk).update(warning=level)
                title = f"事项缺陷整改 {obj.pk}（{obj.item_name}）{label}：须于 {due_date(mark).isoformat()} 前完成"
                link = f"/ratings/defects/{obj.pk}/"
                unit = dict(department_id=obj.department_id)
            people = unit_staff(**unit) if "owner" in mark.audience else User.objects.none()
            if level == "red" and "supervisor" in mark.audience:
                people = User.objects.filter(
                    Q(pk__in=people.values("pk")) | Q(pk__in=supervisors(obj.region).values("pk"))
                )
            notify_group(people, f"ratings.{level}", title, "", link)


def register_clocks() -> None:
    for kind in (RECT_KIND, DEFECT_KIND):
        registry.register(
            kind,
            on_yellow=lambda marks: _warn(marks, "yellow"),
            on_red=lambda marks: _warn(marks, "red"),
        )
