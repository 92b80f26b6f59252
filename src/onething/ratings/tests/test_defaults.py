"""默认评价: a finished service nobody rated within its region's days gets one defaulted rating
— not before, once only, never given, never in 好评率 or 差评率, never a rectification; a
region's policy (its own, else the nearest ancestor's) overrides the platform's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onething.cases.models import Application
from onething.cases.tests.conftest import people, submit  # noqa: F401 - fixtures
from onething.halls.models import Ticket
from onething.kernel.errors import Conflict
from onething.ratings import defaults, service
from onething.ratings.models import Rating, RatingPolicy, Rectification
from onething.ratings.policies import policy_for
from onething.ratings.tasks import apply_default_ratings
from onething.ratings.tests.test_rate import done_ticket, facts, finish

pytestmark = pytest.mark.django_db


def platform() -> RatingPolicy:
    return RatingPolicy.objects.get(region=None)


def test_after_the_days_one_defaulted_rating_counted_apart(submit, people):  # noqa: F811
    assert platform().default_after_days == 7 and platform().default_score == 3
    app = finish(submit(), days_ago=8)
    now = timezone.now()
    assert defaults.apply(now) == 1
    rating = Rating.objects.get()
    assert rating.source == "defaulted" and rating.score == 3 and rating.channel == "web"
    assert rating.application == app and rating.ticket is None and rating.rater is None
    # dated when its rating period ran out, not when the task happened to run
    assert rating.served_at == app.decided_at
    assert rating.created_at == app.decided_at + dt.timedelta(days=7)
    assert rating.department_id == app.subcases.order_by("pk").first().department_id
    assert not rating.bad and not Rectification.objects.exists()
    assert facts() == {"ratings": 1, "given": 0, "defaulted": 1, "good": 0, "bad": 0}
    assert facts("item", rating.item_code)["defaulted"] == 1 and facts("channel", "web")["ratings"] == 1
    # a second run creates nothing; the person can no longer rate on that channel
    assert defaults.apply() == 0 and Rating.objects.count() == 1
    with pytest.raises(Conflict):
        service.rate(people["zhangsan"], application=app, channel="web", score=5)


def test_not_before_the_days_nor_when_rated_nor_unfinished(submit, people):  # noqa: F811
    finish(submit(), days_ago=6)
    rated = finish(submit(), days_ago=30)
    service.rate(people["zhangsan"], application=rated, channel="mobile", score=5)
    open_one = submit()
    Application.objects.filter(pk=open_one.pk).update(decided_at=timezone.now() - dt.timedelta(days=30))
    assert defaults.apply() == 0
    assert Rating.objects.filter(source="defaulted").count() == 0


def test_the_regions_policy_overrides_the_platforms(submit):  # noqa: F811
    app = finish(submit(), days_ago=4)
    region = app.region
    assert policy_for(region) == platform()
    assert defaults.apply() == 0  # 4 days: the platform waits 7
    parent = region.parent or region
    RatingPolicy.objects.create(region=parent, default_after_days=3, default_score=4)
    assert policy_for(region).region == parent
    if parent != region:  # the region's own row beats its ancestor's
        RatingPolicy.objects.create(region=region, default_after_days=5, default_score=5)
        assert defaults.apply() == 0
        RatingPolicy.objects.filter(region=region).update(default_after_days=2)
        expected = 5
    else:
        expected = 4
    assert defaults.apply() == 1
    rating = Rating.objects.get()
    assert rating.score == expected and rating.source == "defaulted"
    assert facts()["good"] == 0 and facts()["given"] == 0  # a default is never 好评


def test_a_low_default_is_never_a_bad_rating(submit):  # noqa: F811
    app = finish(submit(), days_ago=10)
    RatingPolicy.objects.create(region=app.region, default_after_days=7, default_score=2)
    assert defaults.apply() == 1
    assert not Rectification.objects.exists() and facts()["bad"] == 0


@pytest.mark.parametrize(
    ("channel", "rated_on"), [("agent", "window"), ("cross_province", "web"), ("mobile", "mobile")]
)
def test_the_channel_of_the_default(submit, channel, rated_on):  # noqa: F811
    app = finish(submit(), days_ago=8)
    Application.objects.filter(pk=app.pk).update(channel=channel)
    defaults.apply()
    assert Rating.objects.get().channel == rated_on


def test_a_window_visit_gets_its_default_at_the_window(people):  # noqa: F811
    fresh = done_ticket()
    old = done_ticket()
    Ticket.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))
    assert defaults.apply() == 1
    rating = Rating.objects.get()
    assert rating.ticket_id == old.pk and rating.channel == "window" and rating.source == "defaulted"
    assert rating.hall_id == old.hall_id and rating.staff.username == "chuangkou"
    assert defaults.apply() == 0
    with pytest.raises(Conflict):
        service.rate(None, ticket=old, holder=True, channel="window", score=5)
    service.rate(None, ticket=fresh, holder=True, channel="window", score=5)
    assert facts() == {"ratings": 2, "given": 1, "defaulted": 1, "good": 1, "bad": 0}


def test_many_in_batches(submit, monkeypatch):  # noqa: F811
    monkeypatch.setattr(defaults, "BATCH", 2)
    for _ in range(5):
        finish(submit(), days_ago=9)
    assert apply_default_ratings.call_local() == 5
    assert Rating.objects.filter(source="defaulted").count() == 5
    assert facts()["defaulted"] == 5 and facts()["ratings"] == 5
    assert defaults.apply() == 0
