"""Accounts API: who am I."""

from __future__ import annotations

from ninja import Router, Schema

from onething.accounts.auth import authenticated
from onething.accounts.masking import id_for_viewer
from onething.core.errors import responses

router = Router(tags=["accounts"])


class RoleOut(Schema):
    role: str
    role_name: str
    region: str | None
    department: str | None
    hall: str | None


class MeOut(Schema):
    username: str
    real_name: str
    id_number: str
    roles: list[RoleOut]


@router.get("/me", response=responses(MeOut, 401), auth=authenticated, summary="当前用户")
def me(request):
    user = request.auth
    return {
        "username": user.username,
        "real_name": user.real_name,
        "id_number": id_for_viewer(user.id_number, user, user),
        "roles": [
            {
                "role": r.role,
                "role_name": r.get_role_display(),
                "region": r.region_id,
                "department": r.department_id,
                "hall": r.hall_id,
            }
            for r in user.roles()
        ],
    }
