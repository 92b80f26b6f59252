"""Conformance audit (五级十二同): the demo catalog carries four deliberate deviations, and
the command, the API and the admin page must all find exactly those."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from onething.catalog.conformance import audit
from onething.catalog.models import Item
from onething.catalog.publishing import current

DEVIATIONS = {
    ("430602-SCJG-0101-01", "promised_limit"),
    ("430626-SCJG-0103-01", "materials"),
    ("430626-CG-0101-01", "fee"),
    ("430626-RS-0701-01", "legal_limit"),
}


def _item(code, region, **changes):
    base = {
        "code": code,
        "basic_code": "B1",
        "name": "事项",
        "category": "licensing",
        "region": region,
        "legal_limit": 20,
        "promised_limit": 5,
        "fee": {"charged": False},
        "materials": [{"material": "id-card", "originals": 1, "copies": 0, "required": True}],
        "form": [{"element": "applicant.name", "required": True}],
    }
    return base | changes


def test_audit_compares_with_the_highest_level():
    items = [
        _item("C-1", "430626", promised_limit=3),
        _item("P-1", "430000"),
        _item("M-1", "430600", materials=[], fee={"charged": True, "amount_yuan": 10}),
    ]
    findings = {(f.code, f.element): f for f in audit(items)}
    assert set(findings) == {("C-1", "promised_limit"), ("M-1", "materials"), ("M-1", "fee")}
    assert all(f.reference == "P-1" for f in findings.values())
    assert findings[("M-1", "fee")].actual == "收费 10 元" and findings[("M-1", "fee")].expected == "不收费"
    assert findings[("M-1", "materials")].expected.startswith("缺少：id-card")
    assert str(findings[("C-1", "promised_limit")]) == "C-1 与 P-1 的“承诺办结时限”不一致：应为 5，实为 3"


def test_identical_implementations_have_no_findings():
    assert audit([_item("A", "430600"), _item("B", "430626"), _item("C", "430602001000")]) == []


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_command_finds_the_four_deviations(demo):
    out = io.StringIO()
    call_command("conformance_audit", stdout=out)
    text = out.getvalue()
    assert "共 4 处不一致" in text
    for code, _ in DEVIATIONS:
        assert code in text
    assert "430626-RS-0701-01 与 430000-RS-0701-01 的“法定办结时限”不一致：应为 20，实为 30" in text


@pytestmark_db
def test_command_filters_by_basic_code(demo):
    basic = current("item", "430626-CG-0101-01")["basic_code"]
    out = io.StringIO()
    call_command("conformance_audit", "--basic-code", basic, stdout=out)
    assert "共 1 处不一致" in out.getvalue()


@pytestmark_db
def test_api_finds_the_four_deviations(demo, client):
    body = client.get("/api/v1/catalog/conformance").json()
    assert body["count"] == 4
    assert {(d["code"], d["element"]) for d in body["deviations"]} == DEVIATIONS
    basic = current("item", "430602-SCJG-0101-01")["basic_code"]
    body = client.get("/api/v1/catalog/conformance", {"basic_code": basic}).json()
    assert [d["code"] for d in body["deviations"]] == ["430602-SCJG-0101-01"]


@pytestmark_db
def test_admin_page_lists_the_four_deviations(demo, client, make_user):
    client.force_login(make_user("platform", is_staff=True, is_superuser=True))
    response = client.get("/admin/catalog/conformance/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "共 4 处不一致" in html
    for code, _ in DEVIATIONS:
        assert f"/admin/catalog/item/{code}/change/" in html
    index = client.get("/admin/").content.decode()
    assert "/admin/catalog/conformance/" in index  # listed in the 事项目录 section


@pytestmark_db
def test_admin_page_is_scoped_for_a_department_admin(demo, client, make_user):
    from django.contrib.auth.models import Permission

    from onething.accounts.models import StaffRole

    department = Item.objects.get(code="430626-SCJG-0103-01").department
    user = make_user(
        "dept-admin",
        is_staff=True,
        roles=[(StaffRole.DEPARTMENT_ADMIN, {"department": department})],
    )
    user.user_permissions.add(Permission.objects.get(codename="view_item", content_type__app_label="catalog"))
    client.force_login(user)
    html = client.get("/admin/catalog/conformance/").content.decode()
    assert "430626-SCJG-0103-01" in html
    assert "430626-RS-0701-01" not in html and "430626-CG-0101-01" not in html


@pytestmark_db
def test_admin_page_needs_staff_with_item_permission(demo, client, make_user):
    assert client.get("/admin/catalog/conformance/").status_code == 302  # to the admin login
    client.force_login(make_user("staff-no-perm", is_staff=True))
    assert client.get("/admin/catalog/conformance/").status_code == 403
