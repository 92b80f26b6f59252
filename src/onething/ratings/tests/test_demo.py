"""The 好差评 demo (``make run``): 张三's finished case waits for his rating, and the generated
months of ratings reach every state of the loop, consistently with the projection."""

from __future__ import annotations

import pytest

from onething.accounts.models import User
from onething.cases.models import Application
from onething.ratings import projection, service
from onething.ratings.demo import create_demo_ratings
from onething.ratings.models import Appeal, Rating, RatingFact, Rectification

pytestmark = pytest.mark.django_db


def test_zhangsan_has_a_finished_application_to_rate():
    lines = create_demo_ratings(history=False)
    zhangsan = User.objects.get(username="zhangsan")
    app = Application.objects.get(idempotency_key="demo-rating-birth")
    assert app.applicant == zhangsan and app.status in service.FINISHED
    assert any(app.number in line for line in lines)
    assert not Rating.objects.filter(application=app).exists()
    rating = service.rate(zhangsan, application=app, channel="mobile", score=5)
    assert rating.department_id and rating.service_code == app.code
    # safe to repeat: the same case, not a second one
    create_demo_ratings(history=False)
    assert Application.objects.filter(idempotency_key="demo-rating-birth").count() == 1


@pytest.mark.slow
def test_generated_history_reaches_every_state_of_the_loop():
    create_demo_ratings()
    given = Rating.objects.filter(source=Rating.Source.GIVEN)
    assert given.count() > 60 and given.filter(score__lte=2).count() >= 5
    assert Rating.objects.filter(source=Rating.Source.DEFAULTED).exists()
    states = set(Rectification.objects.values_list("status", flat=True))
    assert {"verifying", "handling", "answered", "closed"} <= states
    assert Appeal.objects.filter(status="pending").count() == 1
    assert given.exclude(department=None).exists() and given.exclude(window=None).exists()
    before = sorted(
        RatingFact.objects.exclude(ratings=0).values_list(
            "day", "dim", "key", "region_code", "ratings", "bad", "rect_due", "rect_on_time", "revisited"
        )
    )
    projection.rebuild()
    after = sorted(
        RatingFact.objects.exclude(ratings=0).values_list(
            "day", "dim", "key", "region_code", "ratings", "bad", "rect_due", "rect_on_time", "revisited"
        )
    )
    assert before == after
    count = Rating.objects.count()
    create_demo_ratings()  # safe to repeat
    assert Rating.objects.count() == count
