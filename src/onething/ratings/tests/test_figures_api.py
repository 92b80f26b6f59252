"""``GET /api/v1/ratings/figures`` and ``/ratings/rankings``: bearer or session, scoped (404
outside), department admins their department's rows only, rates with their numerators and
denominators, and the project's error shape for bad values (never a 500)."""

from __future__ import annotations

import pytest
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.ratings.tests.test_figures import D1, D2, build_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(demo):
    return build_scene()


FIGURES = "/api/v1/ratings/figures"
RANKINGS = "/api/v1/ratings/rankings"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def auth(scene, make_user, token_for):
    supervisor = make_user("test_api_sup", roles=[(StaffRole.SUPERVISOR, {"region_id": "990100"})])
    dept = make_user("test_api_dept", roles=[(StaffRole.DEPARTMENT_ADMIN, {"department_id": D2})])
    return {
        "supervisor": {"HTTP_AUTHORIZATION": token_for(supervisor)},
        "department": {"HTTP_AUTHORIZATION": token_for(dept)},
        "citizen": {"HTTP_AUTHORIZATION": token_for(User.objects.get(username="zhangsan"))},
    }


def get(url, headers, **params):
    return Client().get(url, params, **headers)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "field"} <= set(body["error"])
    return body["error"]


def test_needs_a_login(scene):
    for url in (FIGURES, RANKINGS):
        response = Client().get(url)
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthenticated"


def test_region_rows_with_rates_and_their_parts(auth):
    response = get(FIGURES, auth["supervisor"], region="990100", by="region", **MARCH)
    assert response.status_code == 200
    body = response.json()
    assert (body["region"], body["from"], body["to"], body["by"]) == (
        "990100",
        "2026-03-01",
        "2026-03-31",
        "region",
    )
    own, county = body["rows"]
    assert (own["key"], own["label"], own["ratings"], own["given"], own["defaulted"]) == (
        "self",
        "甲市（本级）",
        4,
        3,
        1,
    )
    assert own["good_rate"] == pytest.approx(2 / 3)
    assert own["numerators"]["good_rate"] == 2 and own["denominators"]["good_rate"] == 3
    assert own["fixed_rate"] == 1.0 and own["revisit_rate"] == 1.0
    assert own["coverage"] == 0.75 and own["average"] == pytest.approx(11 / 3)
    assert own["indicators"]["overall"] == 4.5 and own["indicators"]["attitude"] is None
    assert (county["key"], county["good_rate"], county["fixed_rate"]) == ("990101", 0.0, 0.0)


def test_other_dimensions_and_the_session(auth, make_user):
    body = get(FIGURES, auth["supervisor"], by="channel", **MARCH).json()
    assert body["region"] == "990100"  # blank: their region
    assert [(r["key"], r["ratings"]) for r in body["rows"]] == [("web", 3), ("mobile", 1), ("window", 2)]
    total = get(FIGURES, auth["supervisor"], by="all", **MARCH).json()["rows"]
    assert [(r["ratings"], r["bad"]) for r in total] == [(6, 2)]
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    response = client.get(FIGURES, {"region": "990000", "by": "department", **MARCH})
    assert response.status_code == 200
    assert [r["key"] for r in response.json()["rows"]] == [D1, D2]


def test_rankings(auth):
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    body = client.get(RANKINGS, {"region": "990000", **MARCH}).json()
    assert body["by"] == "region"
    assert [(r["key"], r["rank"]) for r in body["rows"]] == [
        ("990200", 1),
        ("990300", 1),
        ("9901001", 3),
        ("990100", 4),
    ]
    body = client.get(RANKINGS, {"region": "990000", "by": "department", **MARCH}).json()
    assert [(r["key"], r["rank"]) for r in body["rows"]] == [(D1, 1), (D2, 2)]


def test_scope(auth):
    for region in ("990000", "990200", "9901001", "999999"):
        for url in (FIGURES, RANKINGS):
            response = get(url, auth["supervisor"], region=region)
            assert response.status_code == 404, (url, region)
            assert error_of(response)["field"] == "region"
    assert get(FIGURES, auth["citizen"]).status_code == 404
    assert get(FIGURES, auth["supervisor"], region="990101").status_code == 200


def test_department_admin_gets_their_department_only(auth):
    body = get(FIGURES, auth["department"], by="department", **MARCH).json()
    assert body["region"] == "990000" and [r["key"] for r in body["rows"]] == [D2]
    total = get(FIGURES, auth["department"], by="all", **MARCH).json()["rows"][0]
    assert (total["ratings"], total["good"], total["bad"]) == (4, 2, 1)
    for dim in ("hall", "window", "channel"):
        response = get(FIGURES, auth["department"], by=dim)
        assert response.status_code == 404 and error_of(response)["field"] == "by"
    ranking = get(RANKINGS, auth["department"], by="department", **MARCH).json()["rows"]
    assert [r["key"] for r in ranking] == [D2]


@pytest.mark.sqlite
@pytest.mark.parametrize(
    "url, params, status, field",
    [
        (FIGURES, {"from": "2026-02-30"}, 400, "from"),
        (FIGURES, {"from": "20260301"}, 400, "from"),
        (FIGURES, {"to": "2026-03-1"}, 400, "to"),
        (FIGURES, {"from": "2026-03-10", "to": "2026-03-01"}, 400, "from"),
        (FIGURES, {"from": "2020-01-01", "to": "2026-01-01"}, 400, "to"),
        (FIGURES, {"by": "rater"}, 400, "by"),
        (FIGURES, {"region": "1" * 13}, 400, "region"),
        (FIGURES, {"region": "x" * 100}, 422, "region"),
        (FIGURES, {"from": "x" * 100}, 422, "from"),
        (RANKINGS, {"by": "item"}, 400, "by"),
        (RANKINGS, {"by": "bogus"}, 400, "by"),
        (FIGURES, {"region": "9901\x00"}, 400, None),
        (FIGURES, {"by": "region\x00"}, 400, None),
    ],
)
def test_bad_values(auth, url, params, status, field):
    response = get(url, auth["supervisor"], **params)
    assert response.status_code == status, response.content
    error = error_of(response)
    if field is not None:
        assert error["field"] == field
    assert error["message"]
