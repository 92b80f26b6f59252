"""Who may see and do what in data sharing (deny by default; outside scope is "not found").

- the **data authority** (数据主管部门): a ``data_authority`` staff role, or a platform admin;
- a **provider**: a department admin of the resource's providing department;
- a **requester**: staff (approver or department admin) of the using department;
- a **service token** (a department's system) acts for the department of its owner, and only
  under the approvals it names.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from onething.accounts.models import StaffRole
from onething.sharing.machines import AUTHORITY, PROVIDER, RAISER, REQUESTER
from onething.sharing.models import Dispute, Request, Resource

USING_ROLES = (StaffRole.APPROVER, StaffRole.DEPARTMENT_ADMIN)


def is_authority(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_role(StaffRole.DATA_AUTHORITY) or user.has_role(StaffRole.PLATFORM_ADMIN)
    )


def _department_roles(user) -> list[tuple[str, str]]:
    """(role, department) of each of this person's department roles: one plain query, kept on
    the user object for the request (the gateway asks on every call; ``user.roles()`` would
    also read regions and halls)."""
    cached = getattr(user, "_sharing_roles", None)
    if cached is None:
        cached = list(
            StaffRole.objects.filter(user_id=user.pk, department_id__isnull=False).values_list(
                "role", "department_id"
            )
        )
        user._sharing_roles = cached
    return cached


def staff_departments(user) -> set[str]:
    """Departments whose data this person may request and use (approver, department admin)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {department for role, department in _department_roles(user) if role in USING_ROLES}


def admin_departments(user) -> set[str]:
    """Departments this person answers for as a provider (department admin)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {department for role, department in _department_roles(user) if role == StaffRole.DEPARTMENT_ADMIN}


def is_sharing_staff(user) -> bool:
    return is_authority(user) or bool(staff_departments(user))


def service_scope(user) -> list[int] | None:
    """The approvals a service token may call under, or ``None`` for a person."""
    return getattr(user, "service_scope", None)


def roles_for(user, request: Request) -> set[str]:
    roles: set[str] = set()
    if service_scope(user) is not None:
        return roles  # a system calls the gateway; it never decides
    if is_authority(user):
        roles.add(AUTHORITY)
    if request.resource.provider_id in admin_departments(user):
        roles.add(PROVIDER)
    if request.department_id in staff_departments(user):
        roles.add(REQUESTER)
    return roles


def visible_requests(user) -> QuerySet[Request]:
    """Requests this person may see: the authority all, a provider those for its resources,
    a using department its own."""
    rows = Request.objects.select_related("resource", "resource__provider", "department")
    if is_authority(user):
        return rows
    return rows.filter(
        Q(department_id__in=staff_departments(user)) | Q(resource__provider_id__in=admin_departments(user))
    )


def may_call(user, request: Request) -> bool:
    """Whether ``user`` may call the gateway under ``request``: staff of the using department,
    or a service token naming it."""
    scope = service_scope(user)
    if scope is not None:
        return request.pk in scope
    return request.department_id in staff_departments(user)


def may_read_calls(user, resource: Resource) -> bool:
    """The call log of a resource: its provider's admins and the data authority."""
    return is_authority(user) or resource.provider_id in admin_departments(user)


def dispute_roles(user, dispute: Dispute) -> set[str]:
    roles: set[str] = set()
    if dispute.resource.provider_id in admin_departments(user):
        roles.add(PROVIDER)
    if dispute.raised_by_id == getattr(user, "pk", None):
        roles.add(RAISER)
    return roles
