"""The working-day limits of data sharing, on the platform's clocks.

A request runs one clock per stage — ``check`` (the data authority, 2 working days), ``answer``
(the provider, 5, or 10 when the data must first be published), ``settle`` (the authority
coordinating a dispute) — and a 数据异议 runs ``answer`` (the provider). The limits are clock
policies seeded by migration (``sharing.rules.POLICIES``), editable in the admin, regional ones
first. The stage's due date is projected onto the row (``due_date``, ``warning``) so lists stay
column reads. Yellow tells the stage's owners; red tells them again and escalates to the data
authority (audience codes ``owner`` and ``authority`` of the policy).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.clocks import registry
from onething.clocks import service as clocks
from onething.clocks.service import CalendarMissing
from onething.kernel.workdays import YearNotLoaded
from onething.notifications.service import notify_group
from onething.sharing.models import Dispute, Request

REQUEST_KIND, DISPUTE_KIND = "sharing.request", "sharing.dispute"
STAGES = ("check", "answer", "settle")


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _due_date(clock) -> dt.date:
    # a working-day clock is due at the midnight that ends its last day
    return timezone.localdate(clock.due_at - dt.timedelta(days=1))


def start(obj, stage: str, policy: str, region: str | None, on: dt.date) -> None:
    """Start ``stage``'s clock of a request or dispute on ``on`` (the day does not count) and
    project its due date; a calendar year not loaded is refused (409), nothing is written."""
    kind = REQUEST_KIND if isinstance(obj, Request) else DISPUTE_KIND
    try:
        clock = clocks.start((kind, str(obj.pk)), stage, policy, _midnight(on), region)
    except YearNotLoaded as exc:
        raise CalendarMissing(exc) from exc
    obj.due_date = _due_date(clock)
    if isinstance(obj, Request):
        obj.warning = clock.warning


def stop(obj, at: dt.datetime) -> None:
    """Stop whichever stage clock is running (a decision ends the stage)."""
    kind = REQUEST_KIND if isinstance(obj, Request) else DISPUTE_KIND
    for stage in STAGES:
        clocks.stop((kind, str(obj.pk)), stage, at)
    obj.due_date = None
    if isinstance(obj, Request):
        obj.warning = ""


def authority():
    """The data authority's people (a queryset, for ``notify_group``)."""
    roles = StaffRole.objects.filter(role__in=[StaffRole.DATA_AUTHORITY, StaffRole.PLATFORM_ADMIN])
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))


def department_admins(department_id: str):
    """The admins of a department (a queryset)."""
    roles = StaffRole.objects.filter(role=StaffRole.DEPARTMENT_ADMIN, department_id=department_id)
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))


def owners(request: Request, stage: str):
    """Whose stage it is: the authority checks and settles, the provider answers."""
    if stage == "answer":
        return department_admins(request.resource.provider_id)
    return authority()


def _warn(marks, level: str) -> None:
    label = "黄灯" if level == "yellow" else "红灯"
    for mark in marks:
        with transaction.atomic():
            if mark.owner_kind == REQUEST_KIND:
                obj = (
                    Request.objects.select_for_update()
                    .select_related("resource")
                    .filter(pk=mark.owner_id)
                    .first()
                )
                if obj is None:
                    continue
                Request.objects.filter(pk=obj.pk).update(warning=level)
                people = owners(obj, mark.name) if "owner" in mark.audience else User.objects.none()
                title = f"共享申请 {obj.pk}（{obj.resource.name}）{label}：{_due_date_of(mark)} 前须办结"
                link = f"/sharing/requests/{obj.pk}/"
            else:
                obj = Dispute.objects.select_related("resource").filter(pk=mark.owner_id).first()
                if obj is None:
                    continue
                people = (
                    department_admins(obj.resource.provider_id)
                    if "owner" in mark.audience
                    else User.objects.none()
                )
                title = f"数据异议 {obj.pk}（{obj.resource.name}）{label}：{_due_date_of(mark)} 前须答复"
                link = f"/sharing/disputes/{obj.pk}/"
            if level == "red" and "authority" in mark.audience:
                people = User.objects.filter(
                    Q(pk__in=people.values("pk")) | Q(pk__in=authority().values("pk"))
                )
            notify_group(people, f"sharing.{level}", title, "", link)


def _due_date_of(mark) -> str:
    return _due_date(mark).isoformat()


def register_clocks() -> None:
    for kind in (REQUEST_KIND, DISPUTE_KIND):
        registry.register(
            kind,
            on_yellow=lambda marks: _warn(marks, "yellow"),
            on_red=lambda marks: _warn(marks, "red"),
        )
