"""The 差评 loop's working-day clocks on the official 2026 calendar: 核实 1 working day from
the rating, 整改答复 5 from the verification (or up to a plan's deadline), 回访 2 from the
answer — across 中秋 (25 September) and 国庆 (1–7 October, with 10 October worked). The scan
turns them yellow (the unit is told) and red (the unit and the region's supervisors; an
overdue answer counts in 整改应办 at once); a year without its calendar is refused (409) and
nothing is written; an appeal pauses the clock and its dismissal gives the days back."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import without_placeholder_years

from onething.audit.models import AuditRecord
from onething.calendar.service import get_calendar
from onething.cases.tests.conftest import at
from onething.clocks import scan
from onething.clocks import service as clocks
from onething.core.errors import status_of
from onething.kernel.errors import DomainError
from onething.notifications.models import Notification, OutboxMessage
from onething.ratings import appeals, deadlines, rectifications, rules
from onething.ratings.machines import REVIEWER, UNIT
from onething.ratings.models import Rating, Rectification
from onething.ratings.tests.test_rectifications import (
    UNIT_ADMIN,
    bad_rating,
    finished_application,
    people,
    rect_of,
    sums,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Scan at a moment and run the after-commit telling, as the periodic task would."""

    def go(moment):
        with django_capture_on_commit_callbacks(execute=True):
            return scan.scan(moment)

    return go


def _clock(rect: Rectification, name: str):
    return clocks.get((deadlines.RECT_KIND, str(rect.pk)), name)


def test_the_calendar_is_the_official_one():
    calendar = get_calendar()
    assert not calendar.is_workday(dt.date(2026, 9, 25))  # 中秋节
    assert not any(calendar.is_workday(dt.date(2026, 10, d)) for d in range(1, 8))  # 国庆节
    assert calendar.is_workday(dt.date(2026, 10, 10))  # Saturday, worked (调休)


def test_a_bad_rating_before_mid_autumn_is_verified_after_it():
    rect = rect_of(bad_rating(at("2026-09-24")))  # Thursday; Friday 25th is 中秋, then the weekend
    assert rect.due_date == dt.date(2026, 9, 28)


def test_national_day_verify_answer_and_revisit_dates():
    admin = people()[UNIT_ADMIN]
    rect = rect_of(bad_rating(at("2026-09-30", 16)))
    assert rect.due_date == dt.date(2026, 10, 8)  # the first working day after 国庆
    verify = _clock(rect, rules.VERIFY)
    assert verify.limit == 1 and verify.due_at == at("2026-10-09", 0)

    rect = rectifications.verify(
        rect, admin, roles={UNIT}, note="已回访", outcome="fix", now=at("2026-09-30", 17)
    )
    # verified on 30 September: 8, 9, 10 (Saturday, worked), 12, 13 October
    assert rect.due_date == dt.date(2026, 10, 13) and _clock(rect, rules.ANSWER).limit == 5
    rect = rectifications.answer(rect, admin, roles={UNIT}, answer="已整改", now=at("2026-10-09"))
    assert rect.due_date == dt.date(2026, 10, 12)  # 10 (Saturday, worked), 12 October
    assert _clock(rect, rules.REVISIT).limit == 2


def test_a_plans_deadline_lengthens_the_answer_clock_and_an_earlier_one_does_not_shorten_it():
    admin = people()[UNIT_ADMIN]
    long = rect_of(bad_rating(at("2026-09-30")))
    long = rectifications.verify(
        long,
        admin,
        roles={UNIT},
        note="情况复杂",
        outcome="plan",
        plan="修订办事指南",
        plan_due="2026-11-20",
        now=at("2026-10-08"),
    )
    clock = _clock(long, rules.ANSWER)
    assert long.due_date == dt.date(2026, 11, 20)
    assert clock.limit == get_calendar().workdays_between(dt.date(2026, 10, 8), dt.date(2026, 11, 20)) == 32
    short = rect_of(bad_rating(at("2026-09-30")))
    short = rectifications.verify(
        short,
        admin,
        roles={UNIT},
        note="复杂",
        outcome="plan",
        plan="方案",
        plan_due="2026-10-09",
        now=at("2026-10-08"),
    )
    assert short.due_date == dt.date(2026, 10, 14) and _clock(short, rules.ANSWER).limit == 5


