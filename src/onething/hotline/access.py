"""Who may see and work a ticket, as machine roles (``machines.ROLE_NAMES``).

- **operator** — a 12345 话务人员 whose region contains the ticket's (the hotline centre);
- **handler** — a 12345 工单承办人员 or 部门管理员 of the department the ticket is assigned to
  (a department also reads the tickets in its card ledger);
- **supervisor** — a 督查人员 whose region contains the ticket's, or a platform admin;
- **window** — a 办不成事 window (window clerk or hall manager) of the hall that took it;
- **caller** — the signed-in person who filed it (the lookup code serves callers without an
  account: ``service.follow``).

Anyone else gets 404 (``visible`` filters querysets the same way).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from onething.accounts.models import StaffRole, User
from onething.hotline.machines import CALLER, HANDLER, OPERATOR, SUPERVISOR, WINDOW
from onething.hotline.models import Ticket

HANDLER_ROLES = (StaffRole.HOTLINE_HANDLER, StaffRole.DEPARTMENT_ADMIN)
WINDOW_ROLES = (StaffRole.WINDOW_CLERK, StaffRole.HALL_MANAGER)


def _roles(user) -> list[StaffRole]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_hotline_roles", None)
    if cached is None:
        cached = list(StaffRole.objects.filter(user=user).select_related("region"))
        user._hotline_roles = cached
    return cached


def _in(region_code: str, ticket_region_path: str) -> bool:
    return region_code in ticket_region_path.split("/")


def roles_for(user, ticket: Ticket) -> set[str]:
    roles: set[str] = set()
    if not getattr(user, "is_authenticated", False):
        return roles
    path = ticket.region.path
    for role in _roles(user):
        if role.role == StaffRole.HOTLINE_OPERATOR and role.region_id and _in(role.region_id, path):
            roles.add(OPERATOR)
        elif role.role in HANDLER_ROLES and role.department_id and role.department_id == ticket.assigned_id:
            roles.add(HANDLER)
        elif (
            role.role == StaffRole.SUPERVISOR and role.region_id and _in(role.region_id, path)
        ) or role.role == StaffRole.PLATFORM_ADMIN:
            roles.add(SUPERVISOR)
        elif role.role in WINDOW_ROLES and ticket.hall_id and role.hall_id == ticket.hall_id:
            roles.add(WINDOW)
    if ticket.caller_id and ticket.caller_id == user.pk:
        roles.add(CALLER)
    return roles


def may_read(user, ticket: Ticket) -> bool:
    if roles_for(user, ticket):
        return True
    # a department keeps reading the tickets in its card ledger
    departments = {r.department_id for r in _roles(user) if r.role in HANDLER_ROLES and r.department_id}
    return bool(departments) and ticket.cards.filter(department_id__in=departments).exists()


def staff_roles(user) -> set[str]:
    """The machine roles a user holds anywhere (which pages to show)."""
    out: set[str] = set()
    for role in _roles(user):
        if role.role == StaffRole.HOTLINE_OPERATOR:
            out.add(OPERATOR)
        elif role.role in HANDLER_ROLES:
            out.add(HANDLER)
        elif role.role in (StaffRole.SUPERVISOR, StaffRole.PLATFORM_ADMIN):
            out.add(SUPERVISOR)
        elif role.role in WINDOW_ROLES:
            out.add(WINDOW)
    return out


def visible(user, queryset: QuerySet | None = None) -> QuerySet:
    """The tickets ``user`` may read (staff scope, or their own as a caller)."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    condition = Q(caller_id=user.pk)
    for role in _roles(user):
        if role.role in (StaffRole.HOTLINE_OPERATOR, StaffRole.SUPERVISOR) and role.region_id:
            path = role.region.path
            condition |= Q(region__path=path) | Q(region__path__startswith=f"{path}/")
        elif role.role == StaffRole.PLATFORM_ADMIN:
            return queryset
        elif role.role in HANDLER_ROLES and role.department_id:
            condition |= Q(assigned_id=role.department_id) | Q(cards__department_id=role.department_id)
        elif role.role in WINDOW_ROLES and role.hall_id:
            condition |= Q(hall_id=role.hall_id)
    return queryset.filter(condition).distinct()


def operators(region) -> QuerySet:
    """The hotline centre's operators whose region contains ``region``."""
    chain = region.path.split("/")
    roles = StaffRole.objects.filter(role=StaffRole.HOTLINE_OPERATOR, region_id__in=chain)
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))


def handlers(department_id: str | None) -> QuerySet:
    if not department_id:
        return User.objects.none()
    roles = StaffRole.objects.filter(role__in=HANDLER_ROLES, department_id=department_id)
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))


def supervisors(region) -> QuerySet:
    chain = region.path.split("/")
    roles = StaffRole.objects.filter(
        Q(role=StaffRole.SUPERVISOR, region_id__in=chain) | Q(role=StaffRole.PLATFORM_ADMIN)
    )
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))
