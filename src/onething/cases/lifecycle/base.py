"""What every lifecycle module shares: errors, time, locks, roles, firing and telling people.

Every transition is **one transaction** that locks the application row (then its sub-cases,
always in that order), fires the event of its machine (:mod:`onething.cases.machines`) through
the engine (:func:`fire`: the state is set and one audit record written), and queues its
notifications (sent after commit).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from onething.accounts.masking import mask_text
from onething.cases.access import roles_for
from onething.cases.machines import APPLICATION, RUNNING, SUBCASE
from onething.cases.models import Application, Extension, Inspection, SubCase
from onething.kernel import errors
from onething.notifications.service import notify, notify_group
from onething.workflow import engine

S = Application.Status
SS = SubCase.Status

# ------------------------------------------------------------------------------- errors

#: the errors a lifecycle function raises (domain errors: the API maps them to 409/403/400)
IllegalTransition = engine.IllegalTransition
NotPermitted = errors.NotPermitted
InvalidAction = errors.Invalid
#: every refusal of a case action (for ``except``)
CaseError = errors.DomainError


# ------------------------------------------------------------------------------- plumbing


def clock(now: dt.datetime | None, today: dt.date | None) -> tuple[dt.datetime, dt.date]:
    now = now or timezone.now()
    return now, today or timezone.localdate(now)


def lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("region", "hall")
        .get(pk=application.pk)
    )


def subcases(application: Application) -> list[SubCase]:
    """The application's sub-cases, locked (after the application: the one lock order)."""
    return list(application.subcases.select_for_update().order_by("position"))


def load_sub(subcase: SubCase) -> tuple[Application, SubCase]:
    app = lock(subcase.application)
    return app, SubCase.objects.select_for_update().get(pk=subcase.pk)


def roles(actor, application: Application, subcase: SubCase | None = None) -> set[str]:
    return roles_for(actor, application, subcase)


def context(app: Application, sub: SubCase | None = None, **more: Any) -> dict[str, Any]:
    """What the machines' guards read: the application's (and sub-case's) state and labels."""
    out: dict[str, Any] = {
        "application_status": app.status,
        "application_state": APPLICATION.state_label(app.status),
    }
    if sub is not None:
        out["subcase_status"] = sub.status
        out["subcase_state"] = SUBCASE.state_label(sub.status)
    out.update(more)
    return out


def fire(machine, obj, event: str, actor, now, *, roles: set[str], reason: str = "", **kwargs):
    """Fire ``event`` of ``machine`` on ``obj`` (the engine sets the state and writes the audit
    record); the caller saves ``obj``."""
    return engine.fire(machine, obj, event, roles=roles, actor=actor, at=now, reason=reason, **kwargs)


def create(machine, obj, event: str, actor, now, *, roles: set[str], reason: str = "", **kwargs):
    return engine.create(machine, obj, event, roles=roles, actor=actor, at=now, reason=reason, **kwargs)


def require_running(app: Application, what: str) -> None:
    """For actions that are not an event of the application: it must be being worked on."""
    if app.status not in RUNNING:
        raise IllegalTransition(f"办件当前状态“{APPLICATION.state_label(app.status)}”，不能{what}")


def inspection_state(app: Application) -> str | None:
    return Inspection.objects.filter(application=app).values_list("status", flat=True).first()


def pending_extension(sub: SubCase) -> Extension | None:
    return Extension.objects.filter(subcase=sub, status=Extension.Status.PENDING).first()


# ------------------------------------------------------------------------------- telling people


def link(application: Application) -> str:
    return f"/cases/{application.number}/"


def tell_applicant(application: Application, event: str, title: str, body: str = "") -> None:
    """The applicant person, and the agent (帮办代办) — who is not the owner of the personal
    numbers in the text, so theirs come masked."""
    if application.applicant_id:
        notify(application.applicant, f"case.{event}", title, body, link(application))
    if application.agent_id and application.agent_id != application.applicant_id:
        tell_non_owner(application.agent, application, event, title, body)


def tell_non_owner(person, application: Application, event: str, title: str, body: str = "") -> None:
    """One person who is not the case's owner (the agent, a member of staff): personal numbers
    in the text masked. (Groups of staff — :func:`tell_departments`, :func:`tell_clerks`,
    :func:`tell_supervisors` — are masked by ``notify_group``.)"""
    notify(person, f"case.{event}", mask_text(title), mask_text(body), link(application))


def tell_departments(application: Application, subs, event: str, title: str, body: str = "") -> None:
    from onething.accounts.models import StaffRole, User

    departments = {s.department_id for s in subs}
    if not departments:
        return
    people = User.objects.filter(
        staff_roles__role=StaffRole.APPROVER, staff_roles__department_id__in=departments
    )
    notify_group(people, f"case.{event}", title, body, link(application))


def tell_clerks(application: Application, event: str, title: str, body: str = "") -> None:
    from onething.accounts.models import StaffRole, User

    # one filter() call: both conditions must hold for the same role row
    where = (
        {"staff_roles__hall_id": application.hall_id}
        if application.hall_id
        else {"staff_roles__hall__region_id": application.region_id}
    )
    people = User.objects.filter(staff_roles__role=StaffRole.WINDOW_CLERK, **where)
    notify_group(people, f"case.{event}", title, body, link(application))


def tell_supervisors(application: Application, event: str, title: str, body: str = "") -> None:
    """The supervisors who cover the application (:func:`onething.cases.access.supervisors_of`)."""
    from onething.cases.access import supervisors_of

    notify_group(supervisors_of(application), f"case.{event}", title, body, link(application))
