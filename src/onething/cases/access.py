"""Who may see and act on which application (object-level authorisation).

One rule set for the API and the web, so both give the same answer:

- **applicant**: the applicant, the agent (帮办代办) and whoever submitted it for themselves;
  for an enterprise application also every person currently authorised for the enterprise;
- **clerk** (综合窗口): applications taken in at their hall, and online applications of the
  hall's region (they do the pre-review and acceptance);
- **approver**: applications with a sub-case routed to their department (and only those
  sub-cases);
- **supervisor**: applications of their region and every region below it — by the
  application's region, for the application and all its sub-cases (:func:`supervisors_of`,
  :func:`supervised_cases`; ``directory`` says what "within" means).

Anyone else gets "not found" (404), never "forbidden": a 403 would confirm the number exists.

Seeing a case is not owning the personal numbers in it: only the **owner** — the applicant
person (``Application.applicant``) — sees them in full (:func:`is_owner`). The agent, the
clerk who filed it at the window, the enterprise's other authorised people and all staff see
them masked.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from onething.accounts.models import EnterpriseAuthorisation, StaffRole
from onething.cases.models import Application, Channel, Extension, PostCheck, SubCase
from onething.directory.models import chain, within, within_q

APPLICANT, CLERK, APPROVER, SUPERVISOR, SYSTEM = "applicant", "clerk", "approver", "supervisor", "system"


def _staff(user, role: str) -> list[StaffRole]:
    return [r for r in user.roles() if r.role == role] if user is not None and user.is_authenticated else []


def _enterprises(user) -> list[str]:
    today = timezone.localdate()
    return [a.enterprise_id for a in EnterpriseAuthorisation.objects.filter(user=user) if a.is_valid(today)]


def authorised_enterprises(user) -> list:
    """Enterprises ``user`` may currently act for (valid 法定代表人 or 经办人 authorisation)."""
    if user is None or not user.is_authenticated:
        return []
    today = timezone.localdate()
    return [
        a.enterprise
        for a in EnterpriseAuthorisation.objects.filter(user=user)
        .select_related("enterprise")
        .order_by("enterprise__name")
        if a.is_valid(today)
    ]


#: channels on which staff file for someone else (a window clerk at the counter, at a kiosk or
#: for another province): the one who filed is not the applicant — no withdraw or resubmit,
#: no personal numbers in full
FILED_FOR_OTHERS = (Channel.WINDOW, Channel.SELF_SERVICE, Channel.CROSS_PROVINCE)


def roles_for(user, application: Application, subcase: SubCase | None = None) -> set[str]:
    """The roles ``user`` holds on ``application`` (and on ``subcase`` for approvers)."""
    if user is None:
        return {SYSTEM}
    if not getattr(user, "is_authenticated", False):
        return set()
    roles: set[str] = set()
    if (
        user.pk in (application.applicant_id, application.agent_id)
        or (application.submitted_by_id == user.pk and application.channel not in FILED_FOR_OTHERS)
        or (application.enterprise_id and application.enterprise_id in _enterprises(user))
    ):
        roles.add(APPLICANT)
    for role in _staff(user, StaffRole.WINDOW_CLERK):
        if application.hall_id == role.hall_id or (
            application.hall_id is None
            and role.hall is not None
            and role.hall.region_id == application.region_id
        ):
            roles.add(CLERK)
    departments = {r.department_id for r in _staff(user, StaffRole.APPROVER)}
    if departments:
        if subcase is not None:
            if subcase.department_id in departments:
                roles.add(APPROVER)
        elif application.subcases.filter(department_id__in=departments).exists():
            roles.add(APPROVER)
    supervised = [r.region for r in _staff(user, StaffRole.SUPERVISOR) if r.region is not None]
    if any(within(_case_region_path(application), s.code) for s in supervised):
        roles.add(SUPERVISOR)
    return roles


def _case_region_path(application: Application) -> str:
    """The region that decides who supervises a case: its application's (the bundle's region),
    for the application and for every sub-case of it, whichever region a member's department
    sits in — so approving a 延期, seeing a case go red and the supervisor board agree."""
    return application.region.path if application.region_id else ""


def supervisors_of(application: Application) -> QuerySet:
    """The supervisors covering ``application`` (and its sub-cases): of its region and above."""
    from onething.accounts.models import User

    regions = chain(_case_region_path(application)) or [application.region_id]
    return User.objects.filter(staff_roles__role=StaffRole.SUPERVISOR, staff_roles__region_id__in=regions)


def supervised_cases(regions, field: str = "") -> Q:
    """Rows (applications, or rows reached through ``field``, e.g. ``subcase__application``)
    of cases the supervisors of ``regions`` cover."""
    return within_q(regions, f"{field}__region" if field else "region")


def is_owner(user, application: Application) -> bool:
    """Whether ``user`` is the applicant person of ``application``, the one who sees the
    personal numbers in it (theirs, and whatever staff typed about them) in full."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and application.applicant_id is not None
        and user.pk == application.applicant_id
    )