def test_yellow_tells_the_unit_and_red_the_unit_and_the_supervisors(run, settings):
    settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_BACKENDS": ["inbox", "sms"]}
    p = people()
    admin, ducha = p[UNIT_ADMIN], p["ducha"]
    ducha.phone = "13900000009"
    ducha.save(update_fields=["phone"])
    rating = bad_rating(at("2026-09-30"))
    rect = rectifications.verify(
        rect_of(rating), admin, roles={UNIT}, note="已回访", outcome="fix", now=at("2026-10-08")
    )
    clock = _clock(rect, rules.ANSWER)
    assert rect.due_date == dt.date(2026, 10, 14) and clock.due_at == at("2026-10-15", 0)
    # yellow when a third of the five days is left: from the start of the fourth (13 October)
    assert clock.yellow_at == at("2026-10-13", 0)

    assert run(at("2026-10-12", 18)).yellow == 0
    first = run(at("2026-10-13", 9))
    assert (first.yellow, first.red) == (1, 0)
    assert Rectification.objects.get(pk=rect.pk).warning == "yellow"
    yellow = Notification.objects.filter(event="ratings.yellow", link=f"/ratings/rectifications/{rect.pk}/")
    assert set(yellow.values_list("recipient__username", flat=True)) == {UNIT_ADMIN}
    assert "2026-10-14" in yellow.get().title and "黄灯" in yellow.get().title
    assert sums(rating)["rect_due"] == 0  # not overdue yet

    red = run(at("2026-10-15", 0))
    assert (red.red, red.yellow) == (1, 0)
    fresh = Rectification.objects.get(pk=rect.pk)
    assert fresh.warning == "red" and fresh.counted_due is True
    told = set(
        Notification.objects.filter(
            event="ratings.red", link=f"/ratings/rectifications/{rect.pk}/"
        ).values_list("recipient__username", flat=True)
    )
    assert {UNIT_ADMIN, "ducha", "admin"} <= told and "bumen_admin" not in told
    assert OutboxMessage.objects.filter(event="ratings.red", channel="sms", recipient=ducha).exists()
    assert not OutboxMessage.objects.filter(event="ratings.yellow").exists()  # yellow is inbox only
    # overdue and unanswered: 整改应办 at once, not 按时; the late answer does not count it again
    assert sums(rating)["rect_due"] == 1
    rect = rectifications.answer(fresh, admin, roles={UNIT}, answer="已整改", now=at("2026-10-16"))
    assert rect.on_time is False
    got = sums(rating)
    assert (got["rect_due"], got["rect_on_time"]) == (1, 0)
    assert run(at("2026-10-16", 12)).red == 0  # the revisit clock is not due yet


def test_a_year_without_its_calendar_refuses_and_writes_nothing():
    p = people()
    admin = p[UNIT_ADMIN]
    # the applications first: their own deadlines reach into 2027 too
    late = finished_application(p["zhangsan"], at("2026-12-31", 8))
    rect = rect_of(bad_rating(at("2026-12-24")))
    without_placeholder_years()
    # a 差评 on the last working day of 2026: its return call would be due in 2027
    before = (Rating.objects.count(), AuditRecord.objects.count(), Notification.objects.count())
    with pytest.raises(DomainError) as exc:
        bad_rating(at("2026-12-31"), application=late)
    assert status_of(exc.value) == 409 and "2027" in exc.value.message
    assert exc.value.code == "calendar_not_loaded"
    assert (Rating.objects.count(), AuditRecord.objects.count(), Notification.objects.count()) == before
    # a verification on Christmas Day (a Friday): its 5 working days run into 2027
    state = Rectification.objects.filter(pk=rect.pk).values().get()
    with pytest.raises(DomainError) as exc:
        rectifications.verify(rect, admin, roles={UNIT}, note="已回访", outcome="fix", now=at("2026-12-25"))
    assert status_of(exc.value) == 409 and "2027" in exc.value.message
    assert Rectification.objects.filter(pk=rect.pk).values().get() == state
    assert AuditRecord.objects.count() == before[1]
    assert _clock(rect, rules.VERIFY).stopped_at is None


def test_an_appeal_pauses_the_clock_and_its_dismissal_gives_the_days_back():
    p = people()
    admin, ducha = p[UNIT_ADMIN], p["ducha"]
    rating = bad_rating(at("2026-09-30"))
    rect = rectifications.verify(
        rect_of(rating), admin, roles={UNIT}, note="已回访", outcome="fix", now=at("2026-10-08")
    )
    assert rect.due_date == dt.date(2026, 10, 14)
    appeal = appeals.file(
        rating, admin, roles={UNIT}, ground="mistaken", statement="误评", now=at("2026-10-09")
    )
    rect = Rectification.objects.get(pk=rect.pk)
    assert rect.paused is True and _clock(rect, rules.ANSWER).running is False
    appeals.decide(appeal, ducha, roles={REVIEWER}, uphold=False, note="证据不足", now=at("2026-10-13"))
    rect = Rectification.objects.get(pk=rect.pk)
    # paused on 9 October, resumed on 13 October: 10, 12, 13 October are given back
    assert rect.paused is False and _clock(rect, rules.ANSWER).paused == 3
    assert rect.due_date == dt.date(2026, 10, 19)  # 14 October + 15, 16, 19 October
    assert get_calendar().workdays_between(dt.date(2026, 10, 14), rect.due_date) == 3
