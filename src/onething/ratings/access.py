"""Who may do and see what in 好差评 (outside scope: 404, the callers raise it).

- The **rater** (the person served) sees their ratings and the answers to them.
- The **responsible unit** works a rectification: the rated department's admins
  (部门管理员), or for a window visit the hall's managers (大厅管理人员). They see who rated,
  to make the return call.
- A **reviewer** decides appeals and oversees the loop: the supervisors of the rating's region
  or above, and platform admins — but never for a unit they belong to (separation of duties:
  the ``outside_unit`` guard of ``ratings.appeal`` reads :func:`in_unit`).
- The **rated staff member** sees the ratings they received without the rater's identity.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from onething.accounts.models import StaffRole
from onething.directory.models import Region, within_q
from onething.ratings.machines import REVIEWER, UNIT
from onething.ratings.models import Appeal, Defect, Rating, Rectification


def _roles(user) -> list[StaffRole]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_rating_roles", None)
    if cached is None:
        cached = list(StaffRole.objects.filter(user=user).select_related("region"))
        user._rating_roles = cached
    return cached


def in_unit(user, *, department_id: str | None = None, hall_id: str | None = None) -> bool:
    """Whether ``user`` holds any role in the unit (its department, or its hall)."""
    for role in _roles(user):
        if department_id and role.department_id == department_id:
            return True
        if hall_id and role.hall_id == hall_id:
            return True
    return False


def works_for(user, *, department_id: str | None = None, hall_id: str | None = None) -> bool:
    """Whether ``user`` works the unit's rectifications (its admins, or the hall's managers)."""
    for role in _roles(user):
        if department_id and role.role == StaffRole.DEPARTMENT_ADMIN and role.department_id == department_id:
            return True
        if hall_id and role.role == StaffRole.HALL_MANAGER and role.hall_id == hall_id:
            return True
    return False


def reviews(user, region: Region) -> bool:
    """Whether ``user`` supervises ``region`` (a supervisor of it or above; a platform admin)."""
    chain = set(region.path.split("/"))
    for role in _roles(user):
        if role.role == StaffRole.PLATFORM_ADMIN:
            return True
        if role.role == StaffRole.SUPERVISOR and role.region_id in chain:
            return True
    return False


def unit_of(obj) -> dict:
    """The responsible unit of a rating, rectification, appeal or defect."""
    if isinstance(obj, Appeal):
        obj = obj.rating
    if isinstance(obj, Rating):
        if obj.department_id:
            return {"department_id": obj.department_id, "hall_id": None}
        return {"department_id": None, "hall_id": obj.hall_id}
    return {"department_id": obj.department_id, "hall_id": getattr(obj, "hall_id", None)}


def roles_for(user, obj) -> set[str]:
    """The machine roles ``user`` holds on a rectification, appeal or defect (or its rating)."""
    roles = set()
    unit = unit_of(obj)
    if works_for(user, **unit):
        roles.add(UNIT)
    region = obj.rating.region if isinstance(obj, Appeal) else obj.region
    if reviews(user, region):
        roles.add(REVIEWER)
    return roles


def context_for(user, obj, **extra) -> dict:
    """The guard context of a firing by ``user`` (``in_unit`` for the appeal's reviewer)."""
    return {"in_unit": in_unit(user, **unit_of(obj)), **extra}


def sees_rater(user, rating: Rating) -> bool:
    """Whether ``user`` may see who rated: the rater, the unit's workers and the reviewers —
    never the rated staff member (unless they are the rater)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if rating.rater_id == user.pk:
        return True
    if rating.staff_id == user.pk:
        return False
    return works_for(user, **unit_of(rating)) or reviews(user, rating.region)


def _unit_q(user, prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for role in _roles(user):
        if role.role == StaffRole.DEPARTMENT_ADMIN and role.department_id:
            q |= Q(**{f"{prefix}department_id": role.department_id})
        if role.role == StaffRole.HALL_MANAGER and role.hall_id:
            q |= Q(**{f"{prefix}department_id": None, f"{prefix}hall_id": role.hall_id})
    return q


def regions_reviewed(user) -> list[Region]:
    """The regions ``user`` supervises (the province for a platform admin)."""
    out = []
    for role in _roles(user):
        if role.role == StaffRole.PLATFORM_ADMIN:
            return list(Region.objects.filter(parent__isnull=True))
        if role.role == StaffRole.SUPERVISOR and role.region is not None:
            out.append(role.region)
    return out


def visible_rectifications(user) -> QuerySet[Rectification]:
    return Rectification.objects.filter(_unit_q(user) | within_q(regions_reviewed(user)))


def visible_appeals(user) -> QuerySet[Appeal]:
    return Appeal.objects.filter(
        _unit_q(user, "rating__") | within_q(regions_reviewed(user), "rating__region")
    )


def visible_defects(user) -> QuerySet[Defect]:
    q = Q(pk__in=[])
    for role in _roles(user):
        if role.role == StaffRole.DEPARTMENT_ADMIN and role.department_id:
            q |= Q(department_id=role.department_id)
    return Defect.objects.filter(q | within_q(regions_reviewed(user)))


def is_staff(user) -> bool:
    """Whether ``user`` holds any staff role (the staff pages are 404 to anyone else)."""
    return bool(_roles(user))


def works_some_unit(user) -> bool:
    """Whether ``user`` works any unit's rectifications (a department admin, a hall manager)."""
    return any(
        (role.role == StaffRole.DEPARTMENT_ADMIN and role.department_id)
        or (role.role == StaffRole.HALL_MANAGER and role.hall_id)
        for role in _roles(user)
    )


def received(user) -> QuerySet[Rating]:
    """The ratings ``user`` received as the rated staff member (given ones; who gave them is
    not for them to see: :func:`sees_rater`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Rating.objects.none()
    return Rating.objects.filter(staff=user, source=Rating.Source.GIVEN)
