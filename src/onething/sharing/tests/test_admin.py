"""The sharing admin: scoped to the department, versioned saves, read-only evidence."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission

from onething.accounts.models import StaffRole, User
from onething.sharing.models import Call, NegativeEntry, Resource

pytestmark = pytest.mark.django_db

SCJG = "11430600MB0600018G"  # 市场监管 (bumen_admin's department)
PERMS = [
    "view_resource",
    "add_resource",
    "change_resource",
    "view_resourceversion",
    "view_negativeentry",
    "add_negativeentry",
    "change_negativeentry",
    "view_call",
    "view_request",
]


@pytest.fixture
def department_admin():
    user = User.objects.get(username="bumen_admin")
    assert user.is_staff and user.has_role(StaffRole.DEPARTMENT_ADMIN)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="sharing", codename__in=PERMS)
    )
    return User.objects.get(pk=user.pk)


def _codes(client) -> set[str]:
    response = client.get("/admin/sharing/resource/", {"all": ""})
    assert response.status_code == 200
    return {obj.code for obj in response.context["cl"].result_list}


def _post(resource: Resource, **changes) -> dict:
    import json

    data = {
        "code": resource.code,
        "name": resource.name,
        "provider": resource.provider_id,
        "sharing_class": resource.sharing_class,
        "subject_kind": resource.subject_kind,
        "fields": json.dumps(resource.fields, ensure_ascii=False),
        "legal_basis": resource.legal_basis,
        "update_frequency": resource.update_frequency,
        "source_system": resource.source_system,
        "backend": resource.backend,
        "backend_config": json.dumps(resource.backend_config),
        "replaces": json.dumps(resource.replaces),
        "change_reason": "",
    }
    data.update(changes)
    return data


def test_department_admin_sees_only_their_resources(client, department_admin):
    client.force_login(department_admin)
    assert _codes(client) == set(Resource.objects.filter(provider_id=SCJG).values_list("code", flat=True))
    assert _codes(client) == {"SCJG-QYDJ-001", "SCJG-YYZZ-001"}
    other = Resource.objects.get(code="GA-HJ-001")
    response = client.get(f"/admin/sharing/resource/{other.pk}/change/")
    assert response.status_code == 302  # "does not exist", back to the list
    response = client.post(f"/admin/sharing/resource/{other.pk}/change/", _post(other, name="被篡改"))
    assert Resource.objects.get(pk=other.pk).name == "户籍信息"


def test_superuser_and_data_authority_see_all(client, make_user):
    everything = set(Resource.objects.values_list("code", flat=True))
    client.force_login(User.objects.filter(is_superuser=True).first())
    assert _codes(client) == everything
    authority = make_user("shuju-zhuguan", is_staff=True, roles=[(StaffRole.DATA_AUTHORITY, {})])
    authority.user_permissions.add(
        Permission.objects.get(content_type__app_label="sharing", codename="view_resource")
    )
    client.force_login(authority)
    assert _codes(client) == everything


def test_provider_choices_limited_to_own_department(client, department_admin):
    client.force_login(department_admin)
    response = client.get("/admin/sharing/resource/add/")
    assert response.status_code == 200
    choices = {str(v) for v, _ in response.context["adminform"].form.fields["provider"].choices if v}
    assert choices == {SCJG}


def test_saving_writes_a_version_and_requires_a_reason(client, department_admin):
    client.force_login(department_admin)
    resource = Resource.objects.get(code="SCJG-YYZZ-001")
    url = f"/admin/sharing/resource/{resource.pk}/change/"
    response = client.post(url, _post(resource, name="营业执照信息（新）"))
    assert response.status_code == 200
    assert "保存数据资源须填写变更原因" in response.content.decode()
    assert Resource.objects.get(pk=resource.pk).name == "营业执照信息"

    response = client.post(url, _post(resource, name="营业执照信息（新）", change_reason="更名"))
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.name == "营业执照信息（新）" and resource.version == 2
    assert resource.versions.get(version=1).reason == "载入演示数据"  # the demo's first version
    version = resource.versions.get(version=2)
    assert (version.version, version.reason, version.changed_by) == (2, "更名", department_admin)
    assert version.data["name"] == "营业执照信息（新）"

    # unchanged: no new version
    client.post(url, _post(resource, change_reason="再保存"))
    assert resource.versions.count() == 2


def test_bad_fields_are_shown_on_the_field(client, department_admin):
    client.force_login(department_admin)
    resource = Resource.objects.get(code="SCJG-YYZZ-001")
    fields = '[{"key": "a", "label": "甲"}, {"key": "a", "label": "乙"}]'
    response = client.post(
        f"/admin/sharing/resource/{resource.pk}/change/", _post(resource, fields=fields, change_reason="x")
    )
    assert response.status_code == 200
    assert "数据项的键“a”重复" in str(response.context["adminform"].form.errors["fields"])


def test_negative_entry_admin_refuses_a_basis_without_a_law(client, department_admin):
    client.force_login(department_admin)
    response = client.post(
        "/admin/sharing/negativeentry/add/",
        {"department": SCJG, "name": "内部数据", "legal_basis": "内部资料"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "须引用法律法规名称" in str(errors["legal_basis"])
    assert not NegativeEntry.objects.filter(name="内部数据").exists()
    response = client.post(
        "/admin/sharing/negativeentry/add/",
        {"department": SCJG, "name": "内部数据", "legal_basis": "《中华人民共和国数据安全法》第三十八条"},
    )
    assert response.status_code == 302


def test_call_log_is_append_only_in_admin(client):
    superuser = User.objects.filter(is_superuser=True).first()
    model_admin = admin.site._registry[Call]

    class R:
        user = superuser

    assert not model_admin.has_add_permission(R)
    assert not model_admin.has_change_permission(R)
    assert not model_admin.has_delete_permission(R)
    client.force_login(superuser)
    assert client.get("/admin/sharing/call/add/").status_code == 403
    assert client.get("/admin/sharing/call/").status_code == 200


def test_requests_are_read_only(client):
    from onething.sharing.models import Request

    superuser = User.objects.filter(is_superuser=True).first()
    client.force_login(superuser)
    request = Request.objects.filter(status=Request.Status.APPROVED).first()
    response = client.get(f"/admin/sharing/request/{request.pk}/change/")
    assert response.status_code == 200
    assert "status" not in response.context["adminform"].form.fields
    client.post(f"/admin/sharing/request/{request.pk}/change/", {"status": "revoked"})
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED


@pytest.mark.parametrize(
    "model",
    [
        "resource",
        "resourceversion",
        "demand",
        "duty",
        "negativeentry",
        "request",
        "call",
        "sourcerecord",
        "dispute",
    ],
)
def test_every_page_opens(client, model):
    client.force_login(User.objects.filter(is_superuser=True).first())
    assert client.get(f"/admin/sharing/{model}/").status_code == 200
    from django.apps import apps

    first = apps.get_model("sharing", model).objects.first()
    if first is not None:
        assert client.get(f"/admin/sharing/{model}/{first.pk}/change/").status_code == 200
