"""Policies and office hours are edited in the admin; clocks are only looked at there."""

from __future__ import annotations

import pytest
from django.test import Client

from onething.clocks import service
from onething.clocks.models import ClockPolicy, OfficeHours
from onething.clocks.tests.conftest import at, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user("clock-admin", is_staff=True, is_superuser=True))
    return client


def test_a_policy_is_created_and_edited_in_the_admin(admin_client, told):
    form = {"code": "finish", "name": "办结时限", "region": "430600", "unit": "working_hours", "limit": "4"}
    form |= {"rule": "third", "lead": "0", "yellow_audience": "handler", "red_audience": "supervisors"}
    response = admin_client.post("/admin/clocks/clockpolicy/add/", {**form, "active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = ClockPolicy.objects.get(code="finish")
    assert (policy.region_id, policy.limit, policy.version) == ("430600", 4, 1)
    running = service.start(ticket(1), "finish", "finish", at("2026-11-23", 9), region="430602")
    response = admin_client.post(
        f"/admin/clocks/clockpolicy/{policy.pk}/change/", {**form, "limit": "8", "active": "on"}
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.limit, policy.version) == (8, 2)
    running.refresh_from_db()
    assert (running.limit, running.policy_version) == (4, 1)
    assert admin_client.get("/admin/clocks/clock/").status_code == 200
    assert admin_client.get(f"/admin/clocks/clock/{running.pk}/change/").status_code == 200  # view only


def test_admin_refuses_a_lead_as_long_as_the_limit_in_chinese(admin_client):
    form = {
        "code": "visit",
        "name": "回访",
        "unit": "working_days",
        "limit": "3",
        "rule": "lead",
        "lead": "3",
    }
    response = admin_client.post("/admin/clocks/clockpolicy/add/", form)
    assert response.status_code == 200
    assert "必须小于时限" in response.content.decode()
    assert not ClockPolicy.objects.filter(code="visit").exists()


def test_admin_refuses_unreadable_office_hours_in_chinese(admin_client):
    response = admin_client.post(
        "/admin/clocks/officehours/add/", {"region": "430600", "periods": "上午9点到12点"}
    )
    assert response.status_code == 200
    assert "格式不正确" in response.content.decode()
    response = admin_client.post(
        "/admin/clocks/officehours/add/", {"region": "430600", "periods": "8:30-12:00 14:30-18:00"}
    )
    assert response.status_code == 302
    assert OfficeHours.objects.get(region_id="430600").periods == "08:30-12:00 14:30-18:00"
