"""The 差评 loop and appeals in the API (``/api/v1/ratings``): the scoped list and detail
(404 outside scope; ``actions`` are the allowed events), 核实 / 答复 / 回访 with JSON bodies,
filing an appeal (201) and deciding it; a bearer token works as a session does; bad input is
a 4xx naming the field and writes nothing; the OpenAPI document still builds and declares
the new operations."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.audit.models import AuditRecord
from onething.ratings import rules
from onething.ratings.models import Appeal, Rectification
from onething.ratings.tests.test_rectifications import UNIT_ADMIN, bad_rating, rect_of

pytestmark = pytest.mark.django_db

API = "/api/v1/ratings"
R = Rectification.Status
COMMENT = "请回电13912345678"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def post(client: Client, url: str, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(API + url, data, content_type="application/json", **headers)


@pytest.fixture
def rect():
    return rect_of(bad_rating(comment=COMMENT))


def test_the_unit_lists_reads_and_works_the_loop(rect):
    unit = client_for(UNIT_ADMIN)
    listed = unit.get(f"{API}/rectifications").json()["results"]
    assert [r["id"] for r in listed] == [rect.pk]
    one = unit.get(f"{API}/rectifications/{rect.pk}").json()
    assert (
        one["status"] == "verifying" and one["stage"] == "verify" and one["actions"] == ["verify", "appeal"]
    )
    assert one["rating"]["rater"] == {"name": "张三", "phone": "13800000001"}
    assert one["rating"]["comment"] == "请回电139****5678"  # free text masked, the rater's phone shown
    assert one["rating"]["level"] == "非常不满意" and one["rating"]["reason"] == "slow"

    done = post(
        unit,
        f"/rectifications/{rect.pk}/verify",
        {"verify_note": "已回访", "outcome": "plan", "plan": "修订指南", "plan_due": "2099-01-01"},
    )
    assert done.status_code == 409 and done.json()["error"]["code"] == "calendar_not_loaded"
    done = post(unit, f"/rectifications/{rect.pk}/verify", {"verify_note": "已回访", "outcome": "fix"})
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "handling" and done.json()["actions"] == ["answer", "appeal"]
    done = post(unit, f"/rectifications/{rect.pk}/answer", {"answer": "已整改"})
    assert done.status_code == 200 and done.json()["status"] == "answered" and done.json()["on_time"] is True
    done = post(
        unit,
        f"/rectifications/{rect.pk}/revisit",
        {"satisfaction": "unsatisfied", "revisit_note": "仍不满意"},
    )
    assert done.json()["status"] == "handling" and done.json()["reopened"] == 1
    assert unit.get(f"{API}/rectifications?status=handling").json()["results"][0]["id"] == rect.pk
    assert unit.get(f"{API}/rectifications?status=closed").json()["results"] == []


def test_a_bearer_token_works_like_the_session(rect, token_for):
    token = token_for(User.objects.get(username=UNIT_ADMIN))
    response = Client().get(f"{API}/rectifications/{rect.pk}", HTTP_AUTHORIZATION=token)
    assert response.status_code == 200 and response.json()["id"] == rect.pk
    assert Client().get(f"{API}/rectifications/{rect.pk}").status_code == 401


def test_outside_scope_is_404(rect):
    for username in ("zhangsan", "bumen_admin", "shenpi_weijian", "chuangkou"):
        client = client_for(username)
        assert client.get(f"{API}/rectifications/{rect.pk}").status_code == 404, username
        assert client.get(f"{API}/rectifications").json()["results"] == []
        refused = post(client, f"/rectifications/{rect.pk}/verify", {"verify_note": "x", "outcome": "fix"})
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
        assert (
            post(client, f"/{rect.rating_id}/appeals", {"ground": "mistaken", "statement": "x"}).status_code
            == 404
        )
    assert client_for(UNIT_ADMIN).get(f"{API}/rectifications/99999999").status_code == 404
    assert client_for(UNIT_ADMIN).get(f"{API}/rectifications/{2**64}").status_code == 422  # not an id
    # the supervisor oversees (and sees the rater) but may not work it: 403
    ducha = client_for("ducha")
    assert ducha.get(f"{API}/rectifications/{rect.pk}").json()["actions"] == []
    refused = post(ducha, f"/rectifications/{rect.pk}/verify", {"verify_note": "x", "outcome": "fix"})
    assert refused.status_code == 403


BAD = [
    ("verify", {"verify_note": "回访\x00", "outcome": "fix"}, "verify_note"),
    ("verify", {"verify_note": "长" * (rules.NOTE_MAX + 1), "outcome": "fix"}, "verify_note"),
    ("verify", {"verify_note": "长" * 5000, "outcome": "fix"}, "verify_note"),
    ("verify", {"verify_note": "", "outcome": "fix"}, "verify_note"),
    ("verify", {"outcome": "fix"}, "verify_note"),
    ("verify", {"verify_note": "x", "outcome": "whatever"}, "outcome"),
    ("verify", {"verify_note": "x", "outcome": 3}, "outcome"),
    ("verify", {"verify_note": "x", "outcome": "plan", "plan": "p", "plan_due": "2026-02-30"}, "plan_due"),
    ("verify", {"verify_note": "x", "outcome": "plan", "plan": "p", "plan_due": "明天"}, "plan_due"),
    ("verify", {"verify_note": "x", "outcome": "plan", "plan": "p", "plan_due": "2001-01-01"}, "plan_due"),
    ("verify", {"verify_note": "x", "outcome": "plan", "plan": "p"}, "plan_due"),
    ("verify", {"verify_note": "x", "outcome": "plan", "plan_due": "2026-12-31"}, "plan"),
    ("verify", "{not json", None),
]


@pytest.mark.parametrize(("step", "body", "field"), BAD, ids=[f"{i}-{f}" for i, (_, _, f) in enumerate(BAD)])
def test_bad_input_names_the_field_and_writes_nothing(rect, step, body, field):
    unit = client_for(UNIT_ADMIN)
    state = Rectification.objects.filter(pk=rect.pk).values().get()
    before = AuditRecord.objects.count()
    response = post(unit, f"/rectifications/{rect.pk}/{step}", body)
    assert response.status_code in (400, 422), response.content
    error = response.json()["error"]
    if field is not None:
        assert error["field"] == field, error
    assert error["message"] and "\x00" not in error["message"]
    assert Rectification.objects.filter(pk=rect.pk).values().get() == state
    assert AuditRecord.objects.count() == before


def test_bad_answer_and_revisit_bodies(rect):
    unit = client_for(UNIT_ADMIN)
    post(unit, f"/rectifications/{rect.pk}/verify", {"verify_note": "已回访", "outcome": "fix"})
    for body, field in [({"answer": ""}, "answer"), ({"answer": "a\x00"}, "answer"), ({}, "answer")]:
        response = post(unit, f"/rectifications/{rect.pk}/answer", body)
        assert response.status_code in (400, 422) and response.json()["error"]["field"] == field
    post(unit, f"/rectifications/{rect.pk}/answer", {"answer": "已整改"})
    for body, field in [
        ({"satisfaction": "great", "revisit_note": "x"}, "satisfaction"),
        ({"satisfaction": "satisfied", "revisit_note": ""}, "revisit_note"),
        ({"satisfaction": "satisfied"}, "revisit_note"),
    ]:
        response = post(unit, f"/rectifications/{rect.pk}/revisit", body)
        assert response.status_code in (400, 422) and response.json()["error"]["field"] == field
    assert Rectification.objects.get(pk=rect.pk).status == R.ANSWERED


def test_appeal_is_filed_and_decided_and_the_unit_reviewer_is_refused(rect, make_user):
    unit = client_for(UNIT_ADMIN)
    bad = post(unit, f"/{rect.rating_id}/appeals", {"ground": "nonsense", "statement": "x"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "ground"
    filed = post(unit, f"/{rect.rating_id}/appeals", {"ground": "mistaken", "statement": "误评"})
    assert filed.status_code == 201, filed.json()
    appeal = filed.json()
    assert appeal["status"] == "pending" and appeal["actions"] == []
    again = post(unit, f"/{rect.rating_id}/appeals", {"ground": "mistaken", "statement": "误评"})
    assert again.status_code == 409 and again.json()["error"]["field"] == "rating"
    assert unit.get(f"{API}/rectifications/{rect.pk}").json()["paused"] is True
    assert (
        post(unit, f"/appeals/{appeal['id']}/decide", {"uphold": True, "decision_note": "x"}).status_code
        == 403
    )

    make_user(
        "dual",
        roles=[
            (StaffRole.SUPERVISOR, {"region_id": "430600"}),
            (StaffRole.DEPARTMENT_ADMIN, {"department_id": rect.rating.department_id}),
        ],
    )
    refused = post(
        client_for("dual"), f"/appeals/{appeal['id']}/decide", {"uphold": True, "decision_note": "成立"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "被评价单位的人员不能复核本单位的申诉"

    ducha = client_for("ducha")
    assert ducha.get(f"{API}/appeals/{appeal['id']}").json()["actions"] == ["uphold", "dismiss"]
    assert [a["id"] for a in ducha.get(f"{API}/appeals?status=pending").json()["results"]] == [appeal["id"]]
    for body, field in [
        ({"uphold": "yes", "decision_note": "x"}, "uphold"),
        ({"uphold": True, "decision_note": ""}, "decision_note"),
    ]:
        response = post(ducha, f"/appeals/{appeal['id']}/decide", body)
        assert response.status_code in (400, 422) and response.json()["error"]["field"] == field
    decided = post(ducha, f"/appeals/{appeal['id']}/decide", {"uphold": False, "decision_note": "证据不足"})
    assert decided.status_code == 200 and decided.json()["status"] == "dismissed"
    assert Appeal.objects.get(pk=appeal["id"]).decided_by.username == "ducha"
    assert client_for("bumen_admin").get(f"{API}/appeals/{appeal['id']}").status_code == 404
    assert unit.get(f"{API}/rectifications/{rect.pk}").json()["paused"] is False


def test_openapi_builds_and_declares_the_loop():
    document = Client().get("/api/v1/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    for path in (
        "/api/v1/ratings/rectifications",
        "/api/v1/ratings/rectifications/{rect_id}",
        "/api/v1/ratings/rectifications/{rect_id}/verify",
        "/api/v1/ratings/rectifications/{rect_id}/answer",
        "/api/v1/ratings/rectifications/{rect_id}/revisit",
        "/api/v1/ratings/{rating_id}/appeals",
        "/api/v1/ratings/appeals/{appeal_id}/decide",
    ):
        assert path in paths, path
        for operation in paths[path].values():
            assert operation.get("security") and "401" in operation["responses"], path
    assert "201" in paths["/api/v1/ratings/{rating_id}/appeals"]["post"]["responses"]
    assert "409" in paths["/api/v1/ratings/appeals/{appeal_id}/decide"]["post"]["responses"]
