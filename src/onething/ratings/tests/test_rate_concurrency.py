"""Ratings at the same instant, on PostgreSQL, each thread on its own connection.

``service.rate`` locks the rated application (or ticket) before it looks for an earlier rating,
and a partial unique index stands behind it: submissions of the same case on the same channel
at once give one rating and 409s. The default-rating run locks its batch the same way, so a
person rating while it runs and the default never both land on one channel. Two 差评 that
reach the recurrence threshold together open one defect (the loser's insert fails in a
savepoint; its rating stands).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from tests.plugins.concurrency import together

from onething.accounts.models import ApiToken, User
from onething.cases.models import Application
from onething.cases.tests.conftest import people, submit  # noqa: F401 - fixtures
from onething.kernel.errors import Conflict
from onething.ratings import defaults, service
from onething.ratings.models import Defect, Rating, RatingFact, RatingPolicy
from onething.ratings.tests.test_rate import finish

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
    ),
]

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_the_same_case_on_the_same_channel_at_once_one_rating_the_others_409(submit):  # noqa: F811
    app = finish(submit())
    _, raw = ApiToken.issue(User.objects.get(username="zhangsan"), name="test")
    body = json.dumps({"application": app.number, "channel": "web", "score": 2, "bad_reason": "slow"})

    def submission():
        response = Client().post(
            "/api/v1/ratings", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
        )
        return response.status_code

    outcomes = together([submission] * THREADS)
    assert sorted(outcomes) == [201] + [409] * (THREADS - 1), outcomes
    rating = Rating.objects.get(application=app)
    assert rating.rectification.status == "verifying"
    all_row = RatingFact.objects.get(dim="all", key="")
    assert (all_row.ratings, all_row.given, all_row.bad) == (1, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_the_service_itself_at_once(submit):  # noqa: F811
    app = finish(submit())

    def rate():
        zhang = User.objects.get(username="zhangsan")
        return service.rate(zhang, application=Application.objects.get(pk=app.pk), channel="mobile", score=5)

    outcomes = together([rate] * THREADS)
    kinds = Counter(type(o).__name__ for o in outcomes)
    assert kinds == {"Rating": 1, "Conflict": THREADS - 1}, outcomes
    assert Rating.objects.filter(application=app).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_person_rating_while_the_default_run_goes_one_wins(submit):  # noqa: F811
    apps = [finish(submit(), days_ago=8) for _ in range(3)]
    target = apps[1]

    def person():
        zhang = User.objects.get(username="zhangsan")
        try:
            return service.rate(
                zhang, application=Application.objects.get(pk=target.pk), channel="web", score=5
            )
        except Conflict as exc:  # the default was first: the person is told so
            return exc

    def run():
        return defaults.apply()

    outcomes = together([person, run])
    assert not [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, Conflict)], outcomes
    on_web = Rating.objects.filter(application=target, ticket=None, channel="web")
    assert on_web.count() == 1
    assert Rating.objects.filter(application=target).count() == 1
    assert Rating.objects.filter(source="defaulted").count() == (
        3 if isinstance(outcomes[0], Conflict) else 2
    )
    assert defaults.apply() == 0
    # a defaulted rating counts on the day its period ran out, a given one today: sum the days
    facts = RatingFact.objects.filter(dim="all", key="").aggregate(
        ratings=Sum("ratings"), given=Sum("given"), defaulted=Sum("defaulted")
    )
    assert facts["ratings"] == 3 and facts["given"] + facts["defaulted"] == 3


@pytest.mark.django_db(transaction=True)
def test_two_bad_ratings_at_the_threshold_at_once_open_one_defect(submit):  # noqa: F811
    apps = [finish(submit()) for _ in range(4)]
    RatingPolicy.objects.filter(region=None).update(recurrence_threshold=3)
    zhang = User.objects.get(username="zhangsan")
    for app in apps[:2]:
        service.rate(
            zhang, application=app, channel="web", score=2, bad_reason="visits", reason_text="跑了三次"
        )

    def rate(app):
        def work():
            person = User.objects.get(username="zhangsan")
            return service.rate(
                person,
                application=Application.objects.get(pk=app.pk),
                channel="web",
                score=1,
                bad_reason="visits",
            )

        return work

    outcomes = together([rate(apps[2]), rate(apps[3])])
    assert all(isinstance(o, Rating) for o in outcomes), outcomes
    assert Defect.objects.filter(status="open").count() == 1
    assert Rating.objects.filter(reason="visits").count() == 4
    assert Defect.objects.get().opened_at <= timezone.now() + dt.timedelta(seconds=1)
