"""``POST /api/v1/ratings`` and ``GET /api/v1/ratings/mine``: 201 with the rectification of a
差评, 409 for a second rating on the channel, 404 for anyone else's service, and bad values
as the one error shape (4xx, the field named) — never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from onething.cases.tests.conftest import people, submit  # noqa: F401 - fixtures
from onething.ratings.models import Rating, Rectification
from onething.ratings.tests.test_rate import done_ticket, finish

pytestmark = pytest.mark.django_db

URL = "/api/v1/ratings"


def post(body, token=None, client=None, raw=False):
    client = client or Client()
    data = body if raw else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": token} if token else {}
    return client.post(URL, data, content_type="application/json", **headers)


def error_of(response) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "field"} <= set(body["error"])
    return body["error"]


@pytest.fixture
def finished(submit):  # noqa: F811
    return finish(submit())


@pytest.fixture
def zhang(people, token_for):  # noqa: F811
    return token_for(people["zhangsan"])


def test_rate_201_then_409_on_the_same_channel(finished, zhang):
    response = post(
        {"application": finished.number, "channel": "web", "score": 5, "indicators": {"overall": 5}}, zhang
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rectification"] is None and Rating.objects.get().pk == body["id"]
    again = post({"application": finished.number, "channel": "web", "score": 4}, zhang)
    assert again.status_code == 409 and error_of(again)["field"] == "channel"
    other = post({"application": finished.number, "channel": "mobile", "score": 4}, zhang)
    assert other.status_code == 201


def test_a_bad_rating_answers_with_its_rectification(finished, zhang):
    response = post(
        {
            "application": finished.number,
            "channel": "web",
            "score": 1,
            "bad_reason": "materials",
            "reason_text": "材料重复",
        },
        zhang,
    )
    assert response.status_code == 201, response.content
    rect = Rectification.objects.get(rating_id=response.json()["id"])
    assert response.json()["rectification"] == {"id": rect.pk, "due_date": rect.due_date.isoformat()}


def test_anyone_elses_service_is_404_and_anonymous_401(finished, people, token_for):  # noqa: F811
    lisi = token_for(people["lisi"])
    response = post({"application": finished.number, "channel": "web", "score": 5}, lisi)
    assert response.status_code == 404 and error_of(response)["field"] == "application"
    assert post({"application": "NO-SUCH", "channel": "web", "score": 5}, lisi).status_code == 404
    assert post({"application": finished.number, "channel": "web", "score": 5}).status_code == 401
    assert not Rating.objects.exists()


def test_not_finished_is_409(submit, zhang):  # noqa: F811
    app = submit()
    response = post({"application": app.number, "channel": "web", "score": 5}, zhang)
    assert response.status_code == 409 and "出结果后" in error_of(response)["message"]


def test_session_login_works_too(finished, people):  # noqa: F811
    client = Client()
    client.force_login(people["zhangsan"])
    assert (
        post({"application": finished.number, "channel": "web", "score": 4}, client=client).status_code == 201
    )
    mine = client.get(URL + "/mine")
    assert mine.status_code == 200 and mine.json()["results"][0]["score"] == 4


def test_a_window_visit_by_its_ticket(people, token_for, zhang):  # noqa: F811
    person = people["zhangsan"]
    ticket = done_ticket(id_number=person.id_number, name=person.real_name)
    lisi = token_for(people["lisi"])
    assert post({"ticket": ticket.pk, "score": 5}, lisi).status_code == 404
    refused = post({"ticket": ticket.pk, "channel": "web", "score": 5}, zhang)
    assert refused.status_code == 400 and error_of(refused)["field"] == "channel"
    response = post({"ticket": ticket.pk, "score": 5, "indicators": {"attitude": 5}}, zhang)
    assert response.status_code == 201
    rating = Rating.objects.get()
    assert rating.channel == "window" and rating.ticket == ticket and rating.rater == person
    assert post({"ticket": ticket.pk, "channel": "window", "score": 3}, zhang).status_code == 409


def test_mine_has_the_answer_and_what_waits(submit, people, zhang):  # noqa: F811
    rated, waiting = finish(submit()), finish(submit(), "delivered")
    post({"application": rated.number, "channel": "web", "score": 2, "bad_reason": "slow"}, zhang)
    Rectification.objects.update(answer="已优化流程，压缩办理时限", answered_at=timezone.now())
    body = Client().get(URL + "/mine", HTTP_AUTHORIZATION=zhang).json()
    (only,) = body["results"]
    assert only["application"] == rated.number and only["level"] == "不满意" and only["bad_reason"] == "slow"
    assert only["rectification"]["answer"] == "已优化流程，压缩办理时限"
    assert only["rectification"]["status"] == "verifying"
    assert body["waiting"] == [{"application": waiting.number, "ticket": None, "name": waiting.name}]
    assert Client().get(URL + "/mine").status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"score": "abc"},
        {"score": 0},
        {"score": 6},
        {"score": True},
        {"score": 2.5},
        {"score": None},
        {"score": 10**40},
        {"channel": "fax"},
        {"channel": 5},
        {"channel": "w" * 500},
        {"application": 12345},
        {"application": "a\x00b"},
        {"application": "9" * 500},
        {"comment": "好" * 501},
        {"comment": "a\x00b"},
        {"comment": ["x"]},
        {"indicators": ["overall"]},
        {"indicators": "overall"},
        {"indicators": {"overall": "x"}},
        {"indicators": {"overall": 9}},
        {"indicators": {"overall": [5]}},
        {"indicators": {"nope": 5}},
        {"indicators": {"attitude": 5}},
        {"score": 1},
        {"score": 1, "bad_reason": "nonsense"},
        {"score": 1, "bad_reason": "other"},
        {"score": 2, "bad_reason": "slow", "reason_text": "x" * 301},
        {"subcase": "NOPE"},
        {"subcase": 7},
        {"ticket": "abc"},
        {"ticket": 10**30},
        {"ticket": 0},
        {"ticket": 1},  # both a ticket and an application
    ],
)
def test_bad_values_are_4xx_naming_the_field(finished, zhang, change):
    body = {"application": finished.number, "channel": "web", "score": 5, **change}
    error = error_of(post(body, zhang))
    assert error["message"]
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    "raw", ["not json", "[]", "5", '{"score": 5}', "{}", '{"application": null, "score": 5}']
)
def test_bodies_that_are_not_a_rating_are_4xx(zhang, raw):
    error_of(post(raw, zhang, raw=True))
