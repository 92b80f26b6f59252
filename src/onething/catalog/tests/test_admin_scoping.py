"""Admin scoping: a department admin maintains only their own department's items.

部门管理员 edit the catalog of their department; letting them open or change another
department's item would let one bureau rewrite another's legal obligations.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from onething.accounts.models import StaffRole
from onething.catalog.models import Item

pytestmark = pytest.mark.django_db

OWN = "430626-SCJG-0103-01"
OTHER = "430626-RS-0701-01"
ITEM_PERMS = ["view_item", "change_item", "view_itemmaterial", "view_itemformfield"]


@pytest.fixture
def department_admin(demo, make_user):
    department = Item.objects.get(code=OWN).department
    user = make_user(
        "scjg-admin", is_staff=True, roles=[(StaffRole.DEPARTMENT_ADMIN, {"department": department})]
    )
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="catalog", codename__in=ITEM_PERMS)
    )
    return user


def _changelist_codes(client) -> set[str]:
    response = client.get("/admin/catalog/item/", {"all": ""})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_department_admin_sees_only_their_items(client, department_admin):
    client.force_login(department_admin)
    codes = _changelist_codes(client)
    own_department = Item.objects.get(code=OWN).department_id
    assert OWN in codes and OTHER not in codes
    assert codes == set(Item.objects.filter(department_id=own_department).values_list("code", flat=True))


def test_department_admin_opens_own_item(client, department_admin):
    client.force_login(department_admin)
    response = client.get(f"/admin/catalog/item/{OWN}/change/")
    assert response.status_code == 200
    assert response.context["has_change_permission"] is True


def test_department_admin_cannot_open_or_change_another_departments_item(client, department_admin):
    client.force_login(department_admin)
    before = Item.objects.get(code=OTHER).name
    for response in (
        client.get(f"/admin/catalog/item/{OTHER}/change/"),
        client.post(f"/admin/catalog/item/{OTHER}/change/", {"name": "被篡改"}),
        client.get(f"/admin/catalog/item/{OTHER}/delete/"),
    ):
        assert response.status_code in (302, 403, 404)
        if response.status_code == 302:
            assert response["Location"] == "/admin/"  # "does not exist" redirect to the index
    assert Item.objects.get(code=OTHER).name == before


def test_department_admin_search_cannot_reach_other_items(client, department_admin):
    client.force_login(department_admin)
    response = client.get("/admin/catalog/item/", {"q": OTHER})
    assert list(response.context["cl"].result_list) == []


def test_staff_without_role_sees_nothing(client, make_user, demo):
    user = make_user("no-role", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="catalog", codename__in=ITEM_PERMS)
    )
    client.force_login(user)
    assert _changelist_codes(client) == set()


@pytest.mark.parametrize("kind", ["superuser", "platform_admin"])
def test_platform_admin_sees_all(client, make_user, demo, kind):
    if kind == "superuser":
        user = make_user("root", is_staff=True, is_superuser=True)
    else:
        user = make_user("platform", is_staff=True, roles=[(StaffRole.PLATFORM_ADMIN, {})])
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="catalog", codename__in=ITEM_PERMS)
        )
    client.force_login(user)
    assert _changelist_codes(client) == set(Item.objects.values_list("code", flat=True))
    assert client.get(f"/admin/catalog/item/{OTHER}/change/").status_code == 200