def _own(user) -> Q:
    """A person's own applications: as applicant, as agent, filed online by them, and those of
    the enterprises they are authorised for."""
    condition = Q(applicant=user) | Q(agent=user) | (Q(submitted_by=user) & ~Q(channel__in=FILED_FOR_OTHERS))
    enterprises = _enterprises(user)
    if enterprises:
        condition |= Q(enterprise_id__in=enterprises)
    return condition


def own_applications(user) -> QuerySet[Application]:
    """我的办件: the applications that are ``user``'s own (see :func:`_own`), not their work."""
    if user is None or not user.is_authenticated:
        return Application.objects.none()
    return Application.objects.filter(_own(user))


def visible_applications(user) -> QuerySet[Application]:
    """Every application ``user`` may see (``GET /applications``): their own and their work."""
    if user is None or not user.is_authenticated:
        return Application.objects.none()
    condition = _own(user)
    for role in _staff(user, StaffRole.WINDOW_CLERK):
        condition |= Q(hall_id=role.hall_id)
        if role.hall is not None:
            condition |= Q(hall__isnull=True, region_id=role.hall.region_id)
    departments = [r.department_id for r in _staff(user, StaffRole.APPROVER)]
    if departments:
        condition |= Q(pk__in=SubCase.objects.filter(department_id__in=departments).values("application_id"))
    condition |= supervised_cases(supervised_regions(user))
    return Application.objects.filter(condition)


def _visible_through_subcase(user, model) -> QuerySet:
    """Rows of ``model`` (each tied to a sub-case) ``user`` may see: their departments'
    (approvers) and those of applications in their regions (supervisors); none otherwise."""
    if user is None or not user.is_authenticated:
        return model.objects.none()
    condition = Q()
    departments = approver_departments(user)
    if departments:
        condition |= Q(subcase__department_id__in=departments)
    regions = supervised_regions(user)
    if regions:
        condition |= supervised_cases(regions, "subcase__application")
    if not condition:
        return model.objects.none()
    return model.objects.filter(condition)


def visible_post_checks(user) -> QuerySet[PostCheck]:
    """告知承诺事后核查 tasks ``user`` may see (approvers: their departments'; supervisors:
    their regions')."""
    return _visible_through_subcase(user, PostCheck)


def visible_extensions(user) -> QuerySet[Extension]:
    """延期 requests ``user`` may see: supervisors decide those of their regions, approvers
    file their departments'."""
    return _visible_through_subcase(user, Extension)


def approver_departments(user) -> set[str]:
    return {r.department_id for r in _staff(user, StaffRole.APPROVER)}


def clerk_halls(user) -> list:
    return [r.hall for r in _staff(user, StaffRole.WINDOW_CLERK) if r.hall is not None]


def supervised_regions(user) -> list:
    return [r.region for r in _staff(user, StaffRole.SUPERVISOR) if r.region is not None]
