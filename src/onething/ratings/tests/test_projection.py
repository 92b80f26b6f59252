"""``projection.rebuild()`` agrees with the incremental updates: after given ratings (of an
application and of window visits), a defaulted one, 差评 whose rectifications stand in various
states, and a rating removed by an upheld appeal, every ``RatingFact`` row the updates left
(zero rows apart) is the row the rebuild writes; and the command prints the rows written."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from onething.accounts.models import User
from onething.cases import intake
from onething.cases.models import Application
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM, at
from onething.halls.models import Ticket
from onething.ratings import projection, service
from onething.ratings.models import Rating, RatingFact, Rectification

# raw upserts (INSERT … ON CONFLICT): run on SQLite too
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

NOW = at("2026-03-10")


def facts() -> dict:
    """Every non-zero row, by its key."""
    out = {}
    for row in RatingFact.objects.all().values():
        key = (row.pop("day"), row.pop("dim"), row.pop("key"), row.pop("region_code"))
        row.pop("id")
        if any(row[m] for m in projection.MEASURES):
            out[key] = row
        else:  # what a removal leaves: nothing at all
            assert not any(row[m] for m in projection.MEASURES)
    return out


def ticket(n: int, when=NOW) -> Ticket:
    return Ticket.objects.create(
        hall_id="yueyang-city-hall",
        service_id="zonghe",
        day=when.date(),
        number=f"P{n:04d}",
        status=Ticket.Status.DONE,
        channel="kiosk",
        name="王小明",
        issued_at=when - dt.timedelta(minutes=20),
        finished_at=when - dt.timedelta(minutes=5),
    )


def window_rating(n: int, score: int, when=NOW, **values) -> Rating:
    if score <= 2:
        values.setdefault("bad_reason", "slow")
    return service.rate(
        None, ticket=ticket(n, when), holder=True, channel="window", score=score, now=when, **values
    )


def flag(rating: Rating, **flags) -> None:
    """Move a rectification's projection flags the way the loop does: set them on the row and
    add what they add (``projection.add``)."""
    rect = Rectification.objects.get(rating=rating)
    before = projection.rectification_measures(rect)
    for name, value in flags.items():
        setattr(rect, name, value)
    rect.save()
    after = projection.rectification_measures(rect)
    after.subtract(before)
    projection.add(rating, Counter({k: v for k, v in after.items() if v}))


@pytest.fixture
def finished(demo):
    """A 新生儿出生 application by zhangsan with its result out."""
    plan = intake.load_plan("bundle", BUNDLE, ANSWERS)
    asked = {f.element for f in plan.form}
    app = intake.submit(
        User.objects.get(username="zhangsan"),
        kind="bundle",
        code=BUNDLE,
        answers=ANSWERS,
        form={k: v for k, v in intake.flatten(FORM).items() if k in asked},
        idempotency_key="ratings-projection-1",
        now=NOW - dt.timedelta(days=5),
    ).application
    Application.objects.filter(pk=app.pk).update(status="result_ready", decided_at=NOW - dt.timedelta(days=1))
    return Application.objects.get(pk=app.pk)


def test_rebuild_agrees_with_the_incremental_updates(finished):
    zhangsan = finished.applicant
    # given ratings of an application, on two channels, with indicators
    service.rate(
        zhangsan, application=finished, channel="web", score=5, indicators={"overall": 5, "guide": 4}, now=NOW
    )
    bad_app = service.rate(
        zhangsan, application=finished, channel="mobile", score=2, bad_reason="materials", now=NOW
    )
    # window visits: good, middling (on the next day), and 差评 in various states
    window_rating(1, 4, indicators={"attitude": 5, "service_level": 4})
    window_rating(2, 3, when=NOW + dt.timedelta(days=1))
    answered_on_time = window_rating(3, 1)
    answered_late = window_rating(4, 2)
    revisited = window_rating(5, 1)
    window_rating(6, 1)  # still being verified: adds nothing yet
    overdue = window_rating(7, 2)
    flag(answered_on_time, counted_due=True, on_time=True)
    flag(answered_late, counted_due=True, on_time=False)
    flag(revisited, counted_due=True, on_time=True)
    flag(revisited, revisited_at=NOW + dt.timedelta(days=3))
    flag(overdue, counted_due=True)
    flag(bad_app, counted_due=True, on_time=True)
    # a defaulted rating (the service's rating window passed)
    defaulted = Rating.objects.create(
        ticket=ticket(8),
        channel="window",
        score=3,
        source=Rating.Source.DEFAULTED,
        region_id="430600",
        hall_id="yueyang-city-hall",
        service_name="综合受理",
        served_at=NOW - dt.timedelta(days=8),
        created_at=NOW,
    )
    projection.record_rating(defaulted)
    # an upheld appeal: the rating and what its rectification added go
    appealed = window_rating(9, 1)
    flag(appealed, counted_due=True, on_time=False)
    projection.remove_rating(appealed)
    Rating.objects.filter(pk=appealed.pk).update(excluded=True)

    incremental = facts()
    day = timezone.localdate(NOW)
    hall = incremental[(day, "hall", "yueyang-city-hall", "430600")]
    # the day's window visits: 4, 1, 2, 1, 1, 2 given and one defaulted (the 3 was the next day;
    # the appealed one is gone)
    assert {m: hall[m] for m in ("ratings", "given", "defaulted", "good", "bad", "score_sum")} == {
        "ratings": 7, "given": 6, "defaulted": 1, "good": 1, "bad": 5, "score_sum": 11
    }  # fmt: skip
    assert (hall["rect_due"], hall["rect_on_time"], hall["revisited"]) == (4, 2, 1)
    assert (hall["ind_attitude_sum"], hall["ind_attitude_n"]) == (5, 1)
    web = incremental[(day, "channel", "web", finished.region_id)]
    assert (web["ratings"], web["good"], web["ind_guide_sum"], web["ind_overall_n"]) == (1, 1, 4, 1)

    written = projection.rebuild()
    rebuilt = facts()
    assert rebuilt == incremental
    assert written == len(rebuilt) == RatingFact.objects.count()


def test_the_command_prints_the_rows_written(demo):
    out = io.StringIO()
    call_command("rebuild_rating_facts", stdout=out)
    assert out.getvalue().strip() == f"好差评统计投影已重建：{RatingFact.objects.count()} 行"
