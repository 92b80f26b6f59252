"""Who may see and do what with e-licences (deny by default; outside scope is "not found").

- the **holder**: the person whose 公民身份号码 the licence names, or a person validly
  authorised for the enterprise it names; sees it in full, consents to its use, shares it;
- the **issuer**: staff of the issuing department (approver, department admin) see what it
  issued; its department admins suspend, resume and revoke (role ``issuer`` of the machine);
- **anyone**: the public status and the verification page, which carry no personal data;
- the **platform admin**: licence types and the trust list, in the admin.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from onething.accounts.models import StaffRole
from onething.licences.machines import HOLDER, ISSUER
from onething.licences.models import Licence
from onething.sharing.disputes import subjects_of

STAFF_ROLES = (StaffRole.APPROVER, StaffRole.DEPARTMENT_ADMIN)


def _departments(user, roles) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        StaffRole.objects.filter(user_id=user.pk, role__in=roles, department_id__isnull=False).values_list(
            "department_id", flat=True
        )
    )


def issuing_departments(user) -> set[str]:
    """Departments whose issued licences this person may see."""
    return _departments(user, STAFF_ROLES)


def admin_departments(user) -> set[str]:
    """Departments for which this person suspends, resumes and revokes."""
    return _departments(user, (StaffRole.DEPARTMENT_ADMIN,))


def holder_ids(user) -> list[str]:
    """The holder numbers this person answers for: their own and their enterprises'."""
    return subjects_of(user)


def is_holder(user, licence: Licence) -> bool:
    return licence.holder_id in holder_ids(user)


def held(user) -> QuerySet[Licence]:
    ids = holder_ids(user)
    return (
        Licence.objects.filter(holder_id__in=ids).select_related("issuer", "type")
        if ids
        else Licence.objects.none()
    )


def visible(user) -> QuerySet[Licence]:
    """Licences this person may open: those they hold and those their department issued."""
    ids = holder_ids(user)
    departments = issuing_departments(user)
    if not ids and not departments:
        return Licence.objects.none()
    return Licence.objects.filter(Q(holder_id__in=ids) | Q(issuer_id__in=departments)).select_related(
        "issuer", "type"
    )


def roles_for(user, licence: Licence) -> set[str]:
    roles: set[str] = set()
    if licence.issuer_id in admin_departments(user):
        roles.add(ISSUER)
    if is_holder(user, licence):
        roles.add(HOLDER)
    return roles
